use sea_orm::entity::prelude::*;

/// A viewer known only by WeChat OAuth, kept until a customer matches.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "radar_visitors")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    /// "unionid:<id>" when WeChat gave one, else "openid:<id>".
    pub identity_key: String,
    pub openid: Option<String>,
    pub unionid: Option<String>,
    pub nickname: Option<String>,
    /// Set when the visitor turned out to be (or became) this customer.
    pub customer_id: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
