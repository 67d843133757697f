use sea_orm::entity::prelude::*;

/// One entry of an opportunity's change log.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "opportunity_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    pub opportunity_id: i64,
    /// CREATED, UPDATED, STAGE_CHANGED, PINNED.
    pub kind: String,
    pub from_stage_id: Option<i64>,
    pub to_stage_id: Option<i64>,
    pub actor_id: Option<i64>,
    pub detail: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
