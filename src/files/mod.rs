//! Uploaded files (follow-up attachments, CUS-6). Bytes go to a [`FileStore`]
//! (a local directory by default; an object store can stand in), metadata to
//! the `files` table. Uploads are plain HTTP (`POST /files`, the body is the
//! file) so clients need no multipart GraphQL; GraphQL then refers to the id.

use axum::{
    body::Bytes,
    extract::{Path, Query, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use chrono::Utc;
use sea_orm::ActiveValue::Set;
use serde::Deserialize;
use serde_json::json;
use sha2::Digest;

use crate::{
    auth,
    error::{AppError, AppResult, Lang, Msg},
    state::AppState,
    tenancy::{Auth, Scope},
};
use entity::stored_file;

/// SPEC CUS-6: each attachment at most 20 MB.
pub const MAX_FILE_BYTES: usize = 20 * 1024 * 1024;
const TOO_LARGE: Msg = Msg::new("FILE_TOO_LARGE", "附件不能超过20MB", "Attachments must be at most 20 MB");
const EMPTY: Msg = Msg::new("FILE_EMPTY", "文件不能为空", "The file is empty");
const NAME_REQUIRED: Msg = Msg::new("FILE_NAME_REQUIRED", "请提供文件名", "Give the file a name");

/// Stores an upload and records it.
pub async fn save(app: &AppState, scope: &Scope, name: &str, content_type: &str, bytes: &[u8]) -> AppResult<stored_file::Model> {
    let uploader = scope.employee_id().ok_or_else(AppError::forbidden)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AppError::bad_input("name", NAME_REQUIRED));
    }
    if bytes.is_empty() {
        return Err(AppError::bad_input("file", EMPTY));
    }
    if bytes.len() > MAX_FILE_BYTES {
        return Err(AppError::bad_input("file", TOO_LARGE));
    }
    let key = format!("{}/{}", scope.corp_id(), uuid::Uuid::new_v4().simple());
    app.files.put(&key, bytes).await.map_err(AppError::internal)?;
    scope
        .insert(
            &app.db,
            stored_file::ActiveModel {
                store_key: Set(key),
                name: Set(name.to_string()),
                content_type: Set(content_type.to_string()),
                size: Set(bytes.len() as i64),
                sha256: Set(hex::encode(sha2::Sha256::digest(bytes))),
                uploaded_by: Set(uploader),
                created_at: Set(Utc::now()),
                ..Default::default()
            },
        )
        .await
}

#[derive(Deserialize)]
pub struct UploadParams {
    /// The file's name, e.g. `?name=报价单.pdf`.
    name: String,
}

fn error_response(e: AppError, lang: Lang) -> Response {
    let status = match e.code {
        crate::error::Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        crate::error::Code::Forbidden => StatusCode::FORBIDDEN,
        crate::error::Code::NotFound => StatusCode::NOT_FOUND,
        crate::error::Code::BadUserInput => StatusCode::BAD_REQUEST,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    if let Some(source) = &e.source {
        tracing::error!(error = ?source, "file request failed");
    }
    (status, Json(json!({"error": {"code": e.code.as_str(), "reason": e.msg.reason, "message": e.msg.text(lang), "field": e.field}})))
        .into_response()
}

/// The caller behind the request's bearer token, and the language it prefers.
async fn caller(app: &AppState, headers: &HeaderMap) -> (Option<Auth>, Lang) {
    let lang = Lang::from_accept_language(headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()));
    let Some(token) = auth::service::bearer(headers) else { return (None, lang) };
    match auth::service::authenticate(app, token).await {
        Ok(found) => (found, lang),
        Err(e) => {
            tracing::error!(error = ?e, "authentication lookup failed");
            (None, lang)
        }
    }
}

/// `POST /files?name=…`: the body is the file (any format, at most 20 MB);
/// answers `{id, name, size, contentType}`.
pub async fn upload(State(app): State<AppState>, headers: HeaderMap, Query(p): Query<UploadParams>, body: Bytes) -> Response {
    let (caller, lang) = caller(&app, &headers).await;
    let Some(auth) = caller else { return error_response(AppError::unauthenticated(), lang) };
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("application/octet-stream");
    match save(&app, &auth.scope, &p.name, content_type, &body).await {
        Ok(f) => {
            (StatusCode::CREATED, Json(json!({"id": f.id.to_string(), "name": f.name, "size": f.size, "contentType": f.content_type})))
                .into_response()
        }
        Err(e) => error_response(e, lang),
    }
}

/// `GET /files/{id}`: the file, for anyone logged in to the same corp.
pub async fn download(State(app): State<AppState>, headers: HeaderMap, Path(id): Path<i64>) -> Response {
    let (caller, lang) = caller(&app, &headers).await;
    let Some(auth) = caller else { return error_response(AppError::unauthenticated(), lang) };
    let f = match auth.scope.get::<stored_file::Entity>(&app.db, id).await {
        Ok(f) => f,
        Err(e) => return error_response(e, lang),
    };
    match app.files.get(&f.store_key).await {
        Ok(bytes) => {
            let disposition = format!("attachment; filename*=UTF-8''{}", urlencode(&f.name));
            ([(header::CONTENT_TYPE, f.content_type), (header::CONTENT_DISPOSITION, disposition)], bytes).into_response()
        }
        Err(e) => error_response(AppError::internal(e), lang),
    }
}

/// RFC 5987 percent-encoding of a file name.
fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-._~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}
