//! Scheduled jobs (DESIGN.md section 4). Each job is set-based SQL in batches and
//! takes a PostgreSQL advisory lock, so any number of processes can run them and
//! each ticket is changed exactly once. A backlog of more than one batch drains on two
//! connections at once (see `drain`). The scheduler's tick skips a job whose lock
//! another process holds; `supportdesk jobs run` waits for it.

pub mod auto_close;
pub mod scheduler;
pub mod sla_breach;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool};

use crate::config::Settings;
use crate::db::PgPool;

/// What one job did in one run, for `supportdesk jobs run` and the logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobReport {
    pub job: &'static str,
    pub summary: String,
    /// How long the job took, lock wait included.
    pub took: std::time::Duration,
    /// How many connections did the work: 2 when a backlog was drained on two at once.
    pub connections: usize,
}

/// What a job's batches did: how many tickets they changed, on how many connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Drained {
    pub changed: i64,
    pub connections: usize,
}

/// Has the due scans of this transaction walk their partial index in order. When PostgreSQL
/// expects fewer due tickets than a batch it prefers a bitmap scan, which reads the same index
/// entries but never marks those of tickets already handled as dead: every sweep then read
/// them all again until the next vacuum. After the seeded backlog of 100,000 clocks that was
/// 65,000 dead entries and 20,000 table pages, 120-140 ms for an SLA sweep with nothing due.
/// An index scan marks them on its first pass, and the next sweep skips them.
pub(crate) fn scan_in_order(conn: &mut PgConnection) -> QueryResult<()> {
    diesel::sql_query("SET LOCAL enable_bitmapscan = off")
        .execute(conn)
        .map(|_| ())
}

/// The plan of a job's due scan as its batches run it (`scan_in_order` included), for tests
/// and benchmarks: `explain` is `EXPLAIN` and the scan, whose `$1` is the due time and `$2`
/// the batch size.
fn explain_scan(
    conn: &mut PgConnection,
    explain: &str,
    due_by: DateTime<Utc>,
    batch: i64,
) -> QueryResult<Vec<String>> {
    #[derive(QueryableByName)]
    struct Line {
        #[diesel(sql_type = diesel::sql_types::Text, column_name = "QUERY PLAN")]
        line: String,
    }
    let lines: Vec<Line> = conn.transaction(|conn| {
        scan_in_order(conn)?;
        diesel::sql_query(explain)
            .bind::<diesel::sql_types::Timestamptz, _>(due_by)
            .bind::<BigInt, _>(batch)
            .load(conn)
    })?;
    Ok(lines.into_iter().map(|l| l.line).collect())
}

/// How long the second connection of [`drain`] may take to come from the pool before the
/// first goes on alone.
const HELPER_WAIT: std::time::Duration = std::time::Duration::from_millis(500);

/// Runs `batch`, each run in its own transaction, until a run changes fewer than `size`
/// tickets. When the first run comes back full there is a backlog, and a second connection
/// from `pool` drains it alongside this one. The batches pick their tickets with
/// `FOR UPDATE SKIP LOCKED`, so the two never take the same ticket. On two cores a backlog
/// then clears in a little over half the time. With nothing due it is one statement on one
/// connection, as before.
fn drain<F>(pool: &PgPool, conn: &mut PgConnection, size: i64, batch: F) -> QueryResult<Drained>
where
    F: Fn(&mut PgConnection) -> QueryResult<i64> + Sync,
{
    let one = |conn: &mut PgConnection| {
        conn.transaction(|c| {
            scan_in_order(c)?;
            batch(c)
        })
    };
    let until_short = |conn: &mut PgConnection| -> QueryResult<i64> {
        let mut total = 0;
        loop {
            let n = one(conn)?;
            total += n;
            if n < size {
                return Ok(total);
            }
        }
    };
    let first = one(conn)?;
    if first < size {
        return Ok(Drained {
            changed: first,
            connections: 1,
        });
    }
    std::thread::scope(|s| {
        let helper = s.spawn(|| match pool.get_timeout(HELPER_WAIT) {
            Ok(mut second) => until_short(&mut second).map(Some),
            Err(_) => Ok(None),
        });
        let mine = until_short(conn);
        let theirs = helper
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        let (mine, theirs) = (mine?, theirs?);
        Ok(Drained {
            changed: first + mine + theirs.unwrap_or(0),
            connections: if theirs.is_some() { 2 } else { 1 },
        })
    })
}

/// Whether to wait for another process's run of the same job, or skip this one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockWait {
    Wait,
    Skip,
}

/// Advisory lock keys: one per job, fixed forever.
pub const AUTO_CLOSE_LOCK: i64 = 0x5d_0001;
pub const SLA_BREACH_LOCK: i64 = 0x5d_0002;

#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = Bool)]
    locked: bool,
}

/// Runs `f` holding the job's session-level advisory lock; `None` when skipped because another process holds it.
fn with_lock<T>(
    conn: &mut PgConnection,
    key: i64,
    wait: LockWait,
    f: impl FnOnce(&mut PgConnection) -> QueryResult<T>,
) -> QueryResult<Option<T>> {
    match wait {
        LockWait::Wait => {
            diesel::sql_query("SELECT pg_advisory_lock($1)")
                .bind::<BigInt, _>(key)
                .execute(conn)?;
        }
        LockWait::Skip => {
            let got: Locked = diesel::sql_query("SELECT pg_try_advisory_lock($1) AS locked")
                .bind::<BigInt, _>(key)
                .get_result(conn)?;
            if !got.locked {
                return Ok(None);
            }
        }
    }
    let result = f(conn);
    // Released even when the job failed; a dropped connection releases it too.
    diesel::sql_query("SELECT pg_advisory_unlock($1)")
        .bind::<BigInt, _>(key)
        .execute(conn)?;
    result.map(Some)
}

/// Runs every job once as if the time were `at`.
pub fn run_all(
    pool: &PgPool,
    settings: &Settings,
    at: DateTime<Utc>,
    wait: LockWait,
) -> Result<Vec<JobReport>, String> {
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let mut reports = Vec::new();
    let started = std::time::Instant::now();
    let closed = with_lock(&mut conn, AUTO_CLOSE_LOCK, wait, |c| {
        auto_close::run(pool, c, at, settings.auto_close_hours)
    })
    .map_err(|e| format!("auto_close: {e}"))?;
    reports.push(report("auto_close", closed, started, |n| {
        format!("closed {n} ticket{}", if n == 1 { "" } else { "s" })
    }));
    let started = std::time::Instant::now();
    let marked = with_lock(&mut conn, SLA_BREACH_LOCK, wait, |c| {
        sla_breach::run(pool, c, at)
    })
    .map_err(|e| format!("sla_breach: {e}"))?;
    reports.push(report("sla_breach", marked, started, |n| {
        format!("marked {n} breached clock{}", if n == 1 { "" } else { "s" })
    }));
    Ok(reports)
}

fn report(
    job: &'static str,
    drained: Option<Drained>,
    started: std::time::Instant,
    summary: impl Fn(i64) -> String,
) -> JobReport {
    JobReport {
        job,
        summary: match drained {
            Some(d) => summary(d.changed),
            None => "skipped: another process is running it".into(),
        },
        took: started.elapsed(),
        connections: drained.map_or(0, |d| d.connections),
    }
}
