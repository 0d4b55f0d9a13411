//! Auto-close: tickets awaiting the customer whose last public support reply is at least
//! `SUPPORTDESK_AUTO_CLOSE_HOURS` old (a customer message would have moved them out of
//! awaiting_customer) are closed with reason `auto`, a system message and their events,
//! 1,000 per statement. The events come from the state machine, not from here.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Jsonb, Text, Timestamptz};

use super::Drained;
use crate::db::PgPool;
use crate::domain::ticket::{self, Action, Actor, Category, Priority, Status, TicketState};

pub const BATCH: i64 = 1000;

/// The system message left in the thread.
pub fn message(hours: u32) -> String {
    format!(
        "Closed automatically after {hours} hours without a reply. Send a message to reopen it."
    )
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    closed: i64,
}

/// The due tickets' scan: `$1` the cutoff, `$2` the batch size. One text for the job's
/// statement and for [`explain`], so the plan a test checks is the plan the job runs.
macro_rules! due_tickets {
    () => {
        "SELECT number FROM tickets
    WHERE status = 'awaiting_customer' AND last_support_reply_at <= $1
    ORDER BY last_support_reply_at
    LIMIT $2"
    };
}

/// The statement: pick due tickets (skipping rows another transaction holds), close them, and write
/// the message and the events for exactly the rows closed.
pub const CLOSE_DUE: &str = concat!(
    "WITH due AS (",
    due_tickets!(),
    " FOR UPDATE SKIP LOCKED
), closed AS (
    UPDATE tickets t SET status = 'closed', close_reason = 'auto', closed_at = $3, updated_at = $3,
        version = t.version + 1, response_started_at = NULL, response_due_at = NULL,
        response_breached = FALSE, last_support_reply_at = NULL
    FROM due WHERE t.number = due.number AND t.status = 'awaiting_customer'
    RETURNING t.number, t.organization_id
), messages_written AS (
    INSERT INTO messages (ticket_number, organization_id, author_id, kind, from_support, body, created_at)
    SELECT number, organization_id, NULL, 'system', TRUE, $4, $3 FROM closed
), events_written AS (
    INSERT INTO ticket_events (ticket_number, organization_id, kind, actor_id, detail, created_at)
    SELECT closed.number, closed.organization_id, e.kind, NULL, e.detail, $3
    FROM closed CROSS JOIN unnest($5::text[], $6::jsonb[]) WITH ORDINALITY AS e(kind, detail, ord)
    ORDER BY closed.number, e.ord
)
SELECT count(*) AS closed FROM closed"
);

/// Closes every due ticket as of `at`; returns how many, and on how many connections.
pub fn run(
    pool: &PgPool,
    conn: &mut PgConnection,
    at: DateTime<Utc>,
    hours: u32,
) -> QueryResult<Drained> {
    // What an auto-close writes, asked of the state machine once: the events do not
    // depend on the ticket's priority, category or assignee.
    let sample = TicketState {
        status: Status::AwaitingCustomer,
        priority: Priority::Normal,
        category: Category::Technical,
        assignee: None,
    };
    let transition = ticket::apply(&sample, Actor::System, Action::AutoClose)
        .map_err(|e| diesel::result::Error::QueryBuilderError(e.to_string().into()))?;
    let kinds: Vec<String> = transition
        .events
        .iter()
        .map(|e| e.kind.as_str().to_string())
        .collect();
    let details: Vec<serde_json::Value> = transition
        .events
        .iter()
        .map(|e| serde_json::to_value(e.detail).unwrap_or_default())
        .collect();
    let cutoff = at - Duration::hours(i64::from(hours));
    let body = message(hours);
    super::drain(pool, conn, BATCH, |conn| {
        diesel::sql_query(CLOSE_DUE)
            .bind::<Timestamptz, _>(cutoff)
            .bind::<BigInt, _>(BATCH)
            .bind::<Timestamptz, _>(at)
            .bind::<Text, _>(&body)
            .bind::<Array<Text>, _>(&kinds)
            .bind::<Array<Jsonb>, _>(&details)
            .get_result::<Count>(conn)
            .map(|c| c.closed)
    })
}

/// The query plan of the due-ticket scan, as the job runs it, for tests and benchmarks.
pub fn explain(conn: &mut PgConnection, at: DateTime<Utc>, hours: u32) -> QueryResult<Vec<String>> {
    let cutoff = at - Duration::hours(i64::from(hours));
    super::explain_scan(conn, concat!("EXPLAIN ", due_tickets!()), cutoff, BATCH)
}
