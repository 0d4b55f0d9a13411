//! The in-process scheduler started by `serve` (unless `SUPPORTDESK_JOBS=off`).

use std::sync::Arc;

use chrono::Utc;
use tokio_cron_scheduler::{Job, JobScheduler, JobSchedulerError};

use super::{LockWait, run_all};
use crate::config::Settings;
use crate::db::PgPool;

/// Starts the jobs on `settings.jobs_schedule` (cron with seconds, UTC). A failing
/// run is logged and tried again at the next tick; it never takes the server down.
pub async fn start(
    pool: PgPool,
    settings: Arc<Settings>,
) -> Result<JobScheduler, JobSchedulerError> {
    let scheduler = JobScheduler::new().await?;
    let schedule = settings.jobs_schedule.clone();
    let for_job = settings.clone();
    let job = Job::new_async(schedule.as_str(), move |_id, _scheduler| {
        let (pool, settings) = (pool.clone(), for_job.clone());
        Box::pin(async move {
            let result = tokio::task::spawn_blocking(move || {
                run_all(&pool, &settings, Utc::now(), LockWait::Skip)
            })
            .await;
            match result {
                Ok(Ok(reports)) => {
                    for r in reports {
                        tracing::info!(
                            job = r.job,
                            took_ms = r.took.as_secs_f64() * 1000.0,
                            "{}",
                            r.summary
                        );
                    }
                }
                Ok(Err(e)) => tracing::error!("scheduled jobs failed: {e}"),
                Err(e) => tracing::error!("scheduled jobs panicked: {e}"),
            }
        })
    })?;
    scheduler.add(job).await?;
    scheduler.start().await?;
    tracing::info!(schedule = %settings.jobs_schedule, "scheduled jobs started");
    Ok(scheduler)
}
