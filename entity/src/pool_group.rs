use sea_orm::entity::prelude::*;

/// A public pool group (CFG-14).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "pool_groups")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    pub name: String,
    /// 'DEFAULT' on the corp's default pool.
    pub fixed: Option<String>,
    /// JSON array: who sees and claims (empty: everyone).
    pub department_ids: String,
    pub claim_block_days: Option<i32>,
    /// AUTO or MANUAL.
    pub recall_mode: String,
    pub never_followed_days: Option<i32>,
    pub not_friend_days: Option<i32>,
    pub no_new_follow_up_days: Option<i32>,
    pub not_won_days: Option<i32>,
    pub remind_days: Option<i32>,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
