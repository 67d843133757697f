//! Template messages (OA-5): a service account sends one of the templates it
//! added in WeChat to a fan who follows it now. Subscription accounts and
//! fans who left are refused here, before WeChat is asked; a retry with the
//! same `clientMsgId` is sent once by WeChat.

use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter};

use super::{
    accounts::{self, AccountKind},
    qr_codes::SUBSCRIPTION,
};
use crate::{
    crypto::MasterKey,
    error::{AppError, AppResult, Code, Msg},
    integrations::oa::{
        types::{TemplateMessage, TemplateValue},
        OaClient,
    },
    tenancy::Auth,
};
use entity::oa_follower;

const NOT_FOLLOWING: Msg = Msg::new(
    "OA_FAN_NOT_FOLLOWING",
    "该粉丝未关注此公众号，无法发送模板消息",
    "This fan does not follow the account: no template message can reach them",
);
const TEMPLATE_INVALID: Msg =
    Msg::new("OA_TEMPLATE_MESSAGE_INVALID", "请填写模板ID和至少一个关键词", "Enter the template id and at least one keyword");
const KEYWORDS_INVALID: Msg = Msg::new(
    "OA_TEMPLATE_KEYWORDS_INVALID",
    "关键词不能为空或重复，颜色须为#RRGGBB",
    "Keywords must be present and distinct, colours #RRGGBB",
);
const URL_INVALID: Msg =
    Msg::new("OA_TEMPLATE_URL_INVALID", "跳转链接须以http://或https://开头", "The link must start with http:// or https://");

pub struct NewTemplateMessage {
    pub openid: String,
    pub template_id: String,
    pub url: Option<String>,
    pub client_msg_id: Option<String>,
    /// (keyword, value, colour).
    pub data: Vec<(String, String, Option<String>)>,
}

/// Sends and answers WeChat's msgid.
pub async fn send(
    db: &impl ConnectionTrait,
    auth: &Auth,
    key: &MasterKey,
    client: &OaClient,
    account_id: i64,
    input: NewTemplateMessage,
) -> AppResult<i64> {
    let account = accounts::bound(db, auth, account_id).await?;
    if AccountKind::of(&account.kind) == AccountKind::Subscription {
        return Err(AppError::new(Code::Forbidden, SUBSCRIPTION).with_field("accountId"));
    }
    if input.template_id.trim().is_empty() {
        return Err(AppError::bad_input("input.templateId", TEMPLATE_INVALID));
    }
    let keys: std::collections::BTreeSet<&str> = input.data.iter().map(|(k, _, _)| k.trim()).collect();
    let colour = |c: &str| c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|h| h.is_ascii_hexdigit());
    if input.data.is_empty()
        || keys.contains("")
        || keys.len() != input.data.len()
        || input.data.iter().any(|(_, _, c)| c.as_deref().is_some_and(|c| !colour(c)))
    {
        return Err(AppError::bad_input("input.data", KEYWORDS_INVALID));
    }
    if input.url.as_deref().is_some_and(|u| !(u.starts_with("http://") || u.starts_with("https://"))) {
        return Err(AppError::bad_input("input.url", URL_INVALID));
    }
    let following = auth
        .scope
        .select::<oa_follower::Entity>()
        .filter(oa_follower::Column::AccountId.eq(account.id))
        .filter(oa_follower::Column::Openid.eq(input.openid.trim()))
        .filter(oa_follower::Column::Subscribed.eq(true))
        .one(db)
        .await?;
    if following.is_none() {
        return Err(AppError::bad_input("input.openid", NOT_FOLLOWING));
    }
    let message = TemplateMessage {
        touser: input.openid.trim().to_string(),
        template_id: input.template_id.trim().to_string(),
        url: input.url,
        client_msg_id: input.client_msg_id,
        data: input.data.into_iter().map(|(k, value, color)| (k.trim().to_string(), TemplateValue { value, color })).collect(),
    };
    Ok(client.template_send(&accounts::credentials(key, &account)?, &message).await?)
}
