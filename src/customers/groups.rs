//! Customer groups (GRP-1, GRP-2, GRP-4): the synced group chats, their
//! current and quit members, filtered within the caller's data scope (a group
//! is visible when its owner is in scope).

use async_graphql::{Context, Enum, InputObject, Object, ID};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, Condition, QueryFilter, QueryOrder, Select};

use super::{
    follow_ups,
    graphql::{
        crm_loader,
        records::{BusinessRecord, WorkOrder},
        subject_page, Customer, FollowUp,
    },
    records, work_orders, Subject,
    loaders::{CustomerByExternalId, GroupFieldValues, MemberCountOf},
};
use crate::{
    custom_fields::graphql::CustomFieldValue,
    graphql::{
        connection::{connection, fetch_page, id, parse_id, parse_ids, Conn, Page},
        context::CtxExt,
        guard::Perm,
    },
    org::{graphql::employee::Employee, graphql::loader as org_loader, loaders::EmployeeById, permissions as perm},
    tenancy::Scope,
};
use entity::{customer_group, group_member};

/// The group list's filter; conditions combine with AND.
#[derive(InputObject, Default)]
pub struct CustomerGroupFilter {
    /// Substring of the group name.
    pub name: Option<String>,
    #[graphql(default)]
    pub owner_ids: Vec<ID>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
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
    if !f.include_dismissed {
        cond = cond.add(customer_group::Column::DismissedAt.is_null());
    }
    Ok(scope
        .select_visible::<customer_group::Entity>()
        .filter(cond)
        .order_by_desc(customer_group::Column::ChatCreatedAt)
        .order_by_desc(customer_group::Column::Id))
}

pub struct CustomerGroup(pub customer_group::Model);

#[Object]
impl CustomerGroup {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// WeCom's chat_id (copyable).
    async fn chat_id(&self) -> &str {
        &self.0.chat_id
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn owner(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Employee>> {
        let Some(owner) = self.0.owner_id else { return Ok(None) };
        Ok(org_loader(ctx).load_one(EmployeeById(owner)).await?.map(Employee))
    }
    async fn notice(&self) -> Option<&str> {
        self.0.notice.as_deref()
    }
    /// Current members, employees and customers.
    async fn member_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        Ok(crm_loader(ctx).load_one(MemberCountOf(self.0.id)).await?.unwrap_or(0))
    }
    /// Members, newest join first; `quit: true` lists those who left.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity")]
    async fn members(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] quit: bool,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<GroupMember>> {
        let page = Page::new(first, after)?;
        let mut q = ctx.scope()?.select::<group_member::Entity>().filter(group_member::Column::GroupId.eq(self.0.id));
        q = if quit { q.filter(group_member::Column::LeftAt.is_not_null()) } else { q.filter(group_member::Column::LeftAt.is_null()) };
        let q = q.order_by_desc(group_member::Column::JoinedAt).order_by_desc(group_member::Column::Id);
        let (rows, total) = fetch_page(ctx.db(), q, page).await?;
        if ctx.look_ahead().field("edges").field("node").field("customer").exists() {
            let externals = rows.iter().filter(|m| m.member_type == 2).map(|m| CustomerByExternalId(m.userid.clone()));
            crm_loader(ctx).load_many(externals).await?;
        }
        Ok(connection(page, total, rows.into_iter().map(GroupMember).collect()))
    }
    async fn custom_fields(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<CustomFieldValue>> {
        let values = crm_loader(ctx).load_one(GroupFieldValues(self.0.id)).await?.unwrap_or_default();
        Ok(values.into_iter().map(|(field, value)| CustomFieldValue { field, value }).collect())
    }
    /// Follow-up records, newest first.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity")]
    async fn follow_ups(&self, ctx: &Context<'_>, first: Option<i32>, after: Option<String>) -> async_graphql::Result<Conn<FollowUp>> {
        subject_page(ctx, follow_ups::of_subject(ctx.scope()?, Subject::Group, self.0.id), first, after, FollowUp).await
    }
    /// Business records, newest first.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity")]
    async fn business_records(&self, ctx: &Context<'_>, first: Option<i32>, after: Option<String>) -> async_graphql::Result<Conn<BusinessRecord>> {
        subject_page(ctx, records::of_subject(ctx.scope()?, Subject::Group, self.0.id), first, after, BusinessRecord).await
    }
    /// Work orders, newest first.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity")]
    async fn work_orders(&self, ctx: &Context<'_>, first: Option<i32>, after: Option<String>) -> async_graphql::Result<Conn<WorkOrder>> {
        subject_page(ctx, work_orders::of_subject(ctx.scope()?, Subject::Group, self.0.id), first, after, WorkOrder).await
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.chat_created_at
    }
    async fn dismissed_at(&self) -> Option<DateTime<Utc>> {
        self.0.dismissed_at
    }
    async fn last_contact_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_contact_at
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum JoinScene {
    /// 由成员邀请入群-直接邀请.
    InvitedDirectly,
    /// 通过邀请链接.
    InvitedByLink,
    /// 扫描群二维码.
    ScannedQr,
    Unknown,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum GroupMemberKind {
    Employee,
    Customer,
}

pub struct GroupMember(pub group_member::Model);

#[Object]
impl GroupMember {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// A member's userid, or a customer's external_userid.
    async fn userid(&self) -> &str {
        &self.0.userid
    }
    async fn kind(&self) -> GroupMemberKind {
        if self.0.member_type == 2 {
            GroupMemberKind::Customer
        } else {
            GroupMemberKind::Employee
        }
    }
    /// The name WeCom reports, or the group nickname.
    async fn name(&self) -> Option<&str> {
        self.0.name.as_deref().or(self.0.group_nickname.as_deref())
    }
    async fn join_scene(&self) -> JoinScene {
        match self.0.join_scene {
            1 => JoinScene::InvitedDirectly,
            2 => JoinScene::InvitedByLink,
            3 => JoinScene::ScannedQr,
            _ => JoinScene::Unknown,
        }
    }
    async fn joined_at(&self) -> DateTime<Utc> {
        self.0.joined_at
    }
    async fn left_at(&self) -> Option<DateTime<Utc>> {
        self.0.left_at
    }
    /// The customer record of a customer member, when the caller may see it.
    async fn customer(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Customer>> {
        if self.0.member_type != 2 {
            return Ok(None);
        }
        let c = crm_loader(ctx).load_one(CustomerByExternalId(self.0.userid.clone())).await?;
        Ok(c.map(Customer))
    }
}

#[derive(Default)]
pub struct CustomerGroupQuery;

#[Object]
impl CustomerGroupQuery {
    /// Customer groups whose owner is in the caller's data scope, newest first.
    #[graphql(guard = "Perm(perm::GROUP_VIEW)", complexity = "first.unwrap_or(20).max(0) as usize * child_complexity")]
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
