//! `/profile`: one's own name, mobile number and password.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::csrf::CsrfForm;
use super::page::{Ctx, FormState, ok, render};
use super::session::{CurrentUser, set_epoch};
use super::{AppError, AppState, off_the_pool, see_other_with, with_db};
use crate::domain::account::NewPassword;
use crate::services::{ServiceError, accounts, passwords};

#[derive(Template)]
#[template(path = "account/profile.html")]
struct ProfilePage {
    ctx: Ctx,
    email: String,
    details: FormState,
    password: FormState,
    notice: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct Notice {
    saved: Option<String>,
}

pub async fn show(
    me: CurrentUser,
    ctx: Ctx,
    q: web::Query<Notice>,
) -> Result<HttpResponse, AppError> {
    let notice = match q.saved.as_deref() {
        Some("details") => Some(ctx.t("profile-saved")),
        Some("password") => Some(ctx.t("password-changed")),
        _ => None,
    };
    ok(&ProfilePage {
        email: me.user.email.clone(),
        details: FormState::with_values(vec![
            ("name", me.user.name.clone()),
            ("mobile", me.user.mobile.clone().unwrap_or_default()),
        ]),
        password: FormState::default(),
        notice,
        ctx: ctx.for_user(&me),
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ProfileForm {
    /// `details` or `password`: which of the page's two forms was sent.
    form: String,
    name: String,
    mobile: String,
    current_password: String,
    new_password: String,
}

pub async fn update(
    state: web::Data<AppState>,
    me: CurrentUser,
    session: Session,
    ctx: Ctx,
    CsrfForm(f): CsrfForm<ProfileForm>,
) -> Result<HttpResponse, AppError> {
    let ctx = ctx.for_user(&me);
    let mut page = ProfilePage {
        email: me.user.email.clone(),
        details: FormState::with_values(vec![
            ("name", me.user.name.clone()),
            ("mobile", me.user.mobile.clone().unwrap_or_default()),
        ]),
        password: FormState::default(),
        notice: None,
        ctx,
    };
    let user_id = me.user.id;
    if f.form == "password" {
        let mut problems = FormState::default();
        let new = NewPassword::parse(&f.new_password);
        if let Err(e) = &new {
            problems.add_error("new_password", page.ctx.t(e.key()));
        }
        let stored = me.user.password_hash.clone();
        let current = f.current_password.clone();
        let current_ok = off_the_pool(move || passwords::verify(&current, Some(&stored))).await?;
        if !current_ok {
            problems.add_error("current_password", page.ctx.t("password-current-wrong"));
        }
        let Ok(new) = new
            .map_err(|_| ())
            .and_then(|n| if current_ok { Ok(n) } else { Err(()) })
        else {
            page.password = problems;
            return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
        };
        let hash = off_the_pool(move || passwords::hash(new.as_str())).await?;
        let epoch = with_db(&state, move |conn| {
            Ok(accounts::set_password(conn, user_id, &hash)?)
        })
        .await?;
        // This session carries on; every other session of the user ends.
        set_epoch(&session, epoch)?;
        return Ok(see_other_with("/profile", "saved=password"));
    }
    let (name, mobile) = (f.name.clone(), f.mobile.clone());
    let result = with_db(&state, move |conn| {
        Ok(accounts::update_profile(conn, user_id, &name, &mobile))
    })
    .await?;
    // A staff member's new name shows in the console's assign list.
    state.agents.forget();
    match result {
        Ok(()) => Ok(see_other_with("/profile", "saved=details")),
        Err(
            e @ (ServiceError::Invalid(_) | ServiceError::Malformed(_) | ServiceError::Refused(_)),
        ) => {
            page.details = FormState::with_values(vec![("name", f.name), ("mobile", f.mobile)]);
            let status = page.details.refuse(page.ctx.lang, e)?;
            render(status, &page)
        }
        Err(e) => Err(e.into()),
    }
}
