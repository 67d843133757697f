use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "roles")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    pub name: String,
    /// The corp's one super-admin role: all permissions, all data, immutable.
    pub is_super: bool,
    /// JSON array of permission codes.
    pub permissions: String,
    /// SELF, DEPARTMENT, DEPARTMENT_AND_BELOW, CUSTOM or ALL.
    pub data_scope: String,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
