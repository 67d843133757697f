use sea_orm::entity::prelude::*;

/// A sales opportunity (CRM-10).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "opportunities")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    pub customer_id: i64,
    pub name: String,
    pub stage_id: i64,
    /// Expected amount in fen (1/100 yuan), exact.
    pub amount_fen: i64,
    pub expected_close_on: Date,
    pub owner_id: Option<i64>,
    pub pinned: bool,
    pub lose_reason_id: Option<i64>,
    pub lose_note: Option<String>,
    /// When it reached the won or lost stage.
    pub closed_at: Option<DateTimeUtc>,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
