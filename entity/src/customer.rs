use sea_orm::entity::prelude::*;

/// An external contact of the corp (WeChat user, type 1, or WeCom user, type 2).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "customers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    pub external_userid: String,
    pub name: String,
    pub avatar: Option<String>,
    /// 1 WeChat user, 2 WeCom user (WeCom's numbers).
    pub contact_type: i32,
    /// 0 unknown, 1 male, 2 female (WeCom's numbers).
    pub gender: i32,
    pub unionid: Option<String>,
    pub position: Option<String>,
    pub corp_name: Option<String>,
    pub corp_full_name: Option<String>,
    /// The owner (跟进人): one of the adders, the first by default.
    pub owner_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
