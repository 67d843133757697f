//! Customer groups (GRP-1, GRP-2, GRP-4): the synced group chats, their
//! current and quit members, filtered within the caller's data scope (a group
//! is visible when its owner is in scope).

use async_graphql::{Context, InputObject, Object, ID};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, Condition, QueryFilter, QueryOrder, Select};

use super::{
    kit::crm_loader,
    objects::{CustomerGroup, GroupActivity, GroupTag, GroupTagGroup},
};
use crate::{
    customers::{
        graphql::loaders::{MemberCountOf, TagsOfGroup},
        group_activity, group_tags,
    },
    graphql::{
        connection::{connection, fetch_page, id, parse_id, parse_ids, Conn, Page},
        context::CtxExt,
        guard::Perm,
    },
    org::{graphql::loader as org_loader, graphql::loaders::EmployeeById, permissions as perm},
    tenancy::Scope,
};
use entity::{customer_group, customer_group_tag, group_tag, group_tag_group};

/// The group list's filter; conditions combine with AND.
#[derive(InputObject, Default)]
pub struct CustomerGroupFilter {
    /// Substring of the group name.
    pub name: Option<String>,
    #[graphql(default)]
    pub owner_ids: Vec<ID>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    /// Carrying any of these group tags.
    #[graphql(default)]
    pub tags_any: Vec<ID>,
    /// ACTIVE or INACTIVE by the activity rule.
    pub activity: Option<GroupActivity>,
    /// Include dismissed groups (default: only live ones).
    #[graphql(default)]
    pub include_dismissed: bool,
}

fn list(scope: &Scope, f: &CustomerGroupFilter) -> async_graphql::Result<Select<customer_group::Entity>> {
    let mut cond = Condition::all();
    if let Some(n) = f.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        cond = cond.add(customer_group::Column::Name.contains(n));
    }
    if !f.owner_ids.is_empty() {
        cond = cond.add(customer_group::Column::OwnerId.is_in(parse_ids(&f.owner_ids, "filter.ownerIds")?));
    }
    if let Some(t) = f.created_from {
        cond = cond.add(customer_group::Column::ChatCreatedAt.gte(t));
    }
    if let Some(t) = f.created_to {
        cond = cond.add(customer_group::Column::ChatCreatedAt.lte(t));
    }
    if !f.tags_any.is_empty() {
        let tagged = scope
            .subquery::<customer_group_tag::Entity>(customer_group_tag::Column::GroupId)
            .and_where(customer_group_tag::Column::TagId.is_in(parse_ids(&f.tags_any, "filter.tagsAny")?))
            .to_owned();
        cond = cond.add(customer_group::Column::Id.in_subquery(tagged));
    }
    if let Some(a) = f.activity {
        cond = cond.add(customer_group::Column::Activity.eq(a.as_str()));
    }
    if !f.include_dismissed {
        cond = cond.add(customer_group::Column::DismissedAt.is_null());
    }
    Ok(scope
        .select_visible::<customer_group::Entity>()
        .filter(cond)
        .order_by_desc(customer_group::Column::ChatCreatedAt)
        .order_by_desc(customer_group::Column::Id))
}

#[derive(Default)]
pub struct CustomerGroupQuery;

#[Object]
impl CustomerGroupQuery {
    /// Customer groups whose owner is in the caller's data scope, newest first.
    #[graphql(guard = "Perm(perm::GROUP_VIEW)", complexity = "crate::graphql::connection::page_cost(first, child_complexity)")]
    async fn customer_groups(
        &self,
        ctx: &Context<'_>,
        filter: Option<CustomerGroupFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<CustomerGroup>> {
        let page = Page::new(first, after)?;
        let select = list(ctx.scope()?, &filter.unwrap_or_default())?;
        let (rows, total) = fetch_page(ctx.db(), select, page).await?;
        let wanted = ctx.look_ahead().field("edges").field("node");
        if wanted.field("memberCount").exists() {
            crm_loader(ctx).load_many(rows.iter().map(|g| MemberCountOf(g.id))).await?;
        }
        if wanted.field("tags").exists() {
            crm_loader(ctx).load_many(rows.iter().map(|g| TagsOfGroup(g.id))).await?;
        }
        if wanted.field("owner").exists() {
            org_loader(ctx).load_many(rows.iter().filter_map(|g| g.owner_id).map(EmployeeById)).await?;
        }
        Ok(connection(page, total, rows.into_iter().map(CustomerGroup).collect()))
    }

    #[graphql(guard = "Perm(perm::GROUP_VIEW)")]
    async fn customer_group(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<CustomerGroup> {
        Ok(CustomerGroup(ctx.scope()?.get_visible::<customer_group::Entity>(ctx.db(), parse_id(&id, "id")?).await?))
    }
}

fn tag_group(g: group_tag_group::Model, tags: Vec<group_tag::Model>) -> GroupTagGroup {
    GroupTagGroup { id: id(g.id), name: g.name, exclusive: g.exclusive, tags: tags.into_iter().map(GroupTag).collect() }
}

async fn tag_group_of(ctx: &Context<'_>, g: group_tag_group::Model) -> async_graphql::Result<GroupTagGroup> {
    let tags =
        group_tags::groups(ctx.db(), ctx.scope()?).await?.into_iter().find(|(x, _)| x.id == g.id).map(|(_, t)| t).unwrap_or_default();
    Ok(tag_group(g, tags))
}

#[derive(async_graphql::InputObject)]
pub struct CreateGroupTagGroupInput {
    /// 1–30 characters.
    pub name: String,
    /// At least one tag, each 1–30 characters.
    pub tags: Vec<String>,
    #[graphql(default)]
    pub exclusive: bool,
}

#[derive(async_graphql::InputObject)]
pub struct TagCustomerGroupsInput {
    /// At most 100.
    pub group_ids: Vec<ID>,
    #[graphql(default)]
    pub add_tag_ids: Vec<ID>,
    #[graphql(default)]
    pub remove_tag_ids: Vec<ID>,
}

/// Group custom fields (GRP-4 "other info"); `null` clears a value.
#[derive(async_graphql::InputObject)]
pub struct UpdateCustomerGroupInput {
    pub id: ID,
    pub custom_fields: Vec<crate::custom_fields::graphql::CustomFieldValueInput>,
}

#[derive(Default)]
pub struct GroupTagQuery;

#[Object]
impl GroupTagQuery {
    /// The corp's group activity rule (the manual's example until one is set).
    #[graphql(guard = "Perm(perm::GROUP_VIEW)")]
    async fn group_activity_rule(&self, ctx: &Context<'_>) -> async_graphql::Result<group_activity::ActivityRule> {
        Ok(group_activity::rule(ctx.db(), ctx.scope()?).await?)
    }

    /// Every group tag group with its tags (tens, not thousands: no paging).
    #[graphql(guard = "Perm(perm::GROUP_VIEW)")]
    async fn group_tag_groups(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<GroupTagGroup>> {
        Ok(group_tags::groups(ctx.db(), ctx.scope()?).await?.into_iter().map(|(g, t)| tag_group(g, t)).collect())
    }
}

#[derive(Default)]
pub struct GroupTagMutation;

#[Object]
impl GroupTagMutation {
    #[graphql(guard = "Perm(perm::GROUP_TAG_MANAGE)")]
    async fn create_group_tag_group(&self, ctx: &Context<'_>, input: CreateGroupTagGroupInput) -> async_graphql::Result<GroupTagGroup> {
        let g = group_tags::create_group(ctx.db(), ctx.scope()?, &input.name, &input.tags, input.exclusive).await?;
        tag_group_of(ctx, g).await
    }

    /// Renames and/or switches mutual exclusion (it applies to later tag writes).
    #[graphql(guard = "Perm(perm::GROUP_TAG_MANAGE)")]
    async fn update_group_tag_group(
        &self,
        ctx: &Context<'_>,
        id: ID,
        name: Option<String>,
        exclusive: Option<bool>,
    ) -> async_graphql::Result<GroupTagGroup> {
        let g = group_tags::update_group(ctx.db(), ctx.scope()?, parse_id(&id, "id")?, name.as_deref(), exclusive).await?;
        tag_group_of(ctx, g).await
    }

    /// Refused while the group has tags: "请先移除标签组下标签再进行删除".
    #[graphql(guard = "Perm(perm::GROUP_TAG_MANAGE)")]
    async fn delete_group_tag_group(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<crate::graphql::DeletePayload> {
        group_tags::delete_group(ctx.db(), ctx.scope()?, parse_id(&id, "id")?).await?;
        Ok(crate::graphql::DeletePayload { id })
    }

    #[graphql(guard = "Perm(perm::GROUP_TAG_MANAGE)")]
    async fn create_group_tag(&self, ctx: &Context<'_>, tag_group_id: ID, name: String) -> async_graphql::Result<GroupTag> {
        Ok(GroupTag(group_tags::create_tag(ctx.db(), ctx.scope()?, parse_id(&tag_group_id, "tagGroupId")?, &name).await?))
    }

    #[graphql(guard = "Perm(perm::GROUP_TAG_MANAGE)")]
    async fn rename_group_tag(&self, ctx: &Context<'_>, id: ID, name: String) -> async_graphql::Result<GroupTag> {
        Ok(GroupTag(group_tags::rename_tag(ctx.db(), ctx.scope()?, parse_id(&id, "id")?, &name).await?))
    }

    /// Refused while a customer group carries it: "该标签正在使用中，不支持删除".
    #[graphql(guard = "Perm(perm::GROUP_TAG_MANAGE)")]
    async fn delete_group_tag(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<crate::graphql::DeletePayload> {
        group_tags::delete_tag(ctx.db(), ctx.scope()?, parse_id(&id, "id")?).await?;
        Ok(crate::graphql::DeletePayload { id })
    }

    /// Replaces the corp's group activity rule and relabels every group (a job; also runs daily).
    #[graphql(guard = "Perm(perm::GROUP_EDIT)")]
    async fn set_group_activity_rule(
        &self,
        ctx: &Context<'_>,
        input: group_activity::ActivityRule,
    ) -> async_graphql::Result<crate::jobs::graphql::Job> {
        let auth = ctx.auth()?;
        let txn = crate::db::write_txn(ctx.db()).await.map_err(crate::error::AppError::from)?;
        group_activity::set_rule(&txn, &auth.scope, &input).await?;
        let job = ctx
            .state()
            .jobs
            .enqueue::<group_activity::GroupActivityJob>(&txn, crate::jobs::NewJob::for_user(auth), &serde_json::json!({}))
            .await?;
        txn.commit().await.map_err(crate::error::AppError::from)?;
        Ok(crate::jobs::graphql::Job(job))
    }

    /// Edits a visible group's custom fields (the rest comes from WeCom).
    #[graphql(guard = "Perm(perm::GROUP_EDIT)")]
    async fn update_customer_group(&self, ctx: &Context<'_>, input: UpdateCustomerGroupInput) -> async_graphql::Result<CustomerGroup> {
        let scope = ctx.scope()?;
        let gid = parse_id(&input.id, "id")?;
        let values = crate::custom_fields::graphql::parse_values(&input.custom_fields)?;
        let txn = crate::db::write_txn(ctx.db()).await.map_err(crate::error::AppError::from)?;
        let g = scope.get_visible::<customer_group::Entity>(&txn, gid).await?;
        crate::custom_fields::service::write_values(&txn, scope, crate::custom_fields::FieldEntity::Group, gid, &values, false).await?;
        txn.commit().await.map_err(crate::error::AppError::from)?;
        Ok(CustomerGroup(g))
    }

    /// Adds and removes group tags on visible customer groups, all in one
    /// transaction. In a mutually exclusive tag group the newest tag wins.
    #[graphql(guard = "Perm(perm::GROUP_VIEW)")]
    async fn tag_customer_groups(&self, ctx: &Context<'_>, input: TagCustomerGroupsInput) -> async_graphql::Result<Vec<CustomerGroup>> {
        let scope = ctx.scope()?;
        let ids = parse_ids(&input.group_ids, "groupIds")?;
        group_tags::tag_groups(
            ctx.db(),
            scope,
            &ids,
            &parse_ids(&input.add_tag_ids, "addTagIds")?,
            &parse_ids(&input.remove_tag_ids, "removeTagIds")?,
        )
        .await?;
        let rows = scope
            .select_visible::<customer_group::Entity>()
            .filter(customer_group::Column::Id.is_in(ids))
            .all(ctx.db())
            .await
            .map_err(crate::error::AppError::from)?;
        Ok(rows.into_iter().map(CustomerGroup).collect())
    }
}
