//! Signing up, logging in and out, and the front door.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use super::csrf::CsrfForm;
use super::page::{Ctx, FormState, ok, render};
use super::session::{CurrentUser, log_in, session_of};
use super::{AppError, AppState, off_the_pool, see_other, with_db};
use crate::domain::access;
use crate::domain::account::Email;
use crate::i18n::FluentArg;
use crate::services::accounts::{self, LoginStart, SignupInput};
use crate::services::passwords;

/// `/`: the home page of whoever is asking.
pub async fn home(me: Option<CurrentUser>) -> HttpResponse {
    see_other(me.map_or("/login", |me| access::home(me.viewer())))
}

#[derive(Template)]
#[template(path = "auth/signup.html")]
struct SignupPage {
    ctx: Ctx,
    form: FormState,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SignupForm {
    organization: String,
    organization_key: String,
    name: String,
    email: String,
    password: String,
}

pub async fn signup_form(ctx: Ctx) -> Result<HttpResponse, AppError> {
    ok(&SignupPage {
        ctx,
        form: FormState::default(),
    })
}

pub async fn signup(
    state: web::Data<AppState>,
    req: HttpRequest,
    ctx: Ctx,
    CsrfForm(f): CsrfForm<SignupForm>,
) -> Result<HttpResponse, AppError> {
    let input = SignupInput {
        organization: f.organization,
        organization_key: f.organization_key,
        name: f.name,
        email: f.email,
        password: f.password,
    };
    let mut form = FormState::with_values(vec![
        ("organization", input.organization.clone()),
        ("organization_key", input.organization_key.clone()),
        ("name", input.name.clone()),
        ("email", input.email.clone()),
    ]);
    let valid = match accounts::validate_signup(&input) {
        Ok(v) => v,
        Err(e) => {
            let status = form.refuse(ctx.lang, e)?;
            return render(status, &SignupPage { ctx, form });
        }
    };
    let password = valid.password().to_string();
    let hash = off_the_pool(move || passwords::hash(&password)).await?;
    let result = with_db(&state, move |conn| {
        let ids = accounts::signup(conn, &valid, &hash);
        Ok(ids.map(|ids| (ids, crate::db::accounts::user_by_id(conn, ids.0))))
    })
    .await?;
    match result {
        Ok(((_, org_id), user)) => {
            let user = user?.ok_or(AppError::NotFound)?;
            // The organization's owner.
            log_in(&session_of(&req), &user, Some((org_id, true)))?;
            Ok(see_other("/tickets"))
        }
        Err(e) => {
            let status = form.refuse(ctx.lang, e)?;
            render(status, &SignupPage { ctx, form })
        }
    }
}

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    ctx: Ctx,
    form: FormState,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LoginForm {
    email: String,
    password: String,
}

pub async fn login_form(ctx: Ctx) -> Result<HttpResponse, AppError> {
    ok(&LoginPage {
        ctx,
        form: FormState::default(),
    })
}

pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    ctx: Ctx,
    CsrfForm(f): CsrfForm<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let mut form = FormState::with_values(vec![("email", f.email.clone())]);
    let invalid = |mut form: FormState, ctx: Ctx, key: &str, status: StatusCode| {
        form.alert = Some(ctx.t(key));
        render(status, &LoginPage { ctx, form })
    };
    // A malformed email cannot belong to anyone: the same answer as a wrong password.
    let Ok(email) = Email::parse(&f.email) else {
        return invalid(form, ctx, "login-invalid", StatusCode::UNPROCESSABLE_ENTITY);
    };
    let now = Utc::now();
    let email_str = email.as_str().to_string();
    let start = with_db(&state, move |conn| {
        Ok(accounts::login_start(conn, &email_str, now)?)
    })
    .await?;
    let user = match start {
        LoginStart::Throttled { minutes_left } => {
            form.alert = Some(ctx.lang.t_args(
                "login-throttled",
                &[("minutes", FluentArg::Num(minutes_left))],
            ));
            return render(StatusCode::TOO_MANY_REQUESTS, &LoginPage { ctx, form });
        }
        LoginStart::Check(user) => user,
    };
    let password = f.password;
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let verified = off_the_pool(move || passwords::verify(&password, stored.as_deref())).await?;
    let email_str = email.as_str().to_string();
    with_db(&state, move |conn| {
        Ok(accounts::login_finish(conn, &email_str, verified, now)?)
    })
    .await?;
    match user {
        Some(user) if verified && user.active => {
            let first_org = if user.staff_role.is_none() {
                let uid = user.id;
                with_db(&state, move |conn| {
                    Ok(crate::db::accounts::user_with_memberships(conn, uid)?
                        .map(|(_, memberships)| memberships)
                        .unwrap_or_default())
                })
                .await?
                .first()
                .map(|m| (m.org.id, m.manages()))
            } else {
                None
            };
            log_in(&session_of(&req), &user, first_org)?;
            let home = if user.staff_role.is_some() {
                "/console"
            } else {
                "/tickets"
            };
            Ok(see_other(home))
        }
        Some(user) if verified && !user.active => invalid(
            form,
            ctx,
            "login-deactivated",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        _ => invalid(form, ctx, "login-invalid", StatusCode::UNPROCESSABLE_ENTITY),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Empty {}

/// Logging out ends every session of the user: sessions live in signed cookies, so the
/// only way to make a copied cookie useless is to move the user's session epoch on.
pub async fn logout(
    state: web::Data<AppState>,
    me: CurrentUser,
    session: Session,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    let user_id = me.user.id;
    with_db(&state, move |conn| {
        Ok(crate::db::accounts::end_sessions(conn, user_id)?)
    })
    .await?;
    session.purge();
    Ok(see_other("/login"))
}
