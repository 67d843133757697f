use sea_orm::entity::prelude::*;

/// A detected sensitive behaviour awaiting review (ARC-8).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "sensitive_behaviors")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    /// SEND_RED_PACKET, SEND_BUSINESS_CARD, SENSITIVE_MESSAGE or DELETE_FRIEND.
    pub kind: String,
    pub message_id: Option<i64>,
    pub employee_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub group_id: Option<i64>,
    /// What was detected (the words hit, the card's name…).
    pub detail: String,
    pub occurred_at: DateTimeUtc,
    /// PENDING or REVIEWED.
    pub status: String,
    /// VIOLATION or FALSE_ALARM once reviewed.
    pub verdict: Option<String>,
    pub remark: Option<String>,
    pub reviewer_id: Option<i64>,
    pub reviewed_at: Option<DateTimeUtc>,
    pub dedup_key: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
