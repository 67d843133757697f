//! Running: the handler of a kind, what a run may use, and the registry of
//! every area's handlers and schedules.

use std::{collections::HashMap, sync::Arc};

use chrono::Utc;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;

use super::queue::JobKind;
use crate::{
    error::{msg, AppError, AppResult, Code, Msg},
    state::AppState,
    tenancy::Scope,
};
use entity::job;

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

impl From<AppError> for JobError {
    fn from(e: AppError) -> Self {
        JobError::from_app(e)
    }
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
            msg: Msg::owned("JOB_PAYLOAD_INVALID", format!("任务参数无效: {e}"), format!("invalid job payload: {e}")),
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
