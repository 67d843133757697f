use sea_orm::entity::prelude::*;

/// One settings document of a corp (radar, reply rules, sensitive-behaviour
/// monitoring, conversation rules…), keyed by name.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "corp_settings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    pub key: String,
    /// JSON document.
    pub value: String,
    pub updated_by: Option<i64>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
