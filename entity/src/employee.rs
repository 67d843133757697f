use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "employees")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    /// WeCom userid, the login account; immutable once created.
    pub userid: String,
    pub name: String,
    pub alias: Option<String>,
    /// "MALE", "FEMALE" or none.
    pub gender: Option<String>,
    pub mobile: String,
    pub email: Option<String>,
    pub landline: Option<String>,
    pub address: Option<String>,
    pub position: Option<String>,
    pub avatar: Option<String>,
    /// Activated in WeCom (已激活).
    pub activated: bool,
    /// System access (开启系统); counts against the corp's seat quota.
    pub system_enabled: bool,
    pub is_super_admin: bool,
    pub password_hash: Option<String>,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// When the member left the corp (WeCom's dimission time); their customers await inheritance.
    pub resigned_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
