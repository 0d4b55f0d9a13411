//! The agent queue: open tickets most urgent first, read with keyset pagination
//! from partial indexes on open tickets (migration 4), and its count badges.

use chrono::{DateTime, Utc};
use diesel::dsl::sql;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Int2, Int8, Text, Timestamptz};

use super::accounts::{Carried, CarriedFound, CarriedUser};
use super::literal::{CLOSED, Paged};
use super::schema::{organizations, tickets, users};
use super::tickets::TicketLine;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Unassigned,
    Mine,
    Open,
    Breached,
    Closed,
}

impl View {
    pub const ALL: [View; 5] = [
        View::Unassigned,
        View::Mine,
        View::Open,
        View::Breached,
        View::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            View::Unassigned => "unassigned",
            View::Mine => "mine",
            View::Open => "open",
            View::Breached => "breached",
            View::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<View> {
        View::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// Where the previous page ended: the sort key of its last row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cursor {
    /// Open views: due time (`None` = no due time, sorted last), priority rank, number.
    Open {
        due: Option<DateTime<Utc>>,
        rank: i16,
        number: i64,
    },
    /// The closed view: closed time, number (newest first).
    Closed {
        closed_at: DateTime<Utc>,
        number: i64,
    },
}

impl Cursor {
    pub fn encode(&self) -> String {
        match self {
            Cursor::Open { due, rank, number } => format!(
                "o.{}.{rank}.{number}",
                due.map_or("inf".to_string(), |d| d.timestamp_micros().to_string())
            ),
            Cursor::Closed { closed_at, number } => {
                format!("c.{}.{number}", closed_at.timestamp_micros())
            }
        }
    }

    /// `None` for anything not made by [`Cursor::encode`] (a tampered link starts from the top).
    pub fn decode(s: &str) -> Option<Cursor> {
        // Times far outside what tickets carry would only come from a tampered link.
        let time = |micros: &str| {
            DateTime::from_timestamp_micros(micros.parse().ok()?)
                .filter(|t| (2000..=2200).contains(&chrono::Datelike::year(t)))
        };
        let parts: Vec<&str> = s.split('.').collect();
        match parts.as_slice() {
            ["o", due, rank, number] => Some(Cursor::Open {
                due: if *due == "inf" {
                    None
                } else {
                    Some(time(due)?)
                },
                rank: rank.parse().ok()?,
                number: number.parse().ok()?,
            }),
            ["c", at, number] => Some(Cursor::Closed {
                closed_at: time(at)?,
                number: number.parse().ok()?,
            }),
            _ => None,
        }
    }

    pub fn of(view: View, t: &QueueRow) -> Cursor {
        match view {
            View::Closed => Cursor::Closed {
                closed_at: t.ticket.closed_at.unwrap_or(t.ticket.updated_at),
                number: t.ticket.number,
            },
            _ => Cursor::Open {
                due: t.ticket.response_due_at,
                rank: t.priority_rank,
                number: t.ticket.number,
            },
        }
    }
}

#[derive(Debug, Clone)]
pub struct QueueFilter {
    pub view: View,
    pub me: i64,
    pub priority: Option<String>,
    pub category: Option<String>,
    pub organization_key: Option<String>,
    pub number: Option<i64>,
    /// Found in subjects and requester emails.
    pub text: Option<String>,
    pub after: Option<Cursor>,
    /// Rows to skip before the page (DESIGN's `page`); the console's own links use `after`.
    pub offset: i64,
    pub limit: i64,
    pub now: DateTime<Utc>,
    /// Whether the statement also counts the badges (not when the page has them kept).
    pub count: bool,
}

#[derive(Debug, Clone)]
pub struct QueueRow {
    pub ticket: TicketLine,
    pub priority_rank: i16,
    /// Named by the page from `services::names`, as is the assignee.
    pub organization_id: i64,
    pub assignee_id: Option<i64>,
    /// The badges, computed once by the page's statement and repeated on each of its rows
    /// (`None` when the filter asked for no counts).
    pub counts: Option<Counts>,
}

/// The page's tickets, in one statement: about 26 index probes on the queue's partial index.
/// Their organizations' and assignees' names come from memory (`services::names`): joined
/// in, they were a third of the statement.
///
/// The statement's text depends only on which filters are set, the status is a literal and
/// the page size is written into it ([`super::literal`]), so PostgreSQL plans it once per
/// connection. (Planned on every page, this join took over a millisecond; split in three
/// statements it still cost two extra round trips.)
///
/// It also carries the session's user on one row ([`CarriedUser::on_one_row`]): confirming
/// who asks then costs no round trip of its own.
pub fn queue(
    conn: &mut PgConnection,
    f: &QueueFilter,
    carry: CarriedUser,
) -> QueryResult<(CarriedFound, Vec<QueueRow>)> {
    let mut q = tickets::table
        .select((
            TicketLine::as_select(),
            tickets::priority_rank,
            tickets::organization_id,
            tickets::assignee_id,
            CountColumns {
                me: f.me,
                now: f.now,
                count: f.count,
            },
            carry.for_page(f.offset).on_one_row(),
        ))
        .into_boxed();
    q = match f.view {
        View::Closed => q.filter(tickets::status.eq(CLOSED)),
        View::Unassigned => q
            .filter(tickets::status.ne(CLOSED))
            .filter(tickets::assignee_id.is_null()),
        View::Mine => q
            .filter(tickets::status.ne(CLOSED))
            .filter(tickets::assignee_id.eq(f.me)),
        View::Open => q.filter(tickets::status.ne(CLOSED)),
        View::Breached => q.filter(tickets::status.ne(CLOSED)).filter(
            tickets::response_started_at
                .is_not_null()
                .and(tickets::response_breached.or(tickets::response_due_at.lt(f.now))),
        ),
    };
    if let Some(p) = &f.priority {
        q = q.filter(tickets::priority.eq(p.clone()));
    }
    if let Some(c) = &f.category {
        q = q.filter(tickets::category.eq(c.clone()));
    }
    if let Some(key) = &f.organization_key {
        let org = organizations::table
            .filter(organizations::key.eq(key.clone()))
            .select(organizations::id)
            .single_value();
        q = q.filter(tickets::organization_id.nullable().eq(org));
    }
    if let Some(text) = &f.text {
        let pattern = super::tickets::like_pattern(text);
        let by_requester = users::table
            .filter(users::email.ilike(pattern.clone()))
            .select(users::id);
        let matches = tickets::subject
            .ilike(pattern)
            .or(tickets::requester_id.eq_any(by_requester));
        q = match f.number {
            Some(n) => q.filter(tickets::number.eq(n).or(matches)),
            None => q.filter(matches),
        };
    } else if let Some(n) = f.number {
        q = q.filter(tickets::number.eq(n));
    }
    match (&f.after, f.view) {
        (Some(Cursor::Closed { closed_at, number }), View::Closed) => {
            q = q.filter(
                sql::<Bool>("(tickets.closed_at, tickets.number) < (")
                    .bind::<Timestamptz, _>(*closed_at)
                    .sql(", ")
                    .bind::<Int8, _>(*number)
                    .sql(")"),
            );
        }
        (Some(Cursor::Open { due, rank, number }), view) if view != View::Closed => {
            let due = due.map_or("infinity".to_string(), |d| d.to_rfc3339());
            q = q.filter(
                sql::<Bool>("(tickets.due_key, tickets.priority_rank, tickets.number) > (CAST(")
                    .bind::<Text, _>(due)
                    .sql(" AS timestamptz), ")
                    .bind::<Int2, _>(*rank)
                    .sql(", ")
                    .bind::<Int8, _>(*number)
                    .sql(")"),
            );
        }
        _ => {}
    }
    q = match f.view {
        View::Closed => q.order((tickets::closed_at.desc(), tickets::number.desc())),
        _ => q.order((
            tickets::due_key.asc(),
            tickets::priority_rank.asc(),
            tickets::number.asc(),
        )),
    };
    type Row = (
        TicketLine,
        i16,
        i64,
        Option<i64>,
        Option<(i64, i64, i64, i64)>,
        Carried,
    );
    let mut rows: Vec<Row> = Paged::new(q, f.limit, f.offset).load(conn)?;
    let user = carry.found_in(rows.iter_mut().map(|row| &mut row.5))?;
    let rows = rows
        .into_iter()
        .map(
            |(ticket, priority_rank, organization_id, assignee_id, counts, _)| QueueRow {
                ticket,
                priority_rank,
                organization_id,
                assignee_id,
                counts: counts.map(Counts::from),
            },
        )
        .collect();
    Ok((user, rows))
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub unassigned: i64,
    pub mine: i64,
    pub open: i64,
    pub breached: i64,
}

/// As [`CountColumns`] reads them.
impl From<(i64, i64, i64, i64)> for Counts {
    fn from((unassigned, mine, open, breached): (i64, i64, i64, i64)) -> Self {
        Counts {
            unassigned,
            mine,
            open,
            breached,
        }
    }
}

/// Badges count up to this many tickets; beyond it a badge says "99+". Counting every
/// open ticket costs in proportion to the open tickets (their rows change often, so an
/// index-only scan still visits the table); a capped count costs at most this many rows.
pub const COUNT_CAP: i64 = 100;

/// Badges for the open views (the closed view has none), each capped at [`COUNT_CAP`]:
/// for a page without rows; a page with rows has them already ([`QueueRow::counts`]).
pub fn counts(conn: &mut PgConnection, me: i64, now: DateTime<Utc>) -> QueryResult<Counts> {
    let counts: Option<(i64, i64, i64, i64)> = diesel::select(CountColumns {
        me,
        now,
        count: true,
    })
    .get_result(conn)?;
    Ok(counts.map(Counts::from).unwrap_or_default())
}

/// The four badge counts as columns (unassigned, mine, open, breached): uncorrelated
/// subqueries, which PostgreSQL runs once per statement, so the queue's statement carries
/// them and a page makes one round trip instead of two. Only the user and the time are
/// parameters and the cap is a literal (a bound LIMIT made PostgreSQL plan this on every
/// page), so the text never changes and PostgreSQL keeps one generic plan on the partial
/// indexes (see [`super::literal`]). Without `count`, the four columns are `NULL` (a page
/// whose badges were kept), which is another text and another prepared statement.
#[derive(Debug, Clone, Copy)]
struct CountColumns {
    me: i64,
    now: DateTime<Utc>,
    count: bool,
}

// Two texts (counting or not).
super::literal::column_expression!(
    CountColumns,
    diesel::sql_types::Nullable<(BigInt, BigInt, BigInt, BigInt)>
);

impl diesel::query_builder::QueryFragment<Pg> for CountColumns {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, Pg>,
    ) -> QueryResult<()> {
        if !self.count {
            out.push_sql(
                "NULL::int8 AS unassigned, NULL::int8 AS mine, NULL::int8 AS open, NULL::int8 AS breached",
            );
            return Ok(());
        }
        let capped = |out: &mut diesel::query_builder::AstPass<'_, 'b, Pg>, name: &str| {
            out.push_sql(" LIMIT ");
            out.push_sql(&COUNT_CAP.to_string());
            out.push_sql(") s) AS ");
            out.push_sql(name);
            QueryResult::Ok(())
        };
        out.push_sql("(SELECT count(*) FROM (SELECT 1 FROM tickets WHERE status <> 'closed' AND assignee_id IS NULL");
        capped(&mut out, "unassigned, ")?;
        out.push_sql("(SELECT count(*) FROM (SELECT 1 FROM tickets WHERE status <> 'closed' AND assignee_id = ");
        out.push_bind_param::<BigInt, _>(&self.me)?;
        capped(&mut out, "mine, ")?;
        out.push_sql("(SELECT count(*) FROM (SELECT 1 FROM tickets WHERE status <> 'closed'");
        capped(&mut out, "open, ")?;
        out.push_sql(
            "(SELECT count(*) FROM (SELECT 1 FROM tickets WHERE status <> 'closed' \
             AND response_started_at IS NOT NULL AND (response_breached OR response_due_at < ",
        );
        out.push_bind_param::<Timestamptz, _>(&self.now)?;
        out.push_sql(")");
        capped(&mut out, "breached")
    }
}

/// Active staff who can take tickets, by name.
pub fn agents(conn: &mut PgConnection) -> QueryResult<Vec<(i64, String)>> {
    users::table
        .filter(users::staff_role.is_not_null().and(users::active.eq(true)))
        .order(users::name.asc())
        .select((users::id, users::name))
        .load(conn)
}

pub fn is_active_agent(conn: &mut PgConnection, user_id: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        users::table.filter(
            users::id
                .eq(user_id)
                .and(users::staff_role.is_not_null())
                .and(users::active.eq(true)),
        ),
    ))
    .get_result(conn)
}
