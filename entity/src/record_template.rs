use sea_orm::entity::prelude::*;

/// A business record template (CFG-5) for customers or groups.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "record_templates")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    pub name: String,
    pub description: Option<String>,
    /// CUSTOMER or GROUP.
    pub subject_kind: String,
    pub sort: i32,
    /// A used template can no longer be edited or deleted.
    pub used: bool,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
