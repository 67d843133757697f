use async_graphql::{ComplexObject, Context, Enum, InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};

use super::{
    category,
    loaders::{loader, FileOf},
    writable, MaterialCategory,
};
use crate::{
    files::graphql::{UploadedFile, WecomMedia},
    graphql::{
        connection::{connection, fetch_page, id, parse_id, Conn, Page},
        context::CtxExt,
        guard::LoggedIn,
        DeletePayload,
    },
    materials::{categories, folder, tracking, Tree},
};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum FolderItemKind {
    Image,
    Video,
    Audio,
    File,
    MiniProgram,
    WebLink,
}

impl FolderItemKind {
    fn as_str(self) -> &'static str {
        match self {
            FolderItemKind::Image => folder::IMAGE,
            FolderItemKind::Video => folder::VIDEO,
            FolderItemKind::Audio => folder::AUDIO,
            FolderItemKind::File => folder::FILE,
            FolderItemKind::MiniProgram => folder::MINI_PROGRAM,
            FolderItemKind::WebLink => folder::WEB_LINK,
        }
    }

    fn of(kind: &str) -> FolderItemKind {
        [Self::Image, Self::Video, Self::Audio, Self::File, Self::MiniProgram]
            .into_iter()
            .find(|k| k.as_str() == kind)
            .unwrap_or(Self::WebLink)
    }
}

/// An item of the corp folder (MAT-6).
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct FolderItem {
    pub id: ID,
    pub kind: FolderItemKind,
    pub category_id: ID,
    pub title: String,
    pub description: String,
    /// A web link's target; fixed once created.
    pub url: Option<String>,
    pub appid: Option<String>,
    pub page_path: Option<String>,
    pub cover_url: Option<String>,
    /// Shared as a tracked link whose opens alert the radar (MAT-7).
    pub radar_enabled: bool,
    /// Opens of its tracked links.
    pub view_count: i64,
    /// Distinct viewers of its tracked links.
    pub viewer_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[graphql(skip)]
    pub file_id: Option<i64>,
    #[graphql(skip)]
    pub cover_file_id: Option<i64>,
}

#[ComplexObject]
impl FolderItem {
    /// IMAGE, VIDEO, AUDIO and FILE items: the uploaded file.
    async fn file(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<UploadedFile>> {
        load_file(ctx, self.file_id).await
    }
    /// A video's cover image.
    async fn cover(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<UploadedFile>> {
        load_file(ctx, self.cover_file_id).await
    }
}

pub async fn load_file(ctx: &Context<'_>, id: Option<i64>) -> async_graphql::Result<Option<UploadedFile>> {
    let Some(id) = id else { return Ok(None) };
    Ok(loader(ctx).load_one(FileOf(id)).await?.map(UploadedFile))
}

pub fn item(i: entity::folder_item::Model) -> FolderItem {
    FolderItem {
        id: id(i.id),
        kind: FolderItemKind::of(&i.kind),
        category_id: id(i.category_id),
        title: i.title,
        description: i.description,
        url: i.url,
        appid: i.appid,
        page_path: i.page_path,
        cover_url: i.cover_url,
        radar_enabled: i.radar_enabled,
        view_count: i.view_count,
        viewer_count: i.viewer_count,
        created_at: i.created_at,
        updated_at: i.updated_at,
        file_id: i.file_id,
        cover_file_id: i.cover_file_id,
    }
}

#[derive(InputObject)]
pub struct CreateFolderItemInput {
    pub kind: FolderItemKind,
    /// 未分类 when omitted.
    pub category_id: Option<ID>,
    /// 1–64 characters; an upload's defaults to its file name.
    #[graphql(default)]
    pub title: String,
    #[graphql(default)]
    pub description: String,
    /// WEB_LINK: the http(s) target.
    pub url: Option<String>,
    /// MINI_PROGRAM: its AppID and page path.
    pub appid: Option<String>,
    pub page_path: Option<String>,
    pub cover_url: Option<String>,
    /// IMAGE, VIDEO, AUDIO, FILE: an `uploadFile` of kind IMAGE, VIDEO,
    /// VOICE or FILE (the title defaults to the file's name).
    pub file_id: Option<ID>,
    /// VIDEO: an uploaded cover image.
    pub cover_file_id: Option<ID>,
    /// WEB_LINK, FILE and VIDEO: shared as tracked links.
    #[graphql(default)]
    pub radar_enabled: bool,
}

/// What the sidebar hands to the WeCom JS-SDK to send a folder item.
#[derive(SimpleObject)]
pub struct SharedMaterial {
    pub item: FolderItem,
    /// The link to send: a tracked `/r/…` link when the radar is on, else the
    /// item's own URL; `null` for a mini program (sent as a card) and an
    /// upload sent as media.
    pub url: Option<String>,
    pub tracked: bool,
    /// An image, voice, or an untracked video or file: what the JS-SDK sends
    /// it by (uploaded to WeCom on first send, reused for three days less a margin).
    pub media: Option<WecomMedia>,
}

#[derive(Default)]
pub struct FolderQuery;

#[Object]
impl FolderQuery {
    /// The corp folder's category tree (its root and 未分类 are made on first use).
    #[graphql(guard = "LoggedIn")]
    async fn folder_categories(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<MaterialCategory>> {
        Ok(categories::list(ctx.db(), ctx.scope()?, &Tree::folder()).await?.into_iter().map(category).collect())
    }

    /// The folder's items, newest first: of a category and those below it,
    /// with `keyword` in the title.
    #[graphql(guard = "LoggedIn", complexity = "crate::graphql::connection::page_cost(first, child_complexity)")]
    async fn folder_items(
        &self,
        ctx: &Context<'_>,
        category_id: Option<ID>,
        keyword: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<FolderItem>> {
        let page = Page::new(first, after)?;
        let category_id = category_id.map(|c| parse_id(&c, "categoryId")).transpose()?;
        let q = folder::list(ctx.db(), ctx.scope()?, category_id, keyword.as_deref()).await?;
        let (rows, total) = fetch_page(ctx.db(), q, page).await?;
        Ok(connection(page, total, rows.into_iter().map(item).collect()))
    }
}

#[derive(Default)]
pub struct FolderMutation;

#[Object]
impl FolderMutation {
    /// A category of the folder under `parentId` (the top when omitted).
    /// Rename, reorder and delete it with the `…MaterialCategory` mutations.
    #[graphql(guard = "LoggedIn")]
    async fn create_folder_category(
        &self,
        ctx: &Context<'_>,
        parent_id: Option<ID>,
        name: String,
    ) -> async_graphql::Result<MaterialCategory> {
        let tree = Tree::folder();
        writable(ctx, &tree)?;
        let parent_id = parent_id.map(|p| parse_id(&p, "parentId")).transpose()?;
        Ok(category(categories::create(ctx.db(), ctx.scope()?, &tree, parent_id, &name).await?))
    }

    #[graphql(guard = "LoggedIn")]
    async fn create_folder_item(&self, ctx: &Context<'_>, input: CreateFolderItemInput) -> async_graphql::Result<FolderItem> {
        writable(ctx, &Tree::folder())?;
        let new = folder::NewItem {
            kind: input.kind.as_str(),
            category_id: input.category_id.map(|c| parse_id(&c, "categoryId")).transpose()?,
            title: input.title,
            description: input.description,
            url: input.url,
            appid: input.appid,
            page_path: input.page_path,
            cover_url: input.cover_url,
            file_id: input.file_id.map(|f| parse_id(&f, "fileId")).transpose()?,
            cover_file_id: input.cover_file_id.map(|f| parse_id(&f, "coverFileId")).transpose()?,
            radar_enabled: input.radar_enabled,
        };
        Ok(item(folder::create(ctx.db(), ctx.scope()?, new).await?))
    }

    /// Renames, moves or switches the radar (a web link's URL stays as created).
    #[graphql(guard = "LoggedIn")]
    async fn update_folder_item(
        &self,
        ctx: &Context<'_>,
        id: ID,
        title: Option<String>,
        category_id: Option<ID>,
        radar_enabled: Option<bool>,
    ) -> async_graphql::Result<FolderItem> {
        writable(ctx, &Tree::folder())?;
        let scope = ctx.scope()?;
        let found = scope.get::<entity::folder_item::Entity>(ctx.db(), parse_id(&id, "id")?).await?;
        let category_id = category_id.map(|c| parse_id(&c, "categoryId")).transpose()?;
        Ok(item(folder::update(ctx.db(), scope, found, title.as_deref(), category_id, radar_enabled).await?))
    }

    /// Its shares and viewer records go with it; timeline entries stay.
    #[graphql(guard = "LoggedIn")]
    async fn delete_folder_item(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<DeletePayload> {
        writable(ctx, &Tree::folder())?;
        let scope = ctx.scope()?;
        let found = scope.get::<entity::folder_item::Entity>(ctx.db(), parse_id(&id, "id")?).await?;
        folder::delete(ctx.db(), scope, &found).await?;
        Ok(DeletePayload { id })
    }

    /// The sidebar sends a folder item to a customer or group the caller
    /// sees: with the radar on, a tracked link credited to the caller, whose
    /// opens reach the customer's timeline and the radar (SIDE-6, MAT-7).
    #[graphql(guard = "LoggedIn")]
    async fn share_folder_item(
        &self,
        ctx: &Context<'_>,
        id: ID,
        customer_id: Option<ID>,
        group_id: Option<ID>,
    ) -> async_graphql::Result<SharedMaterial> {
        let state = ctx.state();
        let base = state.config.public_base();
        let customer_id = customer_id.map(|c| parse_id(&c, "customerId")).transpose()?;
        let group_id = group_id.map(|g| parse_id(&g, "groupId")).transpose()?;
        let to = tracking::Recipient { customer_id, group_id, ..Default::default() };
        let scope = ctx.scope()?;
        let shared = tracking::share(ctx.db(), scope, &base, parse_id(&id, "id")?, to).await?;
        let media = match shared.tracked {
            true => None,
            false => folder::media_for_send(state, scope, &shared.item).await?.map(|(m, k, at)| WecomMedia::new(m, k, at)),
        };
        Ok(SharedMaterial { item: item(shared.item), url: shared.url, tracked: shared.tracked, media })
    }
}
