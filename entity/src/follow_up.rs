use sea_orm::entity::prelude::*;

/// A follow-up record (跟进记录) about a customer or a customer group.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "follow_ups")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    /// CUSTOMER or GROUP.
    pub subject_kind: String,
    pub subject_id: i64,
    pub author_id: i64,
    pub type_id: i64,
    pub content: String,
    /// JSON array of mentioned employee ids.
    pub mentions: String,
    /// JSON array of stored attachments.
    pub attachments: String,
    pub remind_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
