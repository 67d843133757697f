//! The Official Account API client, in the WeCom client's style:
//!
//! * one access token per appid in a `TokenCache` (Redis when configured,
//!   single-flight refresh);
//! * an answer saying the token is invalid or expired (40001, 40014, 42001)
//!   drops it and retries once with a fresh one;
//! * frequency limits (45009) and "busy" (-1) back off and retry within a bound;
//! * every other errcode is a typed error shown as `UPSTREAM`, with a
//!   remedy for the refusals an admin can fix;
//! * secrets and tokens never reach a log line.

use std::sync::Arc;

use serde::{de::DeserializeOwned, Serialize};
use serde_json::Value;

use super::types::*;
use crate::{
    error::{AppError, Msg},
    integrations::{
        token_cache::TokenCache,
        upstream::{self, ClientConfig},
    },
    kv::Kv,
};

const TOKEN_ERRORS: [i64; 3] = [40001, 40014, 42001];
const FREQUENCY_ERRORS: [i64; 2] = [45009, -1];
/// `user/info/batchget` takes at most this many openids (WeChat: 100).
pub const USER_INFO_BATCH: usize = 100;

/// An account's credentials (never logged: `Debug` hides the secret).
#[derive(Clone)]
pub struct OaCredentials {
    pub appid: String,
    pub secret: String,
}

impl std::fmt::Debug for OaCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OaCredentials").field("appid", &self.appid).finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OaError {
    #[error("official account errcode {errcode}: {errmsg}")]
    Api { errcode: i64, errmsg: String },
    #[error("transport: {0}")]
    Transport(String),
    #[error("unexpected answer: {0}")]
    Decode(String),
}

impl OaError {
    pub fn errcode(&self) -> Option<i64> {
        match self {
            OaError::Api { errcode, .. } => Some(*errcode),
            _ => None,
        }
    }
}

/// What the admin must do, for refusals that are configuration, not bugs.
fn remedy(errcode: i64) -> Option<Msg> {
    Some(match errcode {
        40013 | 40125 | 40001 => Msg::new(
            "OA_CREDENTIALS_INVALID",
            "公众号AppID或AppSecret错误：请在微信公众平台「设置与开发-基本配置」中核对",
            "Invalid Official Account AppID or AppSecret: check them under Settings and Development > Basic Configuration",
        ),
        40164 => Msg::new(
            "OA_IP_NOT_WHITELISTED",
            "服务器IP不在公众号的IP白名单中：请在微信公众平台「基本配置」中添加",
            "This server's IP is not on the Official Account's IP whitelist: add it under Basic Configuration",
        ),
        48001 => Msg::new(
            "OA_API_UNAUTHORIZED",
            "公众号没有该接口的权限（订阅号不能使用二维码和模板消息，未认证账号权限受限）",
            "The Official Account may not call that API (subscription accounts have no QR codes or template messages; unverified accounts are limited)",
        ),
        45009 => Msg::new("OA_QUOTA_EXCEEDED", "公众号接口调用已达今日上限，请明天再试", "The Official Account's daily API quota is spent; try again tomorrow"),
        _ => return None,
    })
}

impl From<OaError> for AppError {
    fn from(e: OaError) -> Self {
        match &e {
            OaError::Api { errcode, errmsg } => upstream::refused(*errcode, errmsg, remedy(*errcode), || {
                Msg::owned(
                    "OA_ERROR",
                    format!("公众号接口返回错误 {errcode}：{errmsg}"),
                    format!("The Official Account API answered errcode {errcode}: {errmsg}"),
                )
            }),
            OaError::Transport(_) | OaError::Decode(_) => {
                tracing::warn!(error = %e, "official account call failed");
                upstream::unreachable(
                    Msg::new(
                        "OA_UNREACHABLE",
                        "微信公众平台暂时无法访问，请稍后重试",
                        "The Official Account platform is unreachable, try again later",
                    ),
                    e.to_string(),
                )
            }
        }
    }
}

#[derive(Clone)]
pub struct OaClient {
    http: reqwest::Client,
    config: Arc<ClientConfig>,
    tokens: TokenCache,
}

fn check(v: &Value) -> Result<(), OaError> {
    match upstream::refusal(v) {
        None => Ok(()),
        Some((errcode, errmsg)) => Err(OaError::Api { errcode, errmsg }),
    }
}

impl OaClient {
    pub fn new(config: ClientConfig, kv: Kv) -> anyhow::Result<Self> {
        Ok(OaClient { http: upstream::http_client(&config)?, config: Arc::new(config), tokens: TokenCache::new(kv) })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.config.base_url.trim_end_matches('/'), path)
    }

    fn cache_key(creds: &OaCredentials) -> String {
        format!("oa-token:{}", creds.appid)
    }

    async fn json(res: Result<reqwest::Response, reqwest::Error>) -> Result<Value, OaError> {
        let res = res.map_err(|e| OaError::Transport(e.without_url().to_string()))?;
        res.json().await.map_err(|e| OaError::Decode(e.without_url().to_string()))
    }

    /// Fetches a token with these credentials, bypassing the cache: binding
    /// checks the secret with it. The token is kept for later calls.
    pub async fn fetch_token(&self, creds: &OaCredentials) -> Result<String, OaError> {
        let q = [("grant_type", "client_credential"), ("appid", creds.appid.as_str()), ("secret", creds.secret.as_str())];
        let v = Self::json(self.http.get(self.url("/cgi-bin/token")).query(&q).send().await).await?;
        check(&v)?;
        let t: TokenResponse = serde_json::from_value(v).map_err(|e| OaError::Decode(e.to_string()))?;
        self.tokens.store(&Self::cache_key(creds), &t.access_token, t.expires_in).await;
        Ok(t.access_token)
    }

    /// A valid token, fetched once for all concurrent callers when needed.
    pub async fn token(&self, creds: &OaCredentials) -> Result<String, OaError> {
        let key = Self::cache_key(creds);
        if let Some(t) = self.tokens.cached(&key).await {
            return Ok(t);
        }
        let flight = self.tokens.flight(&key);
        let _guard = flight.lock().await;
        if let Some(t) = self.tokens.cached(&key).await {
            return Ok(t);
        }
        self.fetch_token(creds).await
    }

    /// One call with the token rules above. `body` None means GET.
    async fn call<B: Serialize, R: DeserializeOwned>(
        &self,
        creds: &OaCredentials,
        path: &str,
        query: &[(&str, String)],
        body: Option<&B>,
    ) -> Result<R, OaError> {
        let mut token_retried = false;
        let mut rate_retries = 0u32;
        loop {
            let token = self.token(creds).await?;
            let req = match body {
                Some(b) => self.http.post(self.url(path)).json(b),
                None => self.http.get(self.url(path)),
            };
            let v = Self::json(req.query(&[("access_token", token.as_str())]).query(query).send().await).await?;
            match check(&v) {
                Ok(()) => return serde_json::from_value(v).map_err(|e| OaError::Decode(format!("{path}: {e}"))),
                Err(OaError::Api { errcode, .. }) if TOKEN_ERRORS.contains(&errcode) && !token_retried => {
                    tracing::info!(path, errcode, "official account token rejected; refreshing once");
                    self.tokens.forget(&Self::cache_key(creds), &token).await;
                    token_retried = true;
                }
                Err(OaError::Api { errcode, .. }) if FREQUENCY_ERRORS.contains(&errcode) && rate_retries < self.config.rate_retries => {
                    let wait = self.config.rate_backoff * 2u32.pow(rate_retries);
                    tracing::warn!(path, errcode, wait_ms = wait.as_millis() as u64, "official account frequency limit; backing off");
                    tokio::time::sleep(wait).await;
                    rate_retries += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// One page of followers' openids after `next_openid` ("" for the first).
    pub async fn followers(&self, creds: &OaCredentials, next_openid: &str) -> Result<FollowerPage, OaError> {
        self.call::<(), _>(creds, "/cgi-bin/user/get", &[("next_openid", next_openid.to_string())], None).await
    }

    /// Details of up to `USER_INFO_BATCH` followers.
    pub async fn user_info_batch(&self, creds: &OaCredentials, openids: &[String]) -> Result<Vec<UserInfo>, OaError> {
        let body =
            UserInfoBatchRequest { user_list: openids.iter().map(|o| UserInfoKey { openid: o.clone(), lang: "zh_CN".into() }).collect() };
        Ok(self.call::<_, UserInfoList>(creds, "/cgi-bin/user/info/batchget", &[], Some(&body)).await?.user_info_list)
    }

    /// One follower's details.
    pub async fn user_info(&self, creds: &OaCredentials, openid: &str) -> Result<UserInfo, OaError> {
        self.call::<(), _>(creds, "/cgi-bin/user/info", &[("openid", openid.to_string()), ("lang", "zh_CN".into())], None).await
    }

    /// Sends a template message to a follower; answers WeChat's msgid.
    pub async fn template_send(&self, creds: &OaCredentials, message: &TemplateMessage) -> Result<i64, OaError> {
        Ok(self.call::<_, TemplateSent>(creds, "/cgi-bin/message/template/send", &[], Some(message)).await?.msgid)
    }

    pub async fn qrcode_create(&self, creds: &OaCredentials, body: &QrCodeRequest) -> Result<QrTicket, OaError> {
        self.call(creds, "/cgi-bin/qrcode/create", &[], Some(body)).await
    }
}
