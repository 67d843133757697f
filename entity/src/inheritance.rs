use sea_orm::entity::prelude::*;

/// One customer handed from one employee to another (INH-1, INH-2), with WeCom's result.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "inheritances")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    pub customer_id: i64,
    pub external_userid: String,
    pub handover_id: i64,
    pub takeover_id: i64,
    /// ON_JOB or RESIGNED.
    pub kind: String,
    /// WAITING, DONE, REFUSED, LIMIT_REACHED, NO_RECORD or FAILED.
    pub status: String,
    pub errcode: Option<i64>,
    pub takeover_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
