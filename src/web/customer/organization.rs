//! `/organization` (members), `/organizations/new` and the organization switcher.

use actix_session::Session;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::db::accounts::{self as q, UserRow};
use crate::domain::account::MemberRole;
use crate::services::organizations::{self as orgs, AddMember, AddMemberInput};
use crate::services::{ServiceError, passwords};
use crate::web::csrf::CsrfForm;
use crate::web::page::{Ctx, FormState, ok, render};
use crate::web::session::{CurrentUser, Customer, set_current_org};
use crate::web::{AppError, AppState, off_the_pool, see_other, see_other_with, with_db};

pub struct MemberView {
    pub user_id: i64,
    pub name: String,
    pub email: String,
    pub role: String,
    pub is_me: bool,
}

#[derive(Template)]
#[template(path = "customer/organization.html")]
struct OrganizationPage {
    ctx: Ctx,
    org_name: String,
    org_key: String,
    plan_name: String,
    role: String,
    manages: bool,
    is_owner: bool,
    members: Vec<MemberView>,
    form: FormState,
    notice: Option<String>,
    roles: [&'static str; 3],
}

#[derive(Deserialize, Default)]
pub struct Notice {
    done: Option<String>,
}

async fn members(state: &AppState, org_id: i64, me: i64) -> Result<Vec<MemberView>, AppError> {
    let rows = with_db(state, move |conn| Ok(q::members_of(conn, org_id)?)).await?;
    Ok(member_views(rows, me))
}

fn member_views(rows: Vec<(UserRow, String)>, me: i64) -> Vec<MemberView> {
    rows.into_iter()
        .map(|(u, role)| MemberView {
            user_id: u.id,
            is_me: u.id == me,
            name: u.name,
            email: u.email,
            role,
        })
        .collect()
}

async fn page(
    state: &AppState,
    c: &Customer,
    ctx: Ctx,
    form: FormState,
    notice: Option<String>,
) -> Result<OrganizationPage, AppError> {
    let (plans, plan_id, org_id) = (state.plans.clone(), c.org.org.plan_id, c.org.org.id);
    let (rows, plan) = with_db(state, move |conn| {
        Ok((q::members_of(conn, org_id)?, plans.load(conn, plan_id)?))
    })
    .await?;
    Ok(OrganizationPage {
        members: member_views(rows, c.me.user.id),
        org_name: c.org.org.name.clone(),
        org_key: c.org.org.key.clone(),
        plan_name: plan.row.name,
        role: c.role.as_str().to_string(),
        manages: c.role.manages(),
        is_owner: c.role == MemberRole::Owner,
        form,
        notice,
        roles: ["member", "admin", "owner"],
        ctx: ctx.for_customer(c),
    })
}

pub async fn show(
    state: web::Data<AppState>,
    c: Customer,
    ctx: Ctx,
    q: web::Query<Notice>,
) -> Result<HttpResponse, AppError> {
    let notice = match q.done.as_deref() {
        Some("added") => Some(ctx.t("member-added")),
        Some("role") => Some(ctx.t("member-role-changed")),
        Some("removed") => Some(ctx.t("member-removed")),
        _ => None,
    };
    let form = FormState::with_values(vec![("role", "member".into())]);
    ok(&page(&state, &c, ctx, form, notice).await?)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AddMemberForm {
    name: String,
    email: String,
    password: String,
    role: String,
}

pub async fn add_member(
    state: web::Data<AppState>,
    c: Customer,
    ctx: Ctx,
    CsrfForm(f): CsrfForm<AddMemberForm>,
) -> Result<HttpResponse, AppError> {
    // Members may look at the organization but not change it: out of reach, 404.
    if !c.role.manages() {
        return Err(AppError::NotFound);
    }
    let input = AddMemberInput {
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
    let (org_id, actor) = (c.org.org.id, c.role);
    let step = with_db(&state, move |conn| {
        Ok(orgs::add_member(conn, org_id, actor, &input))
    })
    .await?;
    let result = match step {
        Ok(AddMember::Existing { .. }) => Ok(()),
        Ok(AddMember::New {
            email,
            name,
            password,
            role,
        }) => {
            let hash = off_the_pool(move || passwords::hash(password.as_str())).await?;
            with_db(&state, move |conn| {
                Ok(orgs::add_new_member(conn, org_id, &email, &name, role, &hash).map(|_| ()))
            })
            .await?
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(see_other_with("/organization", "done=added")),
        Err(e) => {
            let status = form.refuse(ctx.lang, e)?;
            render(status, &page(&state, &c, ctx, form, None).await?)
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RoleForm {
    role: String,
}

pub async fn change_role(
    state: web::Data<AppState>,
    c: Customer,
    ctx: Ctx,
    path: web::Path<i64>,
    CsrfForm(f): CsrfForm<RoleForm>,
) -> Result<HttpResponse, AppError> {
    if !c.role.manages() {
        return Err(AppError::NotFound);
    }
    let (org_id, actor, user_id) = (c.org.org.id, c.role, path.into_inner());
    let result = with_db(&state, move |conn| {
        Ok(orgs::change_role(conn, org_id, actor, user_id, &f.role))
    })
    .await?;
    refused_or(result, &state, &c, ctx, "done=role").await
}

/// Success goes back to the members page; a refusal shows it with the reason.
async fn refused_or(
    result: Result<(), ServiceError>,
    state: &AppState,
    c: &Customer,
    ctx: Ctx,
    query: &str,
) -> Result<HttpResponse, AppError> {
    match result {
        Ok(()) => Ok(see_other_with("/organization", query)),
        Err(e) => {
            let mut form = FormState::with_values(vec![("role", "member".into())]);
            let status = form.refuse(ctx.lang, e)?;
            render(status, &page(state, c, ctx, form, None).await?)
        }
    }
}

#[derive(Template)]
#[template(path = "customer/member_remove.html")]
struct RemovePage {
    ctx: Ctx,
    member: MemberView,
    org_name: String,
}

pub async fn confirm_remove(
    state: web::Data<AppState>,
    c: Customer,
    ctx: Ctx,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    if !c.role.manages() {
        return Err(AppError::NotFound);
    }
    let user_id = path.into_inner();
    let member = members(&state, c.org.org.id, c.me.user.id)
        .await?
        .into_iter()
        .find(|m| m.user_id == user_id)
        .ok_or(AppError::NotFound)?;
    ok(&RemovePage {
        member,
        org_name: c.org.org.name.clone(),
        ctx: ctx.for_customer(&c),
    })
}

pub async fn remove(
    state: web::Data<AppState>,
    c: Customer,
    ctx: Ctx,
    path: web::Path<i64>,
    CsrfForm(_): CsrfForm<crate::web::auth::Empty>,
) -> Result<HttpResponse, AppError> {
    if !c.role.manages() {
        return Err(AppError::NotFound);
    }
    let (org_id, actor, user_id) = (c.org.org.id, c.role, path.into_inner());
    let result = with_db(&state, move |conn| {
        Ok(orgs::remove_member(conn, org_id, actor, user_id))
    })
    .await?;
    refused_or(result, &state, &c, ctx, "done=removed").await
}

#[derive(Template)]
#[template(path = "customer/organization_new.html")]
struct NewOrganizationPage {
    ctx: Ctx,
    form: FormState,
}

/// Any customer may create another organization (also one removed from all of theirs).
fn customer_only(me: &CurrentUser) -> Result<(), AppError> {
    if me.staff_role().is_some() {
        Err(AppError::NotFound)
    } else {
        Ok(())
    }
}

pub async fn new_form(me: CurrentUser, ctx: Ctx) -> Result<HttpResponse, AppError> {
    customer_only(&me)?;
    ok(&NewOrganizationPage {
        ctx: ctx.for_user(&me),
        form: FormState::default(),
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewOrganizationForm {
    organization: String,
    organization_key: String,
}

pub async fn create(
    state: web::Data<AppState>,
    me: CurrentUser,
    session: Session,
    ctx: Ctx,
    CsrfForm(f): CsrfForm<NewOrganizationForm>,
) -> Result<HttpResponse, AppError> {
    customer_only(&me)?;
    let mut form = FormState::with_values(vec![
        ("organization", f.organization.clone()),
        ("organization_key", f.organization_key.clone()),
    ]);
    let user_id = me.user.id;
    let result = with_db(&state, move |conn| {
        Ok(orgs::create(
            conn,
            user_id,
            &f.organization,
            &f.organization_key,
        ))
    })
    .await?;
    match result {
        Ok(org_id) => {
            // Its owner.
            set_current_org(&session, org_id, true)?;
            Ok(see_other("/tickets"))
        }
        Err(e) => {
            let status = form.refuse(ctx.lang, e)?;
            render(
                status,
                &NewOrganizationPage {
                    ctx: ctx.for_user(&me),
                    form,
                },
            )
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SwitchForm {
    organization: String,
}

pub async fn switch(
    c: Customer,
    session: Session,
    CsrfForm(f): CsrfForm<SwitchForm>,
) -> Result<HttpResponse, AppError> {
    let target =
        c.me.memberships
            .iter()
            .find(|m| m.org.key == f.organization)
            .ok_or(AppError::NotFound)?;
    set_current_org(&session, target.org.id, target.manages())?;
    Ok(see_other("/tickets"))
}
