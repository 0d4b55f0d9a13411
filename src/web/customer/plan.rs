//! `/plan`: the plans on offer, this month's usage, and choosing one (owners and admins).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use crate::domain::content::{MessageBody, Subject};
use crate::domain::ticket::{Category, Priority};
use crate::services::plans::{self, PlanView, Usage};
use crate::services::tickets::{self as svc, Quota, ValidTicket};
use crate::web::csrf::CsrfForm;
use crate::web::page::{Ctx, FormState, render};
use crate::web::plan_view::{QuotaLine, price_text, quota_lines};
use crate::web::session::Customer;
use crate::web::{AppError, AppState, see_other, see_other_with, with_db};

pub struct PlanCard {
    pub key: String,
    pub name: String,
    pub description: String,
    pub price: String,
    pub coverage: String,
    pub lines: Vec<QuotaLine>,
    pub current: bool,
}

pub struct UsageLine {
    pub label: &'static str,
    pub used: u32,
    pub quota: Option<u32>,
}

#[derive(Template)]
#[template(path = "customer/plan.html")]
struct PlanPage {
    ctx: Ctx,
    cards: Vec<PlanCard>,
    usage: Vec<UsageLine>,
    current_name: String,
    manages: bool,
    form: FormState,
    notice: Option<String>,
}

fn card(ctx: &Ctx, p: &PlanView, current: bool) -> PlanCard {
    PlanCard {
        key: p.row.key.clone(),
        name: p.row.name.clone(),
        description: p.row.description.clone(),
        price: price_text(ctx.lang, p.row.price, &p.row.currency),
        coverage: p.calendar.name.clone(),
        lines: quota_lines(ctx.lang, p),
        current,
    }
}

fn usage_lines(p: &PlanView, usage: &Usage) -> Vec<UsageLine> {
    Priority::ALL
        .iter()
        .rev()
        .filter(|pr| p.terms.terms(**pr).available || usage.of(**pr) > 0)
        .map(|pr| UsageLine {
            label: pr.label(),
            used: usage.of(*pr),
            quota: p.terms.terms(*pr).monthly_quota,
        })
        .collect()
}

async fn page(
    state: &AppState,
    c: &Customer,
    ctx: Ctx,
    form: FormState,
    notice: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let org_id = c.org.org.id;
    let sel = with_db(state, move |conn| {
        Ok(plans::selection(conn, org_id, Utc::now())?)
    })
    .await?;
    let mut cards: Vec<PlanCard> = Vec::new();
    // A custom plan is not on offer to others, but it is this organization's current plan.
    if !sel.plans.iter().any(|p| p.row.id == sel.current.row.id) {
        cards.push(card(&ctx, &sel.current, true));
    }
    cards.extend(
        sel.plans
            .iter()
            .map(|p| card(&ctx, p, p.row.id == sel.current.row.id)),
    );
    render(
        status,
        &PlanPage {
            cards,
            usage: usage_lines(&sel.current, &sel.usage),
            current_name: sel.current.row.name.clone(),
            manages: c.role.manages(),
            form,
            notice,
            ctx: ctx.for_customer(c),
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
    c: Customer,
    ctx: Ctx,
    q: web::Query<Notice>,
) -> Result<HttpResponse, AppError> {
    let notice = match q.done.as_str() {
        "changed" => Some(ctx.t("plan-changed")),
        _ => None,
    };
    page(
        &state,
        &c,
        ctx,
        FormState::default(),
        notice,
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ChooseForm {
    plan: String,
}

pub async fn choose(
    state: web::Data<AppState>,
    c: Customer,
    ctx: Ctx,
    CsrfForm(f): CsrfForm<ChooseForm>,
) -> Result<HttpResponse, AppError> {
    // Members see the plans but cannot change them: out of reach, 404.
    if !c.role.manages() {
        return Err(AppError::NotFound);
    }
    let (org_id, role, user_id) = (c.org.org.id, c.role, c.me.user.id);
    let result = with_db(&state, move |conn| {
        Ok(plans::choose(
            conn,
            org_id,
            role,
            user_id,
            &f.plan,
            Utc::now(),
        ))
    })
    .await?;
    match result {
        Ok(()) => Ok(see_other_with("/plan", "done=changed")),
        Err(e) => {
            let mut form = FormState::default();
            let status = form.refuse(ctx.lang, e)?;
            page(&state, &c, ctx, form, None, status).await
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CustomForm {
    message: String,
}

/// A request to sales for a custom plan: a `sales` ticket that no quota refuses.
pub async fn request_custom(
    state: web::Data<AppState>,
    c: Customer,
    ctx: Ctx,
    CsrfForm(f): CsrfForm<CustomForm>,
) -> Result<HttpResponse, AppError> {
    if !c.role.manages() {
        return Err(AppError::NotFound);
    }
    let body = match MessageBody::parse(&f.message) {
        Ok(b) => b,
        Err(key) => {
            let mut form = FormState::with_values(vec![("message", f.message.clone())]);
            form.add_error("message", ctx.t(key));
            return page(
                &state,
                &c,
                ctx,
                form,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let subject = Subject::parse(&ctx.lang.t_args(
        "custom-plan-subject",
        &[("org", c.org.org.name.as_str().into())],
    ))
    .map_err(|_| AppError::internal("custom plan subject"))?;
    let ticket = ValidTicket {
        subject,
        category: Category::Sales,
        priority: Priority::Normal,
        body,
    };
    let (org_id, requester) = (c.org.org.id, c.me.user.id);
    let plans = state.plans.clone();
    let number = with_db(&state, move |conn| {
        Ok(svc::create(
            conn,
            &plans,
            org_id,
            requester,
            &ticket,
            &[],
            Quota::Exempt,
            Utc::now(),
        )?)
    })
    .await?;
    Ok(see_other(&format!("/tickets?created={number}")))
}
