//! The agent console: the queue, most urgent first, and the ticket view to work it.

pub mod ticket;

use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use super::customer::tickets::{Choice, categories, priorities};
use super::page::{Ctx, ok};
use super::session::{Asking, Staff, Who};
use super::ticket_view::{TicketSummary, search_terms};
use super::{AppError, AppState};
use crate::db::queue::{self, Counts, Cursor, QueueFilter, View};
use crate::domain::ticket::{Category, Priority};

const PAGE_SIZE: i64 = 25;

/// How long an agent's queue badges are kept ([`Badges`]).
pub const BADGES_TTL: std::time::Duration = std::time::Duration::from_secs(1);

/// Each agent's queue badges, kept for [`BADGES_TTL`]: counting them was about 40 % of the
/// database's time on the queue page. Every POST to this process that is answered with a
/// success or a redirect forgets them ([`super::forget_kept_on_change`]), so a change made
/// through it shows at once; one made by another process or a scheduled job, or a ticket
/// whose clock runs out, shows within the second.
pub type Badges = crate::services::kept::Kept<i64, Counts>;

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct QueueQuery {
    view: String,
    priority: String,
    category: String,
    organization: String,
    q: String,
    after: String,
    /// A page number (1-based), for links that page by number; bounded like the customer list.
    page: String,
}

pub struct QueueRowView {
    pub t: TicketSummary,
    pub org_key: String,
    pub org_name: String,
    pub plan_name: String,
    pub assignee: Option<String>,
}

pub struct ViewTab {
    pub key: &'static str,
    pub label_key: String,
    pub count: Option<i64>,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "console/queue.html")]
struct QueuePage {
    ctx: Ctx,
    view: &'static str,
    tabs: Vec<ViewTab>,
    rows: Vec<QueueRowView>,
    query: QueueQuery,
    next_link: Option<String>,
    first_link: Option<String>,
    priorities: Vec<Choice>,
    categories: Vec<Choice>,
    /// Badges stop counting here ("99+").
    cap: i64,
}

pub async fn queue(
    state: web::Data<AppState>,
    asking: Asking<Staff>,
    ctx: Ctx,
    query: web::Query<QueueQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let view = View::parse(&query.view).unwrap_or(View::Unassigned);
    let now = Utc::now();
    // Badges kept for the session's user are shown only once the page's task has confirmed them.
    let me = asking.user_id();
    let (kept, reading) = match state.badges.get(&me) {
        Ok(counts) => (Some(counts), None),
        Err(reading) => (None, Some(reading)),
    };
    let prefix = state.settings.ticket_prefix.clone();
    let (number, text) = search_terms(&query.q, &prefix);
    let filter = QueueFilter {
        view,
        me,
        priority: Priority::parse(&query.priority).map(|p| p.as_str().to_string()),
        category: Category::parse(&query.category).map(|c| c.as_str().to_string()),
        organization_key: Some(
            query
                .organization
                .chars()
                .filter(|c| !c.is_control())
                .collect::<String>()
                .trim()
                .to_string(),
        )
        .filter(|k| !k.is_empty()),
        number,
        text,
        after: Cursor::decode(&query.after),
        // Keyset links (`after`) are the console's own; `page` is honoured when given alone.
        offset: if query.after.is_empty() {
            (query.page.parse::<i64>().unwrap_or(1).clamp(1, 400) - 1) * PAGE_SIZE
        } else {
            0
        },
        limit: PAGE_SIZE + 1,
        now,
        count: kept.is_none(),
    };
    let plan_cache = state.plans.clone();
    let names = state.names.clone();
    let (s, (mut rows, counts, book, orgs, assignees)) = Who::Asking(asking)
        .with_db_carrying(
            &state,
            move |conn, carry| Ok(queue::queue(conn, &filter, carry)?),
            move |conn, _: &Staff, rows: Vec<queue::QueueRow>| {
                let book = plan_cache.book(conn, rows.iter().map(|r| r.ticket.plan_id))?;
                let counts: Counts = match kept.or_else(|| rows.first().and_then(|r| r.counts)) {
                    Some(counts) => counts,
                    None => queue::counts(conn, me, now)?,
                };
                let orgs = names.orgs(conn, rows.iter().map(|r| r.organization_id))?;
                let assignees = names.users(conn, rows.iter().filter_map(|r| r.assignee_id))?;
                Ok((rows, counts, book, orgs, assignees))
            },
        )
        .await?;
    if let Some(reading) = reading {
        state.badges.keep(reading, me, counts);
    }
    let has_next = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    let link = |after: Option<String>| {
        let mut pairs: Vec<(&str, String)> = vec![("view", view.as_str().to_string())];
        for (k, v) in [
            ("priority", &query.priority),
            ("category", &query.category),
            ("organization", &query.organization),
            ("q", &query.q),
        ] {
            if !v.is_empty() {
                pairs.push((k, v.clone()));
            }
        }
        if let Some(a) = after {
            pairs.push(("after", a));
        }
        format!(
            "/console?{}",
            serde_urlencoded::to_string(pairs).unwrap_or_default()
        )
    };
    let next_link = if has_next {
        rows.last()
            .map(|r| link(Some(Cursor::of(view, r).encode())))
    } else {
        None
    };
    let first_link = (!query.after.is_empty()).then(|| link(None));
    let tabs = View::ALL
        .iter()
        .map(|v| ViewTab {
            key: v.as_str(),
            label_key: format!("view-{}", v.as_str()),
            count: match v {
                View::Unassigned => Some(counts.unassigned),
                View::Mine => Some(counts.mine),
                View::Open => Some(counts.open),
                View::Breached => Some(counts.breached),
                View::Closed => None,
            },
            current: *v == view,
        })
        .collect();
    let rows = rows
        .into_iter()
        .map(|r| {
            let org = orgs.get(&r.organization_id);
            QueueRowView {
                t: TicketSummary::new(
                    ctx.lang,
                    &prefix,
                    &r.ticket,
                    book.get(&r.ticket.plan_id).map(|p| &**p),
                    now,
                ),
                org_key: org.map(|o| o.key.clone()).unwrap_or_default(),
                org_name: org.map(|o| o.name.clone()).unwrap_or_default(),
                plan_name: book
                    .get(&r.ticket.plan_id)
                    .map(|p| p.terms.name.clone())
                    .unwrap_or_default(),
                assignee: r.assignee_id.and_then(|id| assignees.get(&id).cloned()),
            }
        })
        .collect();
    ok(&QueuePage {
        view: view.as_str(),
        tabs,
        rows,
        query,
        next_link,
        first_link,
        priorities: priorities(),
        categories: categories(),
        cap: queue::COUNT_CAP,
        ctx: ctx.for_staff(&s),
    })
}
