//! The archive's GraphQL object types: chats, messages, conversations,
//! timeouts, calendars, sensitive rules and behaviours.

use async_graphql::{Context, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};

use crate::{
    archive::{
        admin::ReviewVerdict,
        calendar::TimeSlot,
        chat_kind::ChatKind,
        conversation::{self, ConversationRules},
        queries,
        sensitive::{self, BehaviorKind, WordCategory},
    },
    customers::{
        graphql::loaders::{CustomerById, GroupById},
        graphql::objects::CustomerGroup,
        graphql::{crm_loader, Customer},
    },
    graphql::{connection::id, context::CtxExt},
};
use entity::{chat_conversation, chat_message, chat_thread, reply_timeout, sensitive_behavior, sensitive_rule, work_calendar};

pub struct ChatThread(pub chat_thread::Model);

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

pub struct ChatMessage(pub chat_message::Model);

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

pub struct Conversation(pub chat_conversation::Model, pub ConversationRules);

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
        conversation::ended_at(&self.0, &self.1, ctx.state().clock.now())
    }
    /// CLOSING_PHRASE or IDLE.
    async fn end_reason(&self, ctx: &Context<'_>) -> Option<String> {
        self.0.end_reason.clone().or_else(|| conversation::ended_at(&self.0, &self.1, ctx.state().clock.now()).map(|_| "IDLE".into()))
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

pub struct SensitiveBehavior(pub sensitive_behavior::Model);

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
        self.0.verdict.as_deref().and_then(ReviewVerdict::parse)
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
        let Some(mid) = self.0.message_id else { return Ok(vec![]) };
        let rows = queries::messages_around(ctx.db(), ctx.scope()?, mid, around).await?;
        Ok(rows.into_iter().map(ChatMessage).collect())
    }
}
