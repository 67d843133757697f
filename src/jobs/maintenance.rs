//! Platform housekeeping, hourly: expired sessions, old finished jobs, and
//! the SQLite planner's statistics.
//! Platform-wide on purpose (no tenant), hence plain entity calls.

use chrono::Utc;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

use super::{status, JobCtx, JobError, JobHandler, JobKind};
use entity::{job, session};

pub struct MaintenanceJob;

impl JobKind for MaintenanceJob {
    const KIND: &'static str = "platform.maintenance";
    type Payload = Value;
}

#[async_trait::async_trait]
impl JobHandler for MaintenanceJob {
    type Kind = Self;

    async fn run(&self, ctx: &JobCtx, _payload: Value) -> Result<Value, JobError> {
        let now = Utc::now();
        let db = &ctx.state.db;
        let sessions = session::Entity::delete_many()
            .filter(session::Column::RefreshExpiresAt.lt(now))
            .exec(db)
            .await
            .map_err(|e| JobError::Retry(e.into()))?;
        // Job history is kept 30 days (SPEC §26).
        let jobs = job::Entity::delete_many()
            .filter(job::Column::Status.is_in([status::SUCCEEDED, status::FAILED]))
            .filter(job::Column::FinishedAt.lt(now - chrono::Duration::days(30)))
            .exec(db)
            .await
            .map_err(|e| JobError::Retry(e.into()))?;
        // Tables grow between starts: measure the ones that changed (SQLite).
        let measured = crate::db::keep_planner_statistics(db).await.map_err(|e| JobError::Retry(e.into()))?;
        Ok(json!({"expiredSessions": sessions.rows_affected, "oldJobs": jobs.rows_affected, "plannerAssumptionsWritten": measured}))
    }
}
