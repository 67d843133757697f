//! Official Account request and answer shapes (WECHAT_API.md §3).

use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub expires_in: i64,
}

#[derive(Deserialize, Default)]
pub struct OpenidList {
    #[serde(default)]
    pub openid: Vec<String>,
}

/// One page of `user/get`: up to 10,000 openids; `next_openid` continues,
/// empty when the list is done.
#[derive(Deserialize)]
pub struct FollowerPage {
    pub total: i64,
    pub count: i64,
    #[serde(default)]
    pub data: Option<OpenidList>,
    #[serde(default)]
    pub next_openid: String,
}

impl FollowerPage {
    pub fn openids(self) -> Vec<String> {
        self.data.map(|d| d.openid).unwrap_or_default()
    }
}

#[derive(Serialize, Deserialize)]
pub struct UserInfoKey {
    pub openid: String,
    #[serde(default)]
    pub lang: String,
}

#[derive(Serialize, Deserialize)]
pub struct UserInfoBatchRequest {
    pub user_list: Vec<UserInfoKey>,
}

/// A follower's details (`user/info`, `user/info/batchget`); WeChat no
/// longer returns nickname or avatar here.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct UserInfo {
    /// 0: not following (only the openid is returned).
    pub subscribe: i32,
    pub openid: String,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub subscribe_time: Option<i64>,
    #[serde(default)]
    pub unionid: Option<String>,
    #[serde(default)]
    pub remark: Option<String>,
    #[serde(default)]
    pub tagid_list: Vec<i64>,
    #[serde(default)]
    pub subscribe_scene: Option<String>,
    #[serde(default)]
    pub qr_scene: Option<i64>,
    #[serde(default)]
    pub qr_scene_str: Option<String>,
}

#[derive(Deserialize)]
pub struct UserInfoList {
    #[serde(default)]
    pub user_info_list: Vec<UserInfo>,
}

#[derive(Clone, Debug, Serialize, Deserialize, Default)]
pub struct QrScene {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub scene_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub scene_str: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, Default)]
pub struct QrActionInfo {
    pub scene: QrScene,
}

/// `qrcode/create`: QR_SCENE / QR_STR_SCENE (temporary, with
/// `expire_seconds`) or QR_LIMIT_SCENE / QR_LIMIT_STR_SCENE (permanent).
#[derive(Clone, Debug, Serialize, Deserialize, Default)]
pub struct QrCodeRequest {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub expire_seconds: Option<i64>,
    pub action_name: String,
    pub action_info: QrActionInfo,
}

/// One keyword of a template message.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TemplateValue {
    pub value: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub color: Option<String>,
}

/// `message/template/send` (WECHAT_API.md §3).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TemplateMessage {
    pub touser: String,
    pub template_id: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub url: Option<String>,
    /// Re-sending with the same id within WeChat's window sends once.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub client_msg_id: Option<String>,
    pub data: std::collections::BTreeMap<String, TemplateValue>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct TemplateSent {
    pub msgid: i64,
}

#[derive(Clone, Debug, Deserialize)]
pub struct QrTicket {
    pub ticket: String,
    #[serde(default)]
    pub expire_seconds: Option<i64>,
    pub url: String,
}
