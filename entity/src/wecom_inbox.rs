use sea_orm::entity::prelude::*;

/// A verified WeCom callback, stored before we answer WeCom and kept until
/// it has been applied. `(corp_id, dedup_key)` is unique: a redelivery is
/// recorded once.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "wecom_inbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    pub dedup_key: String,
    pub event: String,
    pub change_type: String,
    /// The decrypted event XML.
    pub payload: String,
    /// PENDING, APPLIED, or UNHANDLED (kept for the area that will apply it).
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub received_at: DateTimeUtc,
    pub applied_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
