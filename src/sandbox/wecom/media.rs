//! `POST /cgi-bin/media/upload?type=…`: temporary media, as strict as WeCom
//! (WECHAT_API.md §1 media): a multipart body whose field `media` names its
//! file (44001 otherwise); types image, voice, video, file (40005 otherwise);
//! more than 5 bytes (40006); content of the type's format (40004: JPG/PNG,
//! AMR, MP4); sizes image ≤ 10 MB (40009), video ≤ 10 MB (40011), voice
//! ≤ 2 MB and file ≤ 20 MB (40006; a body past 21 MB too); voice ≤ 60 s
//! (40006: WeCom states the limit, not its errcode). A media_id lives three days.

use std::collections::BTreeMap;

use axum::{
    extract::{multipart::MultipartRejection, Multipart, Query, State},
    Json,
};
use chrono::Utc;
use serde_json::{json, Value};

use super::{
    gate::admit,
    wire::{err, ok},
};
use crate::{
    integrations::wecom::media::amr_millis,
    sandbox::world::{Call, Sandbox},
};

const MB: usize = 1024 * 1024;
/// The largest request the endpoint reads (a 20 MB file and its envelope).
pub const MAX_REQUEST_BYTES: usize = 21 * MB;

/// The `media` part as received: file name, declared content type, bytes.
type MediaPart = (String, String, Vec<u8>);

/// The `media` part, or the errcode of what is wrong with the body.
async fn media_part(form: Result<Multipart, MultipartRejection>) -> Result<MediaPart, Value> {
    let mut form = form.map_err(|_| err(44001, "empty media data"))?;
    loop {
        match form.next_field().await {
            Ok(Some(field)) if field.name() == Some("media") => {
                let Some(name) = field.file_name().map(str::to_string).filter(|n| !n.is_empty()) else {
                    return Err(err(44001, "empty media data: the part needs a filename"));
                };
                let declared = field.content_type().unwrap_or_default().to_string();
                return match field.bytes().await {
                    Ok(b) => Ok((name, declared, b.to_vec())),
                    Err(_) => Err(err(40006, "invalid file size")),
                };
            }
            Ok(Some(_)) => continue,
            Ok(None) => return Err(err(44001, "empty media data")),
            Err(_) => return Err(err(40006, "invalid file size")),
        }
    }
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
    if kind == "voice" && amr_millis(bytes) > 60_000 {
        return Err(err(40006, "invalid file size: voice longer than 60 s"));
    }
    Ok(())
}

pub async fn upload(
    State(sb): State<Sandbox>,
    Query(q): Query<BTreeMap<String, String>>,
    form: Result<Multipart, MultipartRejection>,
) -> Json<Value> {
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
            (Err(refused), _) => refused.clone(),
            (Ok((name, _, bytes)), Some(corp)) => match check(&kind, bytes) {
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
        part.ok().map(|(name, declared, bytes)| json!({"media": {"filename": name, "content_type": declared, "filelength": bytes.len()}}));
    w.calls.push(Call { method: "POST".into(), path: path.into(), query, body, errcode });
    Json(answer)
}
