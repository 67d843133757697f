//! The WeCom API client.
//!
//! * Access tokens are cached per (corp, secret kind) in a `TokenCache`
//!   (Redis when configured, single-flight refresh).
//! * An answer saying the token is invalid or expired (40001, 40014, 42001)
//!   drops the cached token and retries once with a fresh one.
//! * Frequency limits (45009, 45033, -1 busy) back off and retry within a bound.
//! * Every other errcode is a typed error that GraphQL shows as `UPSTREAM`.
//! * Secrets and tokens never reach a log line: requests are logged by path.
//! * A secret `gettoken` refused (40001, 40013) is not sent again for
//!   `REFUSED_SECRET_QUIET`: WeCom blocks a server's IP for an hour after
//!   repeated wrong secrets, which would stop every corp on it. Rebinding
//!   with another secret is tried at once.

use std::sync::PoisonError;
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use serde::{de::DeserializeOwned, Serialize};
use serde_json::Value;

use super::types::*;
use crate::{
    error::{AppError, Code, Msg},
    integrations::{token_cache::TokenCache, upstream},
    kv::Kv,
};

const TOKEN_ERRORS: [i64; 3] = [40001, 40014, 42001];
/// `gettoken`'s answers for a wrong corp id or secret.
const CREDENTIAL_ERRORS: [i64; 2] = [40001, 40013];
const REFUSED_SECRET_QUIET: Duration = Duration::from_secs(600);
const FREQUENCY_ERRORS: [i64; 3] = [45009, 45033, -1];

/// Which secret a call needs: each WeCom secret has its own token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SecretKind {
    /// 通讯录同步 secret: departments and members.
    Contacts,
    /// 客户联系 secret (or the self-built app configured for it).
    ExternalContact,
    /// The self-built app: messages, OAuth.
    Agent,
}

impl SecretKind {
    fn as_str(self) -> &'static str {
        match self {
            SecretKind::Contacts => "contacts",
            SecretKind::ExternalContact => "external",
            SecretKind::Agent => "agent",
        }
    }
}

/// A corp's decrypted credentials (never logged: `Debug` hides the secrets).
#[derive(Clone)]
pub struct Credentials {
    pub corp_id: String,
    pub contact_secret: Option<String>,
    pub external_secret: Option<String>,
    pub agent_secret: Option<String>,
    pub agent_id: Option<i64>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").field("corp_id", &self.corp_id).field("agent_id", &self.agent_id).finish_non_exhaustive()
    }
}

impl Credentials {
    fn secret(&self, kind: SecretKind) -> Option<&str> {
        match kind {
            SecretKind::Contacts => self.contact_secret.as_deref(),
            SecretKind::ExternalContact => self.external_secret.as_deref().or(self.agent_secret.as_deref()),
            SecretKind::Agent => self.agent_secret.as_deref(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WecomError {
    #[error("wecom errcode {errcode}: {errmsg}")]
    Api { errcode: i64, errmsg: String },
    #[error("secret {0:?} is not configured")]
    MissingSecret(SecretKind),
    #[error("transport: {0}")]
    Transport(String),
    #[error("unexpected answer: {0}")]
    Decode(String),
}

impl WecomError {
    pub fn errcode(&self) -> Option<i64> {
        match self {
            WecomError::Api { errcode, .. } => Some(*errcode),
            _ => None,
        }
    }
}

/// What the admin must do, for refusals that are configuration, not bugs.
fn remedy(errcode: i64) -> Option<Msg> {
    Some(match errcode {
        48009 => Msg::new(
            "WECOM_DIRECTORY_DETAILS_REFUSED",
            "企业微信不再允许通讯录同步Secret从新IP读取成员和部门详情：请配置自建应用的Secret并将其可见范围设为全公司，成员姓名和部门将通过该应用读取",
            "WeCom no longer lets the contacts-sync secret read member and department details from a new server IP: configure a self-built app's secret with the whole company in its visible range; names and departments are read through it",
        ),
        48002 => Msg::new(
            "WECOM_API_NOT_PERMITTED",
            "该Secret所属应用无权调用此接口：通讯录写入需通讯录同步Secret，客户联系需在「客户联系-可调用应用」中加入自建应用，消息需自建应用Secret",
            "This secret's app may not call that API: address-book writes need the contacts-sync secret, customer contact needs the self-built app listed under Customer Contact's callable apps, messages need the self-built app's secret",
        ),
        45029 => Msg::new(
            "WECOM_ANSWER_TOO_LARGE",
            "企业微信的返回数据超过上限：请缩小单次同步的部门范围后重试",
            "WeCom's answer was over its size limit: sync smaller parts of the organisation and try again",
        ),
        60020 => Msg::new(
            "WECOM_IP_NOT_TRUSTED",
            "服务器IP不在企业微信可信IP列表中：请在应用设置中添加可信IP，或配置出口代理",
            "This server's IP is not a trusted IP of the WeCom app: add it in the app settings or configure the outbound proxy",
        ),
        60011 => Msg::new(
            "WECOM_OUT_OF_VISIBLE_RANGE",
            "应用可见范围不包含该成员或部门：请在企业微信后台调整应用可见范围",
            "The member or department is outside the app's visible range: widen it in WeCom",
        ),
        40001 | 40013 => Msg::new(
            "WECOM_CREDENTIALS_INVALID",
            "企业微信凭证无效：请检查企业ID和Secret",
            "Invalid WeCom credentials: check the corp id and secret",
        ),
        _ => return None,
    })
}

impl From<WecomError> for AppError {
    fn from(e: WecomError) -> Self {
        match &e {
            WecomError::Api { errcode, errmsg } => upstream::refused(*errcode, errmsg, remedy(*errcode), || {
                Msg::owned(
                    "WECOM_ERROR",
                    format!("企业微信返回错误 {errcode}：{errmsg}"),
                    format!("WeCom answered errcode {errcode}: {errmsg}"),
                )
            }),
            WecomError::MissingSecret(_) => AppError::new(
                Code::Upstream,
                Msg::new("WECOM_SECRET_MISSING", "企业微信尚未配置所需的Secret", "The WeCom secret this needs is not configured"),
            ),
            WecomError::Transport(_) | WecomError::Decode(_) => {
                tracing::warn!(error = %e, "wecom call failed");
                upstream::unreachable(
                    Msg::new("WECOM_UNREACHABLE", "企业微信暂时无法访问，请稍后重试", "WeCom is unreachable, try again later"),
                    e.to_string(),
                )
            }
        }
    }
}

pub use crate::integrations::upstream::ClientConfig;

#[derive(Clone)]
pub struct WecomClient {
    http: reqwest::Client,
    config: Arc<ClientConfig>,
    tokens: TokenCache,
    /// Secrets `gettoken` refused, by `refused_key`, with the time they were refused.
    refused: Arc<Mutex<HashMap<String, (std::time::Instant, i64)>>>,
}

/// The key of a refused (corp, secret): a digest, so no secret is stored.
fn refused_key(corp_id: &str, secret: &str) -> String {
    use sha2::Digest;
    format!("wecom-refused-secret:{}", hex::encode(sha2::Sha256::digest(format!("{corp_id}\u{1f}{secret}").as_bytes())))
}

impl WecomClient {
    pub fn new(config: ClientConfig, kv: Kv) -> anyhow::Result<Self> {
        Ok(WecomClient {
            http: upstream::http_client(&config)?,
            config: Arc::new(config),
            tokens: TokenCache::new(kv),
            refused: Arc::default(),
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.config.base_url.trim_end_matches('/'), path)
    }

    fn cache_key(creds: &Credentials, kind: SecretKind) -> String {
        format!("wecom-token:{}:{}", creds.corp_id, kind.as_str())
    }

    /// A valid token, fetching one (once for all concurrent callers) when needed.
    pub async fn token(&self, creds: &Credentials, kind: SecretKind) -> Result<String, WecomError> {
        let key = Self::cache_key(creds, kind);
        if let Some(t) = self.tokens.cached(&key).await {
            return Ok(t);
        }
        let flight = self.tokens.flight(&key);
        let _guard = flight.lock().await;
        // Someone may have refreshed while we waited.
        if let Some(t) = self.tokens.cached(&key).await {
            return Ok(t);
        }
        let secret = creds.secret(kind).ok_or(WecomError::MissingSecret(kind))?;
        let refused_key = refused_key(&creds.corp_id, secret);
        if let Some(errcode) = self.refused_recently(&refused_key).await {
            return Err(WecomError::Api { errcode, errmsg: "this secret was refused by WeCom minutes ago; not sent again".into() });
        }
        let res = self
            .http
            .get(self.url("/cgi-bin/gettoken"))
            .query(&[("corpid", creds.corp_id.as_str()), ("corpsecret", secret)])
            .send()
            .await
            .map_err(|e| WecomError::Transport(e.without_url().to_string()))?;
        let v: Value = res.json().await.map_err(|e| WecomError::Decode(e.without_url().to_string()))?;
        if let Err(e) = check(&v) {
            if let WecomError::Api { errcode, .. } = &e {
                if CREDENTIAL_ERRORS.contains(errcode) {
                    self.remember_refusal(&refused_key, *errcode).await;
                }
            }
            return Err(e);
        }
        let t: TokenResponse = serde_json::from_value(v).map_err(|e| WecomError::Decode(e.to_string()))?;
        self.tokens.store(&key, &t.access_token, t.expires_in).await;
        Ok(t.access_token)
    }

    /// WeCom's errcode for this secret, when it refused it within the quiet period.
    async fn refused_recently(&self, key: &str) -> Option<i64> {
        let local = self.refused.lock().unwrap_or_else(PoisonError::into_inner).get(key).copied();
        if let Some((_, errcode)) = local.filter(|(at, _)| at.elapsed() < REFUSED_SECRET_QUIET) {
            return Some(errcode);
        }
        if self.tokens.kv().is_shared() {
            if let Ok(Some(code)) = self.tokens.kv().get_string(key).await {
                return code.parse().ok();
            }
        }
        None
    }

    async fn remember_refusal(&self, key: &str, errcode: i64) {
        self.refused.lock().unwrap_or_else(PoisonError::into_inner).insert(key.to_string(), (std::time::Instant::now(), errcode));
        if self.tokens.kv().is_shared() {
            let _ = self.tokens.kv().set_string(key, &errcode.to_string(), REFUSED_SECRET_QUIET).await;
        }
    }

    async fn forget_token(&self, creds: &Credentials, kind: SecretKind, token: &str) {
        self.tokens.forget(&Self::cache_key(creds, kind), token).await;
    }

    /// One API call with the token rules above. `body` None means GET.
    pub async fn call<B: Serialize, R: DeserializeOwned>(
        &self,
        creds: &Credentials,
        kind: SecretKind,
        path: &str,
        query: &[(&str, String)],
        body: Option<&B>,
    ) -> Result<R, WecomError> {
        self.send(creds, kind, path, query, |http, url| match body {
            Some(b) => http.post(url).json(b),
            None => http.get(url),
        })
        .await
    }

    /// A call whose request `build` makes (again for each retry), with the
    /// token rules above: a rejected token is refreshed once, a frequency
    /// limit backs off.
    pub(super) async fn send<R: DeserializeOwned>(
        &self,
        creds: &Credentials,
        kind: SecretKind,
        path: &str,
        query: &[(&str, String)],
        build: impl Fn(&reqwest::Client, String) -> reqwest::RequestBuilder,
    ) -> Result<R, WecomError> {
        let mut token_retried = false;
        let mut rate_retries = 0u32;
        loop {
            let token = self.token(creds, kind).await?;
            let req = build(&self.http, self.url(path)).query(&[("access_token", token.as_str())]).query(query);
            let res = req.send().await.map_err(|e| WecomError::Transport(e.without_url().to_string()))?;
            let v: Value = res.json().await.map_err(|e| WecomError::Decode(e.without_url().to_string()))?;
            match check(&v) {
                Ok(()) => return serde_json::from_value(v).map_err(|e| WecomError::Decode(format!("{path}: {e}"))),
                Err(WecomError::Api { errcode, .. }) if TOKEN_ERRORS.contains(&errcode) && !token_retried => {
                    tracing::info!(path, errcode, "wecom token rejected; refreshing once");
                    self.forget_token(creds, kind, &token).await;
                    token_retried = true;
                }
                Err(WecomError::Api { errcode, .. }) if FREQUENCY_ERRORS.contains(&errcode) && rate_retries < self.config.rate_retries => {
                    let wait = self.config.rate_backoff * 2u32.pow(rate_retries);
                    tracing::warn!(path, errcode, wait_ms = wait.as_millis() as u64, "wecom frequency limit; backing off");
                    tokio::time::sleep(wait).await;
                    rate_retries += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn get<R: DeserializeOwned>(
        &self,
        creds: &Credentials,
        kind: SecretKind,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<R, WecomError> {
        self.call::<(), R>(creds, kind, path, query, None).await
    }

    async fn post<B: Serialize, R: DeserializeOwned>(
        &self,
        creds: &Credentials,
        kind: SecretKind,
        path: &str,
        body: &B,
    ) -> Result<R, WecomError> {
        self.call(creds, kind, path, &[], Some(body)).await
    }

    // Directory.

    /// Department details. Since 2022-08-15 the contacts secret gets 48009
    /// here from a new server IP; the self-built app (`Agent`) reads its visible range.
    pub async fn department_list(&self, creds: &Credentials, kind: SecretKind, id: Option<i64>) -> Result<Vec<Department>, WecomError> {
        let q: Vec<(&str, String)> = id.map(|i| vec![("id", i.to_string())]).unwrap_or_default();
        Ok(self.get::<DepartmentList>(creds, kind, "/cgi-bin/department/list", &q).await?.department)
    }

    /// Department ids, parents and order: the contacts secret may always read these.
    pub async fn department_simplelist(&self, creds: &Credentials, kind: SecretKind) -> Result<Vec<DepartmentId>, WecomError> {
        Ok(self.get::<DepartmentIdList>(creds, kind, "/cgi-bin/department/simplelist", &[]).await?.department_id)
    }

    /// Every (member, department) pair, paged by cursor (contacts secret only).
    pub async fn user_list_id(&self, creds: &Credentials, cursor: &str, limit: i64) -> Result<UserIdListPage, WecomError> {
        let body = UserIdListRequest { cursor: cursor.to_string(), limit };
        self.post(creds, SecretKind::Contacts, "/cgi-bin/user/list_id", &body).await
    }

    /// Members configured for customer contact (the app's visible range).
    pub async fn follow_user_list(&self, creds: &Credentials) -> Result<Vec<String>, WecomError> {
        Ok(self
            .get::<FollowUserList>(creds, SecretKind::ExternalContact, "/cgi-bin/externalcontact/get_follow_user_list", &[])
            .await?
            .follow_user)
    }

    pub async fn department_create(&self, creds: &Credentials, body: &CreateDepartment) -> Result<i64, WecomError> {
        Ok(self.post::<_, CreatedId>(creds, SecretKind::Contacts, "/cgi-bin/department/create", body).await?.id)
    }

    pub async fn department_update(&self, creds: &Credentials, body: &UpdateDepartment) -> Result<(), WecomError> {
        self.post::<_, Value>(creds, SecretKind::Contacts, "/cgi-bin/department/update", body).await.map(|_| ())
    }

    pub async fn department_delete(&self, creds: &Credentials, id: i64) -> Result<(), WecomError> {
        self.get::<Value>(creds, SecretKind::Contacts, "/cgi-bin/department/delete", &[("id", id.to_string())]).await.map(|_| ())
    }

    /// One department's direct members (WeCom dropped `fetch_child`).
    pub async fn user_list(&self, creds: &Credentials, kind: SecretKind, department_id: i64) -> Result<Vec<User>, WecomError> {
        let q = [("department_id", department_id.to_string())];
        Ok(self.get::<UserList>(creds, kind, "/cgi-bin/user/list", &q).await?.userlist)
    }

    /// One member's details (the contacts secret from a new IP: 48009; apps: no sensitive fields).
    pub async fn user_get(&self, creds: &Credentials, kind: SecretKind, userid: &str) -> Result<User, WecomError> {
        self.get(creds, kind, "/cgi-bin/user/get", &[("userid", userid.to_string())]).await
    }

    pub async fn user_create(&self, creds: &Credentials, body: &WriteUser) -> Result<(), WecomError> {
        self.post::<_, Value>(creds, SecretKind::Contacts, "/cgi-bin/user/create", body).await.map(|_| ())
    }

    pub async fn user_update(&self, creds: &Credentials, body: &WriteUser) -> Result<(), WecomError> {
        self.post::<_, Value>(creds, SecretKind::Contacts, "/cgi-bin/user/update", body).await.map(|_| ())
    }

    pub async fn user_delete(&self, creds: &Credentials, userid: &str) -> Result<(), WecomError> {
        self.get::<Value>(creds, SecretKind::Contacts, "/cgi-bin/user/delete", &[("userid", userid.to_string())]).await.map(|_| ())
    }

    /// OAuth / QR-scan code → the member's userid.
    pub async fn user_by_code(&self, creds: &Credentials, code: &str) -> Result<CodeUserInfo, WecomError> {
        self.get(creds, SecretKind::Agent, "/cgi-bin/auth/getuserinfo", &[("code", code.to_string())]).await
    }

    /// The private details a member consented to share, by the `user_ticket`
    /// from `user_by_code` (self-built app; the member in its visible range).
    pub async fn user_detail_by_ticket(&self, creds: &Credentials, user_ticket: &str) -> Result<UserDetail, WecomError> {
        self.post(creds, SecretKind::Agent, "/cgi-bin/auth/getuserdetail", &serde_json::json!({ "user_ticket": user_ticket })).await
    }

    // Customer contact.

    /// One page of customers (with one follow relation each) of up to 100 members.
    pub async fn contacts_by_user(&self, creds: &Credentials, body: &BatchGetByUser) -> Result<BatchGetByUserPage, WecomError> {
        self.post(creds, SecretKind::ExternalContact, "/cgi-bin/externalcontact/batch/get_by_user", body).await
    }

    /// One customer with every follow relation (following `next_cursor`).
    pub async fn contact_get(&self, creds: &Credentials, external_userid: &str) -> Result<ExternalContactDetail, WecomError> {
        let mut cursor = String::new();
        let mut all: Option<ExternalContactDetail> = None;
        loop {
            let q = [("external_userid", external_userid.to_string()), ("cursor", cursor.clone())];
            let page: ExternalContactDetail = self.get(creds, SecretKind::ExternalContact, "/cgi-bin/externalcontact/get", &q).await?;
            let next = page.next_cursor.clone();
            match &mut all {
                None => all = Some(page),
                Some(a) => a.follow_user.extend(page.follow_user),
            }
            if next.is_empty() {
                break;
            }
            cursor = next;
        }
        all.ok_or_else(|| WecomError::Decode("externalcontact/get returned no page".into()))
    }

    /// The external userids of one member's customers (no paging).
    pub async fn contact_list(&self, creds: &Credentials, userid: &str) -> Result<Vec<String>, WecomError> {
        Ok(self
            .get::<ExternalUserIds>(creds, SecretKind::ExternalContact, "/cgi-bin/externalcontact/list", &[("userid", userid.to_string())])
            .await?
            .external_userid)
    }

    pub async fn contact_remark(&self, creds: &Credentials, body: &RemarkRequest) -> Result<(), WecomError> {
        self.post::<_, Value>(creds, SecretKind::ExternalContact, "/cgi-bin/externalcontact/remark", body).await.map(|_| ())
    }

    pub async fn corp_tag_add(&self, creds: &Credentials, body: &AddCorpTag) -> Result<CorpTagGroup, WecomError> {
        Ok(self
            .post::<_, AddedCorpTags>(creds, SecretKind::ExternalContact, "/cgi-bin/externalcontact/add_corp_tag", body)
            .await?
            .tag_group)
    }

    pub async fn corp_tag_edit(&self, creds: &Credentials, body: &EditCorpTag) -> Result<(), WecomError> {
        self.post::<_, Value>(creds, SecretKind::ExternalContact, "/cgi-bin/externalcontact/edit_corp_tag", body).await.map(|_| ())
    }

    pub async fn corp_tag_del(&self, creds: &Credentials, body: &DelCorpTag) -> Result<(), WecomError> {
        self.post::<_, Value>(creds, SecretKind::ExternalContact, "/cgi-bin/externalcontact/del_corp_tag", body).await.map(|_| ())
    }

    /// Adds and removes corp tags on one follow relation, all or nothing.
    pub async fn mark_tag(&self, creds: &Credentials, body: &MarkTag) -> Result<(), WecomError> {
        self.post::<_, Value>(creds, SecretKind::ExternalContact, "/cgi-bin/externalcontact/mark_tag", body).await.map(|_| ())
    }

    /// Starts on-job transfers of up to 100 customers; each customer's errcode says whether its flow started.
    pub async fn transfer_customer(&self, creds: &Credentials, body: &TransferCustomer) -> Result<Vec<TransferCustomerItem>, WecomError> {
        Ok(self
            .post::<_, TransferCustomerResult>(creds, SecretKind::ExternalContact, "/cgi-bin/externalcontact/transfer_customer", body)
            .await?
            .customer)
    }

    /// Starts resigned transfers (the handover must have left); same answer shape as the on-job one.
    pub async fn resigned_transfer_customer(
        &self,
        creds: &Credentials,
        body: &TransferCustomer,
    ) -> Result<Vec<TransferCustomerItem>, WecomError> {
        Ok(self
            .post::<_, TransferCustomerResult>(
                creds,
                SecretKind::ExternalContact,
                "/cgi-bin/externalcontact/resigned/transfer_customer",
                body,
            )
            .await?
            .customer)
    }

    /// One page of a transfer's per-customer status (`resigned` picks the resigned variant).
    pub async fn transfer_result(
        &self,
        creds: &Credentials,
        resigned: bool,
        body: &TransferResultRequest,
    ) -> Result<TransferResultPage, WecomError> {
        let path = if resigned { "/cgi-bin/externalcontact/resigned/transfer_result" } else { "/cgi-bin/externalcontact/transfer_result" };
        self.post(creds, SecretKind::ExternalContact, path, body).await
    }

    /// Hands group chats to a new owner (`resigned`: the owner left); answers the chats that failed.
    pub async fn group_chat_transfer(
        &self,
        creds: &Credentials,
        resigned: bool,
        body: &GroupChatTransfer,
    ) -> Result<Vec<FailedChat>, WecomError> {
        let path =
            if resigned { "/cgi-bin/externalcontact/groupchat/transfer" } else { "/cgi-bin/externalcontact/groupchat/onjob_transfer" };
        Ok(self.post::<_, GroupChatTransferResult>(creds, SecretKind::ExternalContact, path, body).await?.failed_chat_list)
    }

    /// One page of the customers of resigned members still waiting for an heir.
    pub async fn unassigned_list(&self, creds: &Credentials, body: &UnassignedListRequest) -> Result<UnassignedPage, WecomError> {
        self.post(creds, SecretKind::ExternalContact, "/cgi-bin/externalcontact/get_unassigned_list", body).await
    }

    pub async fn corp_tag_list(&self, creds: &Credentials, filter: &CorpTagFilter) -> Result<Vec<CorpTagGroup>, WecomError> {
        Ok(self
            .post::<_, CorpTagList>(creds, SecretKind::ExternalContact, "/cgi-bin/externalcontact/get_corp_tag_list", filter)
            .await?
            .tag_group)
    }

    pub async fn group_chat_list(&self, creds: &Credentials, body: &GroupChatListRequest) -> Result<GroupChatListPage, WecomError> {
        self.post(creds, SecretKind::ExternalContact, "/cgi-bin/externalcontact/groupchat/list", body).await
    }

    pub async fn group_chat_get(&self, creds: &Credentials, chat_id: &str) -> Result<GroupChat, WecomError> {
        let body = GroupChatGet { chat_id: chat_id.to_string(), need_name: 1 };
        Ok(self
            .post::<_, GroupChatDetail>(creds, SecretKind::ExternalContact, "/cgi-bin/externalcontact/groupchat/get", &body)
            .await?
            .group_chat)
    }

    // Internal group chats (ORG-11).

    pub async fn appchat_create(&self, creds: &Credentials, body: &AppChatCreate) -> Result<String, WecomError> {
        Ok(self.post::<_, AppChatCreated>(creds, SecretKind::Agent, "/cgi-bin/appchat/create", body).await?.chatid)
    }

    pub async fn appchat_send(&self, creds: &Credentials, body: &AppChatSend) -> Result<(), WecomError> {
        self.post::<_, Value>(creds, SecretKind::Agent, "/cgi-bin/appchat/send", body).await.map(|_| ())
    }

    // Messages.

    pub async fn message_send(&self, creds: &Credentials, msg: &AppMessage) -> Result<SendResult, WecomError> {
        self.post(creds, SecretKind::Agent, "/cgi-bin/message/send", msg).await
    }
}

fn check(v: &Value) -> Result<(), WecomError> {
    match upstream::refusal(v) {
        None => Ok(()),
        Some((errcode, errmsg)) => Err(WecomError::Api { errcode, errmsg }),
    }
}
