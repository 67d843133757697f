//! `POST /archive/{corp}/messages`: a corp that runs WeCom's finance SDK
//! itself feeds us the decrypted messages in the archive's JSON, as
//! `{"messages": [...]}` (at most 1000). The caller authenticates with the
//! corp's ingest key (`rotateArchiveIngestKey`) as a bearer token. The same
//! msgid sent again is counted as a duplicate, so a client can retry a batch.

use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::{settings::Document, state::AppState, tenancy::Scope};

/// The digest of the corp's ingest key (the key itself is shown once).
#[derive(Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct IngestKey {
    pub key_sha256: Option<String>,
}

impl Document for IngestKey {
    const KEY: &'static str = "archive_ingest_key";
}

pub fn digest(key: &str) -> String {
    hex::encode(<sha2::Sha256 as sha2::Digest>::digest(key.as_bytes()))
}

#[derive(Deserialize)]
pub struct Batch {
    messages: Vec<Value>,
}

fn refuse(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({"error": {"code": code, "message": message}}))).into_response()
}

pub async fn ingest(State(app): State<AppState>, Path(corp): Path<String>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let Some(token) = crate::auth::service::bearer(&headers) else {
        return refuse(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", "ingest key required");
    };
    let found = entity::corp::Entity::find().filter(entity::corp::Column::Code.eq(&corp)).one(&app.db).await;
    let corp = match found {
        Ok(Some(c)) => c,
        Ok(None) => return refuse(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", "unknown corp or key"),
        Err(e) => {
            tracing::error!(error = ?e, "ingest corp lookup failed");
            return refuse(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", "internal error");
        }
    };
    let scope = Scope::system(corp.id);
    let key: IngestKey = match crate::settings::get(&app.db, &scope).await {
        Ok(k) => k,
        Err(_) => return refuse(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", "internal error"),
    };
    if key.key_sha256.as_deref() != Some(digest(token).as_str()) {
        return refuse(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", "unknown corp or key");
    }
    let batch: Batch = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => return refuse(StatusCode::BAD_REQUEST, "BAD_USER_INPUT", &format!("expected {{\"messages\": [...]}}: {e}")),
    };
    match super::ingest::ingest(&app, &scope, batch.messages).await {
        Ok(out) => (StatusCode::OK, Json(json!(out))).into_response(),
        Err(e) if e.code == crate::error::Code::BadUserInput => refuse(StatusCode::BAD_REQUEST, "BAD_USER_INPUT", &e.msg.en),
        Err(e) => {
            tracing::error!(error = ?e.source, "archive ingest failed");
            refuse(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", "internal error")
        }
    }
}
