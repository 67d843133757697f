//! Queueing: a job kind names its payload; a queued job is a row of `jobs`,
//! inserted alone (`JobQueue::enqueue`) or inside the producer's transaction
//! (`insert`, an outbox). A `dedup_key` makes an enqueue idempotent, which is
//! how scheduled firings run exactly once across instances.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TryInsertResult};
use serde::{de::DeserializeOwned, Serialize};
use tokio::sync::Notify;

use crate::{
    clock::Clock,
    error::{AppError, AppResult},
    tenancy::Auth,
};
use entity::job;

pub mod status {
    pub const QUEUED: &str = "QUEUED";
    pub const RUNNING: &str = "RUNNING";
    pub const SUCCEEDED: &str = "SUCCEEDED";
    pub const FAILED: &str = "FAILED";
}

/// A kind of job: its stored name and its payload. Producers need only this
/// to queue one, so they never import the code that runs it.
pub trait JobKind: Send + Sync + 'static {
    const KIND: &'static str;
    type Payload: Serialize + DeserializeOwned + Send + Sync;
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

    /// Wakes this instance's idle workers for a job a transaction queued (`insert`).
    pub fn wake_workers(&self) {
        self.wake.notify_waiters();
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

/// Queues a job without waking this instance's workers (they poll): for
/// producers that hold only a connection, such as a transaction that must
/// queue its follow-up work atomically with its own writes (an outbox).
/// With a dedup key already used, returns the existing job.
pub async fn insert_job(db: &impl ConnectionTrait, kind: &str, payload: String, new: NewJob, now: DateTime<Utc>) -> AppResult<job::Model> {
    let dedup_key = new.dedup_key.clone();
    let found = match insert_row(db, kind, payload, new, now).await? {
        Some(id) => job::Entity::find_by_id(id).one(db).await?,
        None => match &dedup_key {
            Some(k) => job::Entity::find().filter(job::Column::DedupKey.eq(k.as_str())).one(db).await?,
            None => None,
        },
    };
    found.ok_or_else(|| AppError::internal(anyhow::anyhow!("job vanished after insert")))
}

/// Queues a job like [`insert_job`] without reading it back: the new job's
/// id, or `None` when its dedup key was already used. For producers that
/// queue many jobs and need none of them (the callback inbox).
pub async fn insert_row(db: &impl ConnectionTrait, kind: &str, payload: String, new: NewJob, now: DateTime<Utc>) -> AppResult<Option<i64>> {
    let am = job_row(kind, payload, new, now);
    let res = job::Entity::insert(am).on_conflict_do_nothing_on([job::Column::DedupKey]).exec(db).await?;
    Ok(match res {
        TryInsertResult::Inserted(r) => Some(r.last_insert_id),
        TryInsertResult::Conflicted | TryInsertResult::Empty => None,
    })
}

/// Queues many jobs in one statement (a dedup key already used skips its
/// job), for producers that write in batches (the callback inbox).
pub async fn insert_rows(db: &impl ConnectionTrait, rows: Vec<job::ActiveModel>) -> Result<(), sea_orm::DbErr> {
    if rows.is_empty() {
        return Ok(());
    }
    let on_conflict = sea_orm::sea_query::OnConflict::column(job::Column::DedupKey).do_nothing().to_owned();
    match job::Entity::insert_many(rows).on_conflict(on_conflict).exec_without_returning(db).await {
        Ok(_) | Err(sea_orm::DbErr::RecordNotInserted) => Ok(()),
        Err(e) => Err(e),
    }
}

/// The row of a newly queued job.
pub fn job_row(kind: &str, payload: String, new: NewJob, now: DateTime<Utc>) -> job::ActiveModel {
    job::ActiveModel {
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
    }
}

/// Typed [`insert_job`].
pub async fn insert<K: JobKind>(db: &impl ConnectionTrait, new: NewJob, payload: &K::Payload, now: DateTime<Utc>) -> AppResult<job::Model> {
    let text = serde_json::to_string(payload).map_err(AppError::internal)?;
    insert_job(db, K::KIND, text, new, now).await
}
