//! `/callbacks/wecom/{corp}`: WeCom's URL verification and event delivery.
//!
//! A POST is verified (signature, timestamp window, decryption, receive id),
//! stored in the durable inbox under a de-duplication key, answered at once
//! with an empty 200, and applied later by a job. WeCom redelivers up to three
//! times; the inbox's unique key records each event once. Nothing is stored
//! for a request that fails verification, and no decrypted content is ever
//! echoed back (the URL check's echostr is the protocol's only exception).

use std::collections::BTreeMap;

use axum::{
    body::Bytes,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use chrono::Utc;
use sea_orm::{ActiveValue::Set, ColumnTrait, QueryFilter};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{
    binding,
    inbox::{self, status, ApplyInbox},
    link::link,
    sync,
};
use crate::{
    customers::recycle::{self, LossType},
    error::AppError,
    integrations::wecom::types,
    jobs::{JobCtx, JobError, JobHandler, JobKind},
    state::AppState,
    tenancy::Scope,
};
use entity::{employee, session, wecom_inbox};

#[derive(Deserialize)]
pub struct Signed {
    msg_signature: String,
    timestamp: String,
    nonce: String,
    echostr: Option<String>,
}

fn refuse(status: StatusCode, why: &str) -> Response {
    tracing::warn!(why, "wecom callback refused");
    (status, "").into_response()
}

pub async fn verify_url(State(app): State<AppState>, Path(corp): Path<String>, Query(q): Query<Signed>) -> Response {
    let crypt = match binding::callback_crypt(&app.db, &app.master_key, &app.callback_keys, &corp).await {
        Ok(Some((_, c))) => c,
        Ok(None) => return refuse(StatusCode::NOT_FOUND, "corp not bound for callbacks"),
        Err(e) => {
            tracing::error!(error = ?e, "callback binding lookup failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    // The same window as deliveries: a captured verification must not replay forever.
    if let Some(refusal) = outside_window(&app, &q.timestamp) {
        return refusal;
    }
    let Some(echo) = q.echostr else { return refuse(StatusCode::BAD_REQUEST, "no echostr") };
    match crypt.open(&q.msg_signature, &q.timestamp, &q.nonce, &echo) {
        Ok(plain) => (StatusCode::OK, plain).into_response(),
        Err(e) => refuse(StatusCode::FORBIDDEN, &format!("{e:?} ({})", e.official_code())),
    }
}

/// The refusal of a signed request whose timestamp is outside the configured window.
fn outside_window(app: &AppState, timestamp: &str) -> Option<Response> {
    let Ok(ts) = timestamp.parse::<i64>() else { return Some(refuse(StatusCode::BAD_REQUEST, "bad timestamp")) };
    ((Utc::now().timestamp() - ts).abs() > app.config.callback_window_secs)
        .then(|| refuse(StatusCode::FORBIDDEN, "timestamp outside the window"))
}

pub use crate::integrations::xml::flat_xml;

/// The same event delivered again maps to the same key (external-contact
/// events carry no MsgId and come from `sys`, so the key is built from what
/// identifies the change).
pub fn dedup_key(fields: &BTreeMap<String, String>) -> String {
    if let Some(id) = fields.get("MsgId") {
        return format!("msg:{id}");
    }
    let mut parts: Vec<&str> =
        ["ToUserName", "Event", "ChangeType", "UserID", "ExternalUserID", "ChatId", "Id", "TagType", "UpdateDetail", "CreateTime"]
            .iter()
            .map(|k| fields.get(*k).map(String::as_str).unwrap_or(""))
            .collect();
    // Address-book tag changes: only present ones are added, so the keys of
    // every other event stay what they were.
    for k in ["TagId", "AddUserItems", "DelUserItems", "AddPartyItems", "DelPartyItems"] {
        if let Some(v) = fields.get(k) {
            parts.push(k);
            parts.push(v);
        }
    }
    hex::encode(<sha2::Sha256 as sha2::Digest>::digest(parts.join("\u{1f}").as_bytes()))
}

pub async fn receive(State(app): State<AppState>, Path(corp): Path<String>, Query(q): Query<Signed>, body: Bytes) -> Response {
    let (corp_id, crypt) = match binding::callback_crypt(&app.db, &app.master_key, &app.callback_keys, &corp).await {
        Ok(Some(c)) => c,
        Ok(None) => return refuse(StatusCode::NOT_FOUND, "corp not bound for callbacks"),
        Err(e) => {
            tracing::error!(error = ?e, "callback binding lookup failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    if let Some(refusal) = outside_window(&app, &q.timestamp) {
        return refusal;
    }
    let Some(envelope) = std::str::from_utf8(&body).ok().and_then(flat_xml) else {
        return refuse(StatusCode::BAD_REQUEST, "unparsable envelope");
    };
    let Some(encrypt) = envelope.get("Encrypt") else { return refuse(StatusCode::BAD_REQUEST, "no Encrypt") };
    let plain = match crypt.open(&q.msg_signature, &q.timestamp, &q.nonce, encrypt) {
        Ok(p) => p,
        Err(e) => return refuse(StatusCode::FORBIDDEN, &format!("{e:?} ({})", e.official_code())),
    };
    let Some(fields) = flat_xml(&plain) else { return refuse(StatusCode::BAD_REQUEST, "unparsable event") };
    let key = dedup_key(&fields);
    let row = wecom_inbox::ActiveModel {
        dedup_key: Set(key),
        event: Set(fields.get("Event").or(fields.get("MsgType")).cloned().unwrap_or_default()),
        change_type: Set(fields.get("ChangeType").cloned().unwrap_or_default()),
        payload: Set(plain),
        status: Set(status::PENDING.into()),
        attempts: Set(0),
        last_error: Set(None),
        received_at: Set(Utc::now()),
        applied_at: Set(None),
        corp_id: Set(corp_id),
        ..Default::default()
    };
    match store(&app, row).await {
        Ok(true) => app.jobs.wake_workers(),
        Ok(false) => tracing::info!(corp_id, "duplicate wecom callback ignored"),
        Err(e) => {
            // Not stored: let WeCom retry.
            tracing::error!(error = ?e, "could not store wecom callback");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    }
    (StatusCode::OK, "").into_response()
}

/// Stores the event and its apply job (see [`inbox::store_batch`]); `false`
/// for a redelivery already stored. Concurrent callbacks share the
/// transaction (`GroupCommit`): this returns only after it committed, so the
/// 200 that follows never acknowledges an event a crash could lose.
async fn store(app: &AppState, row: wecom_inbox::ActiveModel) -> Result<bool, AppError> {
    Ok(app.inbox_commits.run(row).await?)
}

pub(super) async fn employee_ids(state: &AppState, scope: &Scope) -> Result<std::collections::HashMap<String, i64>, JobError> {
    Ok(scope.select::<employee::Entity>().all(&state.db).await.map_err(AppError::from)?.into_iter().map(|e| (e.userid, e.id)).collect())
}

/// How long a group change waits for WeCom's `groupchat/get` to show it;
/// after that what WeCom answers is applied (the nightly sync reconciles).
const GROUP_REREAD_WINDOW: chrono::Duration = chrono::Duration::minutes(1);

/// Whether WeCom answered the group as it was before this change event
/// (its `member_version` is still the event's `LastMemVer`).
fn answers_before_event(chat: &types::GroupChat, f: &BTreeMap<String, String>) -> bool {
    let (Some(last), Some(current)) = (f.get("LastMemVer"), f.get("CurMemVer")) else { return false };
    // A group's first change has an empty LastMemVer, and the group no version yet.
    last != current && chat.member_version.as_deref().unwrap_or("") == last.as_str()
}

/// Applies one event (the refreshes `inbox_apply` batches go through it only
/// alone). `PENDING`: not yet, a job to try again is queued.
pub(super) async fn apply(
    state: &AppState,
    scope: &Scope,
    row: &wecom_inbox::Model,
    f: &BTreeMap<String, String>,
) -> Result<&'static str, JobError> {
    match (row.event.as_str(), row.change_type.as_str()) {
        ("change_contact", "create_user" | "update_user") => {
            let Some(link) = link(state, scope.corp_id()).await? else { return Ok(status::UNHANDLED) };
            let userid = f.get("NewUserID").or(f.get("UserID")).cloned().unwrap_or_default();
            // The callback is a hint; WeCom's own record is the truth.
            let (user, kind) = super::directory::read_details(&link, |kind| {
                let (link, userid) = (link.clone(), userid.clone());
                async move { link.client.user_get(&link.creds, kind, &userid).await }
            })
            .await
            .map_err(|e| JobError::from_app(e.into()))?;
            let depts = link.client.department_list(&link.creds, kind, None).await.map_err(|e| JobError::from_app(e.into()))?;
            let mut out = super::progress::SyncOutcome::default();
            let map = sync::apply_departments(&state.db, scope, &depts, &mut out).await?;
            let basic = scope
                .select::<entity::role::Entity>()
                .filter(entity::role::Column::Name.eq(crate::org::roles::BASIC_ROLE_NAME))
                .one(&state.db)
                .await
                .map_err(AppError::from)?
                .map(|r| r.id);
            sync::apply_user(&state.db, scope, &user, &map, basic, &mut out).await?;
            Ok(status::APPLIED)
        }
        ("change_contact", "delete_user") => {
            // The member left: close system access and end sessions; their
            // customers wait for inheritance (INH-1).
            let userid = f.get("UserID").cloned().unwrap_or_default();
            if let Some(e) = scope
                .select::<employee::Entity>()
                .filter(employee::Column::Userid.eq(&userid))
                .one(&state.db)
                .await
                .map_err(AppError::from)?
            {
                let txn = crate::db::write_txn(&state.db).await.map_err(AppError::from)?;
                scope
                    .update_many::<employee::Entity>()
                    .col_expr(employee::Column::SystemEnabled, false.into())
                    .col_expr(employee::Column::Activated, false.into())
                    .col_expr(employee::Column::ResignedAt, Some(Utc::now()).into())
                    .col_expr(employee::Column::UpdatedAt, Utc::now().into())
                    .filter(employee::Column::Id.eq(e.id))
                    .exec(&txn)
                    .await
                    .map_err(AppError::from)?;
                scope
                    .delete_many::<session::Entity>()
                    .filter(session::Column::EmployeeId.eq(e.id))
                    .exec(&txn)
                    .await
                    .map_err(AppError::from)?;
                // Their customers go to the recycle bin as EMPLOYEE_RESIGNED;
                // the relations stay until inheritance hands them on.
                let follows = scope
                    .select::<entity::customer_follow::Entity>()
                    .filter(entity::customer_follow::Column::EmployeeId.eq(e.id))
                    .all(&txn)
                    .await
                    .map_err(AppError::from)?;
                let customers: std::collections::HashMap<i64, entity::customer::Model> = scope
                    .select::<entity::customer::Entity>()
                    .filter(entity::customer::Column::Id.is_in(follows.iter().map(|f| f.customer_id)))
                    .all(&txn)
                    .await
                    .map_err(AppError::from)?
                    .into_iter()
                    .map(|c| (c.id, c))
                    .collect();
                for follow in &follows {
                    if let Some(c) = customers.get(&follow.customer_id) {
                        let key = format!("inbox:{}:{}", row.id, c.id);
                        recycle::record(&txn, scope, c, follow, LossType::EmployeeResigned, Utc::now(), &key).await?;
                    }
                }
                txn.commit().await.map_err(AppError::from)?;
            }
            Ok(status::APPLIED)
        }
        ("change_contact", "create_party" | "update_party" | "delete_party") => {
            let Some(link) = link(state, scope.corp_id()).await? else { return Ok(status::UNHANDLED) };
            let (depts, _) = super::directory::read_details(&link, |kind| {
                let link = link.clone();
                async move { link.client.department_list(&link.creds, kind, None).await }
            })
            .await
            .map_err(|e| JobError::from_app(e.into()))?;
            let mut out = super::progress::SyncOutcome::default();
            sync::apply_departments(&state.db, scope, &depts, &mut out).await?;
            if row.change_type == "delete_party" {
                if let Some(id) = f.get("Id").and_then(|i| i.parse::<i64>().ok()) {
                    if let Some(d) = scope
                        .select::<entity::department::Entity>()
                        .filter(entity::department::Column::WecomId.eq(id))
                        .one(&state.db)
                        .await
                        .map_err(AppError::from)?
                    {
                        // Same guard as a local delete; a non-empty one stays and the next sync reports it.
                        if let Err(e) = crate::org::departments::delete(&state.db, scope, None, d.id).await {
                            tracing::warn!(code = e.code.as_str(), "department deleted in WeCom kept locally");
                        }
                    }
                }
            }
            Ok(status::APPLIED)
        }
        ("change_external_contact", "add_external_contact" | "add_half_external_contact" | "edit_external_contact" | "transfer_fail") => {
            let Some(link) = link(state, scope.corp_id()).await? else { return Ok(status::UNHANDLED) };
            let ext = f.get("ExternalUserID").cloned().unwrap_or_default();
            let detail = link.client.contact_get(&link.creds, &ext).await.map_err(|e| JobError::from_app(e.into()))?;
            let page: Vec<types::ContactWithFollow> = detail
                .follow_user
                .iter()
                .map(|u| types::ContactWithFollow { external_contact: detail.external_contact.clone(), follow_info: u.to_follow_info() })
                .collect();
            let employees = employee_ids(state, scope).await?;
            let mut out = super::progress::SyncOutcome::default();
            super::customer_sync::apply_contact_page(&state.db, scope, &page, &employees, &mut out, crate::db::Durability::Flushed).await?;
            Ok(status::APPLIED)
        }
        ("change_external_contact", "del_external_contact" | "del_follow_user") => {
            // The friendship ended on one side: the relation goes; the event
            // stays in the inbox for the recycle bin and the timeline (INH-4).
            let (ext, userid) = (f.get("ExternalUserID").cloned().unwrap_or_default(), f.get("UserID").cloned().unwrap_or_default());
            // del_external_contact: the employee deleted the customer;
            // del_follow_user: the customer deleted the employee. A deletion
            // that completes a transfer is no loss.
            let loss = match row.change_type.as_str() {
                "del_follow_user" => Some(LossType::CustomerDeleted),
                _ if f.get("Source").is_some_and(|s| s == "DELETE_BY_TRANSFER") => None,
                _ => Some(LossType::EmployeeDeleted),
            };
            let key = format!("inbox:{}", row.id);
            super::customer_sync::remove_follow(&state.db, scope, &ext, &userid, loss.map(|l| (l, key.as_str()))).await?;
            if matches!(loss, Some(LossType::EmployeeDeleted)) {
                crate::archive::sensitive::employee_deleted_customer(&state.db, scope, &ext, &userid, &key).await?;
            }
            Ok(status::APPLIED)
        }
        ("change_external_contact", "msg_audit_approved") => {
            // The customer agreed to chat archiving (ARC-1).
            scope
                .update_many::<entity::customer::Entity>()
                .col_expr(entity::customer::Column::ArchiveAgreed, true.into())
                .filter(entity::customer::Column::ExternalUserid.eq(f.get("ExternalUserID").cloned().unwrap_or_default()))
                .exec(&state.db)
                .await
                .map_err(AppError::from)?;
            Ok(status::APPLIED)
        }
        ("change_external_chat", "create" | "update") => {
            let Some(link) = link(state, scope.corp_id()).await? else { return Ok(status::UNHANDLED) };
            let chat = link
                .client
                .group_chat_get(&link.creds, f.get("ChatId").map(String::as_str).unwrap_or(""))
                .await
                .map_err(|e| JobError::from_app(e.into()))?;
            if answers_before_event(&chat, f) && Utc::now() - row.received_at < GROUP_REREAD_WINDOW {
                // WeCom has not caught up with its own event: read again shortly.
                let delay = chrono::Duration::milliseconds(state.config.wecom_group_reread_ms.max(1) as i64);
                let now = state.jobs.clock().now();
                let slot = now.timestamp_millis() / delay.num_milliseconds();
                let (new, payload) = inbox::apply_job(row.corp_id, row.id, &format!(":reread:{slot}"));
                state.jobs.enqueue::<ApplyInbox>(&state.db, new.at(now + delay), &payload).await?;
                return Ok(status::PENDING);
            }
            let employees = employee_ids(state, scope).await?;
            super::customer_sync::apply_group(&state.db, scope, &chat, 0, &employees, &mut super::progress::SyncOutcome::default()).await?;
            Ok(status::APPLIED)
        }
        ("change_external_chat", "dismiss") => {
            scope
                .update_many::<entity::customer_group::Entity>()
                .col_expr(entity::customer_group::Column::DismissedAt, Some(Utc::now()).into())
                .filter(entity::customer_group::Column::ChatId.eq(f.get("ChatId").cloned().unwrap_or_default()))
                .exec(&state.db)
                .await
                .map_err(AppError::from)?;
            Ok(status::APPLIED)
        }
        ("change_contact", "update_tag") => {
            let Some(link) = link(state, scope.corp_id()).await? else { return Ok(status::UNHANDLED) };
            let Some(wecom_id) = f.get("TagId").and_then(|t| t.trim().parse::<i64>().ok()) else { return Ok(status::UNHANDLED) };
            // The member lists in the event are a hint; WeCom's tag is the truth.
            super::employee_tag_sync::sync_one(&state.db, scope, &link, wecom_id).await?;
            Ok(status::APPLIED)
        }
        ("change_external_tag", _) => {
            let Some(link) = link(state, scope.corp_id()).await? else { return Ok(status::UNHANDLED) };
            super::tag_sync::sync_tags(&state.db, scope, &link, &mut super::progress::SyncOutcome::default()).await?;
            Ok(status::APPLIED)
        }
        // Events no area applies yet stay verified in the inbox.
        _ => Ok(status::UNHANDLED),
    }
}

/// Reconciliation of the inbox: events still PENDING a few minutes after
/// arrival (their job was lost with a crashed worker) are queued again;
/// each apply counts against the event's tries, so a failing event ends
/// FAILED rather than being queued forever.
pub struct InboxSweepJob;

impl JobKind for InboxSweepJob {
    const KIND: &'static str = "wecom.inbox_sweep";
    type Payload = Value;
}

#[async_trait::async_trait]
impl JobHandler for InboxSweepJob {
    type Kind = Self;

    async fn run(&self, ctx: &JobCtx, _: Value) -> Result<Value, JobError> {
        let stale = Utc::now() - chrono::Duration::minutes(3);
        // Platform-wide on purpose: one sweep serves every corp.
        let rows = crate::tenancy::across_corps::<wecom_inbox::Entity>()
            .filter(wecom_inbox::Column::Status.eq(status::PENDING))
            .filter(wecom_inbox::Column::ReceivedAt.lt(stale))
            .all(&ctx.state.db)
            .await
            .map_err(AppError::from)?;
        let slot = Utc::now().timestamp() / 600;
        for r in &rows {
            let (new, payload) = inbox::apply_job(r.corp_id, r.id, &format!(":sweep:{slot}"));
            ctx.state.jobs.enqueue::<ApplyInbox>(&ctx.state.db, new, &payload).await?;
        }
        Ok(json!({"requeued": rows.len()}))
    }
}
