use sea_orm::entity::prelude::*;

/// An Official Account assigned to a department (OA-8): the department's
/// own members work with it (a parent's assignment does not reach children).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "oa_account_departments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    pub account_id: i64,
    pub department_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
