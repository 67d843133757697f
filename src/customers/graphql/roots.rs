//! Customer queries and mutations: the list and its filter, the recycle
//! bin, edits, tags, transfers and follow-ups.

use async_graphql::{Context, InputObject, MaybeUndefined, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::customer;

use super::{kit::crm_loader, objects::*};
use crate::customers::{
    customer_tagging,
    follow_ups::{self, NewFollowUp},
    graphql::loaders::{AddersOf, CustomerFieldValues, LastFollowUpOf, TagsOfCustomer},
    recycle::{self, LossQuery, LossType},
    service::{self, CustomerEdit, CustomerOrder, CustomerQuery, Status, KIND_WECOM},
    subjects::Subject,
    timeline::EventKind,
    transfer,
};
use crate::{
    conditions::graphql::ConditionTreeInput,
    custom_fields::{
        graphql::{parse_values, CustomFieldValueInput},
        FieldCondition,
    },
    error::AppError,
    graphql::{
        connection::{connection, fetch_page, id, maybe, parse_id, parse_ids, Conn, Page},
        context::CtxExt,
        guard::{LoggedIn, Perm},
        DeletePayload,
    },
    org::{graphql::loader as org_loader, graphql::loaders::EmployeeById, permissions as perm},
};

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
    /// Conditions as a tree (AND/OR, groups; `conditionCatalogue` lists the
    /// fields), AND-ed with the arguments above.
    pub tree: Option<ConditionTreeInput>,
}

impl CustomerFilter {
    pub fn into_query(self, order: CustomerOrder, now: DateTime<Utc>) -> Result<CustomerQuery, AppError> {
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
            tree: self.tree.map(ConditionTreeInput::into_raw),
            now,
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
    #[graphql(guard = "Perm(perm::CUSTOMER_VIEW)", complexity = "crate::graphql::connection::page_cost(first, child_complexity)")]
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
        let q = filter.unwrap_or_default().into_query(order_by, ctx.state().clock.now())?;
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
    #[graphql(guard = "Perm(perm::CUSTOMER_RECYCLE_VIEW)", complexity = "crate::graphql::connection::page_cost(first, child_complexity)")]
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
    /// From 1900 to today (China time); null clears it.
    pub birthday: MaybeUndefined<chrono::NaiveDate>,
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
    pub fn about(self, subject: Subject, subject_id: i64) -> Result<NewFollowUp, AppError> {
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
    /// The error's stable reason when not ok (e.g. TRANSFER_TOO_FREQUENT).
    pub reason: Option<String>,
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
            reason: error.as_ref().map(|e| e.msg.reason.to_string()),
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
            birthday: maybe(input.birthday),
            today: crate::conditions::memory::today(ctx.state().clock.now()),
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
