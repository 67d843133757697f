use sea_orm::entity::prelude::*;

/// One category of a material tree (MAT-2): the knowledge base's trees and,
/// later, the corp folder's.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "material_categories")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    /// Which tree: "PUBLIC:SCRIPT", "PERSONAL:LINK:<employee id>"…
    pub tree: String,
    /// The employee a personal tree belongs to.
    pub owner_id: Option<i64>,
    /// `None` for the root.
    pub parent_id: Option<i64>,
    pub name: String,
    /// 0 for the root, 1 for its children…
    pub depth: i32,
    /// "ROOT" or "UNCATEGORISED" for the two fixed categories, else `None`.
    pub fixed: Option<String>,
    pub sort_index: f64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
