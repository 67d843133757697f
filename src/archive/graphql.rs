//! The archive's GraphQL: chats by employee or customer, messages, global
//! search, media, conversations, reply timeouts, sensitive words and
//! behaviours, and the rules that drive them. Reads go through the caller's
//! data scope (a chat belongs to its employee side, a group chat to its owner).

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, QueryFilter, QueryOrder};

use super::{
    calendar::{TimeSlot, WorkingTime},
    conversation::ConversationRules,
    reply::ReplyRules,
    sensitive::{self, BehaviorKind, SensitiveMonitoring, WordCategory},
    ChatKind,
};
use crate::{
    customers::{
        graphql::groups::CustomerGroup,
        graphql::{crm_loader, Customer},
        loaders::{CustomerById, GroupById},
    },
    error::{msg, AppError},
    graphql::{
        connection::{connection, fetch_page, id, parse_id, parse_ids, Conn, Page},
        context::CtxExt,
        guard::Perm,
        DeletePayload,
    },
    jobs::NewJob,
    org::permissions as perm,
};
use entity::{
    chat_conversation, chat_message, chat_thread, customer, employee, group_member, reply_timeout, sensitive_behavior, sensitive_rule,
    work_calendar,
};

#[derive(Enum, Copy, Clone, Eq, PartialEq, Default)]
pub enum ArchiveRange {
    #[default]
    Last30Days,
    Last90Days,
    All,
}

impl ArchiveRange {
    fn since(self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            ArchiveRange::Last30Days => Some(now - Duration::days(30)),
            ArchiveRange::Last90Days => Some(now - Duration::days(90)),
            ArchiveRange::All => None,
        }
    }
}

pub struct ChatThread(chat_thread::Model);

#[Object]
impl ChatThread {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// Pass it to `archiveMessages`.
    async fn chat_key(&self) -> &str {
        &self.0.chat_key
    }
    async fn chat_kind(&self) -> Option<ChatKind> {
        ChatKind::parse(&self.0.chat_kind)
    }
    async fn employee_id(&self) -> Option<ID> {
        self.0.employee_id.map(id)
    }
    async fn customer(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Customer>> {
        let Some(c) = self.0.customer_id else { return Ok(None) };
        Ok(crm_loader(ctx).load_one(CustomerById(c)).await?.map(Customer))
    }
    async fn group(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<CustomerGroup>> {
        let Some(g) = self.0.group_id else { return Ok(None) };
        Ok(crm_loader(ctx).load_one(GroupById(g)).await?.map(CustomerGroup))
    }
    /// The other side of a single chat (userid or external userid).
    async fn peer(&self) -> Option<&str> {
        self.0.peer_userid.as_deref()
    }
    async fn roomid(&self) -> Option<&str> {
        self.0.roomid.as_deref()
    }
    async fn message_count(&self) -> i64 {
        self.0.message_count
    }
    async fn last_message_at(&self) -> DateTime<Utc> {
        self.0.last_message_at
    }
    async fn last_content(&self) -> &str {
        &self.0.last_content
    }
}

pub struct ChatMessage(chat_message::Model);

#[Object]
impl ChatMessage {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn msgid(&self) -> &str {
        &self.0.msgid
    }
    /// send, recall or switch.
    async fn action(&self) -> &str {
        &self.0.action
    }
    /// WeCom's msgtype (text, image, voice, video, file, link, card, redpacket, chatrecord…).
    async fn msgtype(&self) -> &str {
        &self.0.msgtype
    }
    /// The sender's userid or external userid.
    async fn from(&self) -> &str {
        &self.0.from_id
    }
    async fn from_customer(&self) -> bool {
        self.0.from_customer
    }
    async fn to_list(&self) -> Vec<String> {
        serde_json::from_str(&self.0.tolist).unwrap_or_default()
    }
    async fn roomid(&self) -> Option<&str> {
        self.0.roomid.as_deref()
    }
    async fn chat_kind(&self) -> Option<ChatKind> {
        ChatKind::parse(&self.0.chat_kind)
    }
    async fn chat_key(&self) -> &str {
        &self.0.chat_key
    }
    /// The text, a link's title, a file's name…
    async fn content(&self) -> &str {
        &self.0.content
    }
    /// The typed body as WeCom sent it (media are references: sdkfileid, md5sum, filesize).
    async fn body(&self) -> async_graphql::Json<serde_json::Value> {
        async_graphql::Json(serde_json::from_str(&self.0.body).unwrap_or_default())
    }
    /// VOICE, VIDEO or CALL for audio and video.
    async fn media_kind(&self) -> Option<&str> {
        self.0.media_kind.as_deref()
    }
    async fn sent_at(&self) -> DateTime<Utc> {
        self.0.msgtime
    }
    async fn customer_id(&self) -> Option<ID> {
        self.0.customer_id.map(id)
    }
    async fn group_id(&self) -> Option<ID> {
        self.0.group_id.map(id)
    }
    async fn employee_id(&self) -> Option<ID> {
        self.0.employee_id.map(id)
    }
    async fn conversation_id(&self) -> Option<ID> {
        self.0.conversation_id.map(id)
    }
}

pub struct Conversation(chat_conversation::Model, ConversationRules);

#[Object]
impl Conversation {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn chat_key(&self) -> &str {
        &self.0.chat_key
    }
    async fn chat_kind(&self) -> Option<ChatKind> {
        ChatKind::parse(&self.0.chat_kind)
    }
    async fn employee_id(&self) -> Option<ID> {
        self.0.employee_id.map(id)
    }
    async fn customer_id(&self) -> Option<ID> {
        self.0.customer_id.map(id)
    }
    async fn group_id(&self) -> Option<ID> {
        self.0.group_id.map(id)
    }
    async fn started_at(&self) -> DateTime<Utc> {
        self.0.started_at
    }
    async fn last_message_at(&self) -> DateTime<Utc> {
        self.0.last_message_at
    }
    /// Null while the conversation goes on.
    async fn ended_at(&self, ctx: &Context<'_>) -> Option<DateTime<Utc>> {
        super::conversation::ended_at(&self.0, &self.1, ctx.state().clock.now())
    }
    /// CLOSING_PHRASE or IDLE.
    async fn end_reason(&self, ctx: &Context<'_>) -> Option<String> {
        self.0
            .end_reason
            .clone()
            .or_else(|| super::conversation::ended_at(&self.0, &self.1, ctx.state().clock.now()).map(|_| "IDLE".into()))
    }
    /// First message to last message, in seconds.
    async fn duration_seconds(&self) -> i64 {
        (self.0.last_message_at - self.0.started_at).num_seconds()
    }
    async fn message_count(&self) -> i64 {
        self.0.message_count
    }
}

#[derive(SimpleObject)]
pub struct ReplyTimeout {
    pub id: ID,
    pub chat_kind: Option<ChatKind>,
    pub chat_key: String,
    pub level: i32,
    pub limit_minutes: i32,
    pub customer_id: Option<ID>,
    pub employee_id: Option<ID>,
    pub group_id: Option<ID>,
    pub timed_out_employee_ids: Vec<ID>,
    pub customer_message_id: ID,
    pub last_customer_message_at: DateTime<Utc>,
    pub deadline_at: DateTime<Utc>,
}

impl From<reply_timeout::Model> for ReplyTimeout {
    fn from(t: reply_timeout::Model) -> Self {
        ReplyTimeout {
            id: id(t.id),
            chat_kind: ChatKind::parse(&t.chat_kind),
            chat_key: t.chat_key,
            level: t.level,
            limit_minutes: t.limit_minutes,
            customer_id: t.customer_id.map(id),
            employee_id: t.employee_id.map(id),
            group_id: t.group_id.map(id),
            timed_out_employee_ids: serde_json::from_str::<Vec<i64>>(&t.employee_ids).unwrap_or_default().into_iter().map(id).collect(),
            customer_message_id: id(t.message_id),
            last_customer_message_at: t.customer_message_at,
            deadline_at: t.deadline_at,
        }
    }
}

#[derive(SimpleObject)]
pub struct WorkCalendar {
    pub id: ID,
    pub name: String,
    pub note: Option<String>,
    /// Seven days, Monday first.
    pub week: Vec<Vec<TimeSlot>>,
    pub holidays: Vec<String>,
    pub updated_at: DateTime<Utc>,
}

impl From<work_calendar::Model> for WorkCalendar {
    fn from(c: work_calendar::Model) -> Self {
        WorkCalendar {
            id: id(c.id),
            name: c.name,
            note: c.note,
            week: serde_json::from_str(&c.week).unwrap_or_default(),
            holidays: serde_json::from_str(&c.holidays).unwrap_or_default(),
            updated_at: c.updated_at,
        }
    }
}

#[derive(InputObject)]
pub struct WorkCalendarInput {
    pub name: String,
    pub note: Option<String>,
    pub week: Vec<Vec<TimeSlot>>,
    #[graphql(default)]
    pub holidays: Vec<String>,
}

#[derive(SimpleObject)]
pub struct SensitiveRule {
    pub id: ID,
    pub name: String,
    pub words: Vec<String>,
    pub category: WordCategory,
    pub enabled: bool,
    pub hit_count: i64,
    pub created_at: DateTime<Utc>,
}

impl From<sensitive_rule::Model> for SensitiveRule {
    fn from(r: sensitive_rule::Model) -> Self {
        SensitiveRule {
            id: id(r.id),
            name: r.name,
            words: sensitive::split_words(&r.words),
            category: WordCategory::parse(&r.category),
            enabled: r.enabled,
            hit_count: r.hit_count,
            created_at: r.created_at,
        }
    }
}

#[derive(InputObject)]
pub struct SensitiveRuleInput {
    /// 1–10 characters.
    pub name: String,
    /// Words separated by "，" (500 characters at most).
    pub words: String,
    #[graphql(default)]
    pub category: WordCategory,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Default)]
pub enum SensitiveRuleOrder {
    #[default]
    CreatedDesc,
    HitsDesc,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BehaviorStatus {
    Pending,
    Reviewed,
}

/// What the review queue and its export show; conditions combine with AND.
#[derive(InputObject, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BehaviorFilter {
    pub status: Option<BehaviorStatus>,
    pub kind: Option<BehaviorKind>,
    /// The employee who did it.
    pub employee_id: Option<ID>,
    pub reviewer_id: Option<ID>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

impl BehaviorFilter {
    /// The visible behaviours it selects, newest first.
    pub fn select(&self, scope: &crate::tenancy::Scope) -> async_graphql::Result<sea_orm::Select<sensitive_behavior::Entity>> {
        let mut q = scope.select_visible::<sensitive_behavior::Entity>();
        if let Some(s) = self.status {
            q = q.filter(sensitive_behavior::Column::Status.eq(if s == BehaviorStatus::Pending { "PENDING" } else { "REVIEWED" }));
        }
        if let Some(k) = self.kind {
            q = q.filter(sensitive_behavior::Column::Kind.eq(k.as_str()));
        }
        if let Some(e) = &self.employee_id {
            q = q.filter(sensitive_behavior::Column::EmployeeId.eq(parse_id(e, "employeeId")?));
        }
        if let Some(r) = &self.reviewer_id {
            q = q.filter(sensitive_behavior::Column::ReviewerId.eq(parse_id(r, "reviewerId")?));
        }
        if let Some(f) = self.from {
            q = q.filter(sensitive_behavior::Column::OccurredAt.gte(f));
        }
        if let Some(t) = self.to {
            q = q.filter(sensitive_behavior::Column::OccurredAt.lte(t));
        }
        Ok(q.order_by_desc(sensitive_behavior::Column::OccurredAt).order_by_desc(sensitive_behavior::Column::Id))
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum ReviewVerdict {
    /// 违规属实.
    Violation,
    /// 误报.
    FalseAlarm,
}

pub struct SensitiveBehavior(sensitive_behavior::Model);

#[Object]
impl SensitiveBehavior {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn kind(&self) -> Option<BehaviorKind> {
        BehaviorKind::parse(&self.0.kind)
    }
    async fn detail(&self) -> &str {
        &self.0.detail
    }
    async fn employee_id(&self) -> Option<ID> {
        self.0.employee_id.map(id)
    }
    async fn customer_id(&self) -> Option<ID> {
        self.0.customer_id.map(id)
    }
    async fn group_id(&self) -> Option<ID> {
        self.0.group_id.map(id)
    }
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }
    /// PENDING or REVIEWED.
    async fn status(&self) -> &str {
        &self.0.status
    }
    async fn verdict(&self) -> Option<ReviewVerdict> {
        match self.0.verdict.as_deref() {
            Some("VIOLATION") => Some(ReviewVerdict::Violation),
            Some("FALSE_ALARM") => Some(ReviewVerdict::FalseAlarm),
            _ => None,
        }
    }
    async fn remark(&self) -> Option<&str> {
        self.0.remark.as_deref()
    }
    async fn reviewer_id(&self) -> Option<ID> {
        self.0.reviewer_id.map(id)
    }
    async fn reviewed_at(&self) -> Option<DateTime<Utc>> {
        self.0.reviewed_at
    }
    /// The messages of the same chat around it (`around` before and after).
    async fn context_messages(&self, ctx: &Context<'_>, #[graphql(default = 3)] around: u64) -> async_graphql::Result<Vec<ChatMessage>> {
        use sea_orm::QuerySelect;
        let Some(mid) = self.0.message_id else { return Ok(vec![]) };
        let scope = ctx.scope()?;
        let db = ctx.db();
        let Some(m) =
            scope.select::<chat_message::Entity>().filter(chat_message::Column::Id.eq(mid)).one(db).await.map_err(AppError::from)?
        else {
            return Ok(vec![]);
        };
        let n = around.min(20);
        let chat = |q: sea_orm::Select<chat_message::Entity>| q.filter(chat_message::Column::ChatKey.eq(&m.chat_key));
        let mut before = chat(scope.select::<chat_message::Entity>())
            .filter(chat_message::Column::Msgtime.lt(m.msgtime))
            .order_by_desc(chat_message::Column::Msgtime)
            .limit(n)
            .all(db)
            .await
            .map_err(AppError::from)?;
        before.reverse();
        let after = chat(scope.select::<chat_message::Entity>())
            .filter(chat_message::Column::Msgtime.gt(m.msgtime))
            .order_by_asc(chat_message::Column::Msgtime)
            .limit(n)
            .all(db)
            .await
            .map_err(AppError::from)?;
        Ok(before.into_iter().chain([m]).chain(after).map(ChatMessage).collect())
    }
}

fn like(s: &str) -> String {
    format!("%{}%", s.replace('%', "\\%").replace('_', "\\_"))
}

/// A page of messages, newest first.
async fn message_page(ctx: &Context<'_>, q: sea_orm::Select<chat_message::Entity>, page: Page) -> async_graphql::Result<Conn<ChatMessage>> {
    let (rows, total) =
        fetch_page(ctx.db(), q.order_by_desc(chat_message::Column::Msgtime).order_by_desc(chat_message::Column::Id), page).await?;
    Ok(connection(page, total, rows.into_iter().map(ChatMessage).collect()))
}

fn time_range(
    mut q: sea_orm::Select<chat_message::Entity>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> sea_orm::Select<chat_message::Entity> {
    if let Some(f) = from {
        q = q.filter(chat_message::Column::Msgtime.gte(f));
    }
    if let Some(t) = to {
        q = q.filter(chat_message::Column::Msgtime.lte(t));
    }
    q
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
        let scope = ctx.scope()?;
        let db = ctx.db();
        let mut q = scope.select::<chat_thread::Entity>();
        match (employee_id, customer_id) {
            (Some(e), _) => {
                let emp = scope.get_visible::<employee::Entity>(db, parse_id(&e, "employeeId")?).await?;
                let rooms = scope
                    .subquery::<group_member::Entity>(group_member::Column::GroupId)
                    .and_where(group_member::Column::Userid.eq(emp.userid.clone()))
                    .to_owned();
                q = q.filter(
                    Condition::any().add(chat_thread::Column::EmployeeId.eq(emp.id)).add(chat_thread::Column::GroupId.in_subquery(rooms)),
                );
            }
            (None, Some(c)) => {
                let c = scope.get_visible::<customer::Entity>(db, parse_id(&c, "customerId")?).await?;
                if !c.archive_agreed {
                    return Ok(connection(page, 0, vec![]));
                }
                let rooms = scope
                    .subquery::<group_member::Entity>(group_member::Column::GroupId)
                    .and_where(group_member::Column::Userid.eq(c.external_userid.clone()))
                    .to_owned();
                q = q.filter(
                    Condition::any().add(chat_thread::Column::CustomerId.eq(c.id)).add(chat_thread::Column::GroupId.in_subquery(rooms)),
                );
            }
            (None, None) => return Err(AppError::bad_input("employeeId", msg::REQUIRED).into()),
        }
        // Data scope on top: the chat's employee side must be visible.
        q = q.filter(scope.visible_employees(chat_thread::Column::EmployeeId));
        if let Some(since) = range.since(ctx.state().clock.now()) {
            q = q.filter(chat_thread::Column::LastMessageAt.gte(since));
        }
        if let Some(k) = kind {
            q = q.filter(chat_thread::Column::ChatKind.eq(k.as_str()));
        }
        if let Some(kw) = keyword.filter(|k| !k.trim().is_empty()) {
            let hits = scope
                .subquery::<chat_message::Entity>(chat_message::Column::ChatKey)
                .and_where(chat_message::Column::Content.like(like(kw.trim())))
                .to_owned();
            q = q.filter(chat_thread::Column::ChatKey.in_subquery(hits));
        }
        let (rows, total) =
            fetch_page(db, q.order_by_desc(chat_thread::Column::LastMessageAt).order_by_desc(chat_thread::Column::Id), page).await?;
        crate::customers::graphql::prefetch_links(
            ctx,
            ctx.look_ahead().field("edges").field("node"),
            rows.iter().map(|t| (t.customer_id, t.group_id)),
        )
        .await?;
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
        let scope = ctx.scope()?;
        let mut q = time_range(scope.select_visible::<chat_message::Entity>().filter(chat_message::Column::ChatKey.eq(chat_key)), from, to);
        if !msgtypes.is_empty() {
            q = q.filter(chat_message::Column::Msgtype.is_in(msgtypes));
        }
        if let Some(kw) = keyword.filter(|k| !k.trim().is_empty()) {
            q = q.filter(chat_message::Column::Content.like(like(kw.trim())));
        }
        message_page(ctx, q, page).await
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
        let scope = ctx.scope()?;
        let mut q = scope.select_visible::<customer::Entity>().filter(customer::Column::ArchiveAgreed.eq(true));
        if let Some(kw) = keyword.filter(|k| !k.trim().is_empty()) {
            q = q.filter(customer::Column::Name.like(like(kw.trim())));
        }
        let (rows, total) =
            fetch_page(ctx.db(), q.order_by_desc(customer::Column::LastContactAt).order_by_desc(customer::Column::Id), page).await?;
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
        if keyword.trim().is_empty() {
            return Err(AppError::bad_input("keyword", msg::REQUIRED).into());
        }
        let scope = ctx.scope()?;
        let mut q = time_range(
            scope.select_visible::<chat_message::Entity>().filter(chat_message::Column::Content.like(like(keyword.trim()))),
            from,
            to,
        );
        if let Some(k) = kind {
            q = q.filter(chat_message::Column::ChatKind.eq(k.as_str()));
        }
        message_page(ctx, q, page).await
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
        let scope = ctx.scope()?;
        let mut q =
            time_range(scope.select_visible::<chat_message::Entity>().filter(chat_message::Column::MediaKind.is_not_null()), from, to);
        if !media_kinds.is_empty() {
            q = q.filter(chat_message::Column::MediaKind.is_in(media_kinds));
        }
        if let Some(k) = chat_kind {
            q = q.filter(chat_message::Column::ChatKind.eq(k.as_str()));
        }
        if let Some(s) = sender.filter(|s| !s.is_empty()) {
            q = q.filter(chat_message::Column::FromId.eq(s));
        }
        message_page(ctx, q, page).await
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
        let mut q = scope.select_visible::<chat_conversation::Entity>();
        if let Some(k) = chat_key {
            q = q.filter(chat_conversation::Column::ChatKey.eq(k));
        }
        if let Some(e) = employee_id {
            q = q.filter(chat_conversation::Column::EmployeeId.eq(parse_id(&e, "employeeId")?));
        }
        let rules: ConversationRules = crate::settings::get(ctx.db(), scope).await?;
        let (rows, total) = fetch_page(ctx.db(), q.order_by_desc(chat_conversation::Column::StartedAt), page).await?;
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
        let mut q = ctx.scope()?.select_visible::<reply_timeout::Entity>();
        if let Some(k) = chat_kind {
            q = q.filter(reply_timeout::Column::ChatKind.eq(k.as_str()));
        }
        let (rows, total) = fetch_page(ctx.db(), q.order_by_desc(reply_timeout::Column::Id), page).await?;
        Ok(connection(page, total, rows.into_iter().map(ReplyTimeout::from).collect()))
    }

    #[graphql(guard = "Perm(perm::CFG_REPLY_RULE_MANAGE)")]
    async fn reply_rules(&self, ctx: &Context<'_>) -> async_graphql::Result<ReplyRules> {
        Ok(crate::settings::get(ctx.db(), ctx.scope()?).await?)
    }

    #[graphql(guard = "Perm(perm::CFG_CONVERSATION_MANAGE)")]
    async fn conversation_rules(&self, ctx: &Context<'_>) -> async_graphql::Result<ConversationRules> {
        Ok(crate::settings::get(ctx.db(), ctx.scope()?).await?)
    }

    #[graphql(guard = "Perm(perm::CFG_SENSITIVE_MONITOR_MANAGE)")]
    async fn sensitive_monitoring(&self, ctx: &Context<'_>) -> async_graphql::Result<SensitiveMonitoring> {
        Ok(crate::settings::get(ctx.db(), ctx.scope()?).await?)
    }

    #[graphql(guard = "Perm(perm::SYS_CALENDAR_MANAGE)")]
    async fn work_calendars(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<WorkCalendar>> {
        let rows = ctx
            .scope()?
            .select::<work_calendar::Entity>()
            .order_by_asc(work_calendar::Column::Id)
            .all(ctx.db())
            .await
            .map_err(AppError::from)?;
        Ok(rows.into_iter().map(WorkCalendar::from).collect())
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
        let mut q = ctx.scope()?.select::<sensitive_rule::Entity>();
        if let Some(kw) = keyword.filter(|k| !k.trim().is_empty()) {
            q = q.filter(sensitive_rule::Column::Name.like(like(kw.trim())));
        }
        if let Some(e) = enabled {
            q = q.filter(sensitive_rule::Column::Enabled.eq(e));
        }
        q = match order {
            SensitiveRuleOrder::CreatedDesc => q.order_by_desc(sensitive_rule::Column::CreatedAt),
            SensitiveRuleOrder::HitsDesc => q.order_by_desc(sensitive_rule::Column::HitCount),
        };
        let (rows, total) = fetch_page(ctx.db(), q.order_by_desc(sensitive_rule::Column::Id), page).await?;
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
        let q = filter.select(ctx.scope()?)?;
        let (rows, total) = fetch_page(ctx.db(), q, page).await?;
        Ok(connection(page, total, rows.into_iter().map(SensitiveBehavior).collect()))
    }
}

fn check_calendar(input: &WorkCalendarInput) -> async_graphql::Result<()> {
    let n = input.name.trim().chars().count();
    if n == 0 || n > 30 {
        return Err(AppError::bad_input("name", super::calendar::NAME_INVALID).into());
    }
    WorkingTime::parse(&input.week, &input.holidays)?;
    Ok(())
}

#[derive(Default)]
pub struct ArchiveMutation;

#[Object]
impl ArchiveMutation {
    /// Replaces the message reply rules (CFG-4). New customer messages use them.
    #[graphql(guard = "Perm(perm::CFG_REPLY_RULE_MANAGE)")]
    async fn set_reply_rules(&self, ctx: &Context<'_>, input: ReplyRules) -> async_graphql::Result<ReplyRules> {
        input.check()?;
        let scope = ctx.scope()?;
        if let Some(c) = &input.calendar_id {
            scope.get::<work_calendar::Entity>(ctx.db(), parse_id(c, "calendarId")?).await.map_err(|e| e.with_field("calendarId"))?;
        }
        let named: Vec<i64> = input
            .single
            .iter()
            .chain(&input.group)
            .flat_map(|l| l.employee_ids.iter())
            .map(|i| parse_id(i, "employeeIds"))
            .collect::<Result<_, _>>()?;
        crate::org::employees::ensure_exist(ctx.db(), scope, &named).await?;
        crate::settings::put(ctx.db(), scope, &input).await?;
        Ok(input)
    }

    /// Replaces the conversation end rules and closing phrases (CFG-9, CFG-10).
    #[graphql(guard = "Perm(perm::CFG_CONVERSATION_MANAGE)")]
    async fn set_conversation_rules(&self, ctx: &Context<'_>, input: ConversationRules) -> async_graphql::Result<ConversationRules> {
        input.check()?;
        crate::settings::put(ctx.db(), ctx.scope()?, &input).await?;
        Ok(input)
    }

    /// Replaces the sensitive-behaviour monitoring (CFG-3).
    #[graphql(guard = "Perm(perm::CFG_SENSITIVE_MONITOR_MANAGE)")]
    async fn set_sensitive_monitoring(&self, ctx: &Context<'_>, input: SensitiveMonitoring) -> async_graphql::Result<SensitiveMonitoring> {
        let scope = ctx.scope()?;
        let named = parse_ids(&input.employee_ids, "employeeIds")?
            .into_iter()
            .chain(parse_ids(&input.audited_employee_ids, "auditedEmployeeIds")?)
            .collect::<Vec<_>>();
        crate::org::employees::ensure_exist(ctx.db(), scope, &named).await?;
        crate::settings::put(ctx.db(), scope, &input).await?;
        Ok(input)
    }

    #[graphql(guard = "Perm(perm::SYS_CALENDAR_MANAGE)")]
    async fn create_work_calendar(&self, ctx: &Context<'_>, input: WorkCalendarInput) -> async_graphql::Result<WorkCalendar> {
        check_calendar(&input)?;
        let scope = ctx.scope()?;
        let now = Utc::now();
        let c = scope
            .insert(
                ctx.db(),
                work_calendar::ActiveModel {
                    name: Set(input.name.trim().to_string()),
                    note: Set(input.note),
                    week: Set(serde_json::to_string(&input.week)?),
                    holidays: Set(serde_json::to_string(&input.holidays)?),
                    created_by: Set(scope.employee_id()),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                },
            )
            .await?;
        Ok(c.into())
    }

    #[graphql(guard = "Perm(perm::SYS_CALENDAR_MANAGE)")]
    async fn update_work_calendar(&self, ctx: &Context<'_>, id: ID, input: WorkCalendarInput) -> async_graphql::Result<WorkCalendar> {
        check_calendar(&input)?;
        let scope = ctx.scope()?;
        let c = scope.get::<work_calendar::Entity>(ctx.db(), parse_id(&id, "id")?).await?;
        let mut am: work_calendar::ActiveModel = c.into();
        am.name = Set(input.name.trim().to_string());
        am.note = Set(input.note);
        am.week = Set(serde_json::to_string(&input.week)?);
        am.holidays = Set(serde_json::to_string(&input.holidays)?);
        am.updated_at = Set(Utc::now());
        Ok(scope.update(ctx.db(), am).await?.into())
    }

    #[graphql(guard = "Perm(perm::SYS_CALENDAR_MANAGE)")]
    async fn delete_work_calendar(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<DeletePayload> {
        let scope = ctx.scope()?;
        let c = scope.get::<work_calendar::Entity>(ctx.db(), parse_id(&id, "id")?).await?;
        let rules: ReplyRules = crate::settings::get(ctx.db(), scope).await?;
        if rules.calendar_id.as_ref().is_some_and(|i| i.0 == c.id.to_string()) {
            return Err(AppError::conflict(crate::error::Msg::new(
                "该日历正在被消息回复规则使用",
                "The message reply rules use this calendar",
            ))
            .into());
        }
        scope
            .delete_many::<work_calendar::Entity>()
            .filter(work_calendar::Column::Id.eq(c.id))
            .exec(ctx.db())
            .await
            .map_err(AppError::from)?;
        Ok(DeletePayload { id })
    }

    /// A new rule starts OFF (ARC-7).
    #[graphql(guard = "Perm(perm::RISK_WORD_MANAGE)")]
    async fn create_sensitive_rule(&self, ctx: &Context<'_>, input: SensitiveRuleInput) -> async_graphql::Result<SensitiveRule> {
        sensitive::check_rule(&input.name, &input.words)?;
        let scope = ctx.scope()?;
        let now = Utc::now();
        let r = scope
            .insert(
                ctx.db(),
                sensitive_rule::ActiveModel {
                    name: Set(input.name.trim().to_string()),
                    words: Set(sensitive::split_words(&input.words).join("，")),
                    category: Set(input.category.as_str().to_string()),
                    enabled: Set(false),
                    hit_count: Set(0),
                    created_by: Set(scope.employee_id()),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                },
            )
            .await?;
        Ok(r.into())
    }

    #[graphql(guard = "Perm(perm::RISK_WORD_MANAGE)")]
    async fn update_sensitive_rule(&self, ctx: &Context<'_>, id: ID, input: SensitiveRuleInput) -> async_graphql::Result<SensitiveRule> {
        sensitive::check_rule(&input.name, &input.words)?;
        let scope = ctx.scope()?;
        let r = scope.get::<sensitive_rule::Entity>(ctx.db(), parse_id(&id, "id")?).await?;
        let mut am: sensitive_rule::ActiveModel = r.into();
        am.name = Set(input.name.trim().to_string());
        am.words = Set(sensitive::split_words(&input.words).join("，"));
        am.category = Set(input.category.as_str().to_string());
        am.updated_at = Set(Utc::now());
        Ok(scope.update(ctx.db(), am).await?.into())
    }

    #[graphql(guard = "Perm(perm::RISK_WORD_MANAGE)")]
    async fn set_sensitive_rule_enabled(&self, ctx: &Context<'_>, id: ID, enabled: bool) -> async_graphql::Result<SensitiveRule> {
        let scope = ctx.scope()?;
        let r = scope.get::<sensitive_rule::Entity>(ctx.db(), parse_id(&id, "id")?).await?;
        let mut am: sensitive_rule::ActiveModel = r.into();
        am.enabled = Set(enabled);
        am.updated_at = Set(Utc::now());
        Ok(scope.update(ctx.db(), am).await?.into())
    }

    #[graphql(guard = "Perm(perm::RISK_WORD_MANAGE)")]
    async fn delete_sensitive_rule(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<DeletePayload> {
        let scope = ctx.scope()?;
        let r = scope.get::<sensitive_rule::Entity>(ctx.db(), parse_id(&id, "id")?).await?;
        scope
            .delete_many::<sensitive_rule::Entity>()
            .filter(sensitive_rule::Column::Id.eq(r.id))
            .exec(ctx.db())
            .await
            .map_err(AppError::from)?;
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
        let scope = ctx.scope()?;
        let b = scope.get_visible::<sensitive_behavior::Entity>(ctx.db(), parse_id(&id, "id")?).await?;
        let mut am: sensitive_behavior::ActiveModel = b.into();
        am.status = Set("REVIEWED".into());
        am.verdict = Set(Some(match verdict {
            ReviewVerdict::Violation => "VIOLATION".into(),
            ReviewVerdict::FalseAlarm => "FALSE_ALARM".into(),
        }));
        am.remark = Set(remark);
        am.reviewer_id = Set(scope.employee_id());
        am.reviewed_at = Set(Some(Utc::now()));
        Ok(SensitiveBehavior(scope.update(ctx.db(), am).await?))
    }

    /// A new ingest key for `POST /archive/{corp}/messages`; shown once, the old one stops working.
    #[graphql(guard = "Perm(perm::ARCHIVE_MANAGE)")]
    async fn rotate_archive_ingest_key(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        let key = format!("ak_{}", hex::encode(rand::random::<[u8; 24]>()));
        crate::settings::put(ctx.db(), ctx.scope()?, &super::http::IngestKey { key_sha256: Some(super::http::digest(&key)) }).await?;
        Ok(key)
    }

    /// Exports the review queue as CSV (a job; its result names the file, `GET /files/{id}`).
    #[graphql(guard = "Perm(perm::RISK_BEHAVIOR_VIEW)")]
    async fn export_sensitive_behaviors(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] filter: BehaviorFilter,
    ) -> async_graphql::Result<crate::jobs::graphql::Job> {
        filter.select(ctx.scope()?)?;
        let auth = ctx.auth()?;
        let j = ctx.state().jobs.enqueue::<ExportBehaviorsJob>(ctx.db(), NewJob::for_user(auth), &filter).await?;
        Ok(crate::jobs::graphql::Job(j))
    }

    /// Pulls new messages from the archive source now (it also runs every minute).
    #[graphql(guard = "Perm(perm::ARCHIVE_MANAGE)")]
    async fn pull_archive(&self, ctx: &Context<'_>) -> async_graphql::Result<crate::jobs::graphql::Job> {
        let auth = ctx.auth()?;
        let j = ctx.state().jobs.enqueue::<super::source::ArchivePullJob>(ctx.db(), NewJob::for_user(auth), &serde_json::json!({})).await?;
        Ok(crate::jobs::graphql::Job(j))
    }
}

/// Writes the review queue, as the starter may see it, to a CSV file.
pub struct ExportBehaviorsJob;

impl crate::jobs::JobKind for ExportBehaviorsJob {
    const KIND: &'static str = "archive.export_behaviors";
    type Payload = BehaviorFilter;
}

#[async_trait::async_trait]
impl crate::jobs::JobHandler for ExportBehaviorsJob {
    type Kind = Self;

    async fn run(&self, ctx: &crate::jobs::JobCtx, filter: BehaviorFilter) -> Result<serde_json::Value, crate::jobs::JobError> {
        use crate::jobs::JobError;
        let scope = ctx.starter_scope().await?;
        let db = &ctx.state.db;
        let q = filter.select(&scope).map_err(|_| JobError::Permanent { code: crate::error::Code::BadUserInput, msg: msg::BAD_ID })?;
        let rows = q.all(db).await.map_err(AppError::from)?;
        let people: std::collections::HashMap<i64, String> = scope
            .select::<employee::Entity>()
            .filter(employee::Column::Id.is_in(rows.iter().flat_map(|r| [r.employee_id, r.reviewer_id]).flatten()))
            .all(db)
            .await
            .map_err(AppError::from)?
            .into_iter()
            .map(|e| (e.id, e.name))
            .collect();
        let customers: std::collections::HashMap<i64, String> = scope
            .select::<customer::Entity>()
            .filter(customer::Column::Id.is_in(rows.iter().filter_map(|r| r.customer_id)))
            .all(db)
            .await
            .map_err(AppError::from)?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect();
        let mut out = csv::Writer::from_writer(Vec::new());
        let name = |m: &std::collections::HashMap<i64, String>, id: Option<i64>| id.and_then(|i| m.get(&i).cloned()).unwrap_or_default();
        let csv_err = |e: csv::Error| JobError::Retry(e.into());
        out.write_record(["触发时间", "类型", "员工", "客户", "内容", "状态", "审核结果", "备注", "审核人", "审核时间"])
            .map_err(csv_err)?;
        for r in &rows {
            let china = r.occurred_at.with_timezone(&crate::clock::china()).format("%Y-%m-%d %H:%M:%S").to_string();
            let reviewed =
                r.reviewed_at.map(|t| t.with_timezone(&crate::clock::china()).format("%Y-%m-%d %H:%M:%S").to_string()).unwrap_or_default();
            out.write_record([
                china.as_str(),
                r.kind.as_str(),
                &name(&people, r.employee_id),
                &name(&customers, r.customer_id),
                r.detail.as_str(),
                if r.status == "PENDING" { "待审核" } else { "已审核" },
                match r.verdict.as_deref() {
                    Some("VIOLATION") => "违规属实",
                    Some("FALSE_ALARM") => "误报",
                    _ => "",
                },
                r.remark.as_deref().unwrap_or(""),
                &name(&people, r.reviewer_id),
                &reviewed,
            ])
            .map_err(csv_err)?;
        }
        let bytes = out.into_inner().map_err(|e| JobError::Retry(anyhow::anyhow!("csv: {e}")))?;
        // A UTF-8 BOM, so spreadsheet programs read the Chinese correctly.
        let file = crate::files::save(
            &ctx.state,
            &scope,
            "敏感行为.csv",
            "text/csv; charset=utf-8",
            &[b"\xEF\xBB\xBF".as_slice(), &bytes].concat(),
        )
        .await
        .map_err(JobError::from_app)?;
        Ok(serde_json::json!({"fileId": file.id.to_string(), "rows": rows.len()}))
    }
}
