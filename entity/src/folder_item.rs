use sea_orm::entity::prelude::*;

/// An item of the corp folder (MAT-6): an uploaded image, video, voice or file, a mini program or a web link.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "folder_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    pub category_id: i64,
    /// WEB_LINK or MINI_PROGRAM.
    pub kind: String,
    pub title: String,
    pub description: String,
    /// A web link's target (fixed once created).
    pub url: Option<String>,
    pub appid: Option<String>,
    pub page_path: Option<String>,
    pub cover_url: Option<String>,
    /// IMAGE, VIDEO, AUDIO and FILE items: the uploaded file.
    pub file_id: Option<i64>,
    /// A video's cover image (uploaded).
    pub cover_file_id: Option<i64>,
    /// Shared as a tracked link (MAT-7).
    pub radar_enabled: bool,
    /// Opens of tracked links.
    pub view_count: i64,
    /// Distinct viewers of tracked links.
    pub viewer_count: i64,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
