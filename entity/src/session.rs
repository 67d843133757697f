use sea_orm::entity::prelude::*;

/// A login session. Only SHA-256 digests of the tokens are stored; tokens
/// read `<corp_id>.<random>` so lookups stay inside the tenant's index range.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    pub employee_id: i64,
    pub access_hash: String,
    pub refresh_hash: String,
    pub access_expires_at: DateTimeUtc,
    pub refresh_expires_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
