use sea_orm::entity::prelude::*;

/// A sensitive-word rule (ARC-7).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "sensitive_rules")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    pub name: String,
    /// The words, separated by "，".
    pub words: String,
    /// POSITIVE, NEUTRAL or NEGATIVE.
    pub category: String,
    pub enabled: bool,
    pub hit_count: i64,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
