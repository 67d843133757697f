//! `/callbacks/oa/{corp}/{appid}`: an Official Account's URL check and
//! message/event delivery, in plain mode (SHA-1 `signature` over token,
//! timestamp and nonce) or safe mode (`msg_signature` over the ciphertext,
//! WXBizMsgCrypt with the appid as receive id). An account configured with
//! an EncodingAESKey accepts only encrypted deliveries.
//!
//! A delivery is verified (signature, timestamp window, receive id), stored
//! under a de-duplication key (WeChat retries three times within 15 s;
//! messages by `MsgId`, events by sender, time and event), its apply job
//! queued in the same transaction, and only then answered `success`.
//! Nothing is stored for a refused request.

use std::collections::BTreeMap;

use axum::{
    body::Bytes,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use chrono::{TimeZone, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde::Deserialize;

use super::{accounts, events};
use crate::{
    error::AppResult,
    integrations::xml::flat_xml,
    integrations::{
        oa::{plain_signature, same_signature},
        wecom::crypto::MsgCrypt,
    },
    state::AppState,
    tenancy::Scope,
};
use entity::{corp, oa_account, oa_event};

#[derive(Deserialize)]
pub struct Signed {
    signature: Option<String>,
    timestamp: String,
    nonce: String,
    echostr: Option<String>,
    encrypt_type: Option<String>,
    msg_signature: Option<String>,
}

fn refuse(status: StatusCode, why: &str) -> Response {
    tracing::warn!(why, "official account callback refused");
    (status, "").into_response()
}

/// The bound account at this URL with its callback token and key.
async fn account(app: &AppState, corp_code: &str, appid: &str) -> AppResult<Option<(oa_account::Model, String, Option<String>)>> {
    let Some(c) = corp::Entity::find().filter(corp::Column::Code.eq(corp_code)).one(&app.db).await? else { return Ok(None) };
    let found = Scope::system(c.id)
        .select::<oa_account::Entity>()
        .filter(oa_account::Column::Appid.eq(appid))
        .filter(oa_account::Column::Status.eq(accounts::status::BOUND))
        .one(&app.db)
        .await?;
    let Some(a) = found else { return Ok(None) };
    let (token, aes) = accounts::callback_keys(&app.master_key, &a)?;
    Ok(token.map(|t| (a, t, aes)))
}

/// The account, or the response refusing the request: unknown account,
/// timestamp outside the window, or a wrong plain signature.
async fn verified(
    app: &AppState,
    corp_code: &str,
    appid: &str,
    q: &Signed,
) -> Result<(oa_account::Model, String, Option<String>), Response> {
    let found = match account(app, corp_code, appid).await {
        Ok(Some(found)) => found,
        Ok(None) => return Err(refuse(StatusCode::NOT_FOUND, "no bound account with a callback token here")),
        Err(e) => {
            tracing::error!(error = ?e, "official account lookup failed");
            return Err(StatusCode::INTERNAL_SERVER_ERROR.into_response());
        }
    };
    let Ok(ts) = q.timestamp.parse::<i64>() else { return Err(refuse(StatusCode::BAD_REQUEST, "bad timestamp")) };
    if (Utc::now().timestamp() - ts).abs() > app.config.callback_window_secs {
        return Err(refuse(StatusCode::FORBIDDEN, "timestamp outside the window"));
    }
    let expected = plain_signature(&found.1, &q.timestamp, &q.nonce);
    if !q.signature.as_deref().is_some_and(|s| same_signature(&expected, s)) {
        return Err(refuse(StatusCode::FORBIDDEN, "signature mismatch"));
    }
    Ok(found)
}

/// The URL check WeChat makes when the server address is saved: answer the echostr.
pub async fn verify_url(State(app): State<AppState>, Path((corp, appid)): Path<(String, String)>, Query(q): Query<Signed>) -> Response {
    if let Err(refusal) = verified(&app, &corp, &appid, &q).await {
        return refusal;
    }
    match q.echostr {
        Some(echo) => (StatusCode::OK, echo).into_response(),
        None => refuse(StatusCode::BAD_REQUEST, "no echostr"),
    }
}

/// The same delivery again maps to the same key.
pub fn dedup_key(fields: &BTreeMap<String, String>) -> String {
    if let Some(id) = fields.get("MsgId").or(fields.get("MsgID")) {
        return format!("msg:{id}");
    }
    let parts: Vec<&str> =
        ["FromUserName", "CreateTime", "Event", "EventKey"].iter().map(|k| fields.get(*k).map(String::as_str).unwrap_or("")).collect();
    hex::encode(<sha2::Sha256 as sha2::Digest>::digest(parts.join("\u{1f}").as_bytes()))
}

pub async fn receive(
    State(app): State<AppState>,
    Path((corp, appid)): Path<(String, String)>,
    Query(q): Query<Signed>,
    body: Bytes,
) -> Response {
    let (account, token, aes) = match verified(&app, &corp, &appid, &q).await {
        Ok(found) => found,
        Err(refusal) => return refusal,
    };
    // Plain mode signs no body: a signature seen once (in a proxy's log, say)
    // must not carry another body within the window. WeChat's own retry
    // sends the same body and passes.
    if aes.is_none() {
        let digest = <sha2::Sha256 as sha2::Digest>::digest(&body);
        let fingerprint = i64::from_be_bytes(digest[..8].try_into().unwrap_or_default());
        let key = format!("oa-callback:{}:{}:{}", account.id, q.timestamp, q.nonce);
        let window = std::time::Duration::from_secs(2 * app.config.callback_window_secs.max(1) as u64);
        match app.kv.claim(&key, fingerprint, window).await {
            Ok(true) => {}
            Ok(false) => return refuse(StatusCode::FORBIDDEN, "signature replayed with another body"),
            Err(e) => {
                tracing::error!(error = %e, "replay check failed");
                return StatusCode::SERVICE_UNAVAILABLE.into_response();
            }
        }
    }
    let Some(envelope) = std::str::from_utf8(&body).ok().and_then(flat_xml) else {
        return refuse(StatusCode::BAD_REQUEST, "unparsable envelope");
    };
    let plain = match &aes {
        None => String::from_utf8_lossy(&body).into_owned(),
        Some(key) => {
            let (Some("aes"), Some(msg_signature), Some(encrypt)) =
                (q.encrypt_type.as_deref(), q.msg_signature.as_deref(), envelope.get("Encrypt"))
            else {
                return refuse(StatusCode::FORBIDDEN, "safe mode: an encrypted delivery is required");
            };
            let crypt = match MsgCrypt::new(&token, key, &account.appid) {
                Ok(c) => c,
                Err(e) => {
                    tracing::error!(error = ?e, "stored EncodingAESKey unusable");
                    return StatusCode::INTERNAL_SERVER_ERROR.into_response();
                }
            };
            match crypt.open(msg_signature, &q.timestamp, &q.nonce, encrypt) {
                Ok(p) => p,
                Err(e) => return refuse(StatusCode::FORBIDDEN, &format!("{e:?} ({})", e.official_code())),
            }
        }
    };
    let Some(fields) = flat_xml(&plain) else { return refuse(StatusCode::BAD_REQUEST, "unparsable message") };
    let Some(openid) = fields.get("FromUserName").filter(|o| !o.is_empty()).cloned() else {
        return refuse(StatusCode::BAD_REQUEST, "no FromUserName");
    };
    let kind = match fields.get("MsgType").map(String::as_str) {
        Some("event") => fields.get("Event").cloned().unwrap_or_default(),
        Some(t) => t.to_string(),
        None => String::new(),
    };
    let now = Utc::now();
    let occurred_at = fields.get("CreateTime").and_then(|t| t.parse().ok()).and_then(|t| Utc.timestamp_opt(t, 0).single()).unwrap_or(now);
    let row = oa_event::ActiveModel {
        account_id: Set(account.id),
        dedup_key: Set(dedup_key(&fields)),
        openid: Set(openid),
        event_key: Set(fields.get("EventKey").filter(|k| !k.is_empty()).cloned()),
        content: Set(fields.get("Content").cloned()),
        status: Set(if events::needs_apply(&kind) { events::PENDING } else { events::APPLIED }.into()),
        event: Set(kind),
        payload: Set(plain),
        attempts: Set(0),
        occurred_at: Set(occurred_at),
        received_at: Set(now),
        applied_at: Set(None),
        ..Default::default()
    };
    match store(&app, account.corp_id, row).await {
        Ok(true) => app.jobs.wake_workers(),
        Ok(false) => tracing::info!(account = account.id, "duplicate official account callback ignored"),
        Err(e) => {
            // Not stored: let WeChat retry.
            tracing::error!(error = ?e, "could not store official account callback");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    }
    // A passive reply is optional; "success" tells WeChat not to retry.
    (StatusCode::OK, "success").into_response()
}

/// Stores the event and, when it changes a follower, its apply job, in one
/// transaction; `false` for a redelivery.
async fn store(app: &AppState, corp_id: i64, row: oa_event::ActiveModel) -> AppResult<bool> {
    let scope = Scope::system(corp_id);
    let txn = crate::db::write_txn(&app.db).await?;
    let stored = scope
        .insert_many_ignoring_returning(
            &txn,
            [row],
            sea_orm::sea_query::OnConflict::columns([oa_event::Column::AccountId, oa_event::Column::DedupKey]).do_nothing().to_owned(),
        )
        .await?;
    let Some(event) = stored.into_iter().next() else {
        txn.rollback().await?;
        return Ok(false);
    };
    if event.status == events::PENDING {
        events::queue_apply(&txn, app.jobs.clock().now(), &event).await?;
    }
    txn.commit().await?;
    Ok(true)
}
