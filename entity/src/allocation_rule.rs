use sea_orm::entity::prelude::*;

/// A resigned auto-allocation rule (INH-3).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "allocation_rules")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    pub name: String,
    /// JSON array of department ids the rule covers.
    pub department_ids: String,
    /// JSON array of {field, value}: a leaver matches when any holds.
    pub conditions: String,
    /// AVERAGE or ROUND_ROBIN.
    pub mode: String,
    pub fallback_employee_id: Option<i64>,
    pub enabled: bool,
    pub cursor: i64,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
