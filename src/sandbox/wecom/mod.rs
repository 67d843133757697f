//! WeCom's `/cgi-bin` endpoints, as the sandbox answers them: tokens and the
//! checks every call passes here, the endpoints in `directory` and `external`.

mod address_tags;
mod directory;
mod external;
pub(in crate::sandbox) mod gate;
mod media;
pub(in crate::sandbox) mod wire;

use std::collections::BTreeMap;

use axum::{
    body::Bytes,
    extract::{Query, State},
    http::{Method, Uri},
    routing::{get, post},
    Json, Router,
};
use chrono::Utc;
use serde_json::{json, Value};

use crate::sandbox::world::{Call, Sandbox, SandboxCorp, TokenInfo};
use gate::admit;
use wire::{err, ok};

pub fn router(sandbox: Sandbox) -> Router {
    Router::new()
        .route("/cgi-bin/gettoken", get(gettoken))
        .route("/cgi-bin/media/upload", post(media::upload).layer(axum::extract::DefaultBodyLimit::max(media::MAX_REQUEST_BYTES)))
        .merge(super::admin::router())
        .fallback(api)
        .with_state(sandbox)
}

/// Wrong secrets in an hour before `gettoken` blocks the IP. WeCom says
/// "repeated"; the number is not published (UNVERIFIED).
pub const WRONG_SECRETS_BEFORE_BLOCK: usize = 5;

async fn gettoken(State(sb): State<Sandbox>, Query(q): Query<BTreeMap<String, String>>) -> Json<Value> {
    let mut w = sb.lock_world();
    let corp_id = q.get("corpid").cloned().unwrap_or_default();
    let secret = q.get("corpsecret").cloned().unwrap_or_default();
    let now_secs = Utc::now().timestamp();
    let answer = match w.corps.get(&corp_id) {
        _ if w.gettoken_blocked_until > now_secs => err(45009, "api freq out of limit: ip blocked after repeated wrong secrets"),
        None => err(40013, "invalid corpid"),
        Some(c) => {
            let kind = if secret == c.secrets.contacts {
                Some("contacts")
            } else if secret == c.secrets.external {
                Some("external")
            } else if secret == c.secrets.agent {
                Some("agent")
            } else {
                None
            };
            match kind {
                None => err(40001, "invalid credential, access_token is invalid or not latest"),
                Some(kind) => {
                    let now = Utc::now();
                    // Within validity WeCom hands out the same token again.
                    let live =
                        w.tokens.iter().find(|(_, t)| t.corp_id == corp_id && t.kind == kind && !t.invalidated && t.expires_at > now);
                    let (token, expires_at) = match live {
                        Some((tok, t)) => (tok.clone(), t.expires_at),
                        None => {
                            w.token_counter += 1;
                            let tok = format!("sandbox-{kind}-{}-{}", w.token_counter, uuid::Uuid::new_v4().simple());
                            let expires_at = now + chrono::Duration::seconds(sb.token_ttl);
                            w.tokens.insert(tok.clone(), TokenInfo { corp_id: corp_id.clone(), kind, expires_at, invalidated: false });
                            (tok, expires_at)
                        }
                    };
                    ok(json!({"access_token": token, "expires_in": (expires_at - now).num_seconds().max(1)}))
                }
            }
        }
    };
    let errcode = answer["errcode"].as_i64().unwrap_or(0);
    let strict = w.corps.get(&corp_id).is_some_and(|c| c.strict.wrong_secret_block);
    if errcode == 40001 && strict {
        w.wrong_secrets.retain(|t| *t > now_secs - 3600);
        w.wrong_secrets.push(now_secs);
        if w.wrong_secrets.len() >= WRONG_SECRETS_BEFORE_BLOCK {
            w.gettoken_blocked_until = now_secs + 3600;
        }
    }
    let mut query = q.clone();
    query.remove("corpsecret");
    w.calls.push(Call { method: "GET".into(), path: "/cgi-bin/gettoken".into(), query, body: None, errcode });
    Json(answer)
}

/// Every other API path: record, apply injected limits, check the token, answer.
async fn api(State(sb): State<Sandbox>, method: Method, uri: Uri, Query(q): Query<BTreeMap<String, String>>, body: Bytes) -> Json<Value> {
    let path = uri.path().to_string();
    let body: Option<Value> = if body.is_empty() { None } else { serde_json::from_slice(&body).ok() };
    let mut w = sb.lock_world();
    let mut query = q.clone();
    let token = query.remove("access_token").unwrap_or_default();
    let answer = match admit(&mut w, &path, &token) {
        Err(refused) => refused,
        // A token names a corp that exists: corps are never removed.
        Ok((corp_id, kind)) => match w.corps.get_mut(&corp_id) {
            Some(corp) => handle(corp, kind, &method, &path, &q, body.as_ref()),
            None => err(40014, "invalid access_token"),
        },
    };
    let errcode = answer["errcode"].as_i64().unwrap_or(0);
    w.calls.push(Call { method: method.to_string(), path, query, body, errcode });
    Json(answer)
}

fn handle(corp: &mut SandboxCorp, kind: &str, method: &Method, path: &str, q: &BTreeMap<String, String>, body: Option<&Value>) -> Value {
    let answer = if path.starts_with("/cgi-bin/externalcontact/") {
        external::handle(corp, kind, method, path, q, body)
    } else if path.starts_with("/cgi-bin/tag/") {
        address_tags::handle(corp, kind, method, path, q, body)
    } else {
        directory::handle(corp, kind, method, path, q, body)
    };
    match answer {
        Ok(v) => ok(v),
        Err(e) => e,
    }
}
