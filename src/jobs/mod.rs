//! Scheduled jobs (DESIGN.md section 4). Each job is set-based SQL in batches and
//! takes a PostgreSQL advisory lock, so any number of processes can run them and
//! each ticket is changed exactly once. The scheduler's tick skips a job whose lock
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
        auto_close::run(c, at, settings.auto_close_hours)
    })
    .map_err(|e| format!("auto_close: {e}"))?;
    reports.push(JobReport {
        job: "auto_close",
        summary: match closed {
            Some(n) => format!("closed {n} ticket{}", if n == 1 { "" } else { "s" }),
            None => "skipped: another process is running it".into(),
        },
        took: started.elapsed(),
    });
    let started = std::time::Instant::now();
    let marked = with_lock(&mut conn, SLA_BREACH_LOCK, wait, |c| sla_breach::run(c, at))
        .map_err(|e| format!("sla_breach: {e}"))?;
    reports.push(JobReport {
        job: "sla_breach",
        summary: match marked {
            Some(n) => format!("marked {n} breached clock{}", if n == 1 { "" } else { "s" }),
            None => "skipped: another process is running it".into(),
        },
        took: started.elapsed(),
    });
    Ok(reports)
}
