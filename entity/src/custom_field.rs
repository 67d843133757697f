use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "custom_fields")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    /// EMPLOYEE, CUSTOMER or GROUP.
    pub entity_kind: String,
    pub name: String,
    pub field_type: String,
    pub enabled: bool,
    pub required: bool,
    /// JSON array of options for choice and cascade types.
    pub options: String,
    pub sort: i32,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
