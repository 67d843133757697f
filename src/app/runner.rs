//! The job runner: workers claim the oldest due job by setting a lease
//! (`jobs::lease`, which also says how claims stay safe across instances
//! and fast with a long queue). A worker that dies leaves its lease to
//! expire, and the job is claimed again. Failures retry with exponential
//! backoff up to `max_attempts`; errors the user caused fail at once.

use std::{collections::HashMap, sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use futures_util::FutureExt;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};
use tokio::sync::watch;

use crate::{
    error::{AppResult, Code, Msg},
    jobs::{lease, status, ErasedHandler, JobCtx, JobError, JobQueue, JobRegistry, NewJob, Schedule},
    state::AppState,
};
use entity::job;

/// Runs the registered kinds: workers claim due jobs, a scheduler fires the
/// schedules.
#[derive(Clone)]
pub struct Runner {
    handlers: Arc<HashMap<&'static str, Arc<dyn ErasedHandler>>>,
    schedules: Arc<Vec<Schedule>>,
    queue: JobQueue,
    worker_id: String,
    lease: chrono::Duration,
    poll: Duration,
}

/// A task aborted when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Runner {
    /// A runner of `registry`'s kinds that takes work from `queue`; a claimed
    /// job is leased for `lease`, and idle workers poll every `poll`.
    pub fn new(registry: JobRegistry, queue: JobQueue, lease: chrono::Duration, poll: Duration) -> Runner {
        Runner {
            handlers: Arc::new(registry.handlers),
            schedules: Arc::new(registry.schedules),
            queue,
            worker_id: format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple()),
            lease,
            poll,
        }
    }

    /// The queue this runner takes work from.
    pub fn queue(&self) -> &JobQueue {
        &self.queue
    }

    /// Claims the oldest due job (or one whose lease expired).
    pub async fn claim(&self, db: &DatabaseConnection) -> AppResult<Option<job::Model>> {
        let now = self.queue.clock().now();
        // Only kinds this instance can run: during a rolling deploy an older
        // instance leaves newer kinds to the instances that know them.
        let kinds: Vec<&str> = self.handlers.keys().copied().collect();
        lease::claim(db, &kinds, &self.worker_id, now, now + self.lease).await
    }

    /// Claims and runs one job; `false` when none was due.
    pub async fn run_once(&self, state: &AppState) -> AppResult<bool> {
        let Some(j) = self.claim(&state.db).await? else { return Ok(false) };
        self.execute(state, j).await?;
        Ok(true)
    }

    async fn execute(&self, state: &AppState, j: job::Model) -> AppResult<()> {
        let db = &state.db;
        // Aborted when this function ends, however it ends: a lease renewed
        // for a job nobody runs would keep it RUNNING forever.
        let _heartbeat = AbortOnDrop({
            let db = db.clone();
            let (id, me, lease, clock) = (j.id, self.worker_id.clone(), self.lease, self.queue.clock().clone());
            tokio::spawn(async move {
                let every = (lease / 3).to_std().unwrap_or(Duration::from_secs(10)).max(Duration::from_millis(200));
                loop {
                    tokio::time::sleep(every).await;
                    let _ = job::Entity::update_many()
                        .col_expr(job::Column::LockedUntil, Some(clock.now() + lease).into())
                        .filter(job::Column::Id.eq(id))
                        .filter(job::Column::LockedBy.eq(me.as_str()))
                        .filter(job::Column::Status.eq(status::RUNNING))
                        .exec(&db)
                        .await;
                }
            })
        });
        let outcome = match self.handlers.get(j.kind.as_str()) {
            None => Err(JobError::Permanent {
                code: Code::Internal,
                msg: Msg::owned("JOB_KIND_UNKNOWN", format!("未知任务类型 {}", j.kind), format!("unknown job kind {}", j.kind)),
            }),
            Some(h) => {
                let ctx = JobCtx { state: state.clone(), job: j.clone() };
                // A panic is one failed attempt of this job, not the end of the worker.
                match std::panic::AssertUnwindSafe(h.run_json(&ctx, &j.payload)).catch_unwind().await {
                    Ok(outcome) => outcome,
                    Err(panic) => {
                        let text = panic
                            .downcast_ref::<&str>()
                            .map(|s| s.to_string())
                            .or_else(|| panic.downcast_ref::<String>().cloned())
                            .unwrap_or_else(|| "non-text panic".into());
                        Err(JobError::Retry(anyhow::anyhow!("job panicked: {text}")))
                    }
                }
            }
        };
        drop(_heartbeat);
        lease::settle(db, &j, &self.worker_id, outcome, self.queue.clock().now()).await
    }

    /// Enqueues the current slot of every schedule (idempotent across instances).
    pub async fn fire_schedules(&self, db: &impl ConnectionTrait, now: DateTime<Utc>) -> AppResult<()> {
        for s in self.schedules.iter() {
            let every = s.every.num_seconds().max(1);
            let offset = s.offset.num_seconds();
            let slot = (now.timestamp() - offset).div_euclid(every);
            let at = DateTime::from_timestamp(slot * every + offset, 0).unwrap_or(now);
            let new = NewJob::system().dedup(format!("schedule:{}:{}", s.name, slot)).at(at).attempts(3);
            self.queue.enqueue_raw(db, s.kind, s.payload.to_string(), new).await?;
        }
        Ok(())
    }

    /// Worker loops and the scheduler, until `shutdown` turns true. An
    /// instance with no workers serves the API only and fires no schedules.
    pub fn spawn(&self, state: AppState, workers: usize, schedules: bool, shutdown: watch::Receiver<bool>) {
        if workers == 0 {
            return;
        }
        for _ in 0..workers {
            let (jobs, state, mut shutdown) = (self.clone(), state.clone(), shutdown.clone());
            tokio::spawn(async move {
                loop {
                    if *shutdown.borrow() {
                        break;
                    }
                    match jobs.run_once(&state).await {
                        Ok(true) => continue,
                        Ok(false) => {}
                        Err(e) => tracing::error!(error = ?e, "job worker error"),
                    }
                    tokio::select! {
                        _ = jobs.queue.queued() => {}
                        _ = tokio::time::sleep(jobs.poll) => {}
                        _ = shutdown.changed() => {}
                    }
                }
            });
        }
        if !schedules {
            return;
        }
        let (jobs, mut shutdown) = (self.clone(), shutdown);
        tokio::spawn(async move {
            loop {
                if let Err(e) = jobs.fire_schedules(&state.db, jobs.queue.clock().now()).await {
                    tracing::error!(error = ?e, "scheduler error");
                }
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(30)) => {}
                    _ = shutdown.changed() => { if *shutdown.borrow() { break; } }
                }
            }
        });
    }
}
