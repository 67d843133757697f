use sea_orm::entity::prelude::*;

/// A customer of a resigned member still waiting for an heir, as WeCom lists it.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "unassigned_customers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    pub handover_userid: String,
    pub external_userid: String,
    pub dimission_at: DateTimeUtc,
    pub synced_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
