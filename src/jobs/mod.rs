//! Durable jobs: one table, the same code on SQLite and PostgreSQL.
//!
//! A worker claims the oldest due job by setting a lease (`locked_until`); on
//! PostgreSQL the claim uses `FOR UPDATE SKIP LOCKED` so workers on several
//! instances never take the same row, on SQLite the single writer serialises
//! claims. A worker that dies leaves its lease to expire, and the job is
//! claimed again. Failures retry with exponential backoff up to
//! `max_attempts`; errors the user caused fail at once. A `dedup_key` makes
//! an enqueue idempotent, which is how scheduled firings run exactly once
//! across instances.

pub mod graphql;
mod maintenance;

use std::{collections::HashMap, sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait, QueryFilter, Statement,
    TryInsertResult,
};
use serde::{de::DeserializeOwned, Serialize};
use serde_json::Value;
use tokio::sync::{watch, Notify};

pub use maintenance::MaintenanceJob;

use crate::{
    app::AppState,
    error::{msg, AppError, AppResult, Code, Msg},
    graphql::context::Auth,
    tenancy::{resolve_visibility, Scope},
};
use entity::job;

pub mod status {
    pub const QUEUED: &str = "QUEUED";
    pub const RUNNING: &str = "RUNNING";
    pub const SUCCEEDED: &str = "SUCCEEDED";
    pub const FAILED: &str = "FAILED";
}

/// Why a run did not succeed.
#[derive(Debug)]
pub enum JobError {
    /// The input cannot succeed (quota, validation, permission): no retry.
    Permanent { code: Code, msg: Msg },
    /// Something transient: retry with backoff.
    Retry(anyhow::Error),
}

impl JobError {
    pub fn from_app(e: AppError) -> Self {
        // An upstream answer with an errcode is a verdict (bad parameter, no
        // permission…), except frequency limits and "busy"; transport trouble
        // has no errcode and is worth retrying.
        let errcode = e.extra.iter().find(|(k, _)| *k == "errcode").and_then(|(_, v)| v.as_i64());
        if e.code == Code::Upstream && errcode.is_some_and(|c| ![45009, 45033, -1].contains(&c)) {
            return JobError::Permanent { code: e.code, msg: e.msg };
        }
        match e.code {
            Code::Internal | Code::Upstream | Code::RateLimited => {
                JobError::Retry(e.source.unwrap_or_else(|| anyhow::anyhow!("{}", e.msg.en)))
            }
            code => JobError::Permanent { code, msg: e.msg },
        }
    }
}

#[async_trait::async_trait]
pub trait JobHandler: Send + Sync + 'static {
    const KIND: &'static str;
    type Payload: Serialize + DeserializeOwned + Send + Sync;
    async fn run(&self, ctx: &JobCtx, payload: Self::Payload) -> Result<Value, JobError>;
}

#[async_trait::async_trait]
trait ErasedHandler: Send + Sync {
    async fn run_json(&self, ctx: &JobCtx, payload: &str) -> Result<Value, JobError>;
}

#[async_trait::async_trait]
impl<H: JobHandler> ErasedHandler for H {
    async fn run_json(&self, ctx: &JobCtx, payload: &str) -> Result<Value, JobError> {
        let p: H::Payload = serde_json::from_str(payload).map_err(|e| JobError::Permanent {
            code: Code::Internal,
            msg: Msg::owned(format!("任务参数无效: {e}"), format!("invalid job payload: {e}")),
        })?;
        self.run(ctx, p).await
    }
}

/// What a running job may use.
pub struct JobCtx {
    pub state: AppState,
    pub job: job::Model,
}

impl JobCtx {
    /// Records progress (0–100) for those following the job.
    pub async fn progress(&self, percent: i32, message: &str) -> AppResult<()> {
        job::Entity::update_many()
            .col_expr(job::Column::Progress, percent.clamp(0, 100).into())
            .col_expr(job::Column::ProgressMessage, Some(message.to_string()).into())
            .col_expr(job::Column::UpdatedAt, Utc::now().into())
            .filter(job::Column::Id.eq(self.job.id))
            .exec(&self.state.db)
            .await?;
        Ok(())
    }

    /// What an earlier attempt saved with [`JobCtx::save_checkpoint`].
    pub fn checkpoint(&self) -> Option<Value> {
        self.job.checkpoint.as_deref().and_then(|c| serde_json::from_str(c).ok())
    }

    /// Saves where a retried attempt should resume.
    pub async fn save_checkpoint(&self, value: &Value) -> AppResult<()> {
        job::Entity::update_many()
            .col_expr(job::Column::Checkpoint, Some(value.to_string()).into())
            .filter(job::Column::Id.eq(self.job.id))
            .exec(&self.state.db)
            .await?;
        Ok(())
    }

    /// The scope of the employee who started the job, as it is now (a role
    /// change between enqueue and run applies).
    pub async fn starter_scope(&self) -> Result<Scope, JobError> {
        let (Some(corp_id), Some(employee_id)) = (self.job.corp_id, self.job.created_by) else {
            return Err(JobError::Permanent { code: Code::Forbidden, msg: msg::NO_PERMISSION });
        };
        let db = &self.state.db;
        let emp = Scope::system(corp_id).get::<entity::employee::Entity>(db, employee_id).await.map_err(JobError::from_app)?;
        let roles = crate::org::roles::roles_of(db, corp_id, employee_id).await.map_err(JobError::from_app)?;
        let visibility = resolve_visibility(db, corp_id, employee_id, emp.is_super_admin, &roles).await.map_err(JobError::from_app)?;
        Ok(Scope { corp_id, employee_id: Some(employee_id), visibility })
    }
}

/// Options of a new job.
#[derive(Clone, Debug, Default)]
pub struct NewJob {
    pub corp_id: Option<i64>,
    pub created_by: Option<i64>,
    pub dedup_key: Option<String>,
    pub run_at: Option<DateTime<Utc>>,
    pub max_attempts: Option<i32>,
}

impl NewJob {
    pub fn for_user(auth: &Auth) -> Self {
        NewJob { corp_id: Some(auth.corp_id), created_by: Some(auth.employee_id), ..Default::default() }
    }
    pub fn system() -> Self {
        NewJob::default()
    }
    pub fn dedup(mut self, key: impl Into<String>) -> Self {
        self.dedup_key = Some(key.into());
        self
    }
    pub fn at(mut self, when: DateTime<Utc>) -> Self {
        self.run_at = Some(when);
        self
    }
    pub fn attempts(mut self, n: i32) -> Self {
        self.max_attempts = Some(n);
        self
    }
}

/// A periodic firing: every `every`, one job of `kind` keyed by its time slot.
/// Slots start at the epoch plus `offset` (a daily job at 10:00 China time is
/// `every: 1 day, offset: 2 h`).
#[derive(Clone)]
pub struct Schedule {
    pub name: &'static str,
    pub every: chrono::Duration,
    pub offset: chrono::Duration,
    pub kind: &'static str,
    pub payload: Value,
}

#[derive(Clone)]
pub struct Jobs {
    handlers: Arc<HashMap<&'static str, Arc<dyn ErasedHandler>>>,
    schedules: Arc<Vec<Schedule>>,
    wake: Arc<Notify>,
    clock: crate::clock::Clock,
    worker_id: String,
    lease: chrono::Duration,
    poll: Duration,
}

#[derive(Default)]
pub struct JobsBuilder {
    handlers: HashMap<&'static str, Arc<dyn ErasedHandler>>,
    schedules: Vec<Schedule>,
}

impl JobsBuilder {
    pub fn register<H: JobHandler>(mut self, handler: H) -> Self {
        self.handlers.insert(H::KIND, Arc::new(handler));
        self
    }
    pub fn schedule(mut self, s: Schedule) -> Self {
        self.schedules.push(s);
        self
    }
    pub fn build(self, lease: chrono::Duration, poll: Duration, clock: crate::clock::Clock) -> Jobs {
        Jobs {
            handlers: Arc::new(self.handlers),
            schedules: Arc::new(self.schedules),
            wake: Arc::new(Notify::new()),
            clock,
            worker_id: format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple()),
            lease,
            poll,
        }
    }
}

fn job_columns() -> String {
    use sea_orm::{IdenStatic, Iterable};
    job::Column::iter().map(|c| c.as_str().to_string()).collect::<Vec<_>>().join(", ")
}

fn backoff(attempts: i32) -> chrono::Duration {
    let secs = 5i64.saturating_mul(1i64 << attempts.clamp(0, 12)).min(3600);
    chrono::Duration::seconds(secs)
}

fn error_json(code: Code, msg: &Msg) -> String {
    serde_json::json!({"code": code.as_str(), "zh": msg.zh, "en": msg.en}).to_string()
}

impl Jobs {
    pub fn builder() -> JobsBuilder {
        JobsBuilder::default()
    }

    /// Queues a job. With a dedup key already used, returns the existing job.
    pub async fn enqueue<H: JobHandler>(&self, db: &impl ConnectionTrait, new: NewJob, payload: &H::Payload) -> AppResult<job::Model> {
        let text = serde_json::to_string(payload).map_err(AppError::internal)?;
        self.enqueue_raw(db, H::KIND, text, new).await
    }

    pub async fn enqueue_raw(&self, db: &impl ConnectionTrait, kind: &str, payload: String, new: NewJob) -> AppResult<job::Model> {
        let found = insert_job(db, kind, payload, new, self.clock.now()).await?;
        self.wake.notify_waiters();
        Ok(found)
    }

    /// The clock every due time of the queue is read from.
    pub fn clock(&self) -> &crate::clock::Clock {
        &self.clock
    }

    /// Claims the oldest due job (or one whose lease expired).
    pub async fn claim(&self, db: &DatabaseConnection) -> AppResult<Option<job::Model>> {
        let now = self.clock.now();
        let until = now + self.lease;
        let backend = db.get_database_backend();
        // Only kinds this instance can run: during a rolling deploy an older
        // instance leaves newer kinds to the instances that know them.
        let kinds: Vec<&str> = self.handlers.keys().copied().collect();
        if kinds.is_empty() {
            return Ok(None);
        }
        let (p, lock) = match backend {
            DatabaseBackend::Postgres => ("$", " FOR UPDATE SKIP LOCKED"),
            _ => ("?", ""),
        };
        let kind_params: Vec<String> = (0..kinds.len()).map(|i| format!("{p}{}", i + 4)).collect();
        let sql = format!(
            "UPDATE jobs SET status = 'RUNNING', attempts = attempts + 1, locked_until = {p}1, locked_by = {p}2, updated_at = {p}3 \
             WHERE id = (SELECT id FROM jobs WHERE ((status = 'QUEUED' AND run_at <= {p}3) OR (status = 'RUNNING' AND locked_until < {p}3)) \
             AND kind IN ({}) ORDER BY run_at, id LIMIT 1{lock}) RETURNING {}",
            kind_params.join(", "),
            // Named, not `*`: sqlx-sqlite's cached column list for a `RETURNING *`
            // statement can lag a column added by a later migration.
            job_columns()
        );
        let mut values: Vec<sea_orm::Value> = vec![until.into(), self.worker_id.clone().into(), now.into()];
        values.extend(kinds.iter().map(|k| sea_orm::Value::from(k.to_string())));
        let stmt = Statement::from_sql_and_values(backend, sql, values);
        Ok(job::Entity::find().from_raw_sql(stmt).one(db).await?)
    }

    /// Claims and runs one job; `false` when none was due.
    pub async fn run_once(&self, state: &AppState) -> AppResult<bool> {
        let Some(j) = self.claim(&state.db).await? else { return Ok(false) };
        self.execute(state, j).await?;
        Ok(true)
    }

    async fn execute(&self, state: &AppState, j: job::Model) -> AppResult<()> {
        let db = &state.db;
        let heartbeat = {
            let db = db.clone();
            let (id, me, lease, clock) = (j.id, self.worker_id.clone(), self.lease, self.clock.clone());
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
        };
        let outcome = match self.handlers.get(j.kind.as_str()) {
            None => Err(JobError::Permanent {
                code: Code::Internal,
                msg: Msg::owned(format!("未知任务类型 {}", j.kind), format!("unknown job kind {}", j.kind)),
            }),
            Some(h) => {
                let ctx = JobCtx { state: state.clone(), job: j.clone() };
                h.run_json(&ctx, &j.payload).await
            }
        };
        heartbeat.abort();
        let now = self.clock.now();
        let mine = job::Entity::update_many()
            .filter(job::Column::Id.eq(j.id))
            .filter(job::Column::LockedBy.eq(self.worker_id.as_str()))
            .col_expr(job::Column::LockedUntil, Option::<DateTime<Utc>>::None.into())
            .col_expr(job::Column::UpdatedAt, now.into());
        match outcome {
            Ok(result) => {
                tracing::info!(job = j.id, kind = %j.kind, "job succeeded");
                mine.col_expr(job::Column::Status, status::SUCCEEDED.into())
                    .col_expr(job::Column::Progress, 100.into())
                    .col_expr(job::Column::Result, Some(result.to_string()).into())
                    .col_expr(job::Column::FinishedAt, Some(now).into())
                    .exec(db)
                    .await?;
            }
            Err(JobError::Permanent { code, msg }) => {
                tracing::warn!(job = j.id, kind = %j.kind, code = code.as_str(), "job failed permanently");
                mine.col_expr(job::Column::Status, status::FAILED.into())
                    .col_expr(job::Column::LastError, Some(error_json(code, &msg)).into())
                    .col_expr(job::Column::FinishedAt, Some(now).into())
                    .exec(db)
                    .await?;
            }
            Err(JobError::Retry(err)) => {
                let last = j.attempts >= j.max_attempts;
                tracing::error!(job = j.id, kind = %j.kind, attempt = j.attempts, error = ?err, "job attempt failed");
                let e = error_json(Code::Internal, &msg::INTERNAL);
                if last {
                    mine.col_expr(job::Column::Status, status::FAILED.into())
                        .col_expr(job::Column::LastError, Some(e).into())
                        .col_expr(job::Column::FinishedAt, Some(now).into())
                        .exec(db)
                        .await?;
                } else {
                    mine.col_expr(job::Column::Status, status::QUEUED.into())
                        .col_expr(job::Column::LastError, Some(e).into())
                        .col_expr(job::Column::RunAt, (now + backoff(j.attempts)).into())
                        .exec(db)
                        .await?;
                }
            }
        }
        Ok(())
    }

    /// Enqueues the current slot of every schedule (idempotent across instances).
    pub async fn fire_schedules(&self, db: &impl ConnectionTrait, now: DateTime<Utc>) -> AppResult<()> {
        for s in self.schedules.iter() {
            let every = s.every.num_seconds().max(1);
            let offset = s.offset.num_seconds();
            let slot = (now.timestamp() - offset).div_euclid(every);
            let at = DateTime::from_timestamp(slot * every + offset, 0).unwrap_or(now);
            let new = NewJob::system().dedup(format!("schedule:{}:{}", s.name, slot)).at(at).attempts(3);
            self.enqueue_raw(db, s.kind, s.payload.to_string(), new).await?;
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
                        _ = jobs.wake.notified() => {}
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
                if let Err(e) = jobs.fire_schedules(&state.db, jobs.clock.now()).await {
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

/// Queues a job without waking this instance's workers (they poll): for
/// producers that hold only a connection, such as a transaction that must
/// queue its follow-up work atomically with its own writes (an outbox).
/// With a dedup key already used, returns the existing job.
pub async fn insert_job(db: &impl ConnectionTrait, kind: &str, payload: String, new: NewJob, now: DateTime<Utc>) -> AppResult<job::Model> {
    let am = job::ActiveModel {
        corp_id: Set(new.corp_id),
        kind: Set(kind.to_string()),
        payload: Set(payload),
        status: Set(status::QUEUED.into()),
        dedup_key: Set(new.dedup_key.clone()),
        attempts: Set(0),
        max_attempts: Set(new.max_attempts.unwrap_or(5)),
        run_at: Set(new.run_at.unwrap_or(now)),
        locked_until: Set(None),
        locked_by: Set(None),
        progress: Set(0),
        progress_message: Set(None),
        result: Set(None),
        last_error: Set(None),
        created_by: Set(new.created_by),
        created_at: Set(now),
        updated_at: Set(now),
        finished_at: Set(None),
        checkpoint: Set(None),
        ..Default::default()
    };
    let res = job::Entity::insert(am).on_conflict_do_nothing_on([job::Column::DedupKey]).exec(db).await?;
    let found = match res {
        TryInsertResult::Inserted(r) => job::Entity::find_by_id(r.last_insert_id).one(db).await?,
        TryInsertResult::Conflicted | TryInsertResult::Empty => match &new.dedup_key {
            Some(k) => job::Entity::find().filter(job::Column::DedupKey.eq(k.as_str())).one(db).await?,
            None => None,
        },
    };
    found.ok_or_else(|| AppError::internal(anyhow::anyhow!("job vanished after insert")))
}

/// Typed [`insert_job`].
pub async fn insert<H: JobHandler>(
    db: &impl ConnectionTrait,
    new: NewJob,
    payload: &H::Payload,
    now: DateTime<Utc>,
) -> AppResult<job::Model> {
    let text = serde_json::to_string(payload).map_err(AppError::internal)?;
    insert_job(db, H::KIND, text, new, now).await
}
