use sea_orm::entity::prelude::*;

/// One entry of a customer's timeline (客户动态). Append-only.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "customer_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    pub customer_id: i64,
    /// The event type, e.g. ADDED_EMPLOYEE, JOINED_GROUP, FOLLOW_UP.
    pub kind: String,
    pub occurred_at: DateTimeUtc,
    pub employee_id: Option<i64>,
    pub group_id: Option<i64>,
    /// JSON object with the kind's own fields.
    pub payload: String,
    pub dedup_key: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
