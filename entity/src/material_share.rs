use sea_orm::entity::prelude::*;

/// One tracked share of a folder item: who sent it to whom.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "material_shares")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    /// Unguessable; the link's only credential.
    pub token: String,
    pub folder_item_id: i64,
    /// The sharing employee, credited with every view (EMP-2).
    pub employee_id: i64,
    pub customer_id: Option<i64>,
    pub group_id: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
