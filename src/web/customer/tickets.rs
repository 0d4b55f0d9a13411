//! The customer's tickets: list, create, read, reply (also to reopen), close.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use crate::db::accounts::CarriedUser;
use crate::db::tickets::{self as q, ListFilter};
use crate::domain::content::MessageBody;
use crate::domain::ticket::{Action, Category, Priority, Status};
use crate::services::ServiceError;
use crate::services::plans;
use crate::services::tickets::{self as svc, CreateInput, Message, Viewer};
use crate::web::auth::Empty;
use crate::web::csrf::CsrfForm;
use crate::web::page::{Ctx, FormState, ok, render};
use crate::web::plan_view::{PriorityOption, priority_options};
use crate::web::session::{Asking, Customer, Who};
use crate::web::ticket_view::{TicketSummary, TicketView, number_of, search_terms};
use crate::web::turns::with_ticket;
use crate::web::upload::UploadForm;
use crate::web::{AppError, AppState, see_other, with_db};

/// Columns of the list that a user may hide.
pub const HIDEABLE: [&str; 4] = ["priority", "category", "updated", "status"];
const DEFAULT_PAGE_SIZE: i64 = 25;
const MAX_PAGE_SIZE: i64 = 100;
/// Deep pages are bounded: past this, narrow the search instead.
const MAX_PAGE: i64 = 400;

fn viewer(c: &Customer) -> Viewer {
    Viewer::Customer {
        user_id: c.me.user.id,
        org_id: c.org.org.id,
        role: c.role,
    }
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct ListQuery {
    status: String,
    priority: String,
    category: String,
    q: String,
    sort: String,
    page: String,
    page_size: String,
    created: String,
}

pub struct Choice {
    pub key: &'static str,
    pub label: &'static str,
}

#[derive(Template)]
#[template(path = "customer/tickets.html")]
struct ListPage {
    ctx: Ctx,
    org_name: String,
    rows: Vec<TicketSummary>,
    recent: Vec<TicketSummary>,
    query: ListQuery,
    filtered: bool,
    page_size: i64,
    first: i64,
    last: i64,
    prev_link: Option<String>,
    next_link: Option<String>,
    created: Option<i64>,
    hidden: Vec<String>,
    statuses: Vec<Choice>,
    priorities: Vec<Choice>,
    categories: Vec<Choice>,
    page_sizes: [i64; 4],
    hideable: [&'static str; 4],
}

impl ListPage {
    fn shows(&self, column: &str) -> bool {
        !self.hidden.iter().any(|h| h == column)
    }

    fn is_created(&self, number: &i64) -> bool {
        self.created == Some(*number)
    }

    fn showing(&self) -> String {
        use crate::i18n::FluentArg;
        self.ctx.lang.t_args(
            "pager-showing",
            &[
                ("first", FluentArg::Num(self.first)),
                ("last", FluentArg::Num(self.last)),
            ],
        )
    }

    fn column_label(&self, column: &str) -> String {
        self.ctx.t(&format!("col-{column}"))
    }
}

pub fn statuses() -> Vec<Choice> {
    Status::ALL
        .iter()
        .map(|s| Choice {
            key: s.as_str(),
            label: s.label(),
        })
        .collect()
}

pub fn priorities() -> Vec<Choice> {
    Priority::ALL
        .iter()
        .map(|s| Choice {
            key: s.as_str(),
            label: s.label(),
        })
        .collect()
}

pub fn categories() -> Vec<Choice> {
    Category::ALL
        .iter()
        .map(|s| Choice {
            key: s.as_str(),
            label: s.label(),
        })
        .collect()
}

pub async fn list(
    state: web::Data<AppState>,
    asking: Asking<Customer>,
    ctx: Ctx,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let keep = |v: &str, ok: bool| {
        if ok && !v.is_empty() {
            Some(v.to_string())
        } else {
            None
        }
    };
    let status = keep(&query.status, Status::parse(&query.status).is_some());
    let priority = keep(&query.priority, Priority::parse(&query.priority).is_some());
    let category = keep(&query.category, Category::parse(&query.category).is_some());
    let page_size = query
        .page_size
        .parse::<i64>()
        .unwrap_or(DEFAULT_PAGE_SIZE)
        .clamp(1, MAX_PAGE_SIZE);
    let page = query.page.parse::<i64>().unwrap_or(1).clamp(1, MAX_PAGE);
    let prefix = state.settings.ticket_prefix.clone();
    let (number, text) = search_terms(&query.q, &prefix);
    let filter = ListFilter {
        status: status.clone(),
        priority: priority.clone(),
        category: category.clone(),
        number,
        text: text.clone(),
        sort_created: query.sort == "created",
        offset: (page - 1) * page_size,
        limit: page_size + 1,
        ..Default::default()
    };
    let filtered = status.is_some() || priority.is_some() || category.is_some() || text.is_some();
    let plan_cache = state.plans.clone();
    // The list the session's hint names (set at login and when choosing an organization),
    // read before the user is confirmed and carrying them: one statement for the page. Shown
    // only if the confirmed user has that list; otherwise the list is read again. The hint is
    // not corrected here: a GET that wrote the cookie could undo what another tab's POST
    // wrote meanwhile (an organization switch, a password change's epoch).
    let guessed = asking
        .list_hint()
        .map(|(org, manages)| svc::ListScope::managing(asking.user_id(), org, manages));
    let again = filter.clone();
    let (c, (mut rows, book)) = Who::Asking(asking)
        .with_db_carrying(
            &state,
            move |conn, carry| match guessed {
                Some(scope) => {
                    let (found, rows) = svc::list_for_customer(conn, scope, filter, carry)?;
                    Ok((found, Some((scope, rows))))
                }
                None => Ok((None, None)),
            },
            move |conn, c: &Customer, read| {
                let scope = svc::ListScope::of(c.me.user.id, c.org.org.id, c.role);
                let rows = match read {
                    Some((guessed, rows)) if guessed == scope => rows,
                    // The text a customer's list carries them in (with memberships), for nobody.
                    _ => {
                        let nobody = CarriedUser {
                            user_id: None,
                            memberships: true,
                        };
                        svc::list_for_customer(conn, scope, again, nobody)?.1
                    }
                };
                let book = plan_cache.book(conn, rows.iter().map(|t| t.plan_id))?;
                Ok((rows, book))
            },
        )
        .await?;
    let has_next = rows.len() as i64 > page_size;
    rows.truncate(page_size as usize);
    let now = Utc::now();
    let rows: Vec<TicketSummary> = rows
        .iter()
        .map(|t| {
            TicketSummary::new(
                ctx.lang,
                &prefix,
                t,
                book.get(&t.plan_id).map(|p| &**p),
                now,
            )
        })
        .collect();
    let recent = if !filtered && page == 1 {
        rows.iter().take(3).cloned().collect()
    } else {
        Vec::new()
    };
    let link = |p: i64| {
        let mut pairs: Vec<(&str, String)> = vec![("page", p.to_string())];
        for (k, v) in [
            ("status", &query.status),
            ("priority", &query.priority),
            ("category", &query.category),
            ("q", &query.q),
            ("sort", &query.sort),
            ("page_size", &query.page_size),
        ] {
            if !v.is_empty() {
                pairs.push((k, v.clone()));
            }
        }
        format!(
            "/tickets?{}",
            serde_urlencoded::to_string(pairs).unwrap_or_default()
        )
    };
    let count = rows.len() as i64;
    let page_view = ListPage {
        org_name: c.org.org.name.clone(),
        first: if count == 0 {
            0
        } else {
            (page - 1) * page_size + 1
        },
        last: (page - 1) * page_size + count,
        prev_link: (page > 1).then(|| link(page - 1)),
        next_link: (has_next && page < MAX_PAGE).then(|| link(page + 1)),
        created: query.created.parse().ok(),
        rows,
        recent,
        query,
        filtered,
        page_size,
        hidden: c.me.user.hidden_ticket_columns.clone(),
        statuses: statuses(),
        priorities: priorities(),
        categories: categories(),
        page_sizes: q::PAGE_SIZES,
        hideable: HIDEABLE,
        ctx: ctx.for_customer(&c),
    };
    ok(&page_view)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ColumnsForm {
    /// The columns to show; every other hideable column is hidden.
    show: Vec<String>,
}

/// Remembers which columns the user hides on the list.
pub async fn set_columns(
    state: web::Data<AppState>,
    c: Customer,
    req: actix_web::HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    // Repeated `show` keys: parse the pairs by hand (serde_urlencoded has no sequences).
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(&body).map_err(|_| AppError::BadRequest(String::new()))?;
    let token = pairs
        .iter()
        .find(|(k, _)| k == "csrf_token")
        .map(|(_, v)| v.as_str());
    if !crate::web::csrf::token_matches(&req, token) {
        return Err(AppError::Forbidden(String::new()));
    }
    let form = ColumnsForm {
        show: pairs
            .iter()
            .filter(|(k, _)| k == "show")
            .map(|(_, v)| v.clone())
            .collect(),
    };
    let hidden: Vec<String> = HIDEABLE
        .iter()
        .filter(|h| !form.show.iter().any(|s| s == *h))
        .map(|h| h.to_string())
        .collect();
    let user_id = c.me.user.id;
    with_db(&state, move |conn| {
        Ok(q::set_hidden_columns(conn, user_id, &hidden)?)
    })
    .await?;
    Ok(see_other("/tickets"))
}

#[derive(Template)]
#[template(path = "customer/ticket_new.html")]
struct NewTicketPage {
    ctx: Ctx,
    form: FormState,
    plan_name: String,
    options: Vec<PriorityOption>,
    categories: Vec<Choice>,
}

/// The form with what the organization's plan offers this month.
async fn new_ticket_page(
    state: &AppState,
    c: &Customer,
    ctx: Ctx,
    mut form: FormState,
) -> Result<NewTicketPage, AppError> {
    let org_id = c.org.org.id;
    let (plan, usage) = with_db(state, move |conn| {
        Ok(plans::current(conn, org_id, Utc::now())?)
    })
    .await?;
    let options = priority_options(ctx.lang, &plan, &usage);
    // Normal is preselected; when it cannot be used, the least urgent priority that can.
    let wanted = form.v("priority").to_string();
    if form.e("priority").is_none()
        && options.iter().all(|o| o.key != wanted || o.disabled)
        && let Some(first) = options.iter().rev().find(|o| !o.disabled)
    {
        form.set("priority", first.key.to_string());
    }
    // A form sent back from POST /tickets is still the "New ticket" page.
    let mut ctx = ctx.for_customer(c);
    ctx.path = "/tickets/new".into();
    Ok(NewTicketPage {
        form,
        plan_name: plan.row.name,
        options,
        categories: categories(),
        ctx,
    })
}

pub async fn new_form(
    state: web::Data<AppState>,
    c: Customer,
    ctx: Ctx,
) -> Result<HttpResponse, AppError> {
    let form = FormState::with_values(vec![("priority", "normal".into())]);
    ok(&new_ticket_page(&state, &c, ctx, form).await?)
}

/// The form again, with what was typed and why it was refused.
async fn refuse_create(
    state: &AppState,
    c: &Customer,
    ctx: Ctx,
    mut form: FormState,
    e: ServiceError,
) -> Result<HttpResponse, AppError> {
    let status = form.refuse(ctx.lang, e)?;
    render(status, &new_ticket_page(state, c, ctx, form).await?)
}

pub async fn create(
    state: web::Data<AppState>,
    c: Customer,
    ctx: Ctx,
    form: UploadForm,
) -> Result<HttpResponse, AppError> {
    let input = CreateInput {
        subject: form.field("subject"),
        category: form.field("category"),
        priority: form.field("priority"),
        body: form.field("body"),
    };
    let mut state_form = FormState::with_values(vec![
        ("subject", input.subject.clone()),
        ("category", input.category.clone()),
        ("priority", input.priority.clone()),
        ("body", input.body.clone()),
    ]);
    let valid = svc::validate_create(&input);
    if let Some(problem) = form.file_problem {
        state_form.add_error("attachments", ctx.t(problem.key()));
        let e = valid.err().unwrap_or(ServiceError::Invalid(vec![]));
        return refuse_create(&state, &c, ctx, state_form, e).await;
    }
    let valid = match valid {
        Ok(v) => v,
        Err(e) => {
            if form.had_files {
                state_form.add_error("attachments", ctx.t("attach-again"));
            }
            return refuse_create(&state, &c, ctx, state_form, e).await;
        }
    };
    let (org_id, requester, files) = (c.org.org.id, c.me.user.id, form.files);
    let plans = state.plans.clone();
    let result = with_db(&state, move |conn| {
        Ok(svc::create(
            conn,
            &plans,
            org_id,
            requester,
            &valid,
            &files,
            svc::Quota::Counted,
            Utc::now(),
        ))
    })
    .await?;
    match result {
        Ok(number) => Ok(see_other(&format!("/tickets?created={number}"))),
        Err(e) => {
            if form.had_files {
                state_form.add_error("attachments", ctx.t("attach-again"));
            }
            refuse_create(&state, &c, ctx, state_form, e).await
        }
    }
}

#[derive(Template)]
#[template(path = "customer/ticket.html")]
struct TicketPageView {
    ctx: Ctx,
    t: TicketView,
    form: FormState,
}

async fn ticket_page(
    state: &AppState,
    who: Who<Customer>,
    ctx: Ctx,
    number: i64,
    form: FormState,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let kept = state.page_kept();
    let (c, page) = who
        .with_db_carrying(
            state,
            move |conn, carry| {
                // The customer's side of the thread: no notes.
                Ok(crate::db::tickets::ticket_with_people(
                    conn,
                    number,
                    carry,
                    false,
                    Some(false),
                )?)
            },
            move |conn, c, found| Ok(svc::page_of(conn, viewer(c), found, &kept)?),
        )
        .await?;
    let t = TicketView::new(
        ctx.lang,
        &state.settings.ticket_prefix,
        state.settings.auto_close_hours,
        page,
        Utc::now(),
    );
    render(
        status,
        &TicketPageView {
            t,
            form,
            ctx: ctx.for_customer(&c),
        },
    )
}

pub async fn show(
    state: web::Data<AppState>,
    asking: Asking<Customer>,
    ctx: Ctx,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let number = match number_of(&path) {
        Ok(number) => number,
        Err(e) => return Err(asking.refuse(&state, e).await),
    };
    ticket_page(
        &state,
        Who::Asking(asking),
        ctx,
        number,
        FormState::default(),
        StatusCode::OK,
    )
    .await
}

pub async fn reply(
    state: web::Data<AppState>,
    c: Customer,
    ctx: Ctx,
    path: web::Path<String>,
    form: UploadForm,
) -> Result<HttpResponse, AppError> {
    let number = number_of(&path)?;
    let text = form.field("body");
    let mut state_form = FormState::with_values(vec![("body", text.clone())]);
    let body = match MessageBody::parse(&text) {
        Ok(b) if form.file_problem.is_none() => b,
        result => {
            if let Err(key) = result {
                state_form.add_error("body", ctx.t(key));
            }
            if let Some(problem) = form.file_problem {
                state_form.add_error("attachments", ctx.t(problem.key()));
            } else if form.had_files {
                state_form.add_error("attachments", ctx.t("attach-again"));
            }
            return ticket_page(
                &state,
                Who::Known(c),
                ctx,
                number,
                state_form,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let viewer = viewer(&c);
    let files = form.files;
    let plans = state.plans.clone();
    let result = with_ticket(&state, number, move |conn, handed| {
        Ok(svc::act(
            conn,
            &plans,
            viewer,
            number,
            Action::CustomerReply,
            Some(Message {
                body: &body,
                files: &files,
            }),
            Utc::now(),
            handed,
        ))
    })
    .await?;
    match result {
        Ok(_) => Ok(see_other(&format!("/tickets/{number}"))),
        Err(e) => {
            let status = state_form.refuse(ctx.lang, e)?;
            ticket_page(&state, Who::Known(c), ctx, number, state_form, status).await
        }
    }
}

#[derive(Template)]
#[template(path = "customer/ticket_close.html")]
struct ClosePage {
    ctx: Ctx,
    t: TicketSummary,
}

pub async fn confirm_close(
    state: web::Data<AppState>,
    c: Customer,
    ctx: Ctx,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let number = number_of(&path)?;
    let viewer = viewer(&c);
    let ticket = with_db(&state, move |conn| {
        Ok(q::ticket(conn, number)?.filter(|t| viewer.sees(t)))
    })
    .await?
    .ok_or(AppError::NotFound)?;
    ok(&ClosePage {
        t: TicketSummary::new(
            ctx.lang,
            &state.settings.ticket_prefix,
            &ticket.line(),
            None,
            Utc::now(),
        ),
        ctx: ctx.for_customer(&c),
    })
}

pub async fn close(
    state: web::Data<AppState>,
    c: Customer,
    ctx: Ctx,
    path: web::Path<String>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<HttpResponse, AppError> {
    let number = number_of(&path)?;
    let viewer = viewer(&c);
    let plans = state.plans.clone();
    let result = with_ticket(&state, number, move |conn, handed| {
        Ok(svc::act(
            conn,
            &plans,
            viewer,
            number,
            Action::CustomerClose,
            None,
            Utc::now(),
            handed,
        ))
    })
    .await?;
    match result {
        Ok(_) => Ok(see_other(&format!("/tickets/{number}"))),
        Err(e) => {
            let mut form = FormState::default();
            let status = form.refuse(ctx.lang, e)?;
            ticket_page(&state, Who::Known(c), ctx, number, form, status).await
        }
    }
}
