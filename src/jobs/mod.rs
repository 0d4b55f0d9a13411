//! Scheduled jobs (DESIGN.md section 4): set-based SQL, advisory-locked.
//! The scheduler and the first jobs (auto-close, SLA breach marking) arrive with their issues.

use chrono::{DateTime, Utc};

use crate::db::PgPool;

/// What one job did in one run, for `supportdesk jobs run` and the logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobReport {
    pub job: &'static str,
    pub summary: String,
}

/// Runs every job once as if the time were `at`.
pub fn run_all(_pool: &PgPool, _at: DateTime<Utc>) -> Vec<JobReport> {
    Vec::new()
}
