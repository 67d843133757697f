use sea_orm::entity::prelude::*;

/// A customer message that waited past a warning level's limit (ARC-6).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "reply_timeouts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    pub chat_kind: String,
    pub chat_key: String,
    /// The customer message that went unanswered.
    pub message_id: i64,
    /// 1–5.
    pub level: i32,
    pub limit_minutes: i32,
    pub customer_id: Option<i64>,
    /// Single chat: the employee; group chat: the group's owner.
    pub employee_id: Option<i64>,
    pub group_id: Option<i64>,
    /// JSON array: the employees who timed out (every employee in a group).
    pub employee_ids: String,
    pub customer_message_at: DateTimeUtc,
    pub deadline_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
