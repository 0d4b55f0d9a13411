//! `/console/tickets/{number}`: the whole ticket for support, and the actions on it.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use crate::db::tickets::ticket_with_people;
use crate::domain::content::MessageBody;
use crate::domain::ticket::{Action, Category, Priority, Refusal, Status};
use crate::services::ServiceError;
use crate::services::tickets::{self as svc, Message, Viewer};
use crate::web::auth::Empty;
use crate::web::csrf::CsrfForm;
use crate::web::customer::tickets::{Choice, categories, priorities};
use crate::web::page::{Ctx, FormState, render};
use crate::web::session::{Asking, Staff, Who};
use crate::web::ticket_view::{TicketSummary, TicketView, number_of};
use crate::web::turns::with_ticket;
use crate::web::upload::UploadForm;
use crate::web::{AppError, AppState, see_other};

#[derive(Template)]
#[template(path = "console/ticket.html")]
struct ConsoleTicketPage {
    ctx: Ctx,
    t: TicketView,
    requester_email: String,
    others: Vec<TicketSummary>,
    agents: std::sync::Arc<Vec<(i64, String)>>,
    assignee_id: Option<i64>,
    priorities: Vec<Choice>,
    categories: Vec<Choice>,
    form: FormState,
    notice: Option<String>,
}

impl ConsoleTicketPage {
    fn is_assignee(&self, id: &i64) -> bool {
        self.assignee_id == Some(*id)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Notice {
    taken: String,
}

async fn page(
    state: &AppState,
    who: Who<Staff>,
    ctx: Ctx,
    number: i64,
    form: FormState,
    notice: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let kept = state.page_kept();
    let agent_book = state.agents.clone();
    let (s, (p, agents)) = who
        .with_db_carrying(
            state,
            // Staff's side of the thread, notes and all (a page for anyone else is refused).
            move |conn, carry| Ok(ticket_with_people(conn, number, carry, true, Some(true))?),
            move |conn, s, found| {
                let viewer = Viewer::Staff {
                    user_id: s.me.user.id,
                };
                let p = svc::page_of(conn, viewer, found, &kept)?;
                Ok((p, agent_book.get(conn)?))
            },
        )
        .await?;
    let now = Utc::now();
    let prefix = &state.settings.ticket_prefix;
    let assignee_id = p.ticket.assignee_id;
    let mut form = form;
    // A stale or refused reply is shown again on the current version, so sending it again goes through.
    if form.v("version").is_empty() || status == StatusCode::CONFLICT {
        form.set("version", p.ticket.version.to_string());
    }
    render(
        status,
        &ConsoleTicketPage {
            others: p
                .others
                .iter()
                .map(|t| TicketSummary::new(ctx.lang, prefix, t, None, now))
                .collect(),
            requester_email: p.people.requester_email.clone(),
            t: TicketView::new(ctx.lang, prefix, state.settings.auto_close_hours, p, now),
            agents,
            assignee_id,
            priorities: priorities(),
            categories: categories(),
            form,
            notice,
            ctx: ctx.for_staff(&s),
        },
    )
}

pub async fn show(
    state: web::Data<AppState>,
    asking: Asking<Staff>,
    ctx: Ctx,
    path: web::Path<String>,
    notice: web::Query<Notice>,
) -> Result<HttpResponse, AppError> {
    let number = match number_of(&path) {
        Ok(number) => number,
        Err(e) => return Err(asking.refuse(&state, e).await),
    };
    let (who, notice) = if notice.taken.is_empty() {
        (Who::Asking(asking), None)
    } else {
        // Whoever accepted it (the latest `accepted` event), not whoever holds it now.
        let kept = state.page_kept();
        let (s, who) = Who::Asking(asking)
            .with_db(&state, move |conn, s: &Staff| {
                let viewer = Viewer::Staff {
                    user_id: s.me.user.id,
                };
                let page = svc::page(conn, viewer, number, &kept)?;
                Ok(page
                    .thread
                    .events
                    .iter()
                    .rev()
                    .find(|e| e.kind == "accepted")
                    .and_then(|e| page.name_of(e.actor_id).map(str::to_string))
                    .or(page.people.assignee))
            })
            .await?;
        let notice = ctx.lang.t_args(
            "accept-taken",
            &[("name", who.unwrap_or_else(|| ctx.t("someone")).into())],
        );
        (Who::Known(s), Some(notice))
    };
    page(
        &state,
        who,
        ctx,
        number,
        FormState::default(),
        notice,
        StatusCode::OK,
    )
    .await
}

/// Runs a console action: success → 303 back to the ticket; a refusal → the page with the reason.
async fn run(
    state: &AppState,
    s: &Staff,
    ctx: Ctx,
    number: i64,
    form: FormState,
    result: Result<(), ServiceError>,
) -> Result<HttpResponse, AppError> {
    match result {
        Ok(()) => Ok(see_other(&format!("/console/tickets/{number}"))),
        Err(ServiceError::NotFound) => Err(AppError::NotFound),
        Err(e) => {
            let mut form = form;
            let status = form.refuse(ctx.lang, e)?;
            page(
                state,
                Who::Known(s.clone()),
                ctx,
                number,
                form,
                None,
                status,
            )
            .await
        }
    }
}

pub async fn accept(
    state: web::Data<AppState>,
    s: Staff,
    ctx: Ctx,
    path: web::Path<String>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    let number = number_of(&path)?;
    let viewer = Viewer::Staff {
        user_id: s.me.user.id,
    };
    let plans = state.plans.clone();
    let result = with_ticket(&state, number, move |conn, handed| {
        Ok(svc::act(
            conn,
            &plans,
            viewer,
            number,
            Action::Accept,
            None,
            Utc::now(),
            handed,
        )
        .map(|_| ()))
    })
    .await?;
    match result {
        // Another agent got there first (the state machine's own refusal): back to the ticket, naming who took it.
        Err(ServiceError::Conflict(key))
            if key
                == (Refusal::CannotAccept {
                    status: Status::InProgress,
                })
                .key() =>
        {
            Ok(see_other(&format!("/console/tickets/{number}?taken=1")))
        }
        other => run(&state, &s, ctx, number, FormState::default(), other).await,
    }
}

pub async fn message(
    state: web::Data<AppState>,
    s: Staff,
    ctx: Ctx,
    path: web::Path<String>,
    form: UploadForm,
) -> Result<HttpResponse, AppError> {
    let number = number_of(&path)?;
    let text = form.field("body");
    let internal = form.field("internal") == "1";
    let version_text = form.field("version");
    let version = match version_text.trim() {
        "" => None,
        v => Some(
            v.parse::<i32>()
                .map_err(|_| AppError::BadRequest(String::new()))?,
        ),
    };
    let mut state_form = FormState::with_values(vec![
        ("body", text.clone()),
        (
            "internal",
            if internal { "1".into() } else { String::new() },
        ),
    ]);
    let body = match MessageBody::parse(&text) {
        Ok(b) if form.file_problem.is_none() => b,
        result => {
            if let Err(key) = result {
                state_form.add_error("body", ctx.t(key));
            }
            if let Some(problem) = form.file_problem {
                state_form.add_error("attachments", ctx.t(problem.key()));
            }
            return page(
                &state,
                Who::Known(s),
                ctx,
                number,
                state_form,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let (staff_id, files, had_files) = (s.me.user.id, form.files, form.had_files);
    let plans = state.plans.clone();
    let result = with_ticket(&state, number, move |conn, handed| {
        Ok(svc::support_message(
            conn,
            &plans,
            staff_id,
            number,
            internal,
            Message {
                body: &body,
                files: &files,
            },
            version,
            Utc::now(),
            handed,
        )
        .map(|_| ()))
    })
    .await?;
    // Refused or held back as stale: the files are not kept, so ask for them again.
    if result.is_err() && had_files {
        state_form.add_error("attachments", ctx.t("attach-again"));
    }
    run(&state, &s, ctx, number, state_form, result).await
}

/// An action without a message (accept aside): through the state machine, then back to the ticket.
async fn act(
    state: &AppState,
    s: &Staff,
    ctx: Ctx,
    number: i64,
    action: Action,
) -> Result<HttpResponse, AppError> {
    let viewer = Viewer::Staff {
        user_id: s.me.user.id,
    };
    let plans = state.plans.clone();
    let result = with_ticket(state, number, move |conn, handed| {
        Ok(svc::act(
            conn,
            &plans,
            viewer,
            number,
            action,
            None,
            Utc::now(),
            handed,
        )
        .map(|_| ()))
    })
    .await?;
    run(state, s, ctx, number, FormState::default(), result).await
}

pub async fn close(
    state: web::Data<AppState>,
    s: Staff,
    ctx: Ctx,
    path: web::Path<String>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    act(&state, &s, ctx, number_of(&path)?, Action::Resolve).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AssignForm {
    agent: String,
}

pub async fn assign(
    state: web::Data<AppState>,
    s: Staff,
    ctx: Ctx,
    path: web::Path<String>,
    CsrfForm(f): CsrfForm<AssignForm>,
) -> Result<HttpResponse, AppError> {
    let number = number_of(&path)?;
    let agent = match f.agent.trim() {
        "" => None,
        id => Some(
            id.parse::<i64>()
                .map_err(|_| AppError::BadRequest(ctx.t("invalid-agent")))?,
        ),
    };
    let staff_id = s.me.user.id;
    let plans = state.plans.clone();
    let result = with_ticket(&state, number, move |conn, handed| {
        Ok(svc::assign(conn, &plans, staff_id, number, agent, Utc::now(), handed).map(|_| ()))
    })
    .await?;
    run(&state, &s, ctx, number, FormState::default(), result).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PriorityForm {
    priority: String,
}

pub async fn priority(
    state: web::Data<AppState>,
    s: Staff,
    ctx: Ctx,
    path: web::Path<String>,
    CsrfForm(f): CsrfForm<PriorityForm>,
) -> Result<HttpResponse, AppError> {
    let p = Priority::parse(&f.priority)
        .ok_or_else(|| AppError::BadRequest(ctx.t("invalid-priority")))?;
    act(
        &state,
        &s,
        ctx,
        number_of(&path)?,
        Action::ChangePriority(p),
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CategoryForm {
    category: String,
}

pub async fn category(
    state: web::Data<AppState>,
    s: Staff,
    ctx: Ctx,
    path: web::Path<String>,
    CsrfForm(f): CsrfForm<CategoryForm>,
) -> Result<HttpResponse, AppError> {
    let c = Category::parse(&f.category)
        .ok_or_else(|| AppError::BadRequest(ctx.t("invalid-category")))?;
    act(
        &state,
        &s,
        ctx,
        number_of(&path)?,
        Action::ChangeCategory(c),
    )
    .await
}
