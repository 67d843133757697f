use sea_orm::entity::prelude::*;

/// One entry of a lead's change log (CRM-5).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "lead_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    pub lead_id: i64,
    /// CREATED, INFO_UPDATED, TAGS_UPDATED, DISCARDED, RESTORED, ASSIGNED, CONVERTED.
    pub kind: String,
    pub actor_id: Option<i64>,
    /// JSON: what changed.
    pub detail: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
