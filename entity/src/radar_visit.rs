use sea_orm::entity::prelude::*;

/// One opening of a tracked page: the key its heartbeats, bottom, share
/// and form calls carry, and what they recorded.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "radar_visits")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    pub visit_key: String,
    pub share_id: i64,
    pub customer_id: Option<i64>,
    pub visitor_id: Option<i64>,
    pub opened_at: DateTimeUtc,
    pub last_beat_at: DateTimeUtc,
    pub stay_seconds: i32,
    pub reached_bottom: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
