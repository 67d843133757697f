use sea_orm::entity::prelude::*;

/// A corp's WeCom credentials. Every secret column holds master-key
/// ciphertext (`v1.…`), never the secret itself.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "wecom_bindings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    pub wecom_corp_id: String,
    pub contact_secret: Option<String>,
    pub external_secret: Option<String>,
    pub agent_secret: Option<String>,
    pub agent_id: Option<i64>,
    pub callback_token: Option<String>,
    pub encoding_aes_key: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
