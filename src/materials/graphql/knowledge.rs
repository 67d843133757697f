use async_graphql::{ComplexObject, Context, InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};

use super::{
    category,
    loaders::{loader, AttachmentsOf},
    writable, KindArg, LibraryArg, MaterialCategory,
};
use crate::{
    error::AppError,
    files::graphql::UploadedFile,
    graphql::{
        connection::{connection, fetch_page, id, parse_id, Conn, Page},
        context::CtxExt,
        guard::LoggedIn,
        DeletePayload,
    },
    materials::{categories, knowledge, Tree},
};

/// A knowledge-base entry (MAT-3/4/5).
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct KnowledgeItem {
    pub id: ID,
    pub library: LibraryArg,
    pub kind: KindArg,
    pub category_id: ID,
    /// A script's question names; a link's name (one); empty for a phrase.
    pub names: Vec<String>,
    pub similar_questions: Vec<String>,
    /// A script's answer, a phrase's text, a link's description.
    pub content: String,
    pub url: Option<String>,
    pub sort_index: f64,
    /// Times the sidebar sent it (`recordKnowledgeItemUse`).
    pub usage_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[graphql(skip)]
    pub row_id: i64,
}

#[ComplexObject]
impl KnowledgeItem {
    /// A script's attachments, in order.
    async fn attachments(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<UploadedFile>> {
        Ok(loader(ctx).load_one(AttachmentsOf(self.row_id)).await?.unwrap_or_default().into_iter().map(UploadedFile).collect())
    }
}

pub fn item(tree: &Tree, i: entity::knowledge_item::Model) -> KnowledgeItem {
    let list = |s: &str| serde_json::from_str::<Vec<String>>(s).unwrap_or_default();
    KnowledgeItem {
        id: id(i.id),
        library: tree.library().into(),
        kind: knowledge::kind_of(&i).into(),
        category_id: id(i.category_id),
        names: list(&i.names),
        similar_questions: list(&i.similar_questions),
        content: i.content,
        url: i.url,
        sort_index: i.sort_index,
        usage_count: i.usage_count,
        created_at: i.created_at,
        updated_at: i.updated_at,
        row_id: i.id,
    }
}

#[derive(InputObject)]
pub struct KnowledgeItemInput {
    /// The 未分类 category when omitted on create; unchanged when omitted on update.
    pub category_id: Option<ID>,
    /// Scripts: question names (at least one); links: the name (exactly one).
    #[graphql(default)]
    pub names: Vec<String>,
    #[graphql(default)]
    pub similar_questions: Vec<String>,
    /// Scripts: the answer (required, ≤ 300); phrases: the text (required, ≤ 300); links: a description.
    #[graphql(default)]
    pub content: String,
    /// Links only, http(s); fixed once created.
    pub url: Option<String>,
    /// Last in the tree when omitted on create.
    pub sort_index: Option<f64>,
    /// Scripts: files sent with the answer, in order, at most 9 (`uploadFile`
    /// ids: images, voice, videos, files). Omitted on update: unchanged.
    pub attachment_ids: Option<Vec<ID>>,
}

impl KnowledgeItemInput {
    fn draft(&self) -> async_graphql::Result<knowledge::Draft> {
        Ok(knowledge::Draft {
            category_id: self.category_id.as_ref().map(|c| parse_id(c, "categoryId")).transpose()?,
            names: self.names.clone(),
            similar_questions: self.similar_questions.clone(),
            content: self.content.clone(),
            url: self.url.clone(),
            sort_index: self.sort_index,
            attachment_ids: self
                .attachment_ids
                .as_ref()
                .map(|ids| ids.iter().map(|f| parse_id(f, "attachmentIds")).collect::<Result<Vec<_>, _>>())
                .transpose()?,
        })
    }
}

fn tree(ctx: &Context<'_>, library: LibraryArg, kind: KindArg) -> Result<Tree, AppError> {
    Tree::of(ctx.scope()?, library.into(), kind.into())
}

#[derive(Default)]
pub struct KnowledgeQuery;

#[Object]
impl KnowledgeQuery {
    /// One tree's categories (its root and 未分类 are made on first use).
    #[graphql(guard = "LoggedIn")]
    async fn material_categories(
        &self,
        ctx: &Context<'_>,
        library: LibraryArg,
        kind: KindArg,
    ) -> async_graphql::Result<Vec<MaterialCategory>> {
        let tree = tree(ctx, library, kind)?;
        Ok(categories::list(ctx.db(), ctx.scope()?, &tree).await?.into_iter().map(category).collect())
    }

    /// One tree's entries by sort index: of a category and those below it
    /// when `categoryId` is given, matching `keyword` in names, similar
    /// questions, content or URL.
    #[graphql(guard = "LoggedIn", complexity = "crate::graphql::connection::page_cost(first, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn knowledge_items(
        &self,
        ctx: &Context<'_>,
        library: LibraryArg,
        kind: KindArg,
        category_id: Option<ID>,
        keyword: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<KnowledgeItem>> {
        let page = Page::new(first, after)?;
        let tree = tree(ctx, library, kind)?;
        let category_id = category_id.map(|c| parse_id(&c, "categoryId")).transpose()?;
        let q = knowledge::list(ctx.db(), ctx.scope()?, &tree, category_id, keyword.as_deref()).await?;
        let (rows, total) = fetch_page(ctx.db(), q, page).await?;
        Ok(connection(page, total, rows.into_iter().map(|i| item(&tree, i)).collect()))
    }

    /// `null` when it does not exist or is another employee's personal entry.
    #[graphql(guard = "LoggedIn")]
    async fn knowledge_item(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<KnowledgeItem>> {
        match knowledge::get(ctx.db(), ctx.scope()?, parse_id(&id, "id")?).await {
            Ok((tree, i)) => Ok(Some(item(&tree, i))),
            Err(e) if e.code == crate::error::Code::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

#[derive(Default)]
pub struct KnowledgeMutation;

#[Object]
impl KnowledgeMutation {
    /// Under `parentId`, or at the top when omitted; at most 4 levels.
    #[graphql(guard = "LoggedIn")]
    async fn create_material_category(
        &self,
        ctx: &Context<'_>,
        library: LibraryArg,
        kind: KindArg,
        parent_id: Option<ID>,
        name: String,
    ) -> async_graphql::Result<MaterialCategory> {
        let tree = tree(ctx, library, kind)?;
        writable(ctx, &tree)?;
        let parent_id = parent_id.map(|p| parse_id(&p, "parentId")).transpose()?;
        Ok(category(categories::create(ctx.db(), ctx.scope()?, &tree, parent_id, &name).await?))
    }

    #[graphql(guard = "LoggedIn")]
    async fn rename_material_category(&self, ctx: &Context<'_>, id: ID, name: String) -> async_graphql::Result<MaterialCategory> {
        let (tree, c) = categories::tree_of(ctx.db(), ctx.scope()?, parse_id(&id, "id")?).await?;
        writable(ctx, &tree)?;
        Ok(category(categories::rename(ctx.db(), ctx.scope()?, c, &name).await?))
    }

    /// Reorders a category among its siblings.
    #[graphql(guard = "LoggedIn")]
    async fn set_material_category_sort_index(
        &self,
        ctx: &Context<'_>,
        id: ID,
        sort_index: f64,
    ) -> async_graphql::Result<MaterialCategory> {
        let (tree, c) = categories::tree_of(ctx.db(), ctx.scope()?, parse_id(&id, "id")?).await?;
        writable(ctx, &tree)?;
        Ok(category(categories::set_sort_index(ctx.db(), ctx.scope()?, c, sort_index).await?))
    }

    /// Refused while it has sub-categories or entries: "请先清除该分类下内容在进行删除".
    #[graphql(guard = "LoggedIn")]
    async fn delete_material_category(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<DeletePayload> {
        let (tree, c) = categories::tree_of(ctx.db(), ctx.scope()?, parse_id(&id, "id")?).await?;
        writable(ctx, &tree)?;
        categories::delete(ctx.db(), ctx.scope()?, c).await?;
        Ok(DeletePayload { id })
    }

    #[graphql(guard = "LoggedIn")]
    async fn create_knowledge_item(
        &self,
        ctx: &Context<'_>,
        library: LibraryArg,
        kind: KindArg,
        input: KnowledgeItemInput,
    ) -> async_graphql::Result<KnowledgeItem> {
        let tree = tree(ctx, library, kind)?;
        writable(ctx, &tree)?;
        Ok(item(&tree, knowledge::create(ctx.db(), ctx.scope()?, &tree, &input.draft()?).await?))
    }

    /// Replaces the entry's names, similar questions and content; moves it
    /// when `categoryId` or `sortIndex` is given.
    #[graphql(guard = "LoggedIn")]
    async fn update_knowledge_item(&self, ctx: &Context<'_>, id: ID, input: KnowledgeItemInput) -> async_graphql::Result<KnowledgeItem> {
        let (tree, i) = knowledge::get(ctx.db(), ctx.scope()?, parse_id(&id, "id")?).await?;
        writable(ctx, &tree)?;
        Ok(item(&tree, knowledge::update(ctx.db(), ctx.scope()?, &tree, i, &input.draft()?).await?))
    }

    #[graphql(guard = "LoggedIn")]
    async fn delete_knowledge_item(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<DeletePayload> {
        let (tree, i) = knowledge::get(ctx.db(), ctx.scope()?, parse_id(&id, "id")?).await?;
        writable(ctx, &tree)?;
        knowledge::delete(ctx.db(), ctx.scope()?, &i).await?;
        Ok(DeletePayload { id })
    }

    /// The sidebar sent the entry: its usage count goes up by one. Any
    /// employee who can see the entry may record a use.
    #[graphql(guard = "LoggedIn")]
    async fn record_knowledge_item_use(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<KnowledgeItem> {
        let (tree, i) = knowledge::get(ctx.db(), ctx.scope()?, parse_id(&id, "id")?).await?;
        Ok(item(&tree, knowledge::record_use(ctx.db(), ctx.scope()?, &i).await?))
    }
}
