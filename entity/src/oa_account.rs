use sea_orm::entity::prelude::*;

/// An Official Account (公众号) bound to the corp (OA-1). `secret`,
/// `callback_token` and `encoding_aes_key` hold master-key ciphertext.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "oa_accounts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    pub appid: String,
    pub name: String,
    /// SERVICE (服务号) or SUBSCRIPTION (订阅号).
    pub kind: String,
    pub secret: String,
    pub callback_token: Option<String>,
    /// Set: safe mode (encrypted callbacks); unset: plain mode.
    pub encoding_aes_key: Option<String>,
    /// BOUND or UNBOUND (fans kept, no longer updated).
    pub status: String,
    pub fans_synced_at: Option<DateTimeUtc>,
    pub unbound_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
