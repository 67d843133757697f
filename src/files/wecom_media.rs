//! A stored file as WeCom media: the sidebar's JS-SDK sends images, voice,
//! videos and files by media_id, which `media/upload` hands out and which
//! lives three days. One upload serves every send until it is close to
//! expiring; the media_id is kept on the file.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, IntoActiveModel};

use super::Kind;
use crate::{
    error::{AppError, AppResult, Msg},
    integrations::wecom::media::MEDIA_LIFETIME,
    state::AppState,
    tenancy::Scope,
};
use entity::stored_file;

const NOT_BOUND: Msg = Msg::new("WECOM_SETUP_REQUIRED", "请先完成企业微信配置", "Bind the corp to WeCom first");

/// A media_id younger than this is reused: sending it must not race its expiry.
fn reusable_for() -> chrono::Duration {
    MEDIA_LIFETIME - chrono::Duration::hours(12)
}

/// A WeCom media_id for the file and when it expires, uploading the file
/// (through the client, from the store) when it has none still fresh.
/// `field` names the argument a refusal is about.
pub async fn media_id(app: &AppState, scope: &Scope, file: stored_file::Model, field: &str) -> AppResult<(String, DateTime<Utc>)> {
    let now = app.clock.now();
    if let (Some(id), Some(at)) = (&file.wecom_media_id, file.wecom_media_at) {
        if now - at < reusable_for() {
            return Ok((id.clone(), at + MEDIA_LIFETIME));
        }
    }
    let creds = crate::wecom_sync::binding::credentials(&app.db, &app.master_key, scope.corp_id())
        .await?
        .ok_or_else(|| AppError::bad_input(field, NOT_BOUND))?;
    let media_type = Kind::parse(&file.kind).unwrap_or(Kind::File).wecom_type();
    let bytes = app.files.get(&file.store_key).await.map_err(AppError::internal)?;
    let uploaded = app.wecom.media_upload(&creds, media_type, &file.name, &file.content_type, bytes.into()).await?;
    let mut am = file.into_active_model();
    am.wecom_media_id = Set(Some(uploaded.media_id.clone()));
    am.wecom_media_at = Set(Some(now));
    scope.update(&app.db, am).await?;
    Ok((uploaded.media_id, now + MEDIA_LIFETIME))
}
