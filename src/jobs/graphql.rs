//! Jobs a user started: progress, result and error.

use async_graphql::{Context, Enum, Json, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};

use crate::{
    error::{AppError, Lang},
    graphql::{
        connection::{connection, fetch_page, id, parse_id, Conn, Page},
        context::CtxExt,
        guard::LoggedIn,
    },
};
use entity::job;

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum JobStatus {
    Queued,
    Running,
    Succeeded,
    Failed,
}

#[derive(SimpleObject)]
pub struct JobError {
    pub code: String,
    /// Stable, like `extensions.reason` on GraphQL errors (absent on errors recorded before reasons existed).
    pub reason: Option<String>,
    pub message: String,
}

impl JobError {
    /// Reads an error the runner stored (`{code, reason, zh, en}`) in the caller's language.
    pub fn from_stored(stored: &str, lang: Lang) -> Option<JobError> {
        let v: serde_json::Value = serde_json::from_str(stored).ok()?;
        let key = if lang == Lang::En { "en" } else { "zh" };
        Some(JobError {
            code: v["code"].as_str()?.to_string(),
            reason: v["reason"].as_str().map(str::to_string),
            message: v[key].as_str()?.to_string(),
        })
    }
}

pub struct Job(pub job::Model);

#[Object]
impl Job {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn kind(&self) -> &str {
        &self.0.kind
    }
    async fn status(&self) -> JobStatus {
        match self.0.status.as_str() {
            super::status::RUNNING => JobStatus::Running,
            super::status::SUCCEEDED => JobStatus::Succeeded,
            super::status::FAILED => JobStatus::Failed,
            _ => JobStatus::Queued,
        }
    }
    /// 0–100.
    async fn progress(&self) -> i32 {
        self.0.progress
    }
    async fn progress_message(&self) -> Option<&str> {
        self.0.progress_message.as_deref()
    }
    /// What the job produced, once SUCCEEDED.
    async fn result(&self) -> Option<Json<serde_json::Value>> {
        self.0.result.as_deref().and_then(|r| serde_json::from_str(r).ok()).map(Json)
    }
    /// Why the last attempt failed (the job may still be retried while QUEUED).
    async fn error(&self, ctx: &Context<'_>) -> Option<JobError> {
        JobError::from_stored(self.0.last_error.as_deref()?, ctx.lang())
    }
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    async fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.0.finished_at
    }
}

#[derive(Default)]
pub struct JobQuery;

#[Object]
impl JobQuery {
    /// A job the caller started.
    #[graphql(guard = "LoggedIn")]
    async fn job(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Job> {
        let auth = ctx.auth()?;
        let j = auth
            .scope
            .select::<job::Entity>()
            .filter(job::Column::Id.eq(parse_id(&id, "id")?))
            .filter(job::Column::CreatedBy.eq(auth.employee_id))
            .one(ctx.db())
            .await
            .map_err(AppError::from)?
            .ok_or_else(AppError::not_found)?;
        Ok(Job(j))
    }

    /// Jobs the caller started, newest first.
    #[graphql(guard = "LoggedIn", complexity = "crate::graphql::connection::page_cost(first, child_complexity)")]
    async fn my_jobs(&self, ctx: &Context<'_>, first: Option<i32>, after: Option<String>) -> async_graphql::Result<Conn<Job>> {
        let auth = ctx.auth()?;
        let page = Page::new(first, after)?;
        let q = auth.scope.select::<job::Entity>().filter(job::Column::CreatedBy.eq(auth.employee_id)).order_by_desc(job::Column::Id);
        let (rows, total) = fetch_page(ctx.db(), q, page).await?;
        Ok(connection(page, total, rows.into_iter().map(Job).collect()))
    }
}
