//! The customer and group object types and what hangs off them: adders,
//! follow-ups, attachments, follow-up types, timeline entries, lost
//! relations, group members and group tags. One file, because customers,
//! groups and their records refer to each other.

use async_graphql::{Context, Enum, Json, Object, ID};
use chrono::{DateTime, Utc};
use entity::{
    customer, customer_event, customer_follow, customer_group, customer_loss, follow_up, follow_up_type, group_member, group_tag,
};
use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};

use super::records::{BusinessRecord, WorkOrder};

use super::kit::{crm_loader, employee, subject_page};
use crate::customers::{
    follow_ups::{self},
    graphql::loaders::{
        AddersOf, CustomerByExternalId, CustomerById, CustomerFieldValues, FileById, FollowUpTypeById, GroupFieldValues, LastFollowUpOf,
        MemberCountOf, TagsOfCustomer, TagsOfGroup,
    },
    records,
    recycle::LossType,
    service::{Status, KIND_WECOM},
    subjects::Subject,
    timeline::{self, EventKind},
    work_orders,
};
use crate::{
    corp_tags::graphql::{tag, CorpTag},
    custom_fields::graphql::CustomFieldValue,
    graphql::{
        connection::{connection, fetch_page, id, Conn, Page},
        context::CtxExt,
    },
    org::{
        graphql::loaders::EmployeeById,
        graphql::{creator_name, employee::Employee, loader as org_loader},
    },
};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum CustomerKind {
    /// A WeChat user (@微信).
    Wechat,
    /// A WeCom user of another corp (@企业微信).
    Wecom,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "CustomerGender")]
pub enum Gender {
    Unknown,
    Male,
    Female,
}

pub struct Customer(pub customer::Model);

#[async_graphql::ComplexObject]
impl super::profile::NetworkMember {
    /// The customer, when known and in the caller's data scope.
    async fn customer(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Customer>> {
        let Some(c) = self.customer_id else { return Ok(None) };
        Ok(crm_loader(ctx).load_one(CustomerById(c)).await?.map(Customer))
    }
}

#[Object]
impl Customer {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// WeCom's external_userid; the sidebar looks customers up by it.
    async fn external_user_id(&self) -> &str {
        &self.0.external_userid
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn avatar(&self) -> Option<&str> {
        self.0.avatar.as_deref()
    }
    async fn kind(&self) -> CustomerKind {
        if self.0.contact_type == KIND_WECOM {
            CustomerKind::Wecom
        } else {
            CustomerKind::Wechat
        }
    }
    async fn gender(&self) -> Gender {
        match self.0.gender {
            1 => Gender::Male,
            2 => Gender::Female,
            _ => Gender::Unknown,
        }
    }
    /// From WeCom, WeCom customers only; read-only.
    async fn position(&self) -> Option<&str> {
        self.0.position.as_deref()
    }
    /// The customer's corp as WeCom reports it (WeCom customers); read-only.
    async fn corp_name(&self) -> Option<&str> {
        self.0.corp_name.as_deref()
    }
    async fn corp_full_name(&self) -> Option<&str> {
        self.0.corp_full_name.as_deref()
    }
    /// Company name kept by staff (WeChat customers).
    async fn company_name(&self) -> Option<&str> {
        self.0.company_name.as_deref()
    }
    /// Staff-maintained; not synced to WeCom.
    async fn mobile(&self) -> Option<&str> {
        self.0.mobile.as_deref()
    }
    async fn channel(&self) -> Option<&str> {
        self.0.channel.as_deref()
    }
    async fn status(&self) -> Status {
        if self.0.adder_count > 0 {
            Status::Active
        } else {
            Status::Lost
        }
    }
    /// The first adder's remark (read-only, from WeCom).
    async fn remark(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        let adders = crm_loader(ctx).load_one(AddersOf(self.0.id)).await?.unwrap_or_default();
        Ok(adders.into_iter().next().and_then(|f| f.remark))
    }
    /// The owner (跟进人): one of the adders.
    async fn owner(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Employee>> {
        employee(ctx, self.0.owner_id).await
    }
    /// Every current adder, earliest first.
    async fn adders(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<CustomerAdder>> {
        Ok(crm_loader(ctx).load_one(AddersOf(self.0.id)).await?.unwrap_or_default().into_iter().map(CustomerAdder).collect())
    }
    /// The company (CRM-9) it belongs to: `company(id)`.
    async fn company_id(&self) -> Option<ID> {
        self.0.company_id.map(id)
    }
    async fn adder_count(&self) -> i32 {
        self.0.adder_count
    }
    /// Add time of the first adder.
    async fn added_at(&self) -> Option<DateTime<Utc>> {
        self.0.first_added_at
    }
    async fn last_contact_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_contact_at
    }
    /// The customer's last message in a single chat (chat archive).
    async fn last_customer_message_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_customer_message_at
    }
    /// An employee's last message to the customer in a single chat.
    async fn last_employee_message_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_employee_message_at
    }
    /// Messages the customer sent in single chats (archived ones).
    async fn customer_message_count(&self) -> i64 {
        self.0.customer_message_count
    }
    /// Kept by staff (`updateCustomer`).
    async fn birthday(&self) -> Option<chrono::NaiveDate> {
        self.0.birthday
    }
    /// Whole years since the birthday, on today's China date (what age conditions compare).
    async fn age(&self, ctx: &Context<'_>) -> Option<i64> {
        let today = crate::conditions::memory::today(ctx.state().clock.now());
        self.0.birthday.and_then(|b| today.years_since(b)).map(i64::from)
    }
    /// The WeChat unionid WeCom reports (when the corp's WeChat accounts share an open platform).
    async fn unionid(&self) -> Option<&str> {
        self.0.unionid.as_deref()
    }
    /// The same person as a fan of the corp's Official Accounts, linked by
    /// unionid (OA-6): per account, the openid and whether they still follow.
    #[graphql(guard = "crate::graphql::guard::Perm(crate::org::permissions::OA_VIEW)")]
    async fn official_account_follows(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<crate::official_accounts::graphql::OfficialAccountFan>> {
        crate::official_accounts::graphql::follows_of(ctx, self.0.unionid.as_deref()).await
    }
    /// Corp tags over all adders (WeCom's and the product's).
    async fn tags(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<CorpTag>> {
        Ok(crm_loader(ctx).load_one(TagsOfCustomer(self.0.id)).await?.unwrap_or_default().into_iter().map(tag).collect())
    }
    /// Values of enabled customer custom fields.
    async fn custom_fields(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<CustomFieldValue>> {
        let values = crm_loader(ctx).load_one(CustomerFieldValues(self.0.id)).await?.unwrap_or_default();
        Ok(values.into_iter().map(|(field, value)| CustomFieldValue { field, value }).collect())
    }
    async fn last_follow_up(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<FollowUp>> {
        Ok(crm_loader(ctx).load_one(LastFollowUpOf(self.0.id)).await?.map(FollowUp))
    }
    /// Follow-up records, newest first.
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, child_complexity)")]
    async fn follow_ups(&self, ctx: &Context<'_>, first: Option<i32>, after: Option<String>) -> async_graphql::Result<Conn<FollowUp>> {
        subject_page(ctx, follow_ups::of_subject(ctx.scope()?, Subject::Customer, self.0.id), first, after, FollowUp).await
    }
    /// The employee side's profile (EMP-5): activity, TA的人脉, forms.
    async fn profile(&self) -> super::profile::CustomerProfile {
        super::profile::CustomerProfile(self.0.id)
    }
    /// The timeline (客户动态), newest first; `kinds` narrows it.
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, child_complexity)")]
    async fn timeline(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] kinds: Vec<EventKind>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<CustomerEvent>> {
        let page = Page::new(first, after)?;
        let (rows, total) = fetch_page(ctx.db(), timeline::feed(ctx.scope()?, self.0.id, &kinds), page).await?;
        Ok(connection(page, total, rows.into_iter().map(CustomerEvent).collect()))
    }
    /// Business records (业务记录), newest first.
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, child_complexity)")]
    async fn business_records(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<BusinessRecord>> {
        subject_page(ctx, crate::customers::records::of_subject(ctx.scope()?, Subject::Customer, self.0.id), first, after, BusinessRecord)
            .await
    }
    /// Work orders (工单), newest first.
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, child_complexity)")]
    async fn work_orders(&self, ctx: &Context<'_>, first: Option<i32>, after: Option<String>) -> async_graphql::Result<Conn<WorkOrder>> {
        subject_page(ctx, crate::customers::work_orders::of_subject(ctx.scope()?, Subject::Customer, self.0.id), first, after, WorkOrder)
            .await
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// One employee's side of the friendship (添加人).
pub struct CustomerAdder(pub customer_follow::Model);

#[Object]
impl CustomerAdder {
    async fn employee(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Employee>> {
        employee(ctx, Some(self.0.employee_id)).await
    }
    /// The employee's remark for the customer (from WeCom, read-only).
    async fn remark(&self) -> Option<&str> {
        self.0.remark.as_deref()
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    async fn added_at(&self) -> DateTime<Utc> {
        self.0.added_at
    }
    /// WeCom's add_way number (e.g. 1 scanned a QR code, 3 searched a phone number).
    async fn add_way(&self) -> i32 {
        self.0.add_way
    }
    /// The live code's state, when added through one.
    async fn state(&self) -> Option<&str> {
        self.0.state.as_deref()
    }
}

pub struct FollowUp(pub follow_up::Model);

#[Object]
impl FollowUp {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn content(&self) -> &str {
        &self.0.content
    }
    async fn follow_up_type(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<FollowUpType>> {
        Ok(crm_loader(ctx).load_one(FollowUpTypeById(self.0.type_id)).await?.map(FollowUpType))
    }
    async fn author(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Employee>> {
        employee(ctx, Some(self.0.author_id)).await
    }
    /// Colleagues @-mentioned (notified when the record was written).
    async fn mentions(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Employee>> {
        let ids: Vec<i64> = serde_json::from_str(&self.0.mentions).unwrap_or_default();
        let found = org_loader(ctx).load_many(ids.iter().map(|i| EmployeeById(*i))).await?;
        Ok(ids.iter().filter_map(|i| found.get(&EmployeeById(*i)).cloned()).map(Employee).collect())
    }
    /// Files attached (each at most 20 MB); download from `url` with the same bearer token.
    async fn attachments(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Attachment>> {
        let ids: Vec<i64> = serde_json::from_str(&self.0.attachments).unwrap_or_default();
        let found = crm_loader(ctx).load_many(ids.iter().map(|i| FileById(*i))).await?;
        Ok(ids.iter().filter_map(|i| found.get(&FileById(*i)).cloned()).map(Attachment).collect())
    }
    /// When the author is reminded.
    async fn remind_at(&self) -> Option<DateTime<Utc>> {
        self.0.remind_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// An uploaded file.
pub struct Attachment(pub entity::stored_file::Model);

#[Object]
impl Attachment {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Bytes.
    async fn size(&self) -> i64 {
        self.0.size
    }
    async fn content_type(&self) -> &str {
        &self.0.content_type
    }
    /// Where to download it (relative to the server).
    async fn url(&self) -> String {
        format!("/files/{}", self.0.id)
    }
}

pub struct FollowUpType(pub follow_up_type::Model);

#[Object]
impl FollowUpType {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn sort(&self) -> i32 {
        self.0.sort
    }
    async fn enabled(&self) -> bool {
        self.0.enabled
    }
    /// The built-in "笔记", chosen when a record names no type.
    async fn is_default(&self) -> bool {
        self.0.is_default
    }
    async fn creator_name(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        creator_name(ctx, self.0.created_by).await
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

pub struct CustomerEvent(pub customer_event::Model);

#[Object]
impl CustomerEvent {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn kind(&self) -> Option<EventKind> {
        EventKind::parse(&self.0.kind)
    }
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }
    /// The employee involved (the adder, the author, who changed it).
    async fn employee(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Employee>> {
        employee(ctx, self.0.employee_id).await
    }
    /// The customer group involved, for group events.
    async fn group_id(&self) -> Option<ID> {
        self.0.group_id.map(id)
    }
    /// The kind's own fields (see `CustomerEventKind`).
    async fn payload(&self) -> Json<serde_json::Value> {
        Json(serde_json::from_str(&self.0.payload).unwrap_or_default())
    }
}

/// A recycle-bin row: one ended follow relation.
pub struct LostCustomer(pub customer_loss::Model);

#[Object]
impl LostCustomer {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// The full customer, while the caller may see it.
    async fn customer(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Customer>> {
        Ok(crm_loader(ctx).load_one(CustomerById(self.0.customer_id)).await?.map(Customer))
    }
    async fn customer_name(&self) -> &str {
        &self.0.customer_name
    }
    async fn mobile(&self) -> Option<&str> {
        self.0.customer_mobile.as_deref()
    }
    /// The employee whose relation ended.
    async fn adder(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Employee>> {
        employee(ctx, Some(self.0.employee_id)).await
    }
    async fn loss_type(&self) -> Option<LossType> {
        LossType::parse(&self.0.loss_type)
    }
    async fn lost_at(&self) -> DateTime<Utc> {
        self.0.lost_at
    }
    async fn added_at(&self) -> DateTime<Utc> {
        self.0.added_at
    }
    async fn last_contact_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_contact_at
    }
    /// Whole days the relation lasted.
    async fn added_days(&self) -> i64 {
        (self.0.lost_at - self.0.added_at).num_days().max(0)
    }
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
    /// ACTIVE or INACTIVE by the corp's activity rule; null until first evaluated.
    async fn activity(&self) -> Option<GroupActivity> {
        match self.0.activity.as_deref() {
            Some("ACTIVE") => Some(GroupActivity::Active),
            Some("INACTIVE") => Some(GroupActivity::Inactive),
            _ => None,
        }
    }
    async fn activity_evaluated_at(&self) -> Option<DateTime<Utc>> {
        self.0.activity_evaluated_at
    }
    /// Members the activity rule last counted as active customers; null until first evaluated.
    async fn active_customer_count(&self) -> Option<i32> {
        self.0.active_customer_count
    }
    /// Group tags (TAG-4).
    async fn tags(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<GroupTag>> {
        Ok(crm_loader(ctx).load_one(TagsOfGroup(self.0.id)).await?.unwrap_or_default().into_iter().map(GroupTag).collect())
    }
    /// Current members, employees and customers.
    async fn member_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        Ok(crm_loader(ctx).load_one(MemberCountOf(self.0.id)).await?.unwrap_or(0))
    }
    /// Members, newest join first; `quit: true` lists those who left.
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, child_complexity)")]
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
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, child_complexity)")]
    async fn follow_ups(&self, ctx: &Context<'_>, first: Option<i32>, after: Option<String>) -> async_graphql::Result<Conn<FollowUp>> {
        subject_page(ctx, follow_ups::of_subject(ctx.scope()?, Subject::Group, self.0.id), first, after, FollowUp).await
    }
    /// Business records, newest first.
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, child_complexity)")]
    async fn business_records(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<BusinessRecord>> {
        subject_page(ctx, records::of_subject(ctx.scope()?, Subject::Group, self.0.id), first, after, BusinessRecord).await
    }
    /// Work orders, newest first.
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, child_complexity)")]
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
pub enum GroupActivity {
    Active,
    Inactive,
}

impl GroupActivity {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupActivity::Active => "ACTIVE",
            GroupActivity::Inactive => "INACTIVE",
        }
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

pub struct GroupTag(pub group_tag::Model);

#[Object]
impl GroupTag {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn color(&self) -> Option<&str> {
        self.0.color.as_deref()
    }
    async fn tag_group_id(&self) -> ID {
        id(self.0.tag_group_id)
    }
}

#[derive(async_graphql::SimpleObject)]
pub struct GroupTagGroup {
    pub id: ID,
    pub name: String,
    /// At most one of its tags per customer group; tagging with another replaces it.
    pub exclusive: bool,
    pub tags: Vec<GroupTag>,
}
