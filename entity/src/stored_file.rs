use sea_orm::entity::prelude::*;

/// An uploaded file's metadata; the bytes live in the file store under `store_key`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "files")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    pub store_key: String,
    pub name: String,
    /// IMAGE, VOICE, VIDEO or FILE: the rules it was checked against.
    pub kind: String,
    pub content_type: String,
    pub size: i64,
    /// Hex SHA-256 of the content.
    pub sha256: String,
    /// A voice file's length in seconds.
    pub duration_secs: Option<i32>,
    /// WeCom's `media_id` for it and when WeCom issued it (it lives 3 days).
    pub wecom_media_id: Option<String>,
    pub wecom_media_at: Option<DateTimeUtc>,
    pub uploaded_by: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
