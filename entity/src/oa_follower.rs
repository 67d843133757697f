use sea_orm::entity::prelude::*;

/// A WeChat user as one Official Account knows them (OA-2): one row per
/// (account, openid), kept after an unfollow with `subscribed` cleared.
/// `unionid` links the same person across accounts and WeCom.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "oa_followers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    pub account_id: i64,
    pub openid: String,
    pub unionid: Option<String>,
    pub subscribed: bool,
    /// WeChat's `subscribe_scene`, e.g. ADD_SCENE_QR_CODE.
    pub subscribe_scene: Option<String>,
    /// The parametric QR code's scene the follow came through.
    pub qr_scene: Option<String>,
    pub subscribed_at: Option<DateTimeUtc>,
    pub unsubscribed_at: Option<DateTimeUtc>,
    pub remark: Option<String>,
    pub language: Option<String>,
    /// The account's fan tag ids, a JSON array.
    pub tag_ids: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
