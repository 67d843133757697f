use sea_orm::entity::prelude::*;

/// One custom-field value of one object. `value_text` / `value_num` are
/// derived projections of `value_json` so filters run as plain SQL on every backend.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "custom_field_values")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    pub entity_kind: String,
    pub entity_id: i64,
    pub field_id: i64,
    pub value_json: String,
    pub value_text: Option<String>,
    pub value_num: Option<f64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
