//! `/admin/plans`: list, create, edit, and clone into a custom plan for one organization.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use crate::db::plans::{self as q, CalendarRow};
use crate::domain::plan::{self, PlanInput};
use crate::domain::ticket::Priority;
use crate::services::plans::{self as svc, PlanView};
use crate::services::{FieldProblem, ServiceError};
use crate::web::csrf::CsrfForm;
use crate::web::page::{Ctx, FormState, ok, render};
use crate::web::plan_view::price_text;
use crate::web::session::Admin;
use crate::web::{AppError, AppState, see_other, with_db};

pub struct PlanRowView {
    pub key: String,
    pub name: String,
    pub custom: bool,
    pub price: String,
    pub calendar: String,
}

#[derive(Template)]
#[template(path = "admin/plans.html")]
struct PlansPage {
    ctx: Ctx,
    plans: Vec<PlanRowView>,
}

pub async fn list(
    state: web::Data<AppState>,
    admin: Admin,
    ctx: Ctx,
) -> Result<HttpResponse, AppError> {
    let (rows, calendars) = with_db(&state, |conn| {
        Ok((q::all_plans(conn)?, q::calendars(conn)?))
    })
    .await?;
    let plans = rows
        .iter()
        .map(|r| PlanRowView {
            key: r.key.clone(),
            name: r.name.clone(),
            custom: r.custom_for_organization_id.is_some(),
            price: price_text(ctx.lang, r.price, &r.currency),
            calendar: calendars
                .iter()
                .find(|c| c.id == r.calendar_id)
                .map(|c| c.name.clone())
                .unwrap_or_default(),
        })
        .collect();
    ok(&PlansPage {
        plans,
        ctx: ctx.for_staff(&admin.0),
    })
}

pub struct PriorityFields {
    pub key: &'static str,
    pub label: &'static str,
}

#[derive(Template)]
#[template(path = "admin/plan_form.html")]
struct PlanFormPage {
    ctx: Ctx,
    /// The key being edited; None for a new plan.
    editing: Option<String>,
    form: FormState,
    calendars: Vec<CalendarRow>,
    priorities: Vec<PriorityFields>,
    custom_for: Option<String>,
}

impl PlanFormPage {
    fn checked(&self, priority: &str) -> bool {
        self.form.v(&format!("{priority}_available")) == "1"
    }

    fn value(&self, priority: &str, what: &str) -> String {
        self.form.v(&format!("{priority}_{what}")).to_string()
    }

    fn error(&self, priority: &str, what: &str) -> Option<String> {
        self.form
            .e(&format!("{priority}_{what}"))
            .map(str::to_string)
    }
}

fn priorities() -> Vec<PriorityFields> {
    Priority::ALL
        .iter()
        .map(|p| PriorityFields {
            key: p.as_str(),
            label: p.label(),
        })
        .collect()
}

/// The form's values from a stored plan.
fn values_of(p: &PlanView, calendar_key: &str) -> Vec<(String, String)> {
    let mut v = vec![
        ("key".to_string(), p.row.key.clone()),
        ("name".into(), p.row.name.clone()),
        ("description".into(), p.row.description.clone()),
        ("price".into(), p.row.price.to_string()),
        ("currency".into(), p.row.currency.clone()),
        ("calendar".into(), calendar_key.to_string()),
    ];
    for pr in Priority::ALL {
        let t = p.terms.terms(pr);
        let n = |x: Option<u32>| x.map(|n| n.to_string()).unwrap_or_default();
        v.push((
            plan::field(pr, "available"),
            if t.available {
                "1".into()
            } else {
                String::new()
            },
        ));
        v.push((plan::field(pr, "quota"), n(t.monthly_quota)));
        v.push((plan::field(pr, "response"), n(t.response_minutes)));
        v.push((plan::field(pr, "resolution"), n(t.resolution_minutes)));
    }
    v
}

async fn form_page(
    state: &AppState,
    admin: &Admin,
    ctx: Ctx,
    editing: Option<String>,
    form: FormState,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let calendars = with_db(state, |conn| Ok(q::calendars(conn)?)).await?;
    render(
        status,
        &PlanFormPage {
            editing,
            calendars,
            priorities: priorities(),
            custom_for: Some(form.v("organization").to_string()).filter(|s| !s.is_empty()),
            form,
            ctx: ctx.for_staff(&admin.0),
        },
    )
}

pub async fn new_form(
    state: web::Data<AppState>,
    admin: Admin,
    ctx: Ctx,
) -> Result<HttpResponse, AppError> {
    let mut values = vec![
        ("currency".to_string(), "IRR".to_string()),
        ("price".into(), "0".into()),
        ("calendar".into(), "business".into()),
    ];
    values.extend(
        Priority::ALL
            .iter()
            .map(|p| (plan::field(*p, "available"), "1".to_string())),
    );
    form_page(
        &state,
        &admin,
        ctx,
        None,
        FormState::with_owned(values),
        StatusCode::OK,
    )
    .await
}

pub async fn edit_form(
    state: web::Data<AppState>,
    admin: Admin,
    ctx: Ctx,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let key = path.into_inner();
    let lookup = key.clone();
    let (view, org_key) = with_db(&state, move |conn| {
        let row = q::plan_by_key(conn, &lookup)?.ok_or(AppError::NotFound)?;
        let view = svc::load(conn, row.id)?;
        let org_key = match row.custom_for_organization_id {
            Some(id) => Some(crate::db::accounts::org_key_by_id(conn, id)?),
            None => None,
        };
        Ok((view, org_key))
    })
    .await?;
    let mut values = values_of(&view, &view.calendar.key);
    if let Some(k) = org_key {
        values.push(("organization".into(), k));
    }
    form_page(
        &state,
        &admin,
        ctx,
        Some(key),
        FormState::with_owned(values),
        StatusCode::OK,
    )
    .await
}

fn input_of(f: &HashMap<String, String>) -> PlanInput {
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    PlanInput {
        key: get("key"),
        name: get("name"),
        description: get("description"),
        price: get("price"),
        currency: get("currency"),
        priorities: Priority::ALL
            .iter()
            .map(|p| {
                (
                    *p,
                    get(&plan::field(*p, "available")) == "1",
                    get(&plan::field(*p, "quota")),
                    get(&plan::field(*p, "response")),
                    get(&plan::field(*p, "resolution")),
                )
            })
            .collect(),
    }
}

async fn save(
    state: &AppState,
    admin: &Admin,
    ctx: Ctx,
    editing: Option<String>,
    mut f: HashMap<String, String>,
) -> Result<HttpResponse, AppError> {
    // A plan's key is its identity (pages, tests and the default plan name it): it never changes.
    if let Some(key) = &editing {
        f.insert("key".into(), key.clone());
    }
    let values: Vec<(String, String)> = f
        .iter()
        .filter(|(k, _)| k.as_str() != "csrf_token")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut form = FormState::with_owned(values);
    let valid = match plan::validate(&input_of(&f)) {
        Ok(v) => v,
        Err(problems) => {
            for (field, key) in problems {
                form.add_owned_error(field, ctx.t(key));
            }
            return form_page(
                state,
                admin,
                ctx,
                editing,
                form,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let calendar = f.get("calendar").cloned().unwrap_or_default();
    let custom_for = f.get("organization").cloned();
    let existing = editing.clone();
    let result = with_db(state, move |conn| {
        Ok(svc::save(
            conn,
            existing.as_deref(),
            &valid,
            &calendar,
            custom_for.as_deref(),
        ))
    })
    .await?;
    match result {
        Ok(key) => {
            state.plans.clear();
            Ok(see_other(&format!("/admin/plans/{key}?saved=1")))
        }
        Err(e) => {
            let status = form.refuse(ctx.lang, e)?;
            form_page(state, admin, ctx, editing, form, status).await
        }
    }
}

pub async fn create(
    state: web::Data<AppState>,
    admin: Admin,
    ctx: Ctx,
    CsrfForm(f): CsrfForm<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    save(&state, &admin, ctx, None, f).await
}

pub async fn update(
    state: web::Data<AppState>,
    admin: Admin,
    ctx: Ctx,
    path: web::Path<String>,
    CsrfForm(f): CsrfForm<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let key = path.into_inner();
    let lookup = key.clone();
    with_db(&state, move |conn| Ok(q::plan_by_key(conn, &lookup)?))
        .await?
        .ok_or(AppError::NotFound)?;
    save(&state, &admin, ctx, Some(key), f).await
}

/// A copy of a plan as a custom plan for one organization (key `<plan>-<organization>`), opened for editing.
pub async fn clone(
    state: web::Data<AppState>,
    admin: Admin,
    ctx: Ctx,
    path: web::Path<String>,
    CsrfForm(f): CsrfForm<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let key = path.into_inner();
    let org_key = f
        .get("organization")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let lookup = key.clone();
    let view = with_db(&state, move |conn| {
        let row = q::plan_by_key(conn, &lookup)?.ok_or(AppError::NotFound)?;
        Ok(svc::load(conn, row.id)?)
    })
    .await?;
    let mut values: HashMap<String, String> =
        values_of(&view, &view.calendar.key).into_iter().collect();
    let new_key: String = format!("{}-{}", view.row.key, org_key)
        .chars()
        .take(50)
        .collect();
    values.insert("key".into(), new_key);
    values.insert("name".into(), format!("{} ({org_key})", view.row.name));
    values.insert("organization".into(), org_key.clone());
    if org_key.is_empty() {
        let mut form = FormState::with_owned(values.into_iter().collect());
        let _ = form.refuse(
            ctx.lang,
            ServiceError::Invalid(vec![FieldProblem {
                field: "organization",
                key: "invalid-organization",
            }]),
        )?;
        return form_page(
            &state,
            &admin,
            ctx,
            Some(key),
            form,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    save(&state, &admin, ctx, None, values).await
}
