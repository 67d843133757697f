//! Follow-up types (CFG-19) and follow-up records (CUS-6, CUS-7, GRP-5).
//! Mentioned colleagues are told at once and a timed reminder at its time,
//! both as WeCom app messages sent by durable jobs (never inside a request).

use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::OnConflict, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, PaginatorTrait, QueryFilter, QueryOrder,
    Select,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{
    subjects::Subject,
    timeline::{self, EventKind, NewEvent},
};
use crate::{
    error::{AppError, AppResult, Code, Msg},
    jobs::{JobCtx, JobError, JobHandler, JobKind, NewJob},
    state::AppState,
    tenancy::Scope,
};
use entity::{employee, follow_up, follow_up_type};

pub const DEFAULT_TYPE: &str = "笔记";
const CONTENT_INVALID: Msg = Msg::new("FOLLOW_UP_CONTENT_INVALID", "跟进内容为1-100个字", "Follow-up text must be 1-100 characters");
const TYPE_NAME_INVALID: Msg = Msg::new("FOLLOW_UP_TYPE_NAME_INVALID", "类型名称为1-20个字", "Type names must be 1-20 characters");
const TYPE_IN_USE: Msg = Msg::new("FOLLOW_UP_TYPE_IN_USE", "该类型已被使用，不支持删除", "The type is in use and cannot be deleted");
const TYPE_DISABLED: Msg = Msg::new("FOLLOW_UP_TYPE_DISABLED", "该跟进类型已停用", "This follow-up type is disabled");
const REMIND_IN_PAST: Msg = Msg::new("REMIND_IN_PAST", "提醒时间须晚于当前时间", "The reminder time must be in the future");
const TOO_MANY_ATTACHMENTS: Msg = Msg::new("TOO_MANY_ATTACHMENTS", "最多上传9个附件", "At most 9 attachments");
const TOO_MANY_MENTIONS: Msg = Msg::new("TOO_MANY_MENTIONS", "最多@50位同事", "At most 50 colleagues can be mentioned");

/// The corp's types in order; the default "笔记" is created on first use.
pub async fn types(db: &impl ConnectionTrait, scope: &Scope) -> AppResult<Vec<follow_up_type::Model>> {
    ensure_default(db, scope).await?;
    Ok(scope
        .select::<follow_up_type::Entity>()
        .order_by_asc(follow_up_type::Column::Sort)
        .order_by_asc(follow_up_type::Column::Id)
        .all(db)
        .await?)
}

async fn ensure_default(db: &impl ConnectionTrait, scope: &Scope) -> AppResult<()> {
    if scope.select::<follow_up_type::Entity>().filter(follow_up_type::Column::IsDefault.eq(true)).count(db).await? > 0 {
        return Ok(());
    }
    let now = Utc::now();
    scope
        .insert_many_ignoring(
            db,
            [follow_up_type::ActiveModel {
                name: Set(DEFAULT_TYPE.into()),
                sort: Set(0),
                enabled: Set(true),
                is_default: Set(true),
                created_by: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }],
            OnConflict::columns([follow_up_type::Column::CorpId, follow_up_type::Column::Name]).do_nothing().to_owned(),
        )
        .await
}

fn type_name(n: &str) -> AppResult<String> {
    let n = n.trim();
    if n.is_empty() || n.chars().count() > 20 {
        return Err(AppError::bad_input("name", TYPE_NAME_INVALID));
    }
    Ok(n.to_string())
}

async fn name_taken(db: &impl ConnectionTrait, scope: &Scope, name: &str, except: Option<i64>) -> AppResult<bool> {
    let mut q = scope.select::<follow_up_type::Entity>().filter(follow_up_type::Column::Name.eq(name));
    if let Some(id) = except {
        q = q.filter(follow_up_type::Column::Id.ne(id));
    }
    Ok(q.count(db).await? > 0)
}

/// A new type goes last.
pub async fn create_type(db: &DatabaseConnection, scope: &Scope, name: &str) -> AppResult<follow_up_type::Model> {
    let name = type_name(name)?;
    let existing = types(db, scope).await?;
    if existing.iter().any(|t| t.name == name) {
        return Err(AppError::conflict(crate::error::msg::DUPLICATE_NAME).with_field("name"));
    }
    let now = Utc::now();
    scope
        .insert(
            db,
            follow_up_type::ActiveModel {
                name: Set(name),
                sort: Set(existing.iter().map(|t| t.sort).max().unwrap_or(0) + 1),
                enabled: Set(true),
                is_default: Set(false),
                created_by: Set(scope.employee_id()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            },
        )
        .await
}

pub async fn update_type(
    db: &DatabaseConnection,
    scope: &Scope,
    id: i64,
    name: Option<&str>,
    enabled: Option<bool>,
) -> AppResult<follow_up_type::Model> {
    let t = scope.get::<follow_up_type::Entity>(db, id).await?;
    let mut am: follow_up_type::ActiveModel = t.into();
    if let Some(n) = name {
        let n = type_name(n)?;
        if name_taken(db, scope, &n, Some(id)).await? {
            return Err(AppError::conflict(crate::error::msg::DUPLICATE_NAME).with_field("name"));
        }
        am.name = Set(n);
    }
    if let Some(e) = enabled {
        am.enabled = Set(e);
    }
    am.updated_at = Set(Utc::now());
    scope.update(db, am).await
}

/// Refused once any record uses the type.
pub async fn delete_type(db: &DatabaseConnection, scope: &Scope, id: i64) -> AppResult<()> {
    scope.get::<follow_up_type::Entity>(db, id).await?;
    if scope.select::<follow_up::Entity>().filter(follow_up::Column::TypeId.eq(id)).count(db).await? > 0 {
        return Err(AppError::conflict(TYPE_IN_USE));
    }
    scope.delete_by_id::<follow_up_type::Entity>(db, id, TYPE_IN_USE).await?;
    Ok(())
}

/// Moves a type to `position` (0-based) and renumbers the list, in one transaction.
pub async fn move_type(db: &DatabaseConnection, scope: &Scope, id: i64, position: usize) -> AppResult<Vec<follow_up_type::Model>> {
    let txn = crate::db::write_txn(db).await?;
    let mut list = types(&txn, scope).await?;
    let from = list.iter().position(|t| t.id == id).ok_or_else(AppError::not_found)?;
    let t = list.remove(from);
    list.insert(position.min(list.len()), t);
    for (i, t) in list.iter().enumerate() {
        if t.sort != i as i32 {
            scope
                .update_many::<follow_up_type::Entity>()
                .col_expr(follow_up_type::Column::Sort, (i as i32).into())
                .filter(follow_up_type::Column::Id.eq(t.id))
                .exec(&txn)
                .await?;
        }
    }
    txn.commit().await?;
    types(db, scope).await
}

/// A new follow-up record.
pub struct NewFollowUp {
    pub subject: Subject,
    pub subject_id: i64,
    pub content: String,
    /// `None`: the default type.
    pub type_id: Option<i64>,
    pub mentions: Vec<i64>,
    pub remind_at: Option<DateTime<Utc>>,
    /// Uploaded files (`POST /files`) to attach.
    pub attachment_ids: Vec<i64>,
}

/// Writes the record and its timeline entry in one transaction, then queues
/// the notifications. The subject must be visible to the author.
pub async fn create(state: &AppState, scope: &Scope, new: NewFollowUp) -> AppResult<follow_up::Model> {
    let db = &state.db;
    let author = scope.employee_id().ok_or_else(AppError::forbidden)?;
    let content = new.content.trim().to_string();
    if content.is_empty() || content.chars().count() > 100 {
        return Err(AppError::bad_input("content", CONTENT_INVALID));
    }
    if new.mentions.len() > 50 {
        return Err(AppError::bad_input("mentionEmployeeIds", TOO_MANY_MENTIONS));
    }
    if new.remind_at.is_some_and(|t| t <= Utc::now()) {
        return Err(AppError::bad_input("remindAt", REMIND_IN_PAST));
    }
    let subject_name = super::subjects::writable_subject(db, scope, new.subject, new.subject_id).await?.name;
    let all_types = types(db, scope).await?;
    let ty = match new.type_id {
        Some(id) => all_types.iter().find(|t| t.id == id).ok_or_else(AppError::not_found)?,
        None => all_types.iter().find(|t| t.is_default).ok_or_else(AppError::not_found)?,
    };
    if !ty.enabled {
        return Err(AppError::bad_input("typeId", TYPE_DISABLED));
    }
    let mut mentions = new.mentions.clone();
    mentions.sort_unstable();
    mentions.dedup();
    if !mentions.is_empty() {
        let found = scope.select::<employee::Entity>().filter(employee::Column::Id.is_in(mentions.clone())).count(db).await?;
        if found as usize != mentions.len() {
            return Err(AppError::not_found().with_field("mentionEmployeeIds"));
        }
    }

    let mut attachments = new.attachment_ids.clone();
    attachments.sort_unstable();
    attachments.dedup();
    if attachments.len() > 9 {
        return Err(AppError::bad_input("attachmentIds", TOO_MANY_ATTACHMENTS));
    }
    if !attachments.is_empty() {
        let found = scope
            .select::<entity::stored_file::Entity>()
            .filter(entity::stored_file::Column::Id.is_in(attachments.clone()))
            .count(db)
            .await?;
        if found as usize != attachments.len() {
            return Err(AppError::not_found().with_field("attachmentIds"));
        }
    }

    let now = Utc::now();
    let txn = crate::db::write_txn(db).await?;
    let record = scope
        .insert(
            &txn,
            follow_up::ActiveModel {
                subject_kind: Set(new.subject.as_str().into()),
                subject_id: Set(new.subject_id),
                author_id: Set(author),
                type_id: Set(ty.id),
                content: Set(content.clone()),
                mentions: Set(crate::json::text(&mentions)),
                attachments: Set(crate::json::text(&attachments)),
                remind_at: Set(new.remind_at),
                created_at: Set(now),
                ..Default::default()
            },
        )
        .await?;
    if new.subject == Subject::Lead {
        // The lead list's "days not followed" counts from here (CRM-1).
        // On the app clock, which the lead list counts days on.
        scope
            .update_many::<entity::lead::Entity>()
            .col_expr(entity::lead::Column::LastFollowUpAt, sea_orm::sea_query::Expr::value(state.clock.now()))
            .filter(entity::lead::Column::Id.eq(new.subject_id))
            .exec(&txn)
            .await?;
    }
    if new.subject == Subject::Customer {
        timeline::append(
            &txn,
            scope,
            vec![NewEvent::new(new.subject_id, EventKind::FollowUp, now)
                .by(Some(author))
                .with(json!({"followUpId": record.id, "type": ty.name, "content": content}))],
        )
        .await?;
    }
    let base = NewJob { corp_id: Some(scope.corp_id()), created_by: Some(author), ..Default::default() };
    if !mentions.is_empty() {
        let n =
            ReminderNotice { follow_up_id: record.id, recipients: mentions, kind: ReminderKind::Mention, subject: subject_name.clone() };
        state.jobs.enqueue::<SendReminderJob>(&txn, base.clone().dedup(format!("follow-up:{}:mention", record.id)), &n).await?;
    }
    if let Some(at) = new.remind_at {
        // "Remind me": the author is told at the time.
        let n = ReminderNotice { follow_up_id: record.id, recipients: vec![author], kind: ReminderKind::Due, subject: subject_name };
        state.jobs.enqueue::<SendReminderJob>(&txn, base.dedup(format!("follow-up:{}:due", record.id)).at(at), &n).await?;
    }
    txn.commit().await?;
    Ok(record)
}

/// A subject's records, newest first.
pub fn of_subject(scope: &Scope, subject: Subject, id: i64) -> Select<follow_up::Entity> {
    scope
        .select::<follow_up::Entity>()
        .filter(follow_up::Column::SubjectKind.eq(subject.as_str()))
        .filter(follow_up::Column::SubjectId.eq(id))
        .order_by_desc(follow_up::Column::CreatedAt)
        .order_by_desc(follow_up::Column::Id)
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReminderKind {
    /// REMINDER_MENTION: sent when the record is written.
    Mention,
    /// REMINDER_DUE: sent at the reminder time.
    Due,
}

#[derive(Serialize, Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct ReminderNotice {
    pub follow_up_id: i64,
    pub recipients: Vec<i64>,
    pub kind: ReminderKind,
    /// The customer's or group's name, for the message.
    pub subject: String,
}

/// Sends one reminder as a WeCom app message (NTF-1 REMINDER_MENTION /
/// REMINDER_DUE). A corp without WeCom gets nothing sent and the job says so.
pub struct SendReminderJob;

impl JobKind for SendReminderJob {
    const KIND: &'static str = "customers.follow_up_reminder";
    type Payload = ReminderNotice;
}

#[async_trait::async_trait]
impl JobHandler for SendReminderJob {
    type Kind = Self;

    async fn run(&self, ctx: &JobCtx, n: ReminderNotice) -> Result<Value, JobError> {
        let corp_id = ctx.job.corp_id.ok_or(JobError::Permanent { code: Code::Internal, msg: crate::error::msg::INTERNAL })?;
        let scope = Scope::system(corp_id);
        let db = &ctx.state.db;
        let Some(record) =
            scope.select::<follow_up::Entity>().filter(follow_up::Column::Id.eq(n.follow_up_id)).one(db).await.map_err(AppError::from)?
        else {
            return Ok(json!({"skipped": "follow-up gone"}));
        };
        let people = scope
            .select::<employee::Entity>()
            .filter(employee::Column::Id.is_in(n.recipients.clone()))
            .all(db)
            .await
            .map_err(AppError::from)?;
        let author =
            scope.select::<employee::Entity>().filter(employee::Column::Id.eq(record.author_id)).one(db).await.map_err(AppError::from)?;
        let author = author.map(|a| a.name).unwrap_or_default();
        let text = match n.kind {
            ReminderKind::Mention => format!("{author} 在「{}」的跟进记录中提到了你：{}", n.subject, record.content),
            ReminderKind::Due => format!("跟进提醒：「{}」— {}", n.subject, record.content),
        };
        let about = match Subject::parse(&record.subject_kind) {
            Some(Subject::Group) => crate::alerts::notices::About::Group(record.subject_id),
            Some(Subject::Lead) => crate::alerts::notices::About::Lead(record.subject_id),
            _ => crate::alerts::notices::About::Customer(record.subject_id),
        };
        let kind = match n.kind {
            ReminderKind::Mention => "REMINDER_MENTION",
            ReminderKind::Due => "REMINDER_DUE",
        };
        let ids: Vec<i64> = people.iter().map(|p| p.id).collect();
        crate::alerts::notices::tell(&ctx.state, corp_id, kind, about, &ids, text, format!("notice:job:{}", ctx.job.id)).await
    }
}
