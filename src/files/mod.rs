//! Uploaded files: follow-up attachments (CUS-6), the folder's images,
//! videos, voice and files (MAT-6), script attachments (MAT-3). Bytes go to
//! the [`FileStore`](crate::ports::file_store::FileStore) (a local directory
//! or an object store), metadata to the `files` table.
//!
//! Uploads arrive as GraphQL multipart requests (`uploadFile`) or as a plain
//! `POST /files`; either way the body is streamed to a temporary file, then
//! checked by kind ([`media`]) and streamed on to the store, never held whole
//! in memory. Downloads are `GET /files/{id}` with the caller's token, or a
//! signed link that expires ([`signed_url`]).

pub mod graphql;
pub mod http;
pub mod media;
pub mod wecom_media;

use std::io::{Read, Seek};

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ConnectionTrait};
use sha2::Digest;

pub use media::Kind;

use crate::{
    error::{AppError, AppResult, Msg},
    state::AppState,
    tenancy::Scope,
};
use entity::stored_file;

/// The largest upload of any kind (SPEC CUS-6 and MAT-3: files ≤ 20 MB).
pub const MAX_FILE_BYTES: usize = 20 * 1024 * 1024;
const NAME_REQUIRED: Msg = Msg::new("FILE_NAME_REQUIRED", "请提供文件名", "Give the file a name");
const NAME_INVALID: Msg = Msg::new(
    "FILE_NAME_INVALID",
    "文件名不超过200字，且不能包含控制字符",
    "File names are at most 200 characters, without control characters",
);
/// How much of the head sniffing reads (the longest signature `infer` needs is well within).
const HEAD_BYTES: usize = 8192;

/// What reading an upload found out.
struct Inspected {
    file: std::fs::File,
    size: u64,
    sha256: String,
    content_type: String,
    duration_secs: Option<i32>,
}

fn file_name(name: &str) -> AppResult<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::bad_input("name", NAME_REQUIRED));
    }
    // A name travels on in headers (downloads, WeCom's multipart): no line breaks.
    if name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(AppError::bad_input("name", NAME_INVALID));
    }
    Ok(name.to_string())
}

/// Size first (from the file's length), then one pass that hashes the
/// content and keeps its head for sniffing (and a voice file whole, ≤ 2 MB,
/// to time it). Blocking reads: run it off the async threads.
fn inspect(kind: Kind, mut file: std::fs::File) -> AppResult<Inspected> {
    let size = file.metadata().map_err(AppError::internal)?.len();
    media::check_size(kind, size)?;
    file.rewind().map_err(AppError::internal)?;
    let mut hasher = sha2::Sha256::new();
    let mut kept = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf).map_err(AppError::internal)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        if kind == Kind::Voice || kept.len() < HEAD_BYTES {
            kept.extend_from_slice(&buf[..n]);
        }
    }
    let content_type = media::check_type(kind, &kept[..kept.len().min(HEAD_BYTES)])?;
    let duration_secs = if kind == Kind::Voice { Some(media::check_voice_length(&kept)? as i32) } else { None };
    file.rewind().map_err(AppError::internal)?;
    Ok(Inspected { file, size, sha256: hex::encode(hasher.finalize()), content_type, duration_secs })
}

/// Checks an upload waiting in a temporary file against its kind's rules,
/// streams it to the store and records it.
pub async fn save_upload(app: &AppState, scope: &Scope, kind: Kind, name: &str, file: std::fs::File) -> AppResult<stored_file::Model> {
    let uploader = scope.employee_id().ok_or_else(AppError::forbidden)?;
    let name = file_name(name)?;
    let found = tokio::task::spawn_blocking(move || inspect(kind, file)).await.map_err(AppError::internal)??;
    let key = format!("{}/{}", scope.corp_id(), uuid::Uuid::new_v4().simple());
    app.files.put_file(&key, tokio::fs::File::from_std(found.file)).await.map_err(AppError::internal)?;
    let row = stored_file::ActiveModel {
        store_key: Set(key.clone()),
        name: Set(name),
        kind: Set(kind.as_str().into()),
        content_type: Set(found.content_type),
        size: Set(found.size as i64),
        sha256: Set(found.sha256),
        duration_secs: Set(found.duration_secs),
        uploaded_by: Set(uploader),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    recorded(app, scope, &key, row).await
}

/// Records a stored object; when that fails the object is removed again,
/// so no bytes stay behind without a row.
async fn recorded(app: &AppState, scope: &Scope, key: &str, row: stored_file::ActiveModel) -> AppResult<stored_file::Model> {
    let inserted = scope.insert(&app.db, row).await;
    if inserted.is_err() {
        if let Err(e) = app.files.delete(key).await {
            tracing::warn!(error = ?e, key, "an upload whose row failed could not be removed");
        }
    }
    inserted
}

/// Stores bytes the server made itself (an export, say) as a FILE.
pub async fn save(app: &AppState, scope: &Scope, name: &str, content_type: &str, bytes: &[u8]) -> AppResult<stored_file::Model> {
    let uploader = scope.employee_id().ok_or_else(AppError::forbidden)?;
    let name = file_name(name)?;
    media::check_size(Kind::File, bytes.len() as u64)?;
    let key = format!("{}/{}", scope.corp_id(), uuid::Uuid::new_v4().simple());
    app.files.put(&key, bytes).await.map_err(AppError::internal)?;
    let row = stored_file::ActiveModel {
        store_key: Set(key.clone()),
        name: Set(name),
        kind: Set(Kind::File.as_str().into()),
        content_type: Set(content_type.to_string()),
        size: Set(bytes.len() as i64),
        sha256: Set(hex::encode(sha2::Sha256::digest(bytes))),
        duration_secs: Set(None),
        uploaded_by: Set(uploader),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    recorded(app, scope, &key, row).await
}

/// Stores a file the server wrote itself (an export, an import's result),
/// streamed from disk, as a FILE.
pub async fn save_path(
    app: &AppState,
    scope: &Scope,
    name: &str,
    content_type: &str,
    path: &std::path::Path,
) -> AppResult<stored_file::Model> {
    let uploader = scope.employee_id().ok_or_else(AppError::forbidden)?;
    let name = file_name(name)?;
    let file = std::fs::File::open(path).map_err(AppError::internal)?;
    let (file, size, sha256) = tokio::task::spawn_blocking(move || -> AppResult<(std::fs::File, u64, String)> {
        let mut file = file;
        let mut hasher = sha2::Sha256::new();
        let size = std::io::copy(&mut file, &mut hasher).map_err(AppError::internal)?;
        file.rewind().map_err(AppError::internal)?;
        Ok((file, size, hex::encode(hasher.finalize())))
    })
    .await
    .map_err(AppError::internal)??;
    let key = format!("{}/{}", scope.corp_id(), uuid::Uuid::new_v4().simple());
    app.files.put_file(&key, tokio::fs::File::from_std(file)).await.map_err(AppError::internal)?;
    let row = stored_file::ActiveModel {
        store_key: Set(key.clone()),
        name: Set(name),
        kind: Set(Kind::File.as_str().into()),
        content_type: Set(content_type.to_string()),
        size: Set(size as i64),
        sha256: Set(sha256),
        duration_secs: Set(None),
        uploaded_by: Set(uploader),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    recorded(app, scope, &key, row).await
}

/// A stored file's bytes copied to a temporary file (removed when dropped),
/// for readers that need to seek (an XLSX is a ZIP archive).
pub async fn local_copy(app: &AppState, file: &stored_file::Model) -> AppResult<tempfile::NamedTempFile> {
    use futures_util::StreamExt;
    use tokio::io::AsyncWriteExt;
    let temp = tempfile::NamedTempFile::new().map_err(AppError::internal)?;
    let mut out = tokio::fs::File::from_std(temp.reopen().map_err(AppError::internal)?);
    let mut chunks = app.files.stream(&file.store_key).await.map_err(AppError::internal)?;
    while let Some(chunk) = chunks.next().await {
        out.write_all(&chunk.map_err(AppError::internal)?).await.map_err(AppError::internal)?;
    }
    out.flush().await.map_err(AppError::internal)?;
    Ok(temp)
}

/// Removes a file's row, then its bytes (a row that is still referenced
/// stays: the database refuses the delete and this answers its error).
pub async fn remove(app: &AppState, scope: &Scope, file: &stored_file::Model) -> AppResult<()> {
    const IN_USE: Msg = Msg::new("FILE_IN_USE", "文件仍在使用中", "The file is still in use");
    scope.delete_by_id::<stored_file::Entity>(&app.db, file.id, IN_USE).await?;
    if let Err(e) = app.files.delete(&file.store_key).await {
        tracing::warn!(error = ?e, key = %file.store_key, "a removed file's bytes stayed in the store");
    }
    Ok(())
}

/// Refuses (NOT_FOUND) a file an import or export of another employee
/// made or read: those hold whole customer lists and stay with their operator.
pub async fn not_anothers_transfer(db: &impl ConnectionTrait, scope: &Scope, file: &stored_file::Model) -> AppResult<()> {
    use sea_orm::{ColumnTrait, Condition, QueryFilter};
    let Some(me) = scope.employee_id() else { return Ok(()) };
    let held = scope
        .select::<entity::data_transfer::Entity>()
        .filter(
            Condition::any()
                .add(entity::data_transfer::Column::ResultFileId.eq(file.id))
                .add(entity::data_transfer::Column::SourceFileId.eq(file.id)),
        )
        .filter(entity::data_transfer::Column::OperatorId.ne(me))
        .one(db)
        .await?;
    match held {
        Some(_) => Err(AppError::not_found()),
        None => Ok(()),
    }
}

/// A file of the caller's corp that must be of `kind` (`field` names the argument).
pub async fn of_kind(db: &impl ConnectionTrait, scope: &Scope, id: i64, kind: Kind, field: &str) -> AppResult<stored_file::Model> {
    let found = scope.get::<stored_file::Entity>(db, id).await.map_err(|e| e.with_field(field))?;
    not_anothers_transfer(db, scope, &found).await.map_err(|e| e.with_field(field))?;
    if found.kind != kind.as_str() {
        return Err(AppError::bad_input(field, wrong_kind(kind)));
    }
    Ok(found)
}

fn wrong_kind(kind: Kind) -> Msg {
    let (zh, en) = match kind {
        Kind::Image => ("图片", "an image"),
        Kind::Voice => ("语音", "a voice file"),
        Kind::Video => ("视频", "a video"),
        Kind::File => ("文件", "a file"),
    };
    Msg::owned("FILE_KIND_MISMATCH", format!("请上传{zh}"), format!("Upload {en} here"))
}

const PURPOSE: &str = "file-download";

fn signed_message(corp_id: i64, file_id: i64, expires: i64) -> String {
    format!("{corp_id}\n{file_id}\n{expires}")
}

/// A download link anyone holding it may use until it expires
/// (`download_link_secs`), for pages and clients that cannot send a token.
pub fn signed_url(app: &AppState, corp_id: i64, file_id: i64) -> (String, DateTime<Utc>) {
    // At most a week, whatever is configured; whole seconds, as signed.
    let secs = app.config.download_link_secs.clamp(1, 7 * 24 * 3600);
    let at = app.clock.now().timestamp() + secs;
    let expires = DateTime::from_timestamp(at, 0).unwrap_or_default();
    let signature = app.master_key.sign(PURPOSE, &signed_message(corp_id, file_id, at));
    let url = format!("{}/files/{file_id}?corp={corp_id}&expires={at}&signature={signature}", app.config.public_base());
    (url, expires)
}

/// Whether a signed link to `file_id` is genuine and not yet expired.
pub fn link_valid(app: &AppState, corp_id: i64, file_id: i64, expires: i64, signature: &str) -> bool {
    expires >= app.clock.now().timestamp() && app.master_key.verify(PURPOSE, &signed_message(corp_id, file_id, expires), signature)
}
