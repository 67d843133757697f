//! What the archive's lists select, within the caller's data scope: a chat
//! belongs to its employee side (a group chat to its owner). Each function
//! returns the filtered, ordered select; the caller pages it.

use async_graphql::{Enum, InputObject, ID};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, QueryFilter, QueryOrder, QuerySelect, Select};
use serde::{Deserialize, Serialize};

use super::{chat_kind::ChatKind, sensitive::BehaviorKind};
use crate::{
    error::{msg, AppError, AppResult},
    ids::parse_id,
    tenancy::Scope,
};
use entity::{
    chat_conversation, chat_message, chat_thread, customer, employee, group_member, reply_timeout, sensitive_behavior, sensitive_rule,
};

/// At most this many messages on each side of a behaviour's message.
const MAX_CONTEXT: u64 = 20;

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

/// Whose chats: an employee's (ARC-2) or a consenting customer's (ARC-3).
pub enum ChatsOf {
    Employee(i64),
    Customer(i64),
}

/// A `LIKE` pattern matching `s` anywhere, with the wildcards in it escaped.
fn like(s: &str) -> String {
    format!("%{}%", s.replace('%', "\\%").replace('_', "\\_"))
}

fn time_range(mut q: Select<chat_message::Entity>, from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> Select<chat_message::Entity> {
    if let Some(f) = from {
        q = q.filter(chat_message::Column::Msgtime.gte(f));
    }
    if let Some(t) = to {
        q = q.filter(chat_message::Column::Msgtime.lte(t));
    }
    q
}

/// Newest first, as every message list reads.
fn newest_first(q: Select<chat_message::Entity>) -> Select<chat_message::Entity> {
    q.order_by_desc(chat_message::Column::Msgtime).order_by_desc(chat_message::Column::Id)
}

/// Chats of an employee or customer, including the group chats they are in,
/// newest first; `None` when the customer did not agree to the archive.
pub async fn chats(
    db: &impl ConnectionTrait,
    scope: &Scope,
    of: ChatsOf,
    keyword: Option<&str>,
    range: ArchiveRange,
    kind: Option<ChatKind>,
    now: DateTime<Utc>,
) -> AppResult<Option<Select<chat_thread::Entity>>> {
    let mut q = scope.select::<chat_thread::Entity>();
    match of {
        ChatsOf::Employee(e) => {
            let emp = scope.get_visible::<employee::Entity>(db, e).await?;
            let rooms = scope
                .subquery::<group_member::Entity>(group_member::Column::GroupId)
                .and_where(group_member::Column::Userid.eq(emp.userid))
                .to_owned();
            q = q.filter(
                Condition::any().add(chat_thread::Column::EmployeeId.eq(emp.id)).add(chat_thread::Column::GroupId.in_subquery(rooms)),
            );
        }
        ChatsOf::Customer(c) => {
            let c = scope.get_visible::<customer::Entity>(db, c).await?;
            if !c.archive_agreed {
                return Ok(None);
            }
            let rooms = scope
                .subquery::<group_member::Entity>(group_member::Column::GroupId)
                .and_where(group_member::Column::Userid.eq(c.external_userid))
                .to_owned();
            q = q.filter(
                Condition::any().add(chat_thread::Column::CustomerId.eq(c.id)).add(chat_thread::Column::GroupId.in_subquery(rooms)),
            );
        }
    }
    // Data scope on top: the chat's employee side must be visible.
    q = q.filter(scope.visible_employees(chat_thread::Column::EmployeeId));
    if let Some(since) = range.since(now) {
        q = q.filter(chat_thread::Column::LastMessageAt.gte(since));
    }
    if let Some(k) = kind {
        q = q.filter(chat_thread::Column::ChatKind.eq(k.as_str()));
    }
    if let Some(kw) = keyword.map(str::trim).filter(|k| !k.is_empty()) {
        let hits = scope
            .subquery::<chat_message::Entity>(chat_message::Column::ChatKey)
            .and_where(chat_message::Column::Content.like(like(kw)))
            .to_owned();
        q = q.filter(chat_thread::Column::ChatKey.in_subquery(hits));
    }
    Ok(Some(q.order_by_desc(chat_thread::Column::LastMessageAt).order_by_desc(chat_thread::Column::Id)))
}

/// One chat's messages by time range, types and keyword.
pub fn messages(
    scope: &Scope,
    chat_key: String,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    msgtypes: Vec<String>,
    keyword: Option<&str>,
) -> Select<chat_message::Entity> {
    let mut q = time_range(scope.select_visible::<chat_message::Entity>().filter(chat_message::Column::ChatKey.eq(chat_key)), from, to);
    if !msgtypes.is_empty() {
        q = q.filter(chat_message::Column::Msgtype.is_in(msgtypes));
    }
    if let Some(kw) = keyword.map(str::trim).filter(|k| !k.is_empty()) {
        q = q.filter(chat_message::Column::Content.like(like(kw)));
    }
    newest_first(q)
}

/// Consenting customers by name, last contact first (ARC-3).
pub fn consenting_customers(scope: &Scope, keyword: Option<&str>) -> Select<customer::Entity> {
    let mut q = scope.select_visible::<customer::Entity>().filter(customer::Column::ArchiveAgreed.eq(true));
    if let Some(kw) = keyword.map(str::trim).filter(|k| !k.is_empty()) {
        q = q.filter(customer::Column::Name.like(like(kw)));
    }
    q.order_by_desc(customer::Column::LastContactAt).order_by_desc(customer::Column::Id)
}

/// Every visible message containing `keyword` (ARC-5); the keyword is required.
pub fn search(
    scope: &Scope,
    keyword: &str,
    kind: Option<ChatKind>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> AppResult<Select<chat_message::Entity>> {
    let keyword = keyword.trim();
    if keyword.is_empty() {
        return Err(AppError::bad_input("keyword", msg::REQUIRED));
    }
    let mut q =
        time_range(scope.select_visible::<chat_message::Entity>().filter(chat_message::Column::Content.like(like(keyword))), from, to);
    if let Some(k) = kind {
        q = q.filter(chat_message::Column::ChatKind.eq(k.as_str()));
    }
    Ok(newest_first(q))
}

/// Audio and video in chats (ARC-4): by media kind, chat kind, sender and time.
pub fn media(
    scope: &Scope,
    media_kinds: Vec<String>,
    chat_kind: Option<ChatKind>,
    sender: Option<String>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Select<chat_message::Entity> {
    let mut q = time_range(scope.select_visible::<chat_message::Entity>().filter(chat_message::Column::MediaKind.is_not_null()), from, to);
    if !media_kinds.is_empty() {
        q = q.filter(chat_message::Column::MediaKind.is_in(media_kinds));
    }
    if let Some(k) = chat_kind {
        q = q.filter(chat_message::Column::ChatKind.eq(k.as_str()));
    }
    if let Some(s) = sender.filter(|s| !s.is_empty()) {
        q = q.filter(chat_message::Column::FromId.eq(s));
    }
    newest_first(q)
}

/// Conversations (CFG-10) of a chat or an employee, newest first.
pub fn conversations(scope: &Scope, chat_key: Option<String>, employee_id: Option<i64>) -> Select<chat_conversation::Entity> {
    let mut q = scope.select_visible::<chat_conversation::Entity>();
    if let Some(k) = chat_key {
        q = q.filter(chat_conversation::Column::ChatKey.eq(k));
    }
    if let Some(e) = employee_id {
        q = q.filter(chat_conversation::Column::EmployeeId.eq(e));
    }
    q.order_by_desc(chat_conversation::Column::StartedAt)
}

/// Recorded reply timeouts (ARC-6), newest first.
pub fn reply_timeouts(scope: &Scope, chat_kind: Option<ChatKind>) -> Select<reply_timeout::Entity> {
    let mut q = scope.select_visible::<reply_timeout::Entity>();
    if let Some(k) = chat_kind {
        q = q.filter(reply_timeout::Column::ChatKind.eq(k.as_str()));
    }
    q.order_by_desc(reply_timeout::Column::Id)
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Default)]
pub enum SensitiveRuleOrder {
    #[default]
    CreatedDesc,
    HitsDesc,
}

/// Sensitive-word rules (ARC-7) by name and status.
pub fn sensitive_rules(
    scope: &Scope,
    keyword: Option<&str>,
    enabled: Option<bool>,
    order: SensitiveRuleOrder,
) -> Select<sensitive_rule::Entity> {
    let mut q = scope.select::<sensitive_rule::Entity>();
    if let Some(kw) = keyword.map(str::trim).filter(|k| !k.is_empty()) {
        q = q.filter(sensitive_rule::Column::Name.like(like(kw)));
    }
    if let Some(e) = enabled {
        q = q.filter(sensitive_rule::Column::Enabled.eq(e));
    }
    q = match order {
        SensitiveRuleOrder::CreatedDesc => q.order_by_desc(sensitive_rule::Column::CreatedAt),
        SensitiveRuleOrder::HitsDesc => q.order_by_desc(sensitive_rule::Column::HitCount),
    };
    q.order_by_desc(sensitive_rule::Column::Id)
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BehaviorStatus {
    Pending,
    Reviewed,
}

/// What the review queue and its export show; conditions combine with AND.
#[derive(InputObject, Default, Serialize, Deserialize)]
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
    pub fn select(&self, scope: &Scope) -> AppResult<Select<sensitive_behavior::Entity>> {
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

/// The messages of a chat around one message (`around` before and after, at
/// most 20 each), in time order; empty when the message is gone.
pub async fn messages_around(
    db: &impl ConnectionTrait,
    scope: &Scope,
    message_id: i64,
    around: u64,
) -> AppResult<Vec<chat_message::Model>> {
    let Some(m) = scope.select::<chat_message::Entity>().filter(chat_message::Column::Id.eq(message_id)).one(db).await? else {
        return Ok(vec![]);
    };
    let n = around.min(MAX_CONTEXT);
    let chat = || scope.select::<chat_message::Entity>().filter(chat_message::Column::ChatKey.eq(&m.chat_key));
    let mut before =
        chat().filter(chat_message::Column::Msgtime.lt(m.msgtime)).order_by_desc(chat_message::Column::Msgtime).limit(n).all(db).await?;
    before.reverse();
    let after =
        chat().filter(chat_message::Column::Msgtime.gt(m.msgtime)).order_by_asc(chat_message::Column::Msgtime).limit(n).all(db).await?;
    Ok(before.into_iter().chain([m]).chain(after).collect())
}
