//! `/admin/organizations`: search, each organization's plan, usage and plan history; assign any plan.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use crate::db::accounts as accounts_q;
use crate::db::plans as q;
use crate::domain::ticket::Priority;
use crate::services::plans as svc;
use crate::web::csrf::CsrfForm;
use crate::web::page::{Ctx, FormState, ok, render};
use crate::web::present::exact;
use crate::web::session::Admin;
use crate::web::{AppError, AppState, see_other, with_db};

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Search {
    q: String,
}

#[derive(Template)]
#[template(path = "admin/organizations.html")]
struct ListPage {
    ctx: Ctx,
    q: String,
    rows: Vec<(i64, String, String, String)>,
}

pub async fn list(
    state: web::Data<AppState>,
    admin: Admin,
    ctx: Ctx,
    search: web::Query<Search>,
) -> Result<HttpResponse, AppError> {
    let q_text: String = search
        .q
        .chars()
        .filter(|c| !c.is_control())
        .take(100)
        .collect::<String>()
        .trim()
        .to_string();
    let lookup = q_text.clone();
    let rows = with_db(&state, move |conn| {
        Ok(q::organizations(
            conn,
            Some(lookup.as_str()).filter(|s| !s.is_empty()),
            200,
        )?)
    })
    .await?;
    ok(&ListPage {
        q: q_text,
        rows,
        ctx: ctx.for_staff(&admin.0),
    })
}

pub struct HistoryLine {
    pub from: String,
    pub to: String,
    pub by: String,
    pub at: String,
}

#[derive(Template)]
#[template(path = "admin/organization.html")]
struct OrgPage {
    ctx: Ctx,
    key: String,
    name: String,
    plan_key: String,
    plan_name: String,
    usage: Vec<(&'static str, u32)>,
    choices: Vec<(String, String)>,
    history: Vec<HistoryLine>,
    form: FormState,
    notice: Option<String>,
}

async fn page(
    state: &AppState,
    admin: &Admin,
    ctx: Ctx,
    key: String,
    form: FormState,
    notice: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let lookup = key.clone();
    let (org, current, usage, plans, history) = with_db(state, move |conn| {
        let org = accounts_q::org_by_key(conn, &lookup)?.ok_or(AppError::NotFound)?;
        let (current, usage) = svc::current(conn, org.id, Utc::now())?;
        let plans: Vec<_> = q::all_plans(conn)?
            .into_iter()
            .filter(|p| p.public || p.custom_for_organization_id == Some(org.id))
            .map(|p| (p.key, p.name))
            .collect();
        Ok((
            org.clone(),
            current,
            usage,
            plans,
            q::plan_history(conn, org.id)?,
        ))
    })
    .await?;
    render(
        status,
        &OrgPage {
            key: org.key,
            name: org.name,
            plan_key: current.row.key.clone(),
            plan_name: current.row.name.clone(),
            usage: Priority::ALL
                .iter()
                .rev()
                .map(|p| (p.label(), usage.of(*p)))
                .collect(),
            choices: plans,
            history: history
                .into_iter()
                .map(|(from, to, by, at)| HistoryLine {
                    from: from.unwrap_or_default(),
                    to,
                    by: by.unwrap_or_else(|| ctx.t("system-author")),
                    at: exact(&at),
                })
                .collect(),
            form,
            notice,
            ctx: ctx.for_staff(&admin.0),
        },
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Notice {
    done: String,
}

pub async fn show(
    state: web::Data<AppState>,
    admin: Admin,
    ctx: Ctx,
    path: web::Path<String>,
    n: web::Query<Notice>,
) -> Result<HttpResponse, AppError> {
    let notice = (n.done == "plan").then(|| ctx.t("admin-org-plan-assigned"));
    page(
        &state,
        &admin,
        ctx,
        path.into_inner(),
        FormState::default(),
        notice,
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AssignForm {
    plan: String,
}

pub async fn assign_plan(
    state: web::Data<AppState>,
    admin: Admin,
    ctx: Ctx,
    path: web::Path<String>,
    CsrfForm(f): CsrfForm<AssignForm>,
) -> Result<HttpResponse, AppError> {
    let key = path.into_inner();
    let (org_key, admin_id) = (key.clone(), admin.0.me.user.id);
    let result = with_db(&state, move |conn| {
        Ok(svc::assign(conn, &org_key, &f.plan, admin_id, Utc::now()))
    })
    .await?;
    match result {
        Ok(()) => Ok(see_other(&format!("/admin/organizations/{key}?done=plan"))),
        Err(e) => {
            let mut form = FormState::default();
            let status = form.refuse(ctx.lang, e)?;
            page(&state, &admin, ctx, key, form, None, status).await
        }
    }
}
