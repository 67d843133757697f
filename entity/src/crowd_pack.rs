use sea_orm::entity::prelude::*;

/// A crowd pack (人群组包, OPS-10): customers selected by a condition tree.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "crowd_packs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    pub segment_id: i64,
    pub name: String,
    /// STATIC (members frozen at creation) or DYNAMIC (the tree, live).
    pub kind: String,
    /// The condition tree (JSON of `conditions::RawTree`).
    pub conditions: String,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
