//! Marketing materials over GraphQL (thin: the rules are in
//! `materials::marketing`): the editor's list and mutations, and the
//! sidebar's share, which always hands out a tracked link.

use async_graphql::{ComplexObject, Context, Enum, InputObject, Json, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{
    category,
    loaders::{loader, AudienceOf, TagRulesOf},
    writable, MaterialCategory,
};
use crate::{
    graphql::{
        connection::{connection, fetch_page, Conn, Page},
        context::CtxExt,
        guard::LoggedIn,
        DeletePayload,
    },
    ids::{id, parse_id, parse_ids},
    materials::{
        categories,
        marketing::{self, Draft, Filter},
        tracking::{self, Material, Recipient},
        Tree,
    },
    org::permissions as perm,
};
use entity::{employee, marketing_material};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum MarketingKind {
    /// 文章.
    Article,
    /// 海报: a canvas personalised per sending employee.
    Poster,
    /// 宣传册.
    Brochure,
    /// 表单.
    Form,
}

impl MarketingKind {
    fn code(self) -> &'static str {
        match self {
            MarketingKind::Article => marketing::ARTICLE,
            MarketingKind::Poster => marketing::POSTER,
            MarketingKind::Brochure => marketing::BROCHURE,
            MarketingKind::Form => marketing::FORM,
        }
    }

    pub fn of(code: &str) -> MarketingKind {
        [MarketingKind::Article, MarketingKind::Poster, MarketingKind::Brochure]
            .into_iter()
            .find(|k| k.code() == code)
            .unwrap_or(MarketingKind::Form)
    }
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ArticleType {
    Normal,
    /// 转载: needs the original's `sourceUrl`.
    Reprint,
    /// An Official Account article by its URL (picking from a bound account comes with the OA integration).
    OfficialAccount,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum MarketingStatus {
    Unpublished,
    Published,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum TagTrigger {
    /// 进入页面.
    EnterPage,
    /// 页面停留15s以上 (within one visit).
    #[graphql(name = "STAY_OVER_15S")]
    StayOver15s,
    /// 浏览到页面底部.
    ScrollToBottom,
    /// 分享.
    Share,
}

const TRIGGERS: [(TagTrigger, &str); 4] = [
    (TagTrigger::EnterPage, "ENTER_PAGE"),
    (TagTrigger::StayOver15s, "STAY_OVER_15S"),
    (TagTrigger::ScrollToBottom, "SCROLL_TO_BOTTOM"),
    (TagTrigger::Share, "SHARE"),
];

/// Tags a material puts on its viewers when they do something (applied
/// through WeCom, once per viewer, material and trigger).
#[derive(SimpleObject, InputObject, Clone)]
#[graphql(input_name = "TagRuleInput")]
pub struct TagRule {
    pub trigger: TagTrigger,
    pub tag_ids: Vec<ID>,
}

/// A marketing material (MAT-8…12).
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct MarketingMaterial {
    pub id: ID,
    pub kind: MarketingKind,
    pub article_type: Option<ArticleType>,
    pub category_id: ID,
    pub title: String,
    pub summary: String,
    pub cover_url: Option<String>,
    /// The kind's body: an article's `{body}`, a poster's `{components}`
    /// (strings may hold `{{employee.name}}`, `{{employee.position}}`,
    /// `{{employee.mobile}}`, `{{employee.email}}`, `{{employee.avatar}}`), a
    /// brochure's `{pages}`, a form's `{components}` (each `{id, type, label,
    /// required, options}`; types TEXT, TEXTAREA, PHONE, NUMBER, DATE, SELECT, MULTI_SELECT).
    pub content: Json<Value>,
    pub source_url: Option<String>,
    pub jump_material_id: Option<ID>,
    pub status: MarketingStatus,
    /// Else only `departmentIds` (and below) and `employeeIds` may send it.
    pub visible_to_all: bool,
    /// Opens of its tracked links.
    pub view_count: i64,
    /// Distinct viewers.
    pub viewer_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
}

pub fn material(m: marketing_material::Model) -> MarketingMaterial {
    MarketingMaterial {
        id: id(m.id),
        kind: MarketingKind::of(&m.kind),
        article_type: m.article_type.as_deref().map(|t| match t {
            "REPRINT" => ArticleType::Reprint,
            "OFFICIAL_ACCOUNT" => ArticleType::OfficialAccount,
            _ => ArticleType::Normal,
        }),
        category_id: id(m.category_id),
        title: m.title,
        summary: m.summary,
        cover_url: m.cover_url,
        content: Json(serde_json::from_str(&m.content).unwrap_or(Value::Null)),
        source_url: m.source_url,
        jump_material_id: m.jump_material_id.map(id),
        status: if m.status == marketing::PUBLISHED { MarketingStatus::Published } else { MarketingStatus::Unpublished },
        visible_to_all: m.visible_to_all,
        view_count: m.view_count,
        viewer_count: m.viewer_count,
        created_at: m.created_at,
        updated_at: m.updated_at,
        published_at: m.published_at,
    }
}

#[ComplexObject]
impl MarketingMaterial {
    async fn department_ids(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ID>> {
        let rows = loader(ctx).load_one(AudienceOf(parse_id(&self.id, "id")?)).await?.unwrap_or_default();
        Ok(rows.iter().filter_map(|a| a.department_id).map(id).collect())
    }

    async fn employee_ids(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ID>> {
        let rows = loader(ctx).load_one(AudienceOf(parse_id(&self.id, "id")?)).await?.unwrap_or_default();
        Ok(rows.iter().filter_map(|a| a.employee_id).map(id).collect())
    }

    async fn tag_rules(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<TagRule>> {
        let rows = loader(ctx).load_one(TagRulesOf(parse_id(&self.id, "id")?)).await?.unwrap_or_default();
        let mut out: Vec<TagRule> = Vec::new();
        for (trigger, code) in TRIGGERS {
            let tag_ids: Vec<ID> = rows.iter().filter(|r| r.trigger == code).map(|r| id(r.corp_tag_id)).collect();
            if !tag_ids.is_empty() {
                out.push(TagRule { trigger, tag_ids });
            }
        }
        Ok(out)
    }
}

#[derive(InputObject)]
pub struct MarketingMaterialInput {
    /// Ignored by updates (a material keeps its kind).
    pub kind: MarketingKind,
    /// Articles only.
    pub article_type: Option<ArticleType>,
    /// 未分类 when omitted (updates: unchanged).
    pub category_id: Option<ID>,
    /// 1–64 characters.
    pub title: String,
    /// At most 200 characters.
    #[graphql(default)]
    pub summary: String,
    pub cover_url: Option<String>,
    /// See `MarketingMaterial.content`.
    pub content: Json<Value>,
    pub source_url: Option<String>,
    /// Articles: a form; posters and brochures: a form or an article.
    pub jump_material_id: Option<ID>,
    #[graphql(default = true)]
    pub visible_to_all: bool,
    #[graphql(default)]
    pub department_ids: Vec<ID>,
    #[graphql(default)]
    pub employee_ids: Vec<ID>,
    #[graphql(default)]
    pub tag_rules: Vec<TagRule>,
}

fn draft(i: MarketingMaterialInput) -> async_graphql::Result<Draft> {
    let mut tag_rules = Vec::new();
    for r in &i.tag_rules {
        let code = TRIGGERS.iter().find(|(t, _)| *t == r.trigger).map(|(_, c)| c.to_string()).unwrap_or_default();
        tag_rules.push((code, parse_ids(&r.tag_ids, "tagRules")?));
    }
    Ok(Draft {
        kind: i.kind.code(),
        article_type: i.article_type.map(|t| {
            match t {
                ArticleType::Normal => "NORMAL",
                ArticleType::Reprint => "REPRINT",
                ArticleType::OfficialAccount => "OFFICIAL_ACCOUNT",
            }
            .to_string()
        }),
        category_id: i.category_id.map(|c| parse_id(&c, "categoryId")).transpose()?,
        title: i.title,
        summary: i.summary,
        cover_url: i.cover_url,
        content: i.content.0,
        source_url: i.source_url,
        jump_material_id: i.jump_material_id.map(|j| parse_id(&j, "jumpMaterialId")).transpose()?,
        visible_to_all: i.visible_to_all,
        department_ids: parse_ids(&i.department_ids, "departmentIds")?,
        employee_ids: parse_ids(&i.employee_ids, "employeeIds")?,
        tag_rules,
    })
}

/// What the sidebar hands to the WeCom JS-SDK to send a marketing material
/// (`sendChatMessage` with `msgtype: news`).
#[derive(SimpleObject)]
pub struct SharedMarketingMaterial {
    pub material: MarketingMaterial,
    /// The tracked link, credited to the caller.
    pub url: String,
    pub title: String,
    pub description: String,
    pub cover_url: Option<String>,
    /// Posters: the canvas with the caller's fields filled in.
    pub personalised_content: Option<Json<Value>>,
}

fn manages(ctx: &Context<'_>) -> bool {
    ctx.auth().is_ok_and(|a| a.has(perm::MATERIAL_MARKETING_MANAGE))
}

#[derive(Default)]
pub struct MarketingQuery;

#[Object]
impl MarketingQuery {
    /// The marketing materials' category tree (its root and 未分类 are made on first use).
    #[graphql(guard = "LoggedIn")]
    async fn marketing_categories(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<MaterialCategory>> {
        Ok(categories::list(ctx.db(), ctx.scope()?, &Tree::marketing()).await?.into_iter().map(category).collect())
    }

    /// Newest first. Holders of `material.marketing.manage` see every
    /// material; others (and anyone asking `sendableOnly`) the published
    /// ones whose audience includes them. `keyword` matches the title or the creator's name.
    #[graphql(guard = "LoggedIn", complexity = "crate::graphql::connection::page_cost(first, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn marketing_materials(
        &self,
        ctx: &Context<'_>,
        kind: Option<MarketingKind>,
        status: Option<MarketingStatus>,
        category_id: Option<ID>,
        keyword: Option<String>,
        #[graphql(default)] sendable_only: bool,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<MarketingMaterial>> {
        let page = Page::new(first, after)?;
        let filter = Filter {
            kind: kind.map(MarketingKind::code),
            status: status.map(|s| if s == MarketingStatus::Published { marketing::PUBLISHED } else { marketing::UNPUBLISHED }),
            category_id: category_id.map(|c| parse_id(&c, "categoryId")).transpose()?,
            keyword: keyword.as_deref(),
            sendable_only,
        };
        let q = marketing::list(ctx.db(), ctx.scope()?, manages(ctx), filter).await?;
        let (rows, total) = fetch_page(ctx.db(), q, page).await?;
        Ok(connection(page, total, rows.into_iter().map(material).collect()))
    }

    #[graphql(guard = "LoggedIn")]
    async fn marketing_material(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<MarketingMaterial> {
        Ok(material(marketing::get(ctx.db(), ctx.scope()?, manages(ctx), parse_id(&id, "id")?).await?))
    }
}

#[derive(Default)]
pub struct MarketingMutation;

async fn editable(ctx: &Context<'_>, raw: &ID) -> async_graphql::Result<marketing_material::Model> {
    writable(ctx, &Tree::marketing())?;
    Ok(ctx.scope()?.get::<marketing_material::Entity>(ctx.db(), parse_id(raw, "id")?).await?)
}

#[Object]
impl MarketingMutation {
    /// A category of the marketing tree under `parentId` (the top when omitted).
    #[graphql(guard = "LoggedIn")]
    async fn create_marketing_category(
        &self,
        ctx: &Context<'_>,
        parent_id: Option<ID>,
        name: String,
    ) -> async_graphql::Result<MaterialCategory> {
        let tree = Tree::marketing();
        writable(ctx, &tree)?;
        let parent_id = parent_id.map(|p| parse_id(&p, "parentId")).transpose()?;
        Ok(category(categories::create(ctx.db(), ctx.scope()?, &tree, parent_id, &name).await?))
    }

    /// Saved UNPUBLISHED; `publishMarketingMaterial` makes it sendable.
    #[graphql(guard = "LoggedIn")]
    async fn create_marketing_material(
        &self,
        ctx: &Context<'_>,
        input: MarketingMaterialInput,
    ) -> async_graphql::Result<MarketingMaterial> {
        writable(ctx, &Tree::marketing())?;
        Ok(material(marketing::create(ctx.db(), ctx.scope()?, &draft(input)?).await?))
    }

    /// Replaces everything but the kind (and the status).
    #[graphql(guard = "LoggedIn")]
    async fn update_marketing_material(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: MarketingMaterialInput,
    ) -> async_graphql::Result<MarketingMaterial> {
        let found = editable(ctx, &id).await?;
        Ok(material(marketing::update(ctx.db(), ctx.scope()?, found, &draft(input)?).await?))
    }

    #[graphql(guard = "LoggedIn")]
    async fn publish_marketing_material(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<MarketingMaterial> {
        let found = editable(ctx, &id).await?;
        Ok(material(marketing::publish(ctx.db(), ctx.scope()?, found).await?))
    }

    /// 撤回 (articles, brochures and forms): unpublished again, and links
    /// already sent stop opening.
    #[graphql(guard = "LoggedIn")]
    async fn withdraw_marketing_material(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<MarketingMaterial> {
        let found = editable(ctx, &id).await?;
        Ok(material(marketing::withdraw(ctx.db(), ctx.scope()?, found).await?))
    }

    /// Its links, viewer records and form submissions go with it; timeline entries stay.
    #[graphql(guard = "LoggedIn")]
    async fn delete_marketing_material(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<DeletePayload> {
        let found = editable(ctx, &id).await?;
        marketing::delete(ctx.db(), ctx.scope()?, &found).await?;
        Ok(DeletePayload { id })
    }

    /// The sidebar sends a published material whose audience includes the
    /// caller to a customer or group the caller sees: a tracked link
    /// credited to the caller (SIDE-6, EMP-2), and for a poster its canvas
    /// personalised with the caller's fields (MAT-10).
    #[graphql(guard = "LoggedIn")]
    async fn share_marketing_material(
        &self,
        ctx: &Context<'_>,
        id: ID,
        customer_id: Option<ID>,
        group_id: Option<ID>,
    ) -> async_graphql::Result<SharedMarketingMaterial> {
        let (db, scope) = (ctx.db(), ctx.scope()?);
        let me = ctx.auth()?.employee_id;
        let m = marketing::sendable(db, scope, parse_id(&id, "id")?).await?;
        let to = Recipient {
            customer_id: customer_id.map(|c| parse_id(&c, "customerId")).transpose()?,
            group_id: group_id.map(|g| parse_id(&g, "groupId")).transpose()?,
            ..Default::default()
        };
        tracking::check_recipient(db, scope, &to).await?;
        let url = tracking::mint(db, scope, &ctx.state().config.public_base(), &Material::Marketing(m.clone()), me, to).await?;
        let personalised_content = if m.kind == marketing::POSTER {
            let sender = scope.get::<employee::Entity>(db, me).await?;
            Some(Json(marketing::personalise(&serde_json::from_str(&m.content).unwrap_or(Value::Null), &sender)))
        } else {
            None
        };
        Ok(SharedMarketingMaterial {
            url,
            title: m.title.clone(),
            description: m.summary.clone(),
            cover_url: m.cover_url.clone(),
            personalised_content,
            material: material(m),
        })
    }
}
