use sea_orm::entity::prelude::*;

/// One viewer of one material (first view kept; later opens only count).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "radar_viewers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    /// "folder:<id>" or "marketing:<id>".
    pub material_key: String,
    pub folder_item_id: Option<i64>,
    pub marketing_material_id: Option<i64>,
    pub share_id: i64,
    pub customer_id: Option<i64>,
    pub visitor_id: Option<i64>,
    /// "customer:<id>", "visitor:<id>", or "share:<id>" for a viewer not yet identified.
    pub viewer_key: String,
    pub first_viewed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
