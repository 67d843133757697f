use sea_orm::entity::prelude::*;

/// A customer group a GROUP smart tag rule tagged, and at which version of its tags.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "smart_tag_group_hits")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    pub rule_id: i64,
    pub group_id: i64,
    pub tags_version: i32,
    pub tagged_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
