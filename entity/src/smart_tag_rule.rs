use sea_orm::entity::prelude::*;

/// A smart tag rule (TAG-5): customers matching `conditions` get its tags.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "smart_tag_rules")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    pub name: String,
    /// CUSTOMER (corp tags on customers) or GROUP (group tags on customer groups).
    pub tag_type: String,
    /// The condition tree (JSON of `conditions::RawTree`).
    pub conditions: String,
    /// Bumped whenever the rule's tags change: matches are tagged once per version.
    pub tags_version: i32,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
