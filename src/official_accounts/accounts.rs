//! Binding Official Accounts (OA-1, OA-3): several per corp, bound and
//! unbound by tenant admins only. Binding checks the AppID and AppSecret
//! against WeChat (a token fetch) before anything is stored, seals the
//! secret, token and key with the master key, and queues the first fans
//! sync in the same transaction. Unbinding is refused while WeChat still
//! accepts the credentials: the account must first be de-authorised in the
//! WeChat back office (SPEC OA-3); its fans stay, no longer updated.

use chrono::Utc;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, QueryFilter, QueryOrder};

use super::{channels::ADMIN_ONLY, fans_queue};
use crate::{
    crypto::MasterKey,
    error::{AppError, AppResult, Code, Msg},
    integrations::{
        oa::{OaClient, OaCredentials, OaError},
        wecom::crypto::MsgCrypt,
    },
    jobs::{JobQueue, NewJob},
    tenancy::{Auth, Scope},
};
use entity::oa_account;

pub mod status {
    pub const BOUND: &str = "BOUND";
    pub const UNBOUND: &str = "UNBOUND";
}

/// 服务号 or 订阅号: subscription accounts have no parametric QR codes and
/// no template messages.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountKind {
    Service,
    Subscription,
}

impl AccountKind {
    pub fn stored(self) -> &'static str {
        match self {
            AccountKind::Service => "SERVICE",
            AccountKind::Subscription => "SUBSCRIPTION",
        }
    }

    pub fn of(stored: &str) -> AccountKind {
        if stored == "SUBSCRIPTION" {
            AccountKind::Subscription
        } else {
            AccountKind::Service
        }
    }
}

const APPID_INVALID: Msg =
    Msg::new("OA_APPID_INVALID", "AppID格式不正确（wx开头的18位字符）", "The AppID must be 18 characters starting with wx");
const NAME_INVALID: Msg =
    Msg::new("OA_NAME_INVALID", "请填写公众号名称（不超过64个字）", "Enter the account's name (at most 64 characters)");
const SECRET_REQUIRED: Msg = Msg::new("OA_SECRET_REQUIRED", "请填写AppSecret", "The AppSecret is required");
const TOKEN_INVALID: Msg =
    Msg::new("OA_CALLBACK_TOKEN_INVALID", "Token必须为英文或数字，长度为3-32字符", "The token must be 3 to 32 letters or digits");
const AES_KEY_INVALID: Msg = Msg::new("OA_AES_KEY_INVALID", "EncodingAESKey应为43位字符", "The EncodingAESKey must be 43 characters");
const STILL_AUTHORISED: Msg = Msg::new(
    "OA_STILL_AUTHORISED",
    "公众号仍在授权中：请先在微信公众平台取消授权（或重置AppSecret）后再解绑",
    "WeChat still authorises this account: de-authorise it (or reset its AppSecret) in the WeChat back office first",
);
const NOT_BOUND: Msg = Msg::new("OA_NOT_BOUND", "该公众号已解绑", "This Official Account is unbound");
/// `token`'s answers for a wrong appid or secret (and 40164 for an IP not on the whitelist is not one).
const CREDENTIAL_ERRORS: [i64; 3] = [40001, 40013, 40125];

/// What an admin enters; on a rebind, `None` keeps the stored value and
/// `Some("")` clears an optional one.
pub struct BindInput {
    pub appid: String,
    pub name: String,
    pub kind: AccountKind,
    pub secret: Option<String>,
    pub callback_token: Option<String>,
    pub encoding_aes_key: Option<String>,
}

fn admin_only(auth: &Auth) -> AppResult<()> {
    if auth.is_super_admin {
        Ok(())
    } else {
        Err(AppError::new(Code::Forbidden, ADMIN_ONLY))
    }
}

fn valid_appid(appid: &str) -> bool {
    appid.len() == 18 && appid.starts_with("wx") && appid[2..].chars().all(|c| c.is_ascii_alphanumeric())
}

fn seal(key: &MasterKey, value: Option<&str>) -> AppResult<Option<String>> {
    value.filter(|v| !v.is_empty()).map(|v| key.encrypt(v).map_err(AppError::internal)).transpose()
}

fn open(key: &MasterKey, sealed: &str) -> AppResult<String> {
    key.decrypt(sealed).map_err(AppError::internal)
}

/// The account's decrypted API credentials.
pub fn credentials(key: &MasterKey, account: &oa_account::Model) -> AppResult<OaCredentials> {
    Ok(OaCredentials { appid: account.appid.clone(), secret: open(key, &account.secret)? })
}

/// The callback token and EncodingAESKey, decrypted (None when unset).
pub fn callback_keys(key: &MasterKey, account: &oa_account::Model) -> AppResult<(Option<String>, Option<String>)> {
    let token = account.callback_token.as_deref().map(|t| open(key, t)).transpose()?;
    let aes = account.encoding_aes_key.as_deref().map(|k| open(key, k)).transpose()?;
    Ok((token, aes))
}

/// A refused credential check as the admin's input error.
fn credential_refusal(e: OaError) -> AppError {
    let field = if e.errcode() == Some(40013) { "input.appid" } else { "input.secret" };
    let refused = e.errcode().is_some_and(|c| CREDENTIAL_ERRORS.contains(&c));
    let err = AppError::from(e);
    if refused {
        AppError { code: Code::BadUserInput, ..err }.with_field(field)
    } else {
        err
    }
}

pub async fn list(db: &impl ConnectionTrait, scope: &Scope) -> AppResult<Vec<oa_account::Model>> {
    Ok(scope.select::<oa_account::Entity>().order_by_asc(oa_account::Column::Id).all(db).await?)
}

pub async fn bind(
    db: &DatabaseConnection,
    auth: &Auth,
    key: &MasterKey,
    client: &OaClient,
    jobs: &JobQueue,
    input: BindInput,
) -> AppResult<oa_account::Model> {
    admin_only(auth)?;
    let scope = &auth.scope;
    let appid = input.appid.trim().to_string();
    if !valid_appid(&appid) {
        return Err(AppError::bad_input("input.appid", APPID_INVALID));
    }
    let name = input.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 64 {
        return Err(AppError::bad_input("input.name", NAME_INVALID));
    }
    let token = input.callback_token.as_deref().map(str::trim);
    let valid_token = |t: &str| t.is_empty() || (3..=32).contains(&t.len()) && t.chars().all(|c| c.is_ascii_alphanumeric());
    if token.is_some_and(|t| !valid_token(t)) {
        return Err(AppError::bad_input("input.callbackToken", TOKEN_INVALID));
    }
    let aes = input.encoding_aes_key.as_deref().map(str::trim);
    if let Some(k) = aes.filter(|k| !k.is_empty()) {
        MsgCrypt::new("t", k, &appid).map_err(|_| AppError::bad_input("input.encodingAesKey", AES_KEY_INVALID))?;
    }
    let current = scope.select::<oa_account::Entity>().filter(oa_account::Column::Appid.eq(&appid)).one(db).await?;
    let secret = match (input.secret.as_deref().map(str::trim).filter(|s| !s.is_empty()), &current) {
        (Some(s), _) => s.to_string(),
        (None, Some(c)) => open(key, &c.secret)?,
        (None, None) => return Err(AppError::bad_input("input.secret", SECRET_REQUIRED)),
    };
    // WeChat says whether the pair is right before anything is stored.
    client.fetch_token(&OaCredentials { appid: appid.clone(), secret: secret.clone() }).await.map_err(credential_refusal)?;

    let now = Utc::now();
    let txn = crate::db::write_txn(db).await?;
    let sealed_secret = seal(key, Some(&secret))?.unwrap_or_default();
    let model = match current {
        None => {
            scope
                .insert(
                    &txn,
                    oa_account::ActiveModel {
                        appid: Set(appid),
                        name: Set(name),
                        kind: Set(input.kind.stored().into()),
                        secret: Set(sealed_secret),
                        callback_token: Set(seal(key, token)?),
                        encoding_aes_key: Set(seal(key, aes)?),
                        status: Set(status::BOUND.into()),
                        fans_synced_at: Set(None),
                        unbound_at: Set(None),
                        created_at: Set(now),
                        updated_at: Set(now),
                        ..Default::default()
                    },
                )
                .await?
        }
        Some(c) => {
            let mut am: oa_account::ActiveModel = c.clone().into();
            am.name = Set(name);
            am.kind = Set(input.kind.stored().into());
            am.secret = Set(sealed_secret);
            if token.is_some() {
                am.callback_token = Set(seal(key, token)?);
            }
            if aes.is_some() {
                am.encoding_aes_key = Set(seal(key, aes)?);
            }
            am.status = Set(status::BOUND.into());
            am.unbound_at = Set(None);
            am.updated_at = Set(now);
            scope.update(&txn, am).await?
        }
    };
    fans_queue::queue_sync(&txn, jobs, NewJob::for_user(auth), &model).await?;
    txn.commit().await?;
    jobs.wake_workers();
    Ok(model)
}

/// Unbinds after WeChat stopped accepting the credentials (OA-3).
pub async fn unbind(db: &impl ConnectionTrait, auth: &Auth, key: &MasterKey, client: &OaClient, id: i64) -> AppResult<oa_account::Model> {
    admin_only(auth)?;
    let account = auth.scope.get::<oa_account::Entity>(db, id).await?;
    if account.status != status::BOUND {
        return Err(AppError::conflict(NOT_BOUND).with_field("id"));
    }
    match client.fetch_token(&credentials(key, &account)?).await {
        Ok(_) => return Err(AppError::conflict(STILL_AUTHORISED).with_field("id")),
        Err(e) if e.errcode().is_some_and(|c| CREDENTIAL_ERRORS.contains(&c)) => {}
        // Unreachable or another refusal: whether it is still authorised is unknown.
        Err(e) => return Err(e.into()),
    }
    let mut am: oa_account::ActiveModel = account.into();
    am.status = Set(status::UNBOUND.into());
    am.unbound_at = Set(Some(Utc::now()));
    am.updated_at = Set(Utc::now());
    auth.scope.update(db, am).await
}

/// A bound account the caller works with, read once (NOT_FOUND for another
/// corp's, FORBIDDEN outside their channels, CONFLICT once unbound).
pub async fn bound(db: &impl ConnectionTrait, auth: &Auth, id: i64) -> AppResult<oa_account::Model> {
    let account = super::channels::check(db, auth, id).await?;
    if account.status != status::BOUND {
        return Err(AppError::conflict(NOT_BOUND).with_field("accountId"));
    }
    Ok(account)
}

/// Manual "sync WeChat fans" (OA-4): one queued sync per account at a time.
pub async fn start_sync(db: &impl ConnectionTrait, auth: &Auth, jobs: &JobQueue, id: i64) -> AppResult<entity::job::Model> {
    let account = bound(db, auth, id).await?;
    let job = fans_queue::queue_sync(db, jobs, NewJob::for_user(auth), &account).await?;
    jobs.wake_workers();
    Ok(job)
}
