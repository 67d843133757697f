//! The corp folder (MAT-6/7): uploaded images, videos (with a cover), voice
//! and files, mini programs and web links, filed in the folder's category
//! tree, searched by title, with a per-item radar switch (web links, files
//! and videos: what a customer opens in a browser).

use chrono::Utc;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, QueryFilter, QueryOrder, Select};

use super::{categories, Tree};
use crate::{
    error::{AppError, AppResult, Msg},
    files,
    tenancy::Scope,
};
use entity::folder_item;

pub const WEB_LINK: &str = "WEB_LINK";
pub const MINI_PROGRAM: &str = "MINI_PROGRAM";
pub const IMAGE: &str = "IMAGE";
pub const VIDEO: &str = "VIDEO";
pub const AUDIO: &str = "AUDIO";
pub const FILE: &str = "FILE";

/// The upload rules an uploaded kind's file must have passed.
pub fn file_kind(kind: &str) -> Option<files::Kind> {
    match kind {
        IMAGE => Some(files::Kind::Image),
        VIDEO => Some(files::Kind::Video),
        AUDIO => Some(files::Kind::Voice),
        FILE => Some(files::Kind::File),
        _ => None,
    }
}

/// Whether the radar can track the kind: its share is a link a customer opens.
pub fn trackable(kind: &str) -> bool {
    matches!(kind, WEB_LINK | FILE | VIDEO)
}

const TITLE_INVALID: Msg = Msg::new("FOLDER_TITLE_INVALID", "标题为1-64个字", "Titles are 1-64 characters");
const URL_INVALID: Msg =
    Msg::new("FOLDER_URL_INVALID", "请填写以http://或https://开头的链接", "Enter a URL starting with http:// or https://");
const MINI_PROGRAM_INVALID: Msg =
    Msg::new("FOLDER_MINI_PROGRAM_INVALID", "小程序需填写AppID和页面路径", "A mini program needs its AppID and page path");
const RADAR_LINKS_ONLY: Msg = Msg::new(
    "FOLDER_RADAR_LINKS_ONLY",
    "仅网页链接、文件和视频支持雷达追踪",
    "Only web links, files and videos can be tracked by the radar",
);
const FILE_REQUIRED: Msg = Msg::new("FOLDER_FILE_REQUIRED", "请先上传文件", "Upload the file first");

/// A new folder item as a client describes it.
#[derive(Clone, Debug, Default)]
pub struct NewItem {
    pub kind: &'static str,
    pub category_id: Option<i64>,
    pub title: String,
    pub description: String,
    pub url: Option<String>,
    pub appid: Option<String>,
    pub page_path: Option<String>,
    pub cover_url: Option<String>,
    /// IMAGE, VIDEO, AUDIO, FILE: the upload (`uploadFile` of the matching kind).
    pub file_id: Option<i64>,
    /// VIDEO: an uploaded cover image.
    pub cover_file_id: Option<i64>,
    pub radar_enabled: bool,
}

fn title(t: &str) -> AppResult<String> {
    let t = t.trim();
    if t.is_empty() || t.chars().count() > 64 {
        return Err(AppError::bad_input("title", TITLE_INVALID));
    }
    Ok(t.to_string())
}

fn http_url(raw: &str, field: &str) -> AppResult<String> {
    super::http_url(raw, field, URL_INVALID)
}

pub async fn create(db: &DatabaseConnection, scope: &Scope, n: NewItem) -> AppResult<folder_item::Model> {
    if n.radar_enabled && !trackable(n.kind) {
        return Err(AppError::bad_input("radarEnabled", RADAR_LINKS_ONLY));
    }
    let mut title_text = n.title.clone();
    let (mut file_id, mut cover_file_id) = (None, None);
    if let Some(kind) = file_kind(n.kind) {
        let id = n.file_id.ok_or_else(|| AppError::bad_input("fileId", FILE_REQUIRED))?;
        let file = files::of_kind(db, scope, id, kind, "fileId").await?;
        if title_text.trim().is_empty() {
            // An upload's title defaults to its file name.
            title_text = file.name.chars().take(64).collect();
        }
        file_id = Some(file.id);
        if let (VIDEO, Some(cover)) = (n.kind, n.cover_file_id) {
            cover_file_id = Some(files::of_kind(db, scope, cover, files::Kind::Image, "coverFileId").await?.id);
        }
    }
    let title = title(&title_text)?;
    let (url, appid, page_path) = match n.kind {
        MINI_PROGRAM => {
            let appid = n.appid.as_deref().map(str::trim).filter(|a| !a.is_empty());
            let path = n.page_path.as_deref().map(str::trim).filter(|p| !p.is_empty());
            let (Some(appid), Some(path)) = (appid, path) else { return Err(AppError::bad_input("appid", MINI_PROGRAM_INVALID)) };
            (None, Some(appid.to_string()), Some(path.to_string()))
        }
        WEB_LINK => (Some(http_url(n.url.as_deref().unwrap_or_default(), "url")?), None, None),
        _ => (None, None, None),
    };
    let cover_url = n.cover_url.as_deref().filter(|c| !c.trim().is_empty()).map(|c| http_url(c, "coverUrl")).transpose()?;
    let tree = Tree::folder();
    let txn = crate::db::write_txn(db).await?;
    let category = categories::file_under(&txn, scope, &tree, n.category_id).await?;
    let now = Utc::now();
    let item = scope
        .insert(
            &txn,
            folder_item::ActiveModel {
                category_id: Set(category.id),
                kind: Set(n.kind.into()),
                title: Set(title),
                description: Set(n.description.trim().chars().take(500).collect()),
                url: Set(url),
                appid: Set(appid),
                page_path: Set(page_path),
                cover_url: Set(cover_url),
                file_id: Set(file_id),
                cover_file_id: Set(cover_file_id),
                radar_enabled: Set(n.radar_enabled),
                view_count: Set(0),
                viewer_count: Set(0),
                created_by: Set(scope.employee_id()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            },
        )
        .await?;
    txn.commit().await?;
    Ok(item)
}

/// Renames, re-describes, moves or switches the radar; a web link's URL is
/// fixed once created (MAT-6).
pub async fn update(
    db: &DatabaseConnection,
    scope: &Scope,
    item: folder_item::Model,
    new_title: Option<&str>,
    category_id: Option<i64>,
    radar_enabled: Option<bool>,
) -> AppResult<folder_item::Model> {
    if radar_enabled == Some(true) && !trackable(&item.kind) {
        return Err(AppError::bad_input("radarEnabled", RADAR_LINKS_ONLY));
    }
    let mut am: folder_item::ActiveModel = item.into();
    if let Some(t) = new_title {
        am.title = Set(title(t)?);
    }
    if let Some(id) = category_id {
        am.category_id = Set(categories::in_tree(db, scope, &Tree::folder(), id).await?.id);
    }
    if let Some(on) = radar_enabled {
        am.radar_enabled = Set(on);
    }
    am.updated_at = Set(Utc::now());
    scope.update(db, am).await
}

/// Deleting an item deletes its shares and views (their timeline entries
/// stay); its uploaded file stays stored (script attachments may share it).
pub async fn delete(db: &DatabaseConnection, scope: &Scope, item: &folder_item::Model) -> AppResult<()> {
    scope.delete_many::<folder_item::Entity>().filter(folder_item::Column::Id.eq(item.id)).exec(db).await?;
    Ok(())
}

/// The folder's items, newest first, of a category and those below it, by title keyword.
pub async fn list(
    db: &DatabaseConnection,
    scope: &Scope,
    category_id: Option<i64>,
    keyword: Option<&str>,
) -> AppResult<Select<folder_item::Entity>> {
    let mut q = scope.select::<folder_item::Entity>();
    if let Some(id) = category_id {
        q = q.filter(folder_item::Column::CategoryId.is_in(categories::with_descendants(db, scope, &Tree::folder(), id).await?));
    }
    if let Some(k) = keyword.map(str::trim).filter(|k| !k.is_empty()) {
        q = q.filter(super::holds_keyword(folder_item::Column::Title, k));
    }
    Ok(q.order_by_desc(folder_item::Column::Id))
}

/// What the JS-SDK sends an uploaded item by when it is not a tracked link:
/// WeCom's media_id for its file, its media type and when the id expires.
pub async fn media_for_send(
    app: &crate::state::AppState,
    scope: &Scope,
    item: &folder_item::Model,
) -> AppResult<Option<(String, files::Kind, chrono::DateTime<Utc>)>> {
    let (Some(kind), Some(file_id)) = (file_kind(&item.kind), item.file_id) else { return Ok(None) };
    let file = files::of_kind(&app.db, scope, file_id, kind, "id").await?;
    let (media_id, expires_at) = files::wecom_media::media_id(app, scope, file, "id").await?;
    Ok(Some((media_id, kind, expires_at)))
}
