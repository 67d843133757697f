use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "departments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
    /// Position among siblings, ascending.
    pub sort: i32,
    /// WeCom's department id once the department is bound to WeCom.
    pub wecom_id: Option<i64>,
    /// JSON array of the leaders' userids, as WeCom reports them.
    pub leader_userids: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
