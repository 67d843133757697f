use sea_orm::entity::prelude::*;

/// A conversation: consecutive messages of one chat until a closing phrase
/// or the idle limit ends it (CFG-9, CFG-10).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "chat_conversations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    pub chat_key: String,
    pub chat_kind: String,
    pub employee_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub group_id: Option<i64>,
    pub started_at: DateTimeUtc,
    pub last_message_at: DateTimeUtc,
    pub ended_at: Option<DateTimeUtc>,
    /// CLOSING_PHRASE or IDLE.
    pub end_reason: Option<String>,
    pub message_count: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
