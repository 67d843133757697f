use async_graphql::{Context, InputObject, Object, SimpleObject, ID};

use super::service;
use crate::{
    graphql::{
        connection::{id, parse_id},
        context::CtxExt,
        guard::Perm,
        DeletePayload,
    },
    org::permissions as perm,
};

#[derive(SimpleObject)]
pub struct CorpTag {
    pub id: ID,
    pub name: String,
    /// WeCom's tag id, once the tag exists in WeCom.
    pub wecom_id: Option<String>,
    /// Display colour "#RRGGBB" (local only).
    pub color: Option<String>,
    pub group_id: ID,
    /// May be renamed, moved or deleted: WeCom lets only the app that created
    /// a tag change it, so tags made in the WeCom console are read-only here
    /// (still usable for tagging customers).
    pub editable: bool,
}

#[derive(SimpleObject)]
pub struct CorpTagGroup {
    pub id: ID,
    pub name: String,
    pub wecom_id: Option<String>,
    /// May be renamed, moved or deleted (see `CorpTag.editable`).
    pub editable: bool,
    /// Mutually exclusive (互斥): a customer carries at most one tag of the
    /// group; tagging with another replaces it (the newest wins).
    pub exclusive: bool,
    /// In WeCom's order.
    pub tags: Vec<CorpTag>,
}

pub fn tag(t: entity::corp_tag::Model) -> CorpTag {
    let editable = service::editable(&t.wecom_tag_id, t.made_here);
    CorpTag { id: id(t.id), name: t.name, wecom_id: t.wecom_tag_id, color: t.color, group_id: id(t.group_id), editable }
}

fn group(g: entity::corp_tag_group::Model, tags: Vec<entity::corp_tag::Model>) -> CorpTagGroup {
    CorpTagGroup {
        id: id(g.id),
        name: g.name,
        editable: service::editable(&g.wecom_group_id, g.made_here),
        wecom_id: g.wecom_group_id,
        exclusive: g.exclusive,
        tags: tags.into_iter().map(tag).collect(),
    }
}

/// A group as just written, with its tags.
async fn with_tags(ctx: &Context<'_>, g: entity::corp_tag_group::Model) -> async_graphql::Result<CorpTagGroup> {
    let tags = service::groups(ctx.db(), ctx.scope()?).await?.into_iter().find(|(x, _)| x.id == g.id).map(|(_, t)| t).unwrap_or_default();
    Ok(group(g, tags))
}

#[derive(InputObject)]
pub struct CreateCorpTagGroupInput {
    /// 1–30 characters.
    pub name: String,
    /// At least one tag, each 1–30 characters.
    pub tags: Vec<String>,
    /// Mutually exclusive (互斥).
    #[graphql(default)]
    pub exclusive: bool,
}

#[derive(Default)]
pub struct CorpTagQuery;

#[Object]
impl CorpTagQuery {
    /// Every corp tag group with its tags (a corp has tens, not thousands: no paging).
    /// `keyword` keeps the tags whose name contains it, and the groups that
    /// still have one (the sidebar's tag search, SIDE-3). Open to those who
    /// manage tags and to those who tag customers.
    #[graphql(guard = "Perm(perm::TAG_CORP_VIEW).or(Perm(perm::CUSTOMER_TAG))")]
    async fn corp_tag_groups(&self, ctx: &Context<'_>, keyword: Option<String>) -> async_graphql::Result<Vec<CorpTagGroup>> {
        let groups = service::groups(ctx.db(), ctx.scope()?).await?;
        let keyword = keyword.map(|k| k.trim().to_string()).filter(|k| !k.is_empty());
        Ok(groups
            .into_iter()
            .filter_map(|(g, tags)| match &keyword {
                None => Some(group(g, tags)),
                Some(k) => {
                    let hits: Vec<_> = tags.into_iter().filter(|t| t.name.contains(k.as_str())).collect();
                    (!hits.is_empty()).then(|| group(g, hits))
                }
            })
            .collect())
    }
}

#[derive(Default)]
pub struct CorpTagMutation;

#[Object]
impl CorpTagMutation {
    /// Created in WeCom first when the corp is bound.
    #[graphql(guard = "Perm(perm::TAG_CORP_MANAGE)")]
    async fn create_corp_tag_group(&self, ctx: &Context<'_>, input: CreateCorpTagGroupInput) -> async_graphql::Result<CorpTagGroup> {
        let scope = ctx.scope()?;
        let link = crate::wecom_sync::link::link(ctx.state(), scope.corp_id()).await?;
        let g = service::create_group(ctx.db(), scope, link.as_ref(), &input.name, &input.tags, input.exclusive).await?;
        with_tags(ctx, g).await
    }

    #[graphql(guard = "Perm(perm::TAG_CORP_MANAGE)")]
    async fn rename_corp_tag_group(&self, ctx: &Context<'_>, id: ID, name: String) -> async_graphql::Result<CorpTagGroup> {
        let scope = ctx.scope()?;
        let link = crate::wecom_sync::link::link(ctx.state(), scope.corp_id()).await?;
        let g = service::rename_group(ctx.db(), scope, link.as_ref(), parse_id(&id, "id")?, &name).await?;
        with_tags(ctx, g).await
    }

    #[graphql(guard = "Perm(perm::TAG_CORP_MANAGE)")]
    async fn rename_corp_tag(&self, ctx: &Context<'_>, id: ID, name: String) -> async_graphql::Result<CorpTag> {
        let scope = ctx.scope()?;
        let link = crate::wecom_sync::link::link(ctx.state(), scope.corp_id()).await?;
        Ok(tag(service::rename_tag(ctx.db(), scope, link.as_ref(), parse_id(&id, "id")?, &name).await?))
    }

    /// Turns mutual exclusion on or off; it applies to tag writes from now on.
    #[graphql(guard = "Perm(perm::TAG_CORP_MANAGE)")]
    async fn set_corp_tag_group_exclusive(&self, ctx: &Context<'_>, id: ID, exclusive: bool) -> async_graphql::Result<CorpTagGroup> {
        let scope = ctx.scope()?;
        let g = service::set_exclusive(ctx.db(), scope, parse_id(&id, "id")?, exclusive).await?;
        with_tags(ctx, g).await
    }

    /// A new tag in an existing group (WeCom first when bound).
    #[graphql(guard = "Perm(perm::TAG_CORP_MANAGE)")]
    async fn create_corp_tag(
        &self,
        ctx: &Context<'_>,
        group_id: ID,
        name: String,
        color: Option<String>,
    ) -> async_graphql::Result<CorpTag> {
        let scope = ctx.scope()?;
        let link = crate::wecom_sync::link::link(ctx.state(), scope.corp_id()).await?;
        Ok(tag(service::create_tag(ctx.db(), scope, link.as_ref(), parse_id(&group_id, "groupId")?, &name, color).await?))
    }

    /// Moves a tag group to `position` (0-based); its tags move with it. Answers every group in the new order.
    #[graphql(guard = "Perm(perm::TAG_CORP_MANAGE)")]
    async fn move_corp_tag_group(&self, ctx: &Context<'_>, id: ID, position: i32) -> async_graphql::Result<Vec<CorpTagGroup>> {
        let scope = ctx.scope()?;
        let link = crate::wecom_sync::link::link(ctx.state(), scope.corp_id()).await?;
        service::move_group(ctx.db(), scope, link.as_ref(), parse_id(&id, "id")?, position.max(0) as usize).await?;
        Ok(service::groups(ctx.db(), scope).await?.into_iter().map(|(g, t)| group(g, t)).collect())
    }

    /// Moves a tag to `position` (0-based) within its group. Answers the group.
    #[graphql(guard = "Perm(perm::TAG_CORP_MANAGE)")]
    async fn move_corp_tag(&self, ctx: &Context<'_>, id: ID, position: i32) -> async_graphql::Result<CorpTagGroup> {
        let scope = ctx.scope()?;
        let link = crate::wecom_sync::link::link(ctx.state(), scope.corp_id()).await?;
        let tid = parse_id(&id, "id")?;
        service::move_tag(ctx.db(), scope, link.as_ref(), tid, position.max(0) as usize).await?;
        let t = scope.get::<entity::corp_tag::Entity>(ctx.db(), tid).await?;
        with_tags(ctx, scope.get::<entity::corp_tag_group::Entity>(ctx.db(), t.group_id).await?).await
    }

    /// Sets (or with null, clears) a tag's display colour "#RRGGBB".
    #[graphql(guard = "Perm(perm::TAG_CORP_MANAGE)")]
    async fn set_corp_tag_color(&self, ctx: &Context<'_>, id: ID, color: Option<String>) -> async_graphql::Result<CorpTag> {
        Ok(tag(service::set_color(ctx.db(), ctx.scope()?, parse_id(&id, "id")?, color).await?))
    }

    /// Refused while customers carry it: "该标签正在使用中，不支持删除".
    #[graphql(guard = "Perm(perm::TAG_CORP_MANAGE)")]
    async fn delete_corp_tag(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<DeletePayload> {
        let scope = ctx.scope()?;
        let link = crate::wecom_sync::link::link(ctx.state(), scope.corp_id()).await?;
        service::delete_tag(ctx.db(), scope, link.as_ref(), parse_id(&id, "id")?).await?;
        Ok(DeletePayload { id })
    }

    /// Refused while the group has tags: "请先移除标签组下标签再进行删除".
    #[graphql(guard = "Perm(perm::TAG_CORP_MANAGE)")]
    async fn delete_corp_tag_group(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<DeletePayload> {
        let scope = ctx.scope()?;
        let link = crate::wecom_sync::link::link(ctx.state(), scope.corp_id()).await?;
        service::delete_group(ctx.db(), scope, link.as_ref(), parse_id(&id, "id")?).await?;
        Ok(DeletePayload { id })
    }
}
