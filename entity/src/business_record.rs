use sea_orm::entity::prelude::*;

/// A submitted business record (CUS-12).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "business_records")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    pub template_id: i64,
    pub subject_kind: String,
    pub subject_id: i64,
    pub submitter_id: i64,
    /// JSON array of {fieldId, value} in the template's field order.
    pub field_values: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
