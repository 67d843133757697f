use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "corp_tags")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    pub group_id: i64,
    pub wecom_tag_id: Option<String>,
    pub name: String,
    pub wecom_order: i64,
    /// A display colour such as "#1890ff"; local only.
    pub color: Option<String>,
    /// Created in WeCom by this server: only such tags may be edited or deleted there.
    pub made_here: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
