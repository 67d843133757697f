use sea_orm::entity::prelude::*;

/// A custom field on a template, with its own enabled and required flags and place.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "record_template_fields")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    pub template_id: i64,
    pub field_id: i64,
    pub enabled: bool,
    pub required: bool,
    pub sort: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
