//! `POST /files` (the body is the file) and `GET /files/{id}` (with the
//! caller's token, or a signed link's `expires` and `signature`). Both
//! stream: the upload through a temporary file, the download from the store.

use axum::{
    body::{Body, Bytes},
    extract::{Path, Query, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use futures_util::{Stream, StreamExt};
use serde::Deserialize;
use serde_json::json;
use tokio::io::AsyncWriteExt;

use super::Kind;
use crate::{
    auth,
    error::{AppError, Lang},
    state::AppState,
    tenancy::{Auth, Scope},
};
use entity::stored_file;

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

/// Writes a body to an unnamed temporary file (gone when dropped), chunk by chunk.
pub async fn spool<S, E>(mut body: S) -> anyhow::Result<std::fs::File>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: Into<anyhow::Error>,
{
    let file = tokio::task::spawn_blocking(tempfile::tempfile).await??;
    let mut out = tokio::fs::File::from_std(file);
    while let Some(chunk) = body.next().await {
        out.write_all(&chunk.map_err(Into::into)?).await?;
    }
    out.flush().await?;
    Ok(out.into_std().await)
}

/// `POST /files?name=…`: the body is the file (any format, at most 20 MB);
/// answers `{id, name, size, contentType}` with the sniffed type.
pub async fn upload(State(app): State<AppState>, headers: HeaderMap, Query(p): Query<UploadParams>, body: Body) -> Response {
    let (caller, lang) = caller(&app, &headers).await;
    let Some(auth) = caller else { return error_response(AppError::unauthenticated(), lang) };
    // The router's body limit ends an oversized stream: that is a 413.
    let file = match spool(body.into_data_stream()).await {
        Ok(f) => f,
        Err(e) if e.chain().any(|c| c.to_string().contains("length limit")) => {
            return error_response(AppError::bad_input("file", super::media::FILE_TOO_LARGE), lang)
        }
        Err(e) => return error_response(AppError::internal(e), lang),
    };
    match super::save_upload(&app, &auth.scope, Kind::File, &p.name, file).await {
        Ok(f) => {
            (StatusCode::CREATED, Json(json!({"id": f.id.to_string(), "name": f.name, "size": f.size, "contentType": f.content_type})))
                .into_response()
        }
        Err(e) => error_response(e, lang),
    }
}

#[derive(Deserialize)]
pub struct DownloadParams {
    corp: Option<i64>,
    expires: Option<i64>,
    signature: Option<String>,
}

/// `GET /files/{id}`: the file, for anyone logged in to the same corp, or
/// for anyone with an unexpired signed link to it; a `Range` request gets
/// that part (206).
pub async fn download(State(app): State<AppState>, headers: HeaderMap, Path(id): Path<i64>, Query(p): Query<DownloadParams>) -> Response {
    let (caller, lang) = caller(&app, &headers).await;
    let found = match (p.corp, p.expires, p.signature.as_deref(), caller) {
        (Some(corp), Some(expires), Some(signature), _) => {
            if !super::link_valid(&app, corp, id, expires, signature) {
                return error_response(AppError::forbidden(), lang);
            }
            Scope::system(corp).get::<stored_file::Entity>(&app.db, id).await
        }
        (_, _, _, Some(auth)) => match auth.scope.get::<stored_file::Entity>(&app.db, id).await {
            Ok(f) => super::not_anothers_transfer(&app.db, &auth.scope, &f).await.map(|_| f),
            Err(e) => Err(e),
        },
        _ => return error_response(AppError::unauthenticated(), lang),
    };
    let f = match found {
        Ok(f) => f,
        Err(e) => return error_response(e, lang),
    };
    // Images, voice and video open in place (a tracked video plays in WeChat's
    // browser, which asks for ranges); other files download.
    let disposition = if f.kind == super::Kind::File.as_str() { "attachment" } else { "inline" };
    let disposition = format!("{disposition}; filename*=UTF-8''{}", urlencode(&f.name));
    let size = u64::try_from(f.size).unwrap_or_default();
    let range = match headers.get(header::RANGE).and_then(|v| v.to_str().ok()).map(|r| byte_range(r, size)) {
        Some(Some(r)) => Some(r),
        Some(None) => {
            return (StatusCode::RANGE_NOT_SATISFIABLE, [(header::CONTENT_RANGE, format!("bytes */{size}"))]).into_response();
        }
        None => None,
    };
    let chunks = match range {
        Some((start, end)) => app.files.stream_range(&f.store_key, start, end).await,
        None => app.files.stream(&f.store_key).await,
    };
    let chunks = match chunks {
        Ok(c) => c,
        Err(e) => return error_response(AppError::internal(e), lang),
    };
    let mut response = (
        [
            (header::CONTENT_TYPE, f.content_type),
            (header::CONTENT_DISPOSITION, disposition),
            (header::ACCEPT_RANGES, "bytes".to_string()),
            // Served from the API's own origin: never let a browser run it.
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
            (header::CONTENT_SECURITY_POLICY, "sandbox".to_string()),
        ],
        Body::from_stream(chunks),
    )
        .into_response();
    let (length, partial) = match range {
        Some((start, end)) => (end - start, Some(format!("bytes {start}-{}/{size}", end - 1))),
        None => (size, None),
    };
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&length.to_string()) {
        headers.insert(header::CONTENT_LENGTH, v);
    }
    if let Some(v) = partial.and_then(|p| HeaderValue::from_str(&p).ok()) {
        headers.insert(header::CONTENT_RANGE, v);
        *response.status_mut() = StatusCode::PARTIAL_CONTENT;
    }
    response
}

/// One `bytes=` range of a file of `size` bytes as `start..end` (end
/// exclusive); `None` when it cannot be satisfied. Several ranges at once
/// are answered with the first.
fn byte_range(header: &str, size: u64) -> Option<(u64, u64)> {
    let spec = header.strip_prefix("bytes=")?.split(',').next()?.trim();
    let (from, to) = spec.split_once('-')?;
    let (start, end) = match (from.trim(), to.trim()) {
        ("", suffix) => {
            let n: u64 = suffix.parse().ok()?;
            (size.saturating_sub(n), size)
        }
        (from, "") => (from.parse().ok()?, size),
        (from, to) => (from.parse().ok()?, to.parse::<u64>().ok()?.saturating_add(1).min(size)),
    };
    (start < end && end <= size).then_some((start, end))
}

/// RFC 5987 percent-encoding of a file name.
fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-._~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::byte_range;

    #[test]
    fn ranges_are_read_as_rfc_9110_has_them() {
        assert_eq!(byte_range("bytes=0-99", 1000), Some((0, 100)));
        assert_eq!(byte_range("bytes=900-", 1000), Some((900, 1000)));
        assert_eq!(byte_range("bytes=-100", 1000), Some((900, 1000)));
        assert_eq!(byte_range("bytes=990-2000", 1000), Some((990, 1000)));
        assert_eq!(byte_range("bytes=0-0,5-9", 1000), Some((0, 1)));
        assert_eq!(byte_range("bytes=1000-", 1000), None);
        assert_eq!(byte_range("bytes=5-2", 1000), None);
        assert_eq!(byte_range("items=0-1", 1000), None);
    }
}
