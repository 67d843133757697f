//! `uploadFile`, through the GraphQL multipart request spec (what Apollo
//! Client's upload link and urql send), and the `UploadedFile` type other
//! areas return for their files.

use async_graphql::{Context, Enum, Object, SimpleObject, Upload, ID};
use chrono::{DateTime, Utc};

use crate::{
    error::{AppError, Msg},
    files::{self, Kind},
    graphql::{
        connection::{id, parse_id},
        context::CtxExt,
        guard::LoggedIn,
    },
};
use entity::stored_file;

const UPLOAD_MISSING: Msg =
    Msg::new("UPLOAD_MISSING", "未收到文件，请以multipart请求上传", "No file arrived; send it as a multipart request");

/// What an upload is for; each kind has its own rules (MAT-3).
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum UploadKind {
    /// JPG or PNG, at most 2 MB.
    Image,
    /// AMR, at most 2 MB and 60 seconds.
    Voice,
    /// MP4, at most 10 MB.
    Video,
    /// Any type, at most 20 MB.
    File,
}

impl UploadKind {
    pub fn kind(self) -> Kind {
        match self {
            UploadKind::Image => Kind::Image,
            UploadKind::Voice => Kind::Voice,
            UploadKind::Video => Kind::Video,
            UploadKind::File => Kind::File,
        }
    }

    fn of(kind: &str) -> UploadKind {
        match Kind::parse(kind) {
            Some(Kind::Image) => UploadKind::Image,
            Some(Kind::Voice) => UploadKind::Voice,
            Some(Kind::Video) => UploadKind::Video,
            _ => UploadKind::File,
        }
    }
}

/// A stored file.
pub struct UploadedFile(pub stored_file::Model);

#[Object]
impl UploadedFile {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn kind(&self) -> UploadKind {
        UploadKind::of(&self.0.kind)
    }
    /// Sniffed from the content, not taken from the name.
    async fn content_type(&self) -> &str {
        &self.0.content_type
    }
    /// Bytes.
    async fn size(&self) -> i64 {
        self.0.size
    }
    /// A voice file's length in seconds.
    async fn duration_secs(&self) -> Option<i32> {
        self.0.duration_secs
    }
    /// Hex SHA-256 of the content.
    async fn sha256(&self) -> &str {
        &self.0.sha256
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// A link that downloads the file without a token until `downloadUrlExpiresAt`
    /// (`WECRM_DOWNLOAD_LINK_SECS`); `GET /files/{id}` with a token also works.
    async fn download_url(&self, ctx: &Context<'_>) -> String {
        files::signed_url(ctx.state(), self.0.corp_id, self.0.id).0
    }
    async fn download_url_expires_at(&self, ctx: &Context<'_>) -> DateTime<Utc> {
        files::signed_url(ctx.state(), self.0.corp_id, self.0.id).1
    }
}

/// What the WeCom JS-SDK sends a file by (`sendChatMessage` with
/// `image`/`voice`/`video`/`file` and this `mediaid`).
#[derive(SimpleObject)]
pub struct WecomMedia {
    pub media_id: String,
    pub kind: UploadKind,
    /// WeCom forgets a media id three days after the upload; ask again after this.
    pub expires_at: DateTime<Utc>,
}

impl WecomMedia {
    pub fn new(media_id: String, kind: Kind, expires_at: DateTime<Utc>) -> Self {
        WecomMedia { media_id, kind: UploadKind::of(kind.as_str()), expires_at }
    }
}

#[derive(Default)]
pub struct FilesMutation;

#[Object]
impl FilesMutation {
    /// Uploads one file as a multipart request (the GraphQL multipart
    /// request spec): its type is sniffed from the content and checked with
    /// its size against `kind`'s rules before anything is stored. Use the id
    /// in folder items, script attachments and follow-up records.
    #[graphql(guard = "LoggedIn")]
    async fn upload_file(&self, ctx: &Context<'_>, file: Upload, kind: UploadKind) -> async_graphql::Result<UploadedFile> {
        let upload = file.value(ctx).map_err(|_| AppError::bad_input("file", UPLOAD_MISSING))?;
        let stored = files::save_upload(ctx.state(), ctx.scope()?, kind.kind(), &upload.filename, upload.content).await?;
        Ok(UploadedFile(stored))
    }

    /// The file as WeCom media, for the sidebar to send with the JS-SDK (a
    /// script's attachments, say): uploaded to WeCom through its client on
    /// first use, then reused while the media id is fresh.
    #[graphql(guard = "LoggedIn")]
    async fn wecom_media(&self, ctx: &Context<'_>, file_id: ID) -> async_graphql::Result<WecomMedia> {
        let scope = ctx.scope()?;
        let file = scope.get::<stored_file::Entity>(ctx.db(), parse_id(&file_id, "fileId")?).await.map_err(|e| e.with_field("fileId"))?;
        let kind = Kind::parse(&file.kind).unwrap_or(Kind::File);
        let (media_id, expires_at) = files::wecom_media::media_id(ctx.state(), scope, file, "fileId").await?;
        Ok(WecomMedia::new(media_id, kind, expires_at))
    }
}
