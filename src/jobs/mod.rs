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

use std::{collections::HashMap, sync::Arc};

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TryInsertResult};
use serde::{de::DeserializeOwned, Serialize};
use serde_json::Value;
use tokio::sync::Notify;

pub use maintenance::MaintenanceJob;

use crate::{
    clock::Clock,
    error::{msg, AppError, AppResult, Code, Msg},
    state::AppState,
    tenancy::{Auth, Scope},
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

/// A kind of job: its stored name and its payload. Producers need only this
/// to queue one, so they never import the code that runs it.
pub trait JobKind: Send + Sync + 'static {
    const KIND: &'static str;
    type Payload: Serialize + DeserializeOwned + Send + Sync;
}

/// The code that runs one kind of job; registered by its area's `jobs()`.
#[async_trait::async_trait]
pub trait JobHandler: Send + Sync + 'static {
    type Kind: JobKind;
    async fn run(&self, ctx: &JobCtx, payload: <Self::Kind as JobKind>::Payload) -> Result<Value, JobError>;
}

/// A handler behind its kind's name, taking the stored payload text.
#[async_trait::async_trait]
pub trait ErasedHandler: Send + Sync {
    async fn run_json(&self, ctx: &JobCtx, payload: &str) -> Result<Value, JobError>;
}

#[async_trait::async_trait]
impl<H: JobHandler> ErasedHandler for H {
    async fn run_json(&self, ctx: &JobCtx, payload: &str) -> Result<Value, JobError> {
        let p: <H::Kind as JobKind>::Payload = serde_json::from_str(payload).map_err(|e| JobError::Permanent {
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
        match crate::tenancy::scope_of(&self.state.db, corp_id, employee_id).await.map_err(JobError::from_app)? {
            Some(scope) => Ok(scope),
            None => Err(JobError::Permanent { code: Code::NotFound, msg: msg::NOT_FOUND }),
        }
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

/// Where work is queued: the same table on every instance. Enqueueing wakes
/// this instance's idle workers; other instances find the job when they poll.
#[derive(Clone)]
pub struct JobQueue {
    wake: Arc<Notify>,
    clock: Clock,
}

impl JobQueue {
    pub fn new(clock: Clock) -> Self {
        JobQueue { wake: Arc::new(Notify::new()), clock }
    }

    /// Queues a job. With a dedup key already used, returns the existing job.
    pub async fn enqueue<K: JobKind>(&self, db: &impl ConnectionTrait, new: NewJob, payload: &K::Payload) -> AppResult<job::Model> {
        let text = serde_json::to_string(payload).map_err(AppError::internal)?;
        self.enqueue_raw(db, K::KIND, text, new).await
    }

    pub async fn enqueue_raw(&self, db: &impl ConnectionTrait, kind: &str, payload: String, new: NewJob) -> AppResult<job::Model> {
        let found = insert_job(db, kind, payload, new, self.clock.now()).await?;
        self.wake.notify_waiters();
        Ok(found)
    }

    /// The clock every due time of the queue is read from.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Resolves when a job is queued on this instance.
    pub async fn queued(&self) {
        self.wake.notified().await
    }
}

/// The handlers and schedules of every area: each area adds its own in its
/// `jobs()` function, and the app hands the whole registry to the runner.
#[derive(Default)]
pub struct JobRegistry {
    pub handlers: HashMap<&'static str, Arc<dyn ErasedHandler>>,
    pub schedules: Vec<Schedule>,
}

impl JobRegistry {
    pub fn register<H: JobHandler>(mut self, handler: H) -> Self {
        self.handlers.insert(<H::Kind as JobKind>::KIND, Arc::new(handler));
        self
    }

    pub fn schedule(mut self, s: Schedule) -> Self {
        self.schedules.push(s);
        self
    }

    /// Fires one job of kind `K` (empty payload) every `every`, slots starting
    /// at the epoch plus `offset`.
    pub fn schedule_every<K: JobKind>(self, name: &'static str, every: chrono::Duration, offset: chrono::Duration) -> Self {
        self.schedule(Schedule { name, every, offset, kind: K::KIND, payload: serde_json::json!({}) })
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
pub async fn insert<K: JobKind>(db: &impl ConnectionTrait, new: NewJob, payload: &K::Payload, now: DateTime<Utc>) -> AppResult<job::Model> {
    let text = serde_json::to_string(payload).map_err(AppError::internal)?;
    insert_job(db, K::KIND, text, new, now).await
}
