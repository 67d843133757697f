use sea_orm::entity::prelude::*;

/// A tenant: one WeCom organisation.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "corps")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Short unique code the login form asks for.
    #[sea_orm(unique)]
    pub code: String,
    pub name: String,
    /// Seats: how many employees may have system access at once (ORG-5).
    pub seat_quota: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
