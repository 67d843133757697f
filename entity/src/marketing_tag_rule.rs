use sea_orm::entity::prelude::*;

/// A tag a marketing material puts on its viewers when they do something.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "marketing_tag_rules")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    pub material_id: i64,
    /// ENTER_PAGE, STAY_OVER_15S, SCROLL_TO_BOTTOM or SHARE (the manual's four).
    pub trigger: String,
    pub corp_tag_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
