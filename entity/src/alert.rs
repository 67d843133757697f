use sea_orm::entity::prelude::*;

/// A live alert raised for some employees (radar hit, reply timeout, sensitive behaviour).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "alerts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    /// RADAR, TIMEOUT or SENSITIVE.
    pub category: String,
    /// What happened, e.g. JOINED_GROUP, REPLY_TIMEOUT, SEND_RED_PACKET.
    pub kind: String,
    pub customer_id: Option<i64>,
    pub group_id: Option<i64>,
    pub employee_id: Option<i64>,
    /// The human text (what the app message says).
    pub text: String,
    /// JSON with the category's own fields.
    pub payload: String,
    pub occurred_at: DateTimeUtc,
    /// Producers' idempotency key.
    pub dedup_key: String,
    /// When it was pushed; null while a batch waits for its slot.
    pub delivered_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
