//! `POST /cgi-bin/media/upload?type=…`: temporary media, as strict as WeCom
//! (WECHAT_API.md §1 media): the multipart field `media`; types image, voice,
//! video, file (40005 otherwise); more than 5 bytes (40006) and not empty
//! (44001); content of the type's format (40004: JPG/PNG, AMR, MP4); sizes
//! image ≤ 10 MB (40009), video ≤ 10 MB (40011), voice ≤ 2 MB and file
//! ≤ 20 MB (40006). A media_id lives three days.

use std::collections::BTreeMap;

use axum::{
    extract::{Multipart, Query, State},
    Json,
};
use chrono::Utc;
use serde_json::{json, Value};

use super::{
    gate::admit,
    wire::{err, ok},
};
use crate::sandbox::world::{Call, Sandbox};

const MB: usize = 1024 * 1024;
/// The largest request the endpoint reads (a 20 MB file and its envelope).
pub const MAX_REQUEST_BYTES: usize = 21 * MB;

/// The `media` part as received: file name, declared content type, bytes.
type MediaPart = (String, String, Vec<u8>);

async fn media_part(mut form: Multipart) -> Option<MediaPart> {
    while let Ok(Some(field)) = form.next_field().await {
        if field.name() == Some("media") {
            let name = field.file_name().unwrap_or_default().to_string();
            let declared = field.content_type().unwrap_or_default().to_string();
            return field.bytes().await.ok().map(|b| (name, declared, b.to_vec()));
        }
    }
    None
}

fn check(kind: &str, bytes: &[u8]) -> Result<(), Value> {
    let (limit, too_large, formats): (usize, i64, &[&str]) = match kind {
        "image" => (10 * MB, 40009, &["image/jpeg", "image/png"]),
        "voice" => (2 * MB, 40006, &["audio/amr"]),
        "video" => (10 * MB, 40011, &["video/mp4"]),
        "file" => (20 * MB, 40006, &[]),
        _ => return Err(err(40005, "invalid file type")),
    };
    if bytes.is_empty() {
        return Err(err(44001, "empty media data"));
    }
    if bytes.len() <= 5 {
        return Err(err(40006, "invalid file size"));
    }
    if bytes.len() > limit {
        return Err(err(too_large, "invalid file size"));
    }
    let sniffed = infer::get(bytes).map(|t| t.mime_type());
    if !formats.is_empty() && !sniffed.is_some_and(|m| formats.contains(&m)) {
        return Err(err(40004, "invalid media type"));
    }
    Ok(())
}

pub async fn upload(State(sb): State<Sandbox>, Query(q): Query<BTreeMap<String, String>>, form: Multipart) -> Json<Value> {
    let part = media_part(form).await;
    let mut w = sb.lock_world();
    let mut query = q.clone();
    let token = query.remove("access_token").unwrap_or_default();
    let kind = q.get("type").cloned().unwrap_or_default();
    let path = "/cgi-bin/media/upload";
    let answer = match admit(&mut w, path, &token) {
        Err(refused) => refused,
        Ok((corp_id, _)) => match (&part, w.corps.get_mut(&corp_id)) {
            (_, None) => err(40014, "invalid access_token"),
            (None, _) => err(44001, "empty media data"),
            (Some((name, _, bytes)), Some(corp)) => match check(&kind, bytes) {
                Err(refused) => refused,
                Ok(()) => {
                    let media_id = format!("sbm{}", uuid::Uuid::new_v4().simple());
                    let now = Utc::now().timestamp();
                    corp.media.insert(media_id.clone(), (kind.clone(), name.clone(), bytes.len(), now));
                    // The official example answers created_at as a string.
                    ok(json!({"type": kind, "media_id": media_id, "created_at": now.to_string()}))
                }
            },
        },
    };
    let errcode = answer["errcode"].as_i64().unwrap_or(0);
    let body =
        part.map(|(name, declared, bytes)| json!({"media": {"filename": name, "content_type": declared, "filelength": bytes.len()}}));
    w.calls.push(Call { method: "POST".into(), path: path.into(), query, body, errcode });
    Json(answer)
}
