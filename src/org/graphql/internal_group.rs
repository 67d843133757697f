use async_graphql::{Context, InputObject, Object, ID};
use chrono::{DateTime, Utc};
use entity::internal_group;

use super::{
    employee::{Employee, EmployeeFilter},
    loader,
};
use crate::{
    graphql::{
        connection::{connection, fetch_page, id, parse_id, Conn, Page},
        context::CtxExt,
        guard::Perm,
    },
    jobs::{graphql::Job, NewJob},
    org::{graphql::loaders::EmployeeById, internal_groups, permissions as perm},
};

pub struct InternalGroup(pub internal_group::Model);

#[Object]
impl InternalGroup {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// WeCom's chat id.
    async fn chat_id(&self) -> &str {
        &self.0.chat_id
    }
    async fn owner(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Employee>> {
        Ok(loader(ctx).load_one(EmployeeById(self.0.owner_id)).await?.map(Employee))
    }
    async fn member_count(&self) -> i32 {
        self.0.member_count
    }
    async fn members(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Employee>> {
        let ids: Vec<i64> = serde_json::from_str(&self.0.member_ids).unwrap_or_default();
        let found = loader(ctx).load_many(ids.iter().map(|i| EmployeeById(*i))).await?;
        Ok(ids.iter().filter_map(|i| found.get(&EmployeeById(*i)).cloned()).map(Employee).collect())
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(InputObject, Default)]
pub struct InternalGroupFilter {
    /// Substring of the name.
    pub name: Option<String>,
    pub owner_id: Option<ID>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
}

/// The entry message: text (≤ 300 characters), optionally an image and a video (WeCom media ids).
#[derive(InputObject)]
pub struct EntryMessageInput {
    pub text: String,
    pub image_media_id: Option<String>,
    pub video_media_id: Option<String>,
}

#[derive(InputObject)]
pub struct CreateInternalGroupsInput {
    pub name: String,
    /// Departments AND employee tags AND field conditions; at least one kind.
    pub filter: EmployeeFilter,
    /// 2–2000.
    #[graphql(default = 2000)]
    pub size_limit: i32,
    /// Past the limit, create `name1`, `name2`, … instead of refusing.
    #[graphql(default)]
    pub auto_split: bool,
    /// Owner of every group; a random member when omitted.
    pub owner_id: Option<ID>,
    pub entry_message: EntryMessageInput,
}

#[derive(Default)]
pub struct InternalGroupQuery;

#[Object]
impl InternalGroupQuery {
    /// Internal groups, newest first.
    #[graphql(guard = "Perm(perm::ORG_INTERNAL_GROUP_VIEW)", complexity = "crate::graphql::connection::page_cost(first, child_complexity)")]
    async fn internal_groups(
        &self,
        ctx: &Context<'_>,
        filter: Option<InternalGroupFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<InternalGroup>> {
        let page = Page::new(first, after)?;
        let f = filter.unwrap_or_default();
        let owner = f.owner_id.as_ref().map(|o| parse_id(o, "filter.ownerId")).transpose()?;
        let q = internal_groups::list(ctx.scope()?, f.name.as_deref(), owner, f.created_from, f.created_to);
        let (rows, total) = fetch_page(ctx.db(), q, page).await?;
        Ok(connection(page, total, rows.into_iter().map(InternalGroup).collect()))
    }
}

#[derive(Default)]
pub struct InternalGroupMutation;

#[Object]
impl InternalGroupMutation {
    /// Creates the group chats in WeCom as a background job (the result lists them).
    #[graphql(guard = "Perm(perm::ORG_INTERNAL_GROUP_MANAGE)")]
    async fn create_internal_groups(&self, ctx: &Context<'_>, input: CreateInternalGroupsInput) -> async_graphql::Result<Job> {
        let auth = ctx.auth()?;
        let req = internal_groups::CreateRequest {
            name: input.name,
            filter: input.filter.into_query()?,
            size_limit: input.size_limit.max(0) as usize,
            auto_split: input.auto_split,
            owner_id: input.owner_id.as_ref().map(|o| parse_id(o, "ownerId")).transpose()?,
            message: input.entry_message.text,
            image_media_id: input.entry_message.image_media_id,
            video_media_id: input.entry_message.video_media_id,
        };
        internal_groups::validate(&req)?;
        req.filter.condition(ctx.db(), &auth.scope).await?;
        let job = ctx.state().jobs.enqueue::<internal_groups::CreateInternalGroupsJob>(ctx.db(), NewJob::for_user(auth), &req).await?;
        Ok(Job(job))
    }
}
