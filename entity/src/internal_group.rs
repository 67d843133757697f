use sea_orm::entity::prelude::*;

/// An employee-only WeCom group chat the product created (ORG-11).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "internal_groups")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    pub name: String,
    pub chat_id: String,
    pub owner_id: i64,
    /// JSON array of employee ids.
    pub member_ids: String,
    pub member_count: i32,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
