use sea_orm::entity::prelude::*;

/// A work order (工单, CUS-10) about a customer or a group.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "work_orders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    pub subject_kind: String,
    pub subject_id: i64,
    pub title: String,
    pub description: Option<String>,
    /// OPEN, IN_PROGRESS or CLOSED.
    pub status: String,
    /// LOW, NORMAL, HIGH or URGENT.
    pub priority: String,
    pub assignee_id: Option<i64>,
    pub created_by: i64,
    pub closed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
