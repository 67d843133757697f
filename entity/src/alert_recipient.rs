use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "alert_recipients")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    pub alert_id: i64,
    pub employee_id: i64,
    pub read_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
