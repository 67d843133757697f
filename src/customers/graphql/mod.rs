//! GraphQL surface of customers: thin types over the services.

use async_graphql::{
    dataloader::{DataLoader, HashMapCache},
    Context, Enum, InputObject, Json, MaybeUndefined, Object, SimpleObject, ID,
};
use chrono::{DateTime, Utc};
use entity::{customer, customer_event, customer_follow, customer_loss, follow_up, follow_up_type};

use records::{BusinessRecord, WorkOrder};

use super::{
    customer_tagging,
    follow_ups::{self, NewFollowUp},
    loaders::{AddersOf, CrmLoader, CustomerById, CustomerFieldValues, FileById, FollowUpTypeById, LastFollowUpOf, TagsOfCustomer},
    recycle::{self, LossQuery, LossType},
    service::{self, CustomerEdit, CustomerOrder, CustomerQuery, Status, KIND_WECOM},
    subjects::Subject,
    timeline::{self, EventKind},
    transfer,
};
use crate::{
    corp_tags::graphql::{tag, CorpTag},
    custom_fields::{
        graphql::{parse_values, CustomFieldValue, CustomFieldValueInput},
        FieldCondition,
    },
    error::AppError,
    graphql::{
        connection::{connection, fetch_page, id, maybe, parse_id, parse_ids, Conn, Page},
        context::CtxExt,
        guard::{LoggedIn, Perm},
        DeletePayload,
    },
    org::{
        graphql::{creator_name, employee::Employee, loader as org_loader},
        loaders::EmployeeById,
        permissions as perm,
    },
};

pub type CrmDataLoader = DataLoader<CrmLoader, HashMapCache>;

pub fn crm_loader<'a>(ctx: &'a Context<'_>) -> &'a CrmDataLoader {
    ctx.data_unchecked::<CrmDataLoader>()
}

/// Loads the customers (and their owners) and groups a page links to in one
/// batch each, so the page's statements stay fixed however the executor
/// walks it. `node` is the look-ahead of one list item.
pub async fn prefetch_links(
    ctx: &Context<'_>,
    node: async_graphql::Lookahead<'_>,
    links: impl Iterator<Item = (Option<i64>, Option<i64>)>,
) -> async_graphql::Result<()> {
    let (cs, gs): (Vec<_>, Vec<_>) = links.unzip();
    let l = crm_loader(ctx);
    if node.field("customer").exists() {
        let found = l.load_many(cs.into_iter().flatten().map(CustomerById)).await?;
        if node.field("customer").field("owner").exists() {
            let owners = found.values().filter_map(|c| c.owner_id).map(EmployeeById);
            org_loader(ctx).load_many(owners).await?;
        }
    }
    if node.field("group").exists() {
        l.load_many(gs.into_iter().flatten().map(super::loaders::GroupById)).await?;
    }
    Ok(())
}

pub mod groups;
pub mod inheritance;
pub mod records;

pub(crate) async fn employee(ctx: &Context<'_>, id: Option<i64>) -> async_graphql::Result<Option<Employee>> {
    let Some(id) = id else { return Ok(None) };
    Ok(org_loader(ctx).load_one(EmployeeById(id)).await?.map(Employee))
}

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
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity")]
    async fn follow_ups(&self, ctx: &Context<'_>, first: Option<i32>, after: Option<String>) -> async_graphql::Result<Conn<FollowUp>> {
        subject_page(ctx, follow_ups::of_subject(ctx.scope()?, Subject::Customer, self.0.id), first, after, FollowUp).await
    }
    /// The timeline (客户动态), newest first; `kinds` narrows it.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity")]
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
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity")]
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
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity")]
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

/// One page of a customer's or group's records, follow-ups or work orders.
pub(crate) async fn subject_page<E, T>(
    ctx: &Context<'_>,
    select: sea_orm::Select<E>,
    first: Option<i32>,
    after: Option<String>,
    wrap: impl Fn(E::Model) -> T,
) -> async_graphql::Result<Conn<T>>
where
    E: sea_orm::EntityTrait,
    E::Model: sea_orm::FromQueryResult + Sized + Send + Sync,
    T: async_graphql::OutputType,
{
    let page = Page::new(first, after)?;
    let (rows, total) = fetch_page(ctx.db(), select, page).await?;
    Ok(connection(page, total, rows.into_iter().map(wrap).collect()))
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

/// All conditions combine with AND.
#[derive(InputObject, Default)]
pub struct CustomerFilter {
    /// Substring of the name.
    pub name: Option<String>,
    /// Substring of the mobile.
    pub mobile: Option<String>,
    pub status: Option<Status>,
    pub kind: Option<CustomerKind>,
    #[graphql(default)]
    pub owner_ids: Vec<ID>,
    /// Added by any of these employees.
    #[graphql(default)]
    pub adder_ids: Vec<ID>,
    pub adder_count_min: Option<i32>,
    pub adder_count_max: Option<i32>,
    /// Add time (of the first adder) range, inclusive.
    pub added_from: Option<DateTime<Utc>>,
    pub added_to: Option<DateTime<Utc>>,
    pub channel: Option<String>,
    /// Carrying any of these tags.
    #[graphql(default)]
    pub tags_any: Vec<ID>,
    /// Carrying all of these tags.
    #[graphql(default)]
    pub tags_all: Vec<ID>,
    /// Carrying none of these tags.
    #[graphql(default)]
    pub tags_none: Vec<ID>,
    /// Conditions on system fields (NAME, MOBILE, CHANNEL, POSITION, CORP_NAME,
    /// COMPANY_NAME, EXTERNAL_USERID) or customer custom fields.
    #[graphql(default)]
    pub conditions: Vec<FieldCondition>,
}

impl CustomerFilter {
    fn into_query(self, order: CustomerOrder) -> Result<CustomerQuery, AppError> {
        Ok(CustomerQuery {
            name: self.name,
            mobile: self.mobile,
            status: self.status,
            kind: self.kind.map(|k| if k == CustomerKind::Wecom { KIND_WECOM } else { service::KIND_WECHAT }),
            owner_ids: parse_ids(&self.owner_ids, "filter.ownerIds")?,
            adder_ids: parse_ids(&self.adder_ids, "filter.adderIds")?,
            adder_count_min: self.adder_count_min,
            adder_count_max: self.adder_count_max,
            added_from: self.added_from,
            added_to: self.added_to,
            channel: self.channel,
            tags_any: parse_ids(&self.tags_any, "filter.tagsAny")?,
            tags_all: parse_ids(&self.tags_all, "filter.tagsAll")?,
            tags_none: parse_ids(&self.tags_none, "filter.tagsNone")?,
            conditions: self.conditions,
            order,
        })
    }
}

#[derive(InputObject, Default)]
pub struct RecycleBinFilter {
    /// Substring of the customer's name or mobile.
    pub keyword: Option<String>,
    #[graphql(default)]
    pub loss_types: Vec<LossType>,
    pub lost_from: Option<DateTime<Utc>>,
    pub lost_to: Option<DateTime<Utc>>,
}

/// Loads the relations the query selects for the whole page in one batch
/// each, so a page's statement count stays fixed however many passes the
/// executor makes over a long list.
async fn prefetch(ctx: &Context<'_>, rows: &[customer::Model]) -> async_graphql::Result<()> {
    let node = ctx.look_ahead().field("edges").field("node");
    let l = crm_loader(ctx);
    let ids = || rows.iter().map(|c| c.id);
    let (adders, _, _, _) = futures_util::try_join!(
        async {
            if node.field("adders").exists() || node.field("remark").exists() {
                return l.load_many(ids().map(AddersOf)).await;
            }
            Ok::<_, async_graphql::Error>(Default::default())
        },
        async {
            if node.field("tags").exists() {
                l.load_many(ids().map(TagsOfCustomer)).await?;
            }
            Ok(())
        },
        async {
            if node.field("customFields").exists() {
                l.load_many(ids().map(CustomerFieldValues)).await?;
            }
            Ok(())
        },
        async {
            if node.field("lastFollowUp").exists() {
                l.load_many(ids().map(LastFollowUpOf)).await?;
            }
            Ok(())
        },
    )?;
    // Owners and adders' employees in one load.
    let mut people: Vec<i64> = Vec::new();
    if node.field("owner").exists() {
        people.extend(rows.iter().filter_map(|c| c.owner_id));
    }
    if node.field("adders").field("employee").exists() {
        people.extend(adders.values().flatten().map(|f| f.employee_id));
    }
    if !people.is_empty() {
        org_loader(ctx).load_many(people.into_iter().map(EmployeeById)).await?;
    }
    Ok(())
}

#[derive(Default)]
pub struct CustomerQueryRoot;

#[Object]
impl CustomerQueryRoot {
    /// Customers within the caller's data scope (an adder or the owner in scope).
    #[graphql(guard = "Perm(perm::CUSTOMER_VIEW)", complexity = "first.unwrap_or(20).max(0) as usize * child_complexity")]
    async fn customers(
        &self,
        ctx: &Context<'_>,
        filter: Option<CustomerFilter>,
        #[graphql(default)] order_by: CustomerOrder,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<Customer>> {
        let scope = ctx.scope()?;
        let page = Page::new(first, after)?;
        let q = filter.unwrap_or_default().into_query(order_by)?;
        let select = service::list(ctx.db(), scope, &q).await?;
        let (rows, total) = fetch_page(ctx.db(), select, page).await?;
        prefetch(ctx, &rows).await?;
        Ok(connection(page, total, rows.into_iter().map(Customer).collect()))
    }

    #[graphql(guard = "Perm(perm::CUSTOMER_VIEW)")]
    async fn customer(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Customer> {
        Ok(Customer(ctx.scope()?.get_visible::<customer::Entity>(ctx.db(), parse_id(&id, "id")?).await?))
    }

    /// The customer of the chat the sidebar is open on (SIDE-2), by WeCom's external userid.
    #[graphql(guard = "Perm(perm::CUSTOMER_VIEW)")]
    async fn sidebar_customer(&self, ctx: &Context<'_>, external_user_id: String) -> async_graphql::Result<Customer> {
        Ok(Customer(service::by_external_userid(ctx.db(), ctx.scope()?, &external_user_id).await?))
    }

    /// The timeline event types this employee chose to see in the sidebar (SIDE-4); all until they choose.
    #[graphql(guard = "Perm(perm::CUSTOMER_VIEW)")]
    async fn sidebar_event_kinds(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<EventKind>> {
        Ok(crate::customers::sidebar::event_kinds(ctx.db(), ctx.scope()?).await?)
    }

    /// The caller's saved columns of a list (e.g. "customers"), in order; empty until saved.
    #[graphql(guard = "LoggedIn")]
    async fn list_columns(&self, ctx: &Context<'_>, list: String) -> async_graphql::Result<Vec<String>> {
        Ok(crate::customers::sidebar::list_columns(ctx.db(), ctx.scope()?, &list).await?)
    }

    /// Follow-up types in order; the default "笔记" always exists.
    #[graphql(guard = "Perm(perm::CUSTOMER_VIEW)")]
    async fn follow_up_types(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<FollowUpType>> {
        Ok(follow_ups::types(ctx.db(), ctx.scope()?).await?.into_iter().map(FollowUpType).collect())
    }

    /// Lost customers (INH-4) whose adder is in the caller's scope, newest loss first.
    #[graphql(guard = "Perm(perm::CUSTOMER_RECYCLE_VIEW)", complexity = "first.unwrap_or(20).max(0) as usize * child_complexity")]
    async fn customer_recycle_bin(
        &self,
        ctx: &Context<'_>,
        filter: Option<RecycleBinFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<LostCustomer>> {
        let page = Page::new(first, after)?;
        let f = filter.unwrap_or_default();
        let q = LossQuery { keyword: f.keyword, loss_types: f.loss_types, lost_from: f.lost_from, lost_to: f.lost_to };
        let (rows, total) = fetch_page(ctx.db(), recycle::list(ctx.scope()?, &q), page).await?;
        Ok(connection(page, total, rows.into_iter().map(LostCustomer).collect()))
    }
}

/// Omitted fields stay; `null` clears an optional one.
#[derive(InputObject)]
pub struct UpdateCustomerInput {
    pub id: ID,
    pub mobile: MaybeUndefined<String>,
    pub channel: MaybeUndefined<String>,
    /// WeChat customers only (a WeCom customer's company comes from WeCom).
    pub company_name: MaybeUndefined<String>,
    /// Must be one of the customer's current adders.
    pub owner_id: Option<ID>,
    #[graphql(default)]
    pub custom_fields: Vec<CustomFieldValueInput>,
}

#[derive(InputObject)]
pub struct TagCustomersInput {
    /// At most 100.
    pub customer_ids: Vec<ID>,
    #[graphql(default)]
    pub add_tag_ids: Vec<ID>,
    #[graphql(default)]
    pub remove_tag_ids: Vec<ID>,
}

#[derive(InputObject)]
pub struct TransferCustomersInput {
    /// At most 100; each is handed over from its current owner.
    pub customer_ids: Vec<ID>,
    pub takeover_employee_id: ID,
    /// What the customer receives (转接文案), at most 200 characters; WeCom's default when omitted.
    pub message: Option<String>,
}

/// What a follow-up says, for a customer or a group.
#[derive(InputObject)]
pub struct FollowUpNote {
    /// 1–100 characters.
    pub content: String,
    /// A follow-up type; the default "笔记" when omitted.
    pub type_id: Option<ID>,
    /// Colleagues to notify at once (WeCom app message).
    #[graphql(default)]
    pub mention_employee_ids: Vec<ID>,
    /// When to remind the author (WeCom app message at that time).
    pub remind_at: Option<DateTime<Utc>>,
    /// Files uploaded with `POST /files` (at most 9).
    #[graphql(default)]
    pub attachment_ids: Vec<ID>,
}

impl FollowUpNote {
    fn about(self, subject: Subject, subject_id: i64) -> Result<NewFollowUp, AppError> {
        Ok(NewFollowUp {
            subject,
            subject_id,
            content: self.content,
            type_id: self.type_id.as_ref().map(|t| parse_id(t, "typeId")).transpose()?,
            mentions: parse_ids(&self.mention_employee_ids, "mentionEmployeeIds")?,
            remind_at: self.remind_at,
            attachment_ids: parse_ids(&self.attachment_ids, "attachmentIds")?,
        })
    }
}

#[derive(InputObject)]
pub struct CreateFollowUpInput {
    pub customer_id: ID,
    #[graphql(flatten)]
    pub note: FollowUpNote,
}

#[derive(InputObject)]
pub struct CreateGroupFollowUpInput {
    pub group_id: ID,
    #[graphql(flatten)]
    pub note: FollowUpNote,
}

/// The outcome for one customer of a batch: done, or why not.
#[derive(SimpleObject)]
pub struct CustomerResult {
    pub customer_id: ID,
    pub ok: bool,
    /// The error's code when not ok (e.g. UPSTREAM when WeCom refused).
    pub code: Option<String>,
    pub message: Option<String>,
    /// WeCom's errcode for this customer, when WeCom answered one.
    pub errcode: Option<i64>,
}

impl CustomerResult {
    fn new(ctx: &Context<'_>, customer_id: i64, error: Option<AppError>, errcode: Option<i64>) -> Self {
        let errcode =
            errcode.or_else(|| error.as_ref().and_then(|e| e.extra.iter().find(|(k, _)| *k == "errcode").and_then(|(_, v)| v.as_i64())));
        CustomerResult {
            customer_id: id(customer_id),
            ok: error.is_none(),
            code: error.as_ref().map(|e| e.code.as_str().to_string()),
            message: error.as_ref().map(|e| e.msg.text(ctx.lang()).to_string()),
            errcode,
        }
    }
}

#[derive(Default)]
pub struct CustomerMutation;

#[Object]
impl CustomerMutation {
    /// Edits system fields (never the WeCom-synced ones), the owner and custom fields.
    #[graphql(guard = "Perm(perm::CUSTOMER_EDIT)")]
    async fn update_customer(&self, ctx: &Context<'_>, input: UpdateCustomerInput) -> async_graphql::Result<Customer> {
        let edit = CustomerEdit {
            mobile: maybe(input.mobile),
            channel: maybe(input.channel),
            company_name: maybe(input.company_name),
            owner_id: input.owner_id.as_ref().map(|o| parse_id(o, "ownerId")).transpose()?,
            custom_fields: parse_values(&input.custom_fields)?,
        };
        Ok(Customer(service::update(ctx.db(), ctx.scope()?, parse_id(&input.id, "id")?, edit).await?))
    }

    /// Adds and removes corp tags on customers through WeCom's mark_tag, on
    /// every adder's relation. Each customer is all-or-nothing; the answer
    /// says how each went. In a mutually exclusive group the newest tag wins:
    /// adding one removes the group's other tags from the customer.
    #[graphql(guard = "Perm(perm::CUSTOMER_TAG)")]
    async fn tag_customers(&self, ctx: &Context<'_>, input: TagCustomersInput) -> async_graphql::Result<Vec<CustomerResult>> {
        let scope = ctx.scope()?;
        let link = crate::wecom_sync::link::link(ctx.state(), scope.corp_id()).await?;
        let results = customer_tagging::change_tags(
            ctx.db(),
            scope,
            link.as_ref(),
            &parse_ids(&input.customer_ids, "customerIds")?,
            &parse_ids(&input.add_tag_ids, "addTagIds")?,
            &parse_ids(&input.remove_tag_ids, "removeTagIds")?,
        )
        .await?;
        Ok(results.into_iter().map(|r| CustomerResult::new(ctx, r.customer_id, r.error, None)).collect())
    }

    /// On-job transfer (INH-2) through WeCom's transfer_customer; the receiver becomes the owner.
    #[graphql(guard = "Perm(perm::CUSTOMER_TRANSFER)")]
    async fn transfer_customers(&self, ctx: &Context<'_>, input: TransferCustomersInput) -> async_graphql::Result<Vec<CustomerResult>> {
        let scope = ctx.scope()?;
        let link = crate::wecom_sync::link::link(ctx.state(), scope.corp_id()).await?;
        let results = transfer::transfer(
            ctx.db(),
            scope,
            link.as_ref(),
            &parse_ids(&input.customer_ids, "customerIds")?,
            parse_id(&input.takeover_employee_id, "takeoverEmployeeId")?,
            input.message,
        )
        .await?;
        Ok(results.into_iter().map(|r| CustomerResult::new(ctx, r.customer_id, r.error, r.errcode)).collect())
    }

    /// Writes a follow-up record (and its timeline entry) on a visible customer.
    #[graphql(guard = "Perm(perm::CUSTOMER_VIEW)")]
    async fn create_follow_up(&self, ctx: &Context<'_>, input: CreateFollowUpInput) -> async_graphql::Result<FollowUp> {
        let new = input.note.about(Subject::Customer, parse_id(&input.customer_id, "customerId")?)?;
        Ok(FollowUp(follow_ups::create(ctx.state(), ctx.scope()?, new).await?))
    }

    /// Writes a follow-up record on a visible customer group (GRP-5).
    #[graphql(guard = "Perm(perm::GROUP_VIEW)")]
    async fn create_group_follow_up(&self, ctx: &Context<'_>, input: CreateGroupFollowUpInput) -> async_graphql::Result<FollowUp> {
        let new = input.note.about(Subject::Group, parse_id(&input.group_id, "groupId")?)?;
        Ok(FollowUp(follow_ups::create(ctx.state(), ctx.scope()?, new).await?))
    }

    /// Saves the caller's visible columns of a list, in order (system field
    /// names or `cf:<custom field id>`, as the client names them).
    #[graphql(guard = "LoggedIn")]
    async fn set_list_columns(&self, ctx: &Context<'_>, list: String, columns: Vec<String>) -> async_graphql::Result<Vec<String>> {
        Ok(crate::customers::sidebar::set_list_columns(ctx.db(), ctx.scope()?, &list, &columns).await?)
    }

    /// Remembers which timeline event types the sidebar shows this employee.
    #[graphql(guard = "Perm(perm::CUSTOMER_VIEW)")]
    async fn set_sidebar_event_kinds(&self, ctx: &Context<'_>, kinds: Vec<EventKind>) -> async_graphql::Result<Vec<EventKind>> {
        Ok(crate::customers::sidebar::set_event_kinds(ctx.db(), ctx.scope()?, &kinds).await?)
    }

    #[graphql(guard = "Perm(perm::CFG_FOLLOW_UP_TYPE_MANAGE)")]
    async fn create_follow_up_type(&self, ctx: &Context<'_>, name: String) -> async_graphql::Result<FollowUpType> {
        Ok(FollowUpType(follow_ups::create_type(ctx.db(), ctx.scope()?, &name).await?))
    }

    #[graphql(guard = "Perm(perm::CFG_FOLLOW_UP_TYPE_MANAGE)")]
    async fn update_follow_up_type(
        &self,
        ctx: &Context<'_>,
        id: ID,
        name: Option<String>,
        enabled: Option<bool>,
    ) -> async_graphql::Result<FollowUpType> {
        let t = follow_ups::update_type(ctx.db(), ctx.scope()?, parse_id(&id, "id")?, name.as_deref(), enabled).await?;
        Ok(FollowUpType(t))
    }

    /// Refused once a record uses the type.
    #[graphql(guard = "Perm(perm::CFG_FOLLOW_UP_TYPE_MANAGE)")]
    async fn delete_follow_up_type(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<DeletePayload> {
        follow_ups::delete_type(ctx.db(), ctx.scope()?, parse_id(&id, "id")?).await?;
        Ok(DeletePayload { id })
    }

    /// Moves a type to `position` (0-based); answers the whole list in its new order.
    #[graphql(guard = "Perm(perm::CFG_FOLLOW_UP_TYPE_MANAGE)")]
    async fn move_follow_up_type(&self, ctx: &Context<'_>, id: ID, position: i32) -> async_graphql::Result<Vec<FollowUpType>> {
        let list = follow_ups::move_type(ctx.db(), ctx.scope()?, parse_id(&id, "id")?, position.max(0) as usize).await?;
        Ok(list.into_iter().map(FollowUpType).collect())
    }
}
