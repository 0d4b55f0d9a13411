//! SLA breach marking: each running response clock whose due time has passed gets
//! an `sla_breached` event, once per clock, 1,000 tickets per statement. Only clocks
//! not yet marked are read (a partial index), so the cost follows the due tickets.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Jsonb, Text, Timestamptz};

use super::Drained;
use crate::db::PgPool;
use crate::domain::ticket::Event;

pub const BATCH: i64 = 1000;

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    marked: i64,
}

/// The due clocks' scan: `$1` the time, `$2` the batch size. One text for the job's
/// statement and for [`explain`], so the plan a test checks is the plan the job runs.
macro_rules! due_clocks {
    () => {
        "SELECT number FROM tickets
    WHERE NOT response_breached AND response_due_at IS NOT NULL AND status <> 'closed'
      AND response_due_at <= $1
    ORDER BY response_due_at
    LIMIT $2"
    };
}

pub const MARK_DUE: &str = concat!(
    "WITH due AS (",
    due_clocks!(),
    " FOR UPDATE SKIP LOCKED
), marked AS (
    UPDATE tickets t SET response_breached = TRUE, ever_breached = TRUE, version = t.version + 1
    FROM due WHERE t.number = due.number AND NOT t.response_breached
    RETURNING t.number, t.organization_id, t.response_due_at
), events_written AS (
    INSERT INTO ticket_events (ticket_number, organization_id, kind, actor_id, detail, created_at)
    SELECT number, organization_id, $3, NULL, $4, response_due_at FROM marked
)
SELECT count(*) AS marked FROM marked"
);

/// Marks every clock due by `at`; returns how many, and on how many connections.
pub fn run(pool: &PgPool, conn: &mut PgConnection, at: DateTime<Utc>) -> QueryResult<Drained> {
    let event = Event::sla_breached();
    let detail = serde_json::to_value(event.detail).unwrap_or_default();
    super::drain(pool, conn, BATCH, |conn| {
        diesel::sql_query(MARK_DUE)
            .bind::<Timestamptz, _>(at)
            .bind::<BigInt, _>(BATCH)
            .bind::<Text, _>(event.kind.as_str())
            .bind::<Jsonb, _>(&detail)
            .get_result::<Count>(conn)
            .map(|c| c.marked)
    })
}

/// The query plan of the due-clock scan, as the job runs it, for tests and benchmarks.
pub fn explain(conn: &mut PgConnection, at: DateTime<Utc>) -> QueryResult<Vec<String>> {
    super::explain_scan(conn, concat!("EXPLAIN ", due_clocks!()), at, BATCH)
}
