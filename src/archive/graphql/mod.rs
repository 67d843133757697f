//! The archive's GraphQL: chats by employee or customer, messages, global
//! search, media, conversations, reply timeouts, sensitive words and
//! behaviours, and the rules that drive them. Resolvers check the
//! permission, parse ids and page; the rules live in the archive's services.

mod types;

use async_graphql::{Context, Object, ID};
use chrono::{DateTime, Utc};

pub use types::{ChatMessage, ChatThread, Conversation, ReplyTimeout, SensitiveBehavior, SensitiveRule, WorkCalendar};

use crate::{
    archive::{
        admin::{self, ReviewVerdict, SensitiveRuleInput, WorkCalendarInput},
        chat_kind::ChatKind,
        conversation::ConversationRules,
        export::ExportBehaviorsJob,
        queries::{self, ArchiveRange, BehaviorFilter, ChatsOf, SensitiveRuleOrder},
        reply::ReplyRules,
        sensitive::SensitiveMonitoring,
        source::ArchivePullJob,
    },
    customers::graphql::{prefetch_links, Customer},
    data_centre::{self, graphql::DataTransfer, Direction, Module, NewTransfer},
    error::{msg, AppError},
    graphql::{
        connection::{connection, fetch_page, parse_id, Conn, Page},
        context::CtxExt,
        guard::Perm,
        DeletePayload,
    },
    jobs::{graphql::Job, NewJob},
    org::permissions as perm,
    settings,
};

/// A page of messages (the select is already ordered newest first).
async fn message_page(
    ctx: &Context<'_>,
    q: sea_orm::Select<entity::chat_message::Entity>,
    page: Page,
) -> async_graphql::Result<Conn<ChatMessage>> {
    let (rows, total) = fetch_page(ctx.db(), q, page).await?;
    Ok(connection(page, total, rows.into_iter().map(ChatMessage).collect()))
}

#[derive(Default)]
pub struct ArchiveQuery;

#[Object]
impl ArchiveQuery {
    /// One employee's chats (ARC-2), or one consenting customer's (ARC-3), newest first.
    #[graphql(guard = "Perm(perm::ARCHIVE_VIEW)")]
    #[allow(clippy::too_many_arguments)]
    async fn archive_chats(
        &self,
        ctx: &Context<'_>,
        employee_id: Option<ID>,
        customer_id: Option<ID>,
        keyword: Option<String>,
        #[graphql(default)] range: ArchiveRange,
        kind: Option<ChatKind>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<ChatThread>> {
        let page = Page::new(first, after)?;
        let of = match (employee_id, customer_id) {
            (Some(e), _) => ChatsOf::Employee(parse_id(&e, "employeeId")?),
            (None, Some(c)) => ChatsOf::Customer(parse_id(&c, "customerId")?),
            (None, None) => return Err(AppError::bad_input("employeeId", msg::REQUIRED).into()),
        };
        let now = ctx.state().clock.now();
        let Some(q) = queries::chats(ctx.db(), ctx.scope()?, of, keyword.as_deref(), range, kind, now).await? else {
            return Ok(connection(page, 0, vec![]));
        };
        let (rows, total) = fetch_page(ctx.db(), q, page).await?;
        prefetch_links(ctx, ctx.look_ahead().field("edges").field("node"), rows.iter().map(|t| (t.customer_id, t.group_id))).await?;
        Ok(connection(page, total, rows.into_iter().map(ChatThread).collect()))
    }

    /// One chat's messages, newest first, by time range, types and keyword.
    #[graphql(guard = "Perm(perm::ARCHIVE_VIEW)")]
    #[allow(clippy::too_many_arguments)]
    async fn archive_messages(
        &self,
        ctx: &Context<'_>,
        chat_key: String,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        #[graphql(default)] msgtypes: Vec<String>,
        keyword: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<ChatMessage>> {
        let page = Page::new(first, after)?;
        message_page(ctx, queries::messages(ctx.scope()?, chat_key, from, to, msgtypes, keyword.as_deref()), page).await
    }

    /// Consenting customers, last contact first (ARC-3).
    #[graphql(guard = "Perm(perm::ARCHIVE_VIEW)")]
    async fn archive_customers(
        &self,
        ctx: &Context<'_>,
        keyword: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<Customer>> {
        let page = Page::new(first, after)?;
        let (rows, total) = fetch_page(ctx.db(), queries::consenting_customers(ctx.scope()?, keyword.as_deref()), page).await?;
        Ok(connection(page, total, rows.into_iter().map(Customer).collect()))
    }

    /// Global keyword search over every visible message (ARC-5).
    #[graphql(guard = "Perm(perm::ARCHIVE_VIEW)")]
    #[allow(clippy::too_many_arguments)]
    async fn archive_search(
        &self,
        ctx: &Context<'_>,
        keyword: String,
        kind: Option<ChatKind>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<ChatMessage>> {
        let page = Page::new(first, after)?;
        message_page(ctx, queries::search(ctx.scope()?, &keyword, kind, from, to)?, page).await
    }

    /// Audio and video in chats (ARC-4): by media kind, chat kind, time and sender.
    #[graphql(guard = "Perm(perm::ARCHIVE_VIEW)")]
    #[allow(clippy::too_many_arguments)]
    async fn archive_media(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] media_kinds: Vec<String>,
        chat_kind: Option<ChatKind>,
        sender: Option<String>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<ChatMessage>> {
        let page = Page::new(first, after)?;
        message_page(ctx, queries::media(ctx.scope()?, media_kinds, chat_kind, sender, from, to), page).await
    }

    /// Conversations (ARC-5, CFG-10), newest first.
    #[graphql(guard = "Perm(perm::ARCHIVE_VIEW)")]
    async fn chat_conversations(
        &self,
        ctx: &Context<'_>,
        chat_key: Option<String>,
        employee_id: Option<ID>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<Conversation>> {
        let page = Page::new(first, after)?;
        let scope = ctx.scope()?;
        let employee_id = employee_id.map(|e| parse_id(&e, "employeeId")).transpose()?;
        let rules: ConversationRules = settings::get(ctx.db(), scope).await?;
        let (rows, total) = fetch_page(ctx.db(), queries::conversations(scope, chat_key, employee_id), page).await?;
        Ok(connection(page, total, rows.into_iter().map(|c| Conversation(c, rules.clone())).collect()))
    }

    /// Recorded reply timeouts (ARC-6), newest first.
    #[graphql(guard = "Perm(perm::ARCHIVE_VIEW)")]
    async fn reply_timeouts(
        &self,
        ctx: &Context<'_>,
        chat_kind: Option<ChatKind>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<ReplyTimeout>> {
        let page = Page::new(first, after)?;
        let (rows, total) = fetch_page(ctx.db(), queries::reply_timeouts(ctx.scope()?, chat_kind), page).await?;
        Ok(connection(page, total, rows.into_iter().map(ReplyTimeout::from).collect()))
    }

    #[graphql(guard = "Perm(perm::CFG_REPLY_RULE_MANAGE)")]
    async fn reply_rules(&self, ctx: &Context<'_>) -> async_graphql::Result<ReplyRules> {
        Ok(settings::get(ctx.db(), ctx.scope()?).await?)
    }

    #[graphql(guard = "Perm(perm::CFG_CONVERSATION_MANAGE)")]
    async fn conversation_rules(&self, ctx: &Context<'_>) -> async_graphql::Result<ConversationRules> {
        Ok(settings::get(ctx.db(), ctx.scope()?).await?)
    }

    #[graphql(guard = "Perm(perm::CFG_SENSITIVE_MONITOR_MANAGE)")]
    async fn sensitive_monitoring(&self, ctx: &Context<'_>) -> async_graphql::Result<SensitiveMonitoring> {
        Ok(settings::get(ctx.db(), ctx.scope()?).await?)
    }

    #[graphql(guard = "Perm(perm::SYS_CALENDAR_MANAGE)")]
    async fn work_calendars(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<WorkCalendar>> {
        Ok(admin::calendars(ctx.db(), ctx.scope()?).await?.into_iter().map(WorkCalendar::from).collect())
    }

    /// Sensitive-word rules (ARC-7): name search, status filter, created or hits order.
    #[graphql(guard = "Perm(perm::RISK_WORD_MANAGE)")]
    async fn sensitive_rules(
        &self,
        ctx: &Context<'_>,
        keyword: Option<String>,
        enabled: Option<bool>,
        #[graphql(default)] order: SensitiveRuleOrder,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<SensitiveRule>> {
        let page = Page::new(first, after)?;
        let q = queries::sensitive_rules(ctx.scope()?, keyword.as_deref(), enabled, order);
        let (rows, total) = fetch_page(ctx.db(), q, page).await?;
        Ok(connection(page, total, rows.into_iter().map(SensitiveRule::from).collect()))
    }

    /// The sensitive-behaviour review queue (ARC-8), newest first.
    #[graphql(guard = "Perm(perm::RISK_BEHAVIOR_VIEW)")]
    async fn sensitive_behaviors(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] filter: BehaviorFilter,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<SensitiveBehavior>> {
        let page = Page::new(first, after)?;
        let (rows, total) = fetch_page(ctx.db(), filter.select(ctx.scope()?)?, page).await?;
        Ok(connection(page, total, rows.into_iter().map(SensitiveBehavior).collect()))
    }
}

#[derive(Default)]
pub struct ArchiveMutation;

#[Object]
impl ArchiveMutation {
    /// Replaces the message reply rules (CFG-4). New customer messages use them.
    #[graphql(guard = "Perm(perm::CFG_REPLY_RULE_MANAGE)")]
    async fn set_reply_rules(&self, ctx: &Context<'_>, input: ReplyRules) -> async_graphql::Result<ReplyRules> {
        admin::set_reply_rules(ctx.db(), ctx.scope()?, &input).await?;
        Ok(input)
    }

    /// Replaces the conversation end rules and closing phrases (CFG-9, CFG-10).
    #[graphql(guard = "Perm(perm::CFG_CONVERSATION_MANAGE)")]
    async fn set_conversation_rules(&self, ctx: &Context<'_>, input: ConversationRules) -> async_graphql::Result<ConversationRules> {
        admin::set_conversation_rules(ctx.db(), ctx.scope()?, &input).await?;
        Ok(input)
    }

    /// Replaces the sensitive-behaviour monitoring (CFG-3).
    #[graphql(guard = "Perm(perm::CFG_SENSITIVE_MONITOR_MANAGE)")]
    async fn set_sensitive_monitoring(&self, ctx: &Context<'_>, input: SensitiveMonitoring) -> async_graphql::Result<SensitiveMonitoring> {
        admin::set_sensitive_monitoring(ctx.db(), ctx.scope()?, &input).await?;
        Ok(input)
    }

    #[graphql(guard = "Perm(perm::SYS_CALENDAR_MANAGE)")]
    async fn create_work_calendar(&self, ctx: &Context<'_>, input: WorkCalendarInput) -> async_graphql::Result<WorkCalendar> {
        Ok(admin::create_calendar(ctx.db(), ctx.scope()?, input).await?.into())
    }

    #[graphql(guard = "Perm(perm::SYS_CALENDAR_MANAGE)")]
    async fn update_work_calendar(&self, ctx: &Context<'_>, id: ID, input: WorkCalendarInput) -> async_graphql::Result<WorkCalendar> {
        Ok(admin::update_calendar(ctx.db(), ctx.scope()?, parse_id(&id, "id")?, input).await?.into())
    }

    #[graphql(guard = "Perm(perm::SYS_CALENDAR_MANAGE)")]
    async fn delete_work_calendar(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<DeletePayload> {
        admin::delete_calendar(ctx.db(), ctx.scope()?, parse_id(&id, "id")?).await?;
        Ok(DeletePayload { id })
    }

    /// A new rule starts OFF (ARC-7).
    #[graphql(guard = "Perm(perm::RISK_WORD_MANAGE)")]
    async fn create_sensitive_rule(&self, ctx: &Context<'_>, input: SensitiveRuleInput) -> async_graphql::Result<SensitiveRule> {
        Ok(admin::create_rule(ctx.db(), ctx.scope()?, input).await?.into())
    }

    #[graphql(guard = "Perm(perm::RISK_WORD_MANAGE)")]
    async fn update_sensitive_rule(&self, ctx: &Context<'_>, id: ID, input: SensitiveRuleInput) -> async_graphql::Result<SensitiveRule> {
        Ok(admin::update_rule(ctx.db(), ctx.scope()?, parse_id(&id, "id")?, input).await?.into())
    }

    #[graphql(guard = "Perm(perm::RISK_WORD_MANAGE)")]
    async fn set_sensitive_rule_enabled(&self, ctx: &Context<'_>, id: ID, enabled: bool) -> async_graphql::Result<SensitiveRule> {
        Ok(admin::set_rule_enabled(ctx.db(), ctx.scope()?, parse_id(&id, "id")?, enabled).await?.into())
    }

    #[graphql(guard = "Perm(perm::RISK_WORD_MANAGE)")]
    async fn delete_sensitive_rule(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<DeletePayload> {
        admin::delete_rule(ctx.db(), ctx.scope()?, parse_id(&id, "id")?).await?;
        Ok(DeletePayload { id })
    }

    /// Reviews (or reviews again) a detected behaviour (ARC-8).
    #[graphql(guard = "Perm(perm::RISK_BEHAVIOR_REVIEW)")]
    async fn review_sensitive_behavior(
        &self,
        ctx: &Context<'_>,
        id: ID,
        verdict: ReviewVerdict,
        remark: Option<String>,
    ) -> async_graphql::Result<SensitiveBehavior> {
        Ok(SensitiveBehavior(admin::review_behavior(ctx.db(), ctx.scope()?, parse_id(&id, "id")?, verdict, remark).await?))
    }

    /// A new ingest key for `POST /archive/{corp}/messages`; shown once, the old one stops working.
    #[graphql(guard = "Perm(perm::ARCHIVE_MANAGE)")]
    async fn rotate_archive_ingest_key(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        Ok(admin::rotate_ingest_key(ctx.db(), ctx.scope()?).await?)
    }

    /// Exports the review queue as CSV through the download centre
    /// (`dataTransfers(direction: EXPORT)`; the file is `resultFile`).
    #[graphql(guard = "Perm(perm::RISK_BEHAVIOR_VIEW)")]
    async fn export_sensitive_behaviors(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] filter: BehaviorFilter,
    ) -> async_graphql::Result<DataTransfer> {
        // Refuse a bad filter now rather than in the job.
        filter.select(ctx.scope()?)?;
        let t = NewTransfer {
            direction: Direction::Export,
            module: Module::SensitiveBehaviors,
            file_name: format!("敏感行为_{}.csv", ctx.state().clock.now().with_timezone(&crate::clock::china()).format("%Y%m%d%H%M%S")),
            source_file_id: None,
            params: serde_json::to_value(&filter).map_err(AppError::internal)?,
        };
        Ok(DataTransfer(data_centre::start::<ExportBehaviorsJob>(ctx.state(), ctx.scope()?, t).await?))
    }

    /// Pulls new messages from the archive source now (it also runs every minute).
    #[graphql(guard = "Perm(perm::ARCHIVE_MANAGE)")]
    async fn pull_archive(&self, ctx: &Context<'_>) -> async_graphql::Result<Job> {
        let j = ctx.state().jobs.enqueue::<ArchivePullJob>(ctx.db(), NewJob::for_user(ctx.auth()?), &serde_json::json!({})).await?;
        Ok(Job(j))
    }
}
