use sea_orm::entity::prelude::*;

/// A durable background job. Platform table: `corp_id` is set for tenant work.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "jobs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: Option<i64>,
    pub kind: String,
    pub payload: String,
    /// QUEUED, RUNNING, SUCCEEDED, FAILED.
    pub status: String,
    /// At most one job per key, ever: scheduled firings use it so one instance runs them.
    #[sea_orm(unique)]
    pub dedup_key: Option<String>,
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_at: DateTimeUtc,
    pub locked_until: Option<DateTimeUtc>,
    pub locked_by: Option<String>,
    pub progress: i32,
    pub progress_message: Option<String>,
    pub result: Option<String>,
    pub last_error: Option<String>,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
    /// Where a retried attempt resumes (JSON, owned by the job's handler).
    pub checkpoint: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
