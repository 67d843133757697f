use sea_orm::entity::prelude::*;

/// One tracked share of a material: who sent it to whom, or which viewer
/// passed it on (a child of the share they opened).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "radar_shares")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    /// Unguessable; the link's only credential.
    pub token: String,
    /// "folder:<id>" or "marketing:<id>".
    pub material_key: String,
    pub folder_item_id: Option<i64>,
    pub marketing_material_id: Option<i64>,
    /// The sharing employee, credited with every view down the chain (EMP-2).
    pub employee_id: i64,
    pub customer_id: Option<i64>,
    pub group_id: Option<i64>,
    pub parent_share_id: Option<i64>,
    /// A re-share's sharer (TA的人脉).
    pub shared_by_customer_id: Option<i64>,
    pub shared_by_visitor_id: Option<i64>,
    /// A re-share's "<parent>:<viewer>", unique: one link per viewer and parent.
    pub reshare_key: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
