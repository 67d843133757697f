//! The archive's settings and managed lists: reply rules (CFG-4),
//! conversation rules (CFG-9, CFG-10), sensitive-behaviour monitoring
//! (CFG-3), working calendars (SYS-2), sensitive-word rules (ARC-7), the
//! review of detected behaviours (ARC-8) and the ingest key.

use async_graphql::{Enum, InputObject};
use chrono::Utc;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder};

use super::{
    calendar::{self, TimeSlot, WorkingTime},
    conversation::ConversationRules,
    http::{digest, IngestKey},
    reply::ReplyRules,
    sensitive::{self, SensitiveMonitoring, WordCategory},
};
use crate::{
    error::{AppError, AppResult, Msg},
    ids::{parse_id, parse_ids},
    org::employees::ensure_exist,
    settings,
    tenancy::Scope,
};
use entity::{sensitive_behavior, sensitive_rule, work_calendar};

const CALENDAR_IN_USE: Msg = Msg::new("CALENDAR_IN_USE", "该日历正在被消息回复规则使用", "The message reply rules use this calendar");

/// Replaces the message reply rules (CFG-4); the calendar and the employees
/// they name must exist in the corp.
pub async fn set_reply_rules(db: &impl ConnectionTrait, scope: &Scope, input: &ReplyRules) -> AppResult<()> {
    input.check()?;
    if let Some(c) = &input.calendar_id {
        scope.get::<work_calendar::Entity>(db, parse_id(c, "calendarId")?).await.map_err(|e| e.with_field("calendarId"))?;
    }
    let named: Vec<i64> = input
        .single
        .iter()
        .chain(&input.group)
        .flat_map(|l| l.employee_ids.iter())
        .map(|i| parse_id(i, "employeeIds"))
        .collect::<Result<_, _>>()?;
    ensure_exist(db, scope, &named).await?;
    settings::put(db, scope, input).await
}

/// Replaces the conversation end rules and closing phrases.
pub async fn set_conversation_rules(db: &impl ConnectionTrait, scope: &Scope, input: &ConversationRules) -> AppResult<()> {
    input.check()?;
    settings::put(db, scope, input).await
}

/// Replaces the sensitive-behaviour monitoring; the employees it names must exist.
pub async fn set_sensitive_monitoring(db: &impl ConnectionTrait, scope: &Scope, input: &SensitiveMonitoring) -> AppResult<()> {
    let named = parse_ids(&input.employee_ids, "employeeIds")?
        .into_iter()
        .chain(parse_ids(&input.audited_employee_ids, "auditedEmployeeIds")?)
        .collect::<Vec<_>>();
    ensure_exist(db, scope, &named).await?;
    settings::put(db, scope, input).await
}

#[derive(InputObject)]
pub struct WorkCalendarInput {
    pub name: String,
    pub note: Option<String>,
    pub week: Vec<Vec<TimeSlot>>,
    #[graphql(default)]
    pub holidays: Vec<String>,
}

impl WorkCalendarInput {
    fn check(&self) -> AppResult<()> {
        let n = self.name.trim().chars().count();
        if n == 0 || n > 30 {
            return Err(AppError::bad_input("name", calendar::NAME_INVALID));
        }
        WorkingTime::parse(&self.week, &self.holidays)?;
        Ok(())
    }

    fn week_json(&self) -> AppResult<String> {
        serde_json::to_string(&self.week).map_err(AppError::internal)
    }

    fn holidays_json(&self) -> AppResult<String> {
        serde_json::to_string(&self.holidays).map_err(AppError::internal)
    }
}

pub async fn calendars(db: &impl ConnectionTrait, scope: &Scope) -> AppResult<Vec<work_calendar::Model>> {
    Ok(scope.select::<work_calendar::Entity>().order_by_asc(work_calendar::Column::Id).all(db).await?)
}

pub async fn create_calendar(db: &impl ConnectionTrait, scope: &Scope, input: WorkCalendarInput) -> AppResult<work_calendar::Model> {
    input.check()?;
    let now = Utc::now();
    let am = work_calendar::ActiveModel {
        name: Set(input.name.trim().to_string()),
        week: Set(input.week_json()?),
        holidays: Set(input.holidays_json()?),
        note: Set(input.note),
        created_by: Set(scope.employee_id()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    scope.insert(db, am).await
}

pub async fn update_calendar(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id: i64,
    input: WorkCalendarInput,
) -> AppResult<work_calendar::Model> {
    input.check()?;
    let c = scope.get::<work_calendar::Entity>(db, id).await?;
    let mut am: work_calendar::ActiveModel = c.into();
    am.name = Set(input.name.trim().to_string());
    am.week = Set(input.week_json()?);
    am.holidays = Set(input.holidays_json()?);
    am.note = Set(input.note);
    am.updated_at = Set(Utc::now());
    scope.update(db, am).await
}

/// Deletes a calendar unless the reply rules use it.
pub async fn delete_calendar(db: &impl ConnectionTrait, scope: &Scope, id: i64) -> AppResult<()> {
    let c = scope.get::<work_calendar::Entity>(db, id).await?;
    let rules: ReplyRules = settings::get(db, scope).await?;
    if rules.calendar_id.as_ref().is_some_and(|i| i.0 == c.id.to_string()) {
        return Err(AppError::conflict(CALENDAR_IN_USE));
    }
    scope.delete_many::<work_calendar::Entity>().filter(work_calendar::Column::Id.eq(c.id)).exec(db).await?;
    Ok(())
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

/// A new rule starts OFF (ARC-7).
pub async fn create_rule(db: &impl ConnectionTrait, scope: &Scope, input: SensitiveRuleInput) -> AppResult<sensitive_rule::Model> {
    sensitive::check_rule(&input.name, &input.words)?;
    let now = Utc::now();
    let am = sensitive_rule::ActiveModel {
        name: Set(input.name.trim().to_string()),
        words: Set(sensitive::split_words(&input.words).join("，")),
        category: Set(input.category.as_str().to_string()),
        enabled: Set(false),
        hit_count: Set(0),
        created_by: Set(scope.employee_id()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    scope.insert(db, am).await
}

pub async fn update_rule(db: &impl ConnectionTrait, scope: &Scope, id: i64, input: SensitiveRuleInput) -> AppResult<sensitive_rule::Model> {
    sensitive::check_rule(&input.name, &input.words)?;
    let r = scope.get::<sensitive_rule::Entity>(db, id).await?;
    let mut am: sensitive_rule::ActiveModel = r.into();
    am.name = Set(input.name.trim().to_string());
    am.words = Set(sensitive::split_words(&input.words).join("，"));
    am.category = Set(input.category.as_str().to_string());
    am.updated_at = Set(Utc::now());
    scope.update(db, am).await
}

pub async fn set_rule_enabled(db: &impl ConnectionTrait, scope: &Scope, id: i64, enabled: bool) -> AppResult<sensitive_rule::Model> {
    let r = scope.get::<sensitive_rule::Entity>(db, id).await?;
    let mut am: sensitive_rule::ActiveModel = r.into();
    am.enabled = Set(enabled);
    am.updated_at = Set(Utc::now());
    scope.update(db, am).await
}

pub async fn delete_rule(db: &impl ConnectionTrait, scope: &Scope, id: i64) -> AppResult<()> {
    let r = scope.get::<sensitive_rule::Entity>(db, id).await?;
    scope.delete_many::<sensitive_rule::Entity>().filter(sensitive_rule::Column::Id.eq(r.id)).exec(db).await?;
    Ok(())
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum ReviewVerdict {
    /// 违规属实.
    Violation,
    /// 误报.
    FalseAlarm,
}

impl ReviewVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewVerdict::Violation => "VIOLATION",
            ReviewVerdict::FalseAlarm => "FALSE_ALARM",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [ReviewVerdict::Violation, ReviewVerdict::FalseAlarm].into_iter().find(|v| v.as_str() == s)
    }
}

/// Reviews (or reviews again) a visible detected behaviour (ARC-8).
pub async fn review_behavior(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id: i64,
    verdict: ReviewVerdict,
    remark: Option<String>,
) -> AppResult<sensitive_behavior::Model> {
    let b = scope.get_visible::<sensitive_behavior::Entity>(db, id).await?;
    let mut am: sensitive_behavior::ActiveModel = b.into();
    am.status = Set("REVIEWED".into());
    am.verdict = Set(Some(verdict.as_str().into()));
    am.remark = Set(remark);
    am.reviewer_id = Set(scope.employee_id());
    am.reviewed_at = Set(Some(Utc::now()));
    scope.update(db, am).await
}

/// A new ingest key for `POST /archive/{corp}/messages`: returned once and
/// stored only as its digest, so the old one stops working.
pub async fn rotate_ingest_key(db: &impl ConnectionTrait, scope: &Scope) -> AppResult<String> {
    let key = format!("ak_{}", hex::encode(rand::random::<[u8; 24]>()));
    settings::put(db, scope, &IngestKey { key_sha256: Some(digest(&key)) }).await?;
    Ok(key)
}
