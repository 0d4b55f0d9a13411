//! `/admin/users`: list, add, deactivate and reactivate staff.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::db::accounts::{self as q, UserRow};
use crate::services::staff::{self, NewStaffInput};
use crate::services::{ServiceError, passwords};
use crate::web::auth::Empty;
use crate::web::csrf::CsrfForm;
use crate::web::page::{Ctx, FormState, ok, render};
use crate::web::session::Admin;
use crate::web::{AppError, AppState, off_the_pool, see_other_with, with_db};

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage {
    ctx: Ctx,
    users: Vec<UserRow>,
    me: i64,
    form: FormState,
    notice: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct Notice {
    done: Option<String>,
}

async fn page(
    state: &AppState,
    admin: &Admin,
    ctx: Ctx,
    form: FormState,
    notice: Option<String>,
) -> Result<UsersPage, AppError> {
    Ok(UsersPage {
        users: with_db(state, |conn| Ok(q::staff_users(conn)?)).await?,
        me: admin.0.me.user.id,
        form,
        notice,
        ctx: ctx.for_staff(&admin.0),
    })
}

pub async fn list(
    state: web::Data<AppState>,
    admin: Admin,
    ctx: Ctx,
    q: web::Query<Notice>,
) -> Result<HttpResponse, AppError> {
    let notice = match q.done.as_deref() {
        Some("added") => Some(ctx.t("staff-added")),
        Some("deactivated") => Some(ctx.t("staff-deactivated")),
        Some("activated") => Some(ctx.t("staff-activated")),
        _ => None,
    };
    let form = FormState::with_values(vec![("role", "agent".into())]);
    ok(&page(&state, &admin, ctx, form, notice).await?)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewStaffForm {
    name: String,
    email: String,
    password: String,
    role: String,
}

pub async fn create(
    state: web::Data<AppState>,
    admin: Admin,
    ctx: Ctx,
    CsrfForm(f): CsrfForm<NewStaffForm>,
) -> Result<HttpResponse, AppError> {
    let input = NewStaffInput {
        name: f.name,
        email: f.email,
        password: f.password,
        role: f.role,
    };
    let mut form = FormState::with_values(vec![
        ("name", input.name.clone()),
        ("email", input.email.clone()),
        ("role", input.role.clone()),
    ]);
    let result = match staff::validate(&input) {
        Ok(valid) => {
            let password = valid.password.clone();
            let hash = off_the_pool(move || passwords::hash(password.as_str())).await?;
            let created =
                with_db(&state, move |conn| Ok(staff::create(conn, &valid, &hash))).await?;
            state.agents.forget();
            created
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(see_other_with("/admin/users", "done=added")),
        Err(e) => {
            let status = form.refuse(ctx.lang, e)?;
            render(status, &page(&state, &admin, ctx, form, None).await?)
        }
    }
}

#[derive(Template)]
#[template(path = "admin/user_deactivate.html")]
struct DeactivatePage {
    ctx: Ctx,
    user: UserRow,
}

pub async fn confirm_deactivate(
    state: web::Data<AppState>,
    admin: Admin,
    ctx: Ctx,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let user_id = path.into_inner();
    let user = with_db(&state, move |conn| Ok(q::user_by_id(conn, user_id)?))
        .await?
        .filter(|u| u.staff_role.is_some())
        .ok_or(AppError::NotFound)?;
    ok(&DeactivatePage {
        user,
        ctx: ctx.for_staff(&admin.0),
    })
}

async fn set_active(
    state: &AppState,
    admin: &Admin,
    ctx: Ctx,
    user_id: i64,
    active: bool,
) -> Result<HttpResponse, AppError> {
    let actor = admin.0.me.user.id;
    let result = with_db(state, move |conn| {
        Ok(staff::set_active(conn, actor, user_id, active))
    })
    .await?;
    state.agents.forget();
    match result {
        Ok(()) => Ok(see_other_with(
            "/admin/users",
            if active {
                "done=activated"
            } else {
                "done=deactivated"
            },
        )),
        Err(e @ ServiceError::Refused(_)) => {
            let mut form = FormState::with_values(vec![("role", "agent".into())]);
            let status = form.refuse(ctx.lang, e)?;
            render(status, &page(state, admin, ctx, form, None).await?)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn deactivate(
    state: web::Data<AppState>,
    admin: Admin,
    ctx: Ctx,
    path: web::Path<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    set_active(&state, &admin, ctx, path.into_inner(), false).await
}

pub async fn activate(
    state: web::Data<AppState>,
    admin: Admin,
    ctx: Ctx,
    path: web::Path<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    set_active(&state, &admin, ctx, path.into_inner(), true).await
}
