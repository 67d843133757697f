use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "corp_tag_groups")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    pub wecom_group_id: Option<String>,
    pub name: String,
    /// WeCom's `order` (larger first).
    pub wecom_order: i64,
    /// Mutually exclusive (互斥): at most one tag of the group per customer.
    pub exclusive: bool,
    /// Created in WeCom by this server: only such tags may be edited or deleted there.
    pub made_here: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
