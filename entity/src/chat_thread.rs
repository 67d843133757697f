use sea_orm::entity::prelude::*;

/// One chat (a single chat between an employee and a customer, a group
/// chat, or an internal chat) with its latest state, for chat lists.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "chat_threads")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    pub chat_key: String,
    pub chat_kind: String,
    pub employee_id: Option<i64>,
    pub peer_userid: Option<String>,
    pub customer_id: Option<i64>,
    pub group_id: Option<i64>,
    pub roomid: Option<String>,
    pub message_count: i64,
    pub last_message_at: DateTimeUtc,
    pub last_content: String,
    /// The latest sent (not recalled) message: whose turn it is to speak.
    pub last_sent_id: Option<i64>,
    pub last_sent_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
