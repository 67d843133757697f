//! The GraphQL multipart request spec (what Apollo Client's and urql's
//! upload links send): an `operations` part (the request as JSON), a `map`
//! part (file part name → variable paths), then the files. Parsed here with
//! `multer` rather than async-graphql's reader so that the parts are bounded
//! as they arrive: `operations` and `map` to the JSON body limit, each file
//! to the largest upload, the files to a count, the whole body to one file's
//! worth; and each file is spooled to a temporary file without blocking a
//! runtime thread.

use std::collections::HashMap;

use async_graphql::{Request, UploadValue};
use axum::body::Body;
use multer::{Constraints, Multipart, SizeLimit};

use crate::files;

/// How many files one request may carry.
pub const MAX_FILES: usize = 10;
/// A whole multipart body: one largest file and the operations.
pub const MAX_BODY_BYTES: usize = files::MAX_FILE_BYTES + 1024 * 1024;

/// Why a multipart request was refused.
#[derive(Debug)]
pub enum Refusal {
    /// A file or the whole body past its limit.
    FileTooLarge,
    /// `operations` or `map` past the JSON body limit.
    RequestTooLarge,
    /// Not the spec's shape; says what.
    Malformed(String),
    /// The server could not spool a file.
    Internal(anyhow::Error),
}

fn refusal(e: multer::Error) -> Refusal {
    match e {
        multer::Error::FieldSizeExceeded { field_name, .. } if matches!(field_name.as_deref(), Some("operations" | "map")) => {
            Refusal::RequestTooLarge
        }
        multer::Error::FieldSizeExceeded { .. } | multer::Error::StreamSizeExceeded { .. } => Refusal::FileTooLarge,
        other => Refusal::Malformed(other.to_string()),
    }
}

/// The request a multipart body carries, its files attached to their variables.
pub async fn receive(content_type: &str, body: Body, json_limit: usize) -> Result<Request, Refusal> {
    let boundary = multer::parse_boundary(content_type).map_err(refusal)?;
    let limits = SizeLimit::new()
        .whole_stream(MAX_BODY_BYTES as u64)
        .per_field(files::MAX_FILE_BYTES as u64)
        .for_field("operations", json_limit as u64)
        .for_field("map", json_limit as u64);
    let mut form = Multipart::with_constraints(body.into_data_stream(), boundary, Constraints::new().size_limit(limits));
    let mut request: Option<Request> = None;
    let mut map: Option<HashMap<String, Vec<String>>> = None;
    let mut files_seen = 0;
    while let Some(field) = form.next_field().await.map_err(refusal)? {
        let name = field.name().unwrap_or_default().to_string();
        match name.as_str() {
            "operations" => {
                let bytes = field.bytes().await.map_err(refusal)?;
                let parsed = serde_json::from_slice::<Request>(&bytes)
                    .map_err(|e| Refusal::Malformed(format!("`operations` must be one GraphQL request: {e}")))?;
                request = Some(parsed);
            }
            "map" => {
                let bytes = field.bytes().await.map_err(refusal)?;
                let parsed = serde_json::from_slice(&bytes)
                    .map_err(|e| Refusal::Malformed(format!("`map` must map part names to variable paths: {e}")))?;
                map = Some(parsed);
            }
            _ => {
                let (Some(request), Some(map)) = (request.as_mut(), map.as_ref()) else {
                    return Err(Refusal::Malformed("`operations` and `map` come before the files".into()));
                };
                let Some(paths) = map.get(&name) else { return Err(Refusal::Malformed(format!("part `{name}` is not in `map`"))) };
                files_seen += 1;
                if files_seen > MAX_FILES {
                    return Err(Refusal::Malformed(format!("at most {MAX_FILES} files per request")));
                }
                let filename = field.file_name().unwrap_or_default().to_string();
                let content_type = field.content_type().map(|m| m.to_string());
                let file = files::http::spool(field).await.map_err(|e| match e.downcast::<multer::Error>() {
                    Ok(m) => refusal(m),
                    Err(other) => Refusal::Internal(other),
                })?;
                for path in paths {
                    let content = file.try_clone().map_err(|e| Refusal::Internal(e.into()))?;
                    request.set_upload(path, UploadValue { filename: filename.clone(), content_type: content_type.clone(), content });
                }
            }
        }
    }
    request.ok_or_else(|| Refusal::Malformed("missing `operations`".into()))
}
