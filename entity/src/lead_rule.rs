use sea_orm::entity::prelude::*;

/// A lead auto-assignment rule (CFG-12).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "lead_rules")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    pub name: String,
    /// JSON: the condition tree over lead fields.
    pub conditions: String,
    /// JSON arrays of the targets.
    pub employee_ids: String,
    pub department_ids: String,
    /// ROUND_ROBIN or RANDOM.
    pub mode: String,
    /// Where ROUND_ROBIN continues.
    pub cursor: i64,
    pub enabled: bool,
    pub sort_index: f64,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
