use sea_orm::entity::prelude::*;

/// A verified Official Account callback: stored before WeChat is answered,
/// applied once (`(account_id, dedup_key)` is unique), and kept as the
/// follower's history (OA-2's recorded unsubscribe, OA-7's event conditions).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "oa_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    pub account_id: i64,
    pub dedup_key: String,
    /// The follower's openid (`FromUserName`).
    pub openid: String,
    /// `subscribe`, `unsubscribe`, `SCAN`, `CLICK`, `VIEW`, or the message type (`text`…).
    pub event: String,
    pub event_key: Option<String>,
    /// A text message's content.
    pub content: Option<String>,
    /// The plaintext XML.
    pub payload: String,
    /// PENDING or APPLIED.
    pub status: String,
    pub attempts: i32,
    /// WeChat's `CreateTime`.
    pub occurred_at: DateTimeUtc,
    pub received_at: DateTimeUtc,
    pub applied_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
