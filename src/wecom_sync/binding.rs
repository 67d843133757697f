//! Binding a corp to its WeCom organisation. Secrets are encrypted with the
//! master key before they touch the database and are never readable back.

use chrono::Utc;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::{
    crypto::MasterKey,
    error::{AppError, AppResult, Msg},
    integrations::wecom::{
        callback_keys::{CallbackKey, CallbackKeys},
        crypto::MsgCrypt,
        Credentials,
    },
    tenancy::Scope,
};
use entity::{corp, wecom_binding};

const AES_KEY_INVALID: Msg = Msg::new("AES_KEY_INVALID", "EncodingAESKey应为43位字符", "EncodingAESKey must be 43 characters");
const CORP_ID_REQUIRED: Msg = Msg::new("CORP_ID_REQUIRED", "请填写企业ID", "The WeCom corp id is required");

/// New values; `None` keeps what is stored, `Some("")` clears it.
#[derive(Default)]
pub struct BindInput {
    pub wecom_corp_id: String,
    pub contact_secret: Option<String>,
    pub external_secret: Option<String>,
    pub agent_secret: Option<String>,
    pub agent_id: Option<i64>,
    pub callback_token: Option<String>,
    pub encoding_aes_key: Option<String>,
}

fn seal(key: &MasterKey, value: Option<String>, current: Option<String>) -> AppResult<Option<String>> {
    match value {
        None => Ok(current),
        Some(v) if v.trim().is_empty() => Ok(None),
        Some(v) => Ok(Some(key.encrypt(v.trim()).map_err(AppError::internal)?)),
    }
}

pub async fn get(db: &impl ConnectionTrait, scope: &Scope) -> AppResult<Option<wecom_binding::Model>> {
    Ok(scope.select::<wecom_binding::Entity>().one(db).await?)
}

/// Binds (or rebinds) the corp; `keys` forgets the cached callback crypto so
/// a new token or key applies to the next callback on this instance.
pub async fn bind(
    db: &DatabaseConnection,
    scope: &Scope,
    key: &MasterKey,
    keys: &CallbackKeys,
    input: BindInput,
) -> AppResult<wecom_binding::Model> {
    let corp_id = input.wecom_corp_id.trim().to_string();
    if corp_id.is_empty() {
        return Err(AppError::bad_input("corpId", CORP_ID_REQUIRED));
    }
    if let Some(k) = input.encoding_aes_key.as_deref().filter(|k| !k.is_empty()) {
        MsgCrypt::new("t", k.trim(), "c").map_err(|_| AppError::bad_input("encodingAesKey", AES_KEY_INVALID))?;
    }
    let now = Utc::now();
    let txn = crate::db::write_txn(db).await?;
    let current = get(&txn, scope).await?;
    let model = match current {
        None => {
            scope
                .insert(
                    &txn,
                    wecom_binding::ActiveModel {
                        wecom_corp_id: Set(corp_id),
                        contact_secret: Set(seal(key, input.contact_secret, None)?),
                        external_secret: Set(seal(key, input.external_secret, None)?),
                        agent_secret: Set(seal(key, input.agent_secret, None)?),
                        agent_id: Set(input.agent_id),
                        callback_token: Set(seal(key, input.callback_token, None)?),
                        encoding_aes_key: Set(seal(key, input.encoding_aes_key, None)?),
                        created_at: Set(now),
                        updated_at: Set(now),
                        ..Default::default()
                    },
                )
                .await?
        }
        Some(b) => {
            let mut am: wecom_binding::ActiveModel = b.clone().into();
            am.wecom_corp_id = Set(corp_id);
            am.contact_secret = Set(seal(key, input.contact_secret, b.contact_secret)?);
            am.external_secret = Set(seal(key, input.external_secret, b.external_secret)?);
            am.agent_secret = Set(seal(key, input.agent_secret, b.agent_secret)?);
            am.agent_id = Set(input.agent_id.or(b.agent_id));
            am.callback_token = Set(seal(key, input.callback_token, b.callback_token)?);
            am.encoding_aes_key = Set(seal(key, input.encoding_aes_key, b.encoding_aes_key)?);
            am.updated_at = Set(now);
            scope.update(&txn, am).await?
        }
    };
    txn.commit().await?;
    keys.forget_all();
    Ok(model)
}

fn open(key: &MasterKey, sealed: &Option<String>) -> AppResult<Option<String>> {
    sealed.as_deref().map(|s| key.decrypt(s).map_err(AppError::internal)).transpose()
}

/// Decrypted API credentials, when the corp is bound.
pub async fn credentials(db: &impl ConnectionTrait, key: &MasterKey, corp_id: i64) -> AppResult<Option<Credentials>> {
    let Some(b) = get(db, &Scope::system(corp_id)).await? else { return Ok(None) };
    Ok(Some(Credentials {
        corp_id: b.wecom_corp_id.clone(),
        contact_secret: open(key, &b.contact_secret)?,
        external_secret: open(key, &b.external_secret)?,
        agent_secret: open(key, &b.agent_secret)?,
        agent_id: b.agent_id,
    }))
}

/// The callback crypto of the corp with this code, when bound with a token
/// and key; cached in `keys` (see `callback_keys` for how long).
pub async fn callback_crypt(db: &impl ConnectionTrait, key: &MasterKey, keys: &CallbackKeys, corp_code: &str) -> AppResult<CallbackKey> {
    if let Some(found) = keys.get(corp_code) {
        return Ok(found);
    }
    let found = load_callback_crypt(db, key, corp_code).await?;
    keys.put(corp_code, found.clone());
    Ok(found)
}

async fn load_callback_crypt(db: &impl ConnectionTrait, key: &MasterKey, corp_code: &str) -> AppResult<CallbackKey> {
    let Some(c) = corp::Entity::find().filter(corp::Column::Code.eq(corp_code)).one(db).await? else { return Ok(None) };
    let Some(b) = get(db, &Scope::system(c.id)).await? else { return Ok(None) };
    let (Some(token), Some(aes)) = (open(key, &b.callback_token)?, open(key, &b.encoding_aes_key)?) else { return Ok(None) };
    let crypt = MsgCrypt::new(&token, &aes, &b.wecom_corp_id)
        .map_err(|e| AppError::internal(anyhow::anyhow!("stored callback key unusable: {e:?}")))?;
    Ok(Some((c.id, crypt)))
}
