use sea_orm::entity::prelude::*;

/// One import or export of the import and download centres (CFG-1/2).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "data_transfers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    /// IMPORT or EXPORT.
    pub direction: String,
    /// What was imported or exported: LEADS, CUSTOMERS, SENSITIVE_BEHAVIORS.
    pub module: String,
    pub file_name: String,
    /// QUEUED, RUNNING, COMPLETED, FAILED.
    pub status: String,
    pub progress: i32,
    pub total_rows: i64,
    pub succeeded_rows: i64,
    pub failed_rows: i64,
    /// JSON: the filters of an export, the options of an import.
    pub params: String,
    pub source_file_id: Option<i64>,
    pub result_file_id: Option<i64>,
    pub job_id: Option<i64>,
    /// The notice that follows the transfer's progress.
    pub alert_id: Option<i64>,
    pub operator_id: Option<i64>,
    /// JSON `{code, reason, zh, en}` when FAILED.
    pub error: Option<String>,
    /// When the produced file is removed (7 days after it was made).
    pub file_expires_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
