//! The sandbox's own control endpoints (under `/sandbox`), for running it
//! alone: inspect calls, set where callbacks go, and fire WeCom events.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    routing::{get, post},
    Json, Router,
};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{
    events::{self, Event},
    world::{CallbackTarget, Sandbox},
};

pub fn router() -> Router<Sandbox> {
    Router::new()
        .route("/sandbox/calls", get(calls))
        .route("/sandbox/corps/{corp}/callback-target", post(set_target))
        .route("/sandbox/corps/{corp}/events", post(fire))
        .route("/sandbox/corps/{corp}/oauth-code", post(oauth_code))
        .route("/sandbox/tokens/invalidate", post(invalidate))
        .route("/sandbox/corps/{corp}/chat", post(chat))
        .route("/sandbox/finance/chatdata", get(chatdata))
}

async fn calls(State(sb): State<Sandbox>) -> Json<Value> {
    Json(json!({"calls": sb.calls()}))
}

async fn invalidate(State(sb): State<Sandbox>) -> StatusCode {
    sb.invalidate_tokens();
    StatusCode::NO_CONTENT
}

async fn set_target(State(sb): State<Sandbox>, Path(corp): Path<String>, Json(t): Json<CallbackTarget>) -> StatusCode {
    match sb.with_corp(&corp, |c| c.callback = Some(t)) {
        Some(()) => StatusCode::NO_CONTENT,
        None => StatusCode::NOT_FOUND,
    }
}

#[derive(Deserialize)]
struct CodeFor {
    userid: String,
    /// The member agreed to share private details (the code also gives a `user_ticket`).
    #[serde(default)]
    consent: bool,
}

async fn oauth_code(State(sb): State<Sandbox>, Path(corp): Path<String>, Json(b): Json<CodeFor>) -> Json<Value> {
    Json(json!({"code": sb.mint_oauth_code(&corp, &b.userid, b.consent)}))
}

/// Generates a WeCom event (`events::Event`, by its `type`) and sends the
/// signed callback.
async fn fire(State(sb): State<Sandbox>, Path(corp): Path<String>, Json(event): Json<Event>) -> (StatusCode, Json<Value>) {
    let xml = match sb.with_corp(&corp, |c| events::apply(c, event)) {
        None => return (StatusCode::NOT_FOUND, Json(json!({"error": "no such corp"}))),
        Some(Err(why)) => return (StatusCode::NOT_FOUND, Json(json!({"error": why}))),
        Some(Ok(xml)) => xml,
    };
    match sb.send_callback(&corp, &xml).await {
        Ok((status, body)) => (StatusCode::OK, Json(json!({"deliveredStatus": status, "answer": body}))),
        Err(e) => (StatusCode::BAD_GATEWAY, Json(json!({"error": e.to_string()}))),
    }
}

/// Archives one message (WeCom's archive JSON: from, tolist, roomid, msgtype and its body).
async fn chat(State(sb): State<Sandbox>, Path(corp): Path<String>, Json(message): Json<Value>) -> (StatusCode, Json<Value>) {
    match sb.chat(&corp, message) {
        Some(m) => (StatusCode::OK, Json(m)),
        None => (StatusCode::NOT_FOUND, Json(json!({"error": "no such corp"}))),
    }
}

#[derive(Deserialize)]
struct ChatDataQuery {
    corpid: String,
    #[serde(default)]
    seq: i64,
    #[serde(default = "page")]
    limit: usize,
}

fn page() -> usize {
    100
}

/// The finance SDK's GetChatData, with each item already decrypted
/// (`message`): entries after `seq`, at most `limit` (≤ 1000).
async fn chatdata(State(sb): State<Sandbox>, axum::extract::Query(q): axum::extract::Query<ChatDataQuery>) -> Json<Value> {
    if q.limit == 0 || q.limit > 1000 {
        return Json(json!({"errcode": 10001, "errmsg": "limit must be 1-1000"}));
    }
    let items = sb.with_corp(&q.corpid, |c| {
        c.archive
            .iter()
            .enumerate()
            .skip(q.seq.max(0) as usize)
            .take(q.limit)
            .map(|(i, m)| json!({"seq": i as i64 + 1, "msgid": m["msgid"], "publickey_ver": 1, "message": m}))
            .collect::<Vec<_>>()
    });
    match items {
        Some(chatdata) => Json(json!({"errcode": 0, "errmsg": "ok", "chatdata": chatdata})),
        None => Json(json!({"errcode": 10000, "errmsg": "corpid not found"})),
    }
}
