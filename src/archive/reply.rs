//! Reply timeouts (ARC-6, CFG-4). A customer message in a single or group
//! chat starts one timer per warning level of the corp's reply rules; the
//! level's limit counts working minutes of the rule's calendar. A timer is a
//! durable job keyed by (message, level), and a timeout row is unique by
//! (message, level), so neither a restart nor a retried job fires a level
//! twice. When a timer fires it checks the chat: an employee reply before
//! the deadline, or a later customer message (which has its own timers,
//! since the timer starts at the customer's last message), means nothing to
//! report. A reply also cancels the chat's queued timers.

use async_graphql::{InputObject, SimpleObject, ID};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{sea_query::OnConflict, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{calendar::TimeSlot, chat_kind::ChatKind};
use crate::{
    alerts::{AlertCategory, NewAlert},
    error::{AppError, AppResult, Msg},
    jobs::{JobCtx, JobError, JobHandler, JobKind, NewJob},
    settings::Document,
    tenancy::Scope,
};
use entity::{
    chat_message, customer, customer_group, department, employee, employee_department, group_member, reply_timeout, work_calendar,
};

const TOO_MANY_LEVELS: Msg = Msg::new("TOO_MANY_LEVELS", "最多设置五级预警", "At most five warning levels");
const BAD_MINUTES: Msg = Msg::new(
    "REPLY_TIMEOUT_MINUTES_INVALID",
    "超时时长为1-1440分钟，且逐级递增",
    "Timeout limits are 1-1440 minutes and increase level by level",
);

#[derive(SimpleObject, InputObject, Clone, Debug, Serialize, Deserialize, PartialEq, Default)]
#[graphql(name = "TimeoutLevel", input_name = "TimeoutLevelInput")]
#[serde(rename_all = "camelCase", default)]
pub struct TimeoutLevel {
    /// Working minutes without a reply before this level fires.
    pub minutes: i32,
    /// Notify the employee who should reply (in a group: every employee in it).
    pub notify_employee: bool,
    /// Notify the leaders of that employee's departments.
    pub notify_department_leaders: bool,
    /// Notify these employees too.
    pub employee_ids: Vec<ID>,
}

#[derive(SimpleObject, InputObject, Clone, Debug, Serialize, Deserialize, PartialEq)]
#[graphql(name = "ReplyRules", input_name = "ReplyRulesInput")]
#[serde(rename_all = "camelCase", default)]
pub struct ReplyRules {
    pub enabled: bool,
    /// Working calendar whose working time is monitored; none means around the clock.
    pub calendar_id: Option<ID>,
    /// Single-chat warning levels (up to five, limits increasing).
    pub single: Vec<TimeoutLevel>,
    /// Group-chat warning levels.
    pub group: Vec<TimeoutLevel>,
    /// Also send WeCom app messages.
    pub app_message: bool,
}

impl Default for ReplyRules {
    /// Off until an admin sets it up; then one 5-minute level per chat kind to the employee.
    fn default() -> Self {
        let level = TimeoutLevel { minutes: 5, notify_employee: true, ..Default::default() };
        ReplyRules { enabled: false, calendar_id: None, single: vec![level.clone()], group: vec![level], app_message: true }
    }
}

impl Document for ReplyRules {
    const KEY: &'static str = "reply_rules";
}

impl ReplyRules {
    pub fn check(&self) -> AppResult<()> {
        for (field, levels) in [("single", &self.single), ("group", &self.group)] {
            if levels.len() > 5 {
                return Err(AppError::bad_input(field, TOO_MANY_LEVELS));
            }
            let mut last = 0;
            for l in levels {
                if !(1..=1440).contains(&l.minutes) || l.minutes <= last {
                    return Err(AppError::bad_input(field, BAD_MINUTES));
                }
                last = l.minutes;
            }
        }
        Ok(())
    }

    pub fn levels(&self, kind: ChatKind) -> &[TimeoutLevel] {
        match kind {
            ChatKind::Single => &self.single,
            ChatKind::Group => &self.group,
            ChatKind::Internal => &[],
        }
    }
}

/// What a timeout alert carries.
#[derive(SimpleObject, Serialize, Deserialize, Clone, Debug, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct TimeoutAlertDetail {
    pub chat_kind: Option<ChatKind>,
    /// 1–5.
    pub level: i32,
    pub limit_minutes: i32,
    pub customer_name: Option<String>,
    pub group_name: Option<String>,
    /// The customer's unanswered message.
    pub customer_message: String,
    pub last_customer_message_at: Option<DateTime<Utc>>,
    /// Who timed out (in a group: every employee in it).
    pub timed_out_employee_ids: Vec<ID>,
    pub timed_out_employee_names: Vec<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimerPayload {
    pub message_id: i64,
    pub level: i32,
}

/// The key of the chat's timers; a reply deletes the queued ones by it.
fn timer_prefix(corp_id: i64, chat_key: &str) -> String {
    let h = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(chat_key.as_bytes()));
    format!("reply-timeout:{corp_id}:{}:", &h[..24])
}

/// The reply rules with their calendar's working time, read once per batch or timer.
pub struct Monitor {
    pub rules: ReplyRules,
    working: Option<super::calendar::WorkingTime>,
}

impl Monitor {
    pub async fn load(db: &impl ConnectionTrait, scope: &Scope) -> AppResult<Monitor> {
        let rules: ReplyRules = crate::settings::get(db, scope).await?;
        let calendar = rules.calendar_id.as_ref().and_then(|i| i.parse::<i64>().ok());
        let working = match scope.find::<work_calendar::Entity>(db, calendar).await? {
            Some(c) => {
                let week: Vec<Vec<TimeSlot>> = serde_json::from_str(&c.week).unwrap_or_default();
                let holidays: Vec<String> = serde_json::from_str(&c.holidays).unwrap_or_default();
                super::calendar::WorkingTime::parse(&week, &holidays).ok()
            }
            None => None,
        };
        Ok(Monitor { rules, working })
    }

    /// When a level of `minutes` fires for a message sent at `at`; none without working time.
    fn deadline(&self, at: DateTime<Utc>, minutes: i32) -> Option<DateTime<Utc>> {
        match &self.working {
            Some(w) => w.add_working_minutes(at, minutes as i64),
            None => Some(at + Duration::minutes(minutes as i64)),
        }
    }
}

/// Starts the timers of a customer message (inside the ingest transaction).
pub async fn start_timers(
    db: &impl ConnectionTrait,
    scope: &Scope,
    monitor: &Monitor,
    m: &chat_message::Model,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let Some(kind) = ChatKind::parse(&m.chat_kind) else { return Ok(()) };
    if !monitor.rules.enabled {
        return Ok(());
    }
    for (i, level) in monitor.rules.levels(kind).iter().enumerate() {
        let Some(at) = monitor.deadline(m.msgtime, level.minutes) else { continue };
        let new = NewJob { corp_id: Some(scope.corp_id()), ..NewJob::system() }
            .dedup(format!("{}{}:{}", timer_prefix(scope.corp_id(), &m.chat_key), m.id, i + 1))
            .at(at);
        crate::jobs::insert::<ReplyTimeoutJob>(db, new, &TimerPayload { message_id: m.id, level: i as i32 + 1 }, now).await?;
    }
    Ok(())
}

/// An employee replied in this chat: its queued timers go.
pub async fn cancel_timers(db: &impl ConnectionTrait, corp_id: i64, chat_key: &str) -> AppResult<()> {
    use entity::job;
    // The queue is a platform table; the key names the corp and the chat.
    job::Entity::delete_many()
        .filter(job::Column::Status.eq(crate::jobs::status::QUEUED))
        .filter(job::Column::Kind.eq(ReplyTimeoutJob::KIND))
        .filter(job::Column::DedupKey.starts_with(timer_prefix(corp_id, chat_key)))
        .exec(db)
        .await?;
    Ok(())
}

/// Whether the wait that started at `m` is still open at `until`: no employee
/// reply and no later customer message in the chat before then.
async fn unanswered(db: &impl ConnectionTrait, scope: &Scope, m: &chat_message::Model, until: DateTime<Utc>) -> AppResult<bool> {
    let later = scope
        .select::<chat_message::Entity>()
        .filter(chat_message::Column::ChatKey.eq(&m.chat_key))
        .filter(chat_message::Column::Action.eq("send"))
        .filter(chat_message::Column::Id.ne(m.id))
        .filter(chat_message::Column::Msgtime.gte(m.msgtime))
        .filter(chat_message::Column::Msgtime.lte(until))
        .count(db)
        .await?;
    Ok(later == 0)
}

/// The employees who should have replied: the single chat's employee, or
/// every employee currently in the group.
async fn responsible(db: &impl ConnectionTrait, scope: &Scope, m: &chat_message::Model) -> AppResult<Vec<employee::Model>> {
    let userids: Vec<String> = match (ChatKind::parse(&m.chat_kind), m.group_id) {
        (Some(ChatKind::Group), Some(g)) => scope
            .select::<group_member::Entity>()
            .filter(group_member::Column::GroupId.eq(g))
            .filter(group_member::Column::MemberType.eq(1))
            .filter(group_member::Column::LeftAt.is_null())
            .all(db)
            .await?
            .into_iter()
            .map(|x| x.userid)
            .collect(),
        _ => {
            return Ok(match m.employee_id {
                Some(e) => scope.select::<employee::Entity>().filter(employee::Column::Id.eq(e)).all(db).await?,
                None => vec![],
            })
        }
    };
    Ok(scope.select::<employee::Entity>().filter(employee::Column::Userid.is_in(userids)).all(db).await?)
}

/// Leaders (as WeCom reports them) of these employees' departments.
pub async fn leaders_for(db: &impl ConnectionTrait, scope: &Scope, employees: &[i64]) -> AppResult<Vec<i64>> {
    let depts: Vec<i64> = scope
        .select::<employee_department::Entity>()
        .filter(employee_department::Column::EmployeeId.is_in(employees.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|d| d.department_id)
        .collect();
    let userids: Vec<String> = scope
        .select::<department::Entity>()
        .filter(department::Column::Id.is_in(depts))
        .all(db)
        .await?
        .into_iter()
        .flat_map(|d| serde_json::from_str::<Vec<String>>(&d.leader_userids).unwrap_or_default())
        .collect();
    if userids.is_empty() {
        return Ok(vec![]);
    }
    Ok(scope
        .select::<employee::Entity>()
        .filter(employee::Column::Userid.is_in(userids))
        .all(db)
        .await?
        .into_iter()
        .map(|e| e.id)
        .collect())
}

pub struct ReplyTimeoutJob;

impl JobKind for ReplyTimeoutJob {
    const KIND: &'static str = "archive.reply_timeout";
    type Payload = TimerPayload;
}

#[async_trait::async_trait]
impl JobHandler for ReplyTimeoutJob {
    type Kind = Self;

    async fn run(&self, ctx: &JobCtx, p: TimerPayload) -> Result<Value, JobError> {
        let state = &ctx.state;
        let db = &state.db;
        let Some(corp_id) = ctx.job.corp_id else { return Ok(json!({"skipped": "no corp"})) };
        let scope = Scope::system(corp_id);
        let Some(m) = scope
            .select::<chat_message::Entity>()
            .filter(chat_message::Column::Id.eq(p.message_id))
            .one(db)
            .await
            .map_err(AppError::from)?
        else {
            return Ok(json!({"skipped": "message gone"}));
        };
        let monitor = Monitor::load(db, &scope).await.map_err(JobError::from_app)?;
        let rules = &monitor.rules;
        let Some(kind) = ChatKind::parse(&m.chat_kind) else { return Ok(json!({"skipped": "not monitored"})) };
        let Some(level) = rules.levels(kind).get((p.level - 1).max(0) as usize).filter(|_| rules.enabled && p.level >= 1) else {
            return Ok(json!({"skipped": "rule off or level removed"}));
        };
        let now = state.clock.now();
        let Some(due) = monitor.deadline(m.msgtime, level.minutes) else {
            return Ok(json!({"skipped": "no working time"}));
        };
        if due > now {
            // The rule changed since the timer was set: wait for the new deadline.
            let new = NewJob { corp_id: Some(corp_id), ..NewJob::system() }
                .dedup(format!("{}{}:{}:{}", timer_prefix(corp_id, &m.chat_key), m.id, p.level, due.timestamp()))
                .at(due);
            state.jobs.enqueue::<ReplyTimeoutJob>(db, new, &p).await?;
            return Ok(json!({"rescheduled": due}));
        }
        if !unanswered(db, &scope, &m, due).await.map_err(JobError::from_app)? {
            return Ok(json!({"skipped": "answered or superseded"}));
        }
        let late = responsible(db, &scope, &m).await.map_err(JobError::from_app)?;
        let late_ids: Vec<i64> = late.iter().map(|e| e.id).collect();
        let txn = crate::db::write_txn(db).await.map_err(AppError::from)?;
        let before = scope
            .select::<reply_timeout::Entity>()
            .filter(reply_timeout::Column::MessageId.eq(m.id))
            .filter(reply_timeout::Column::Level.eq(p.level))
            .count(&txn)
            .await
            .map_err(AppError::from)?;
        if before > 0 {
            txn.rollback().await.map_err(AppError::from)?;
            return Ok(json!({"skipped": "already recorded"}));
        }
        scope
            .insert_many_ignoring(
                &txn,
                [reply_timeout::ActiveModel {
                    chat_kind: Set(m.chat_kind.clone()),
                    chat_key: Set(m.chat_key.clone()),
                    message_id: Set(m.id),
                    level: Set(p.level),
                    limit_minutes: Set(level.minutes),
                    customer_id: Set(m.customer_id),
                    employee_id: Set(m.employee_id),
                    group_id: Set(m.group_id),
                    employee_ids: Set(serde_json::to_string(&late_ids).unwrap_or_default()),
                    customer_message_at: Set(m.msgtime),
                    deadline_at: Set(due),
                    created_at: Set(now),
                    ..Default::default()
                }],
                OnConflict::columns([reply_timeout::Column::CorpId, reply_timeout::Column::MessageId, reply_timeout::Column::Level])
                    .do_nothing()
                    .to_owned(),
            )
            .await
            .map_err(JobError::from_app)?;
        txn.commit().await.map_err(AppError::from)?;

        let mut recipients: Vec<i64> = level.employee_ids.iter().filter_map(|i| i.parse().ok()).collect();
        if level.notify_employee {
            recipients.extend(&late_ids);
        }
        if level.notify_department_leaders {
            recipients.extend(leaders_for(db, &scope, &late_ids).await.map_err(JobError::from_app)?);
        }
        let customer = scope.find::<customer::Entity>(db, m.customer_id).await.map_err(JobError::from_app)?;
        let group = scope.find::<customer_group::Entity>(db, m.group_id).await.map_err(JobError::from_app)?;
        let detail = TimeoutAlertDetail {
            chat_kind: Some(kind),
            level: p.level,
            limit_minutes: level.minutes,
            customer_name: customer.as_ref().map(|c| c.name.clone()),
            group_name: group.as_ref().map(|g| g.name.clone()),
            customer_message: m.content.clone(),
            last_customer_message_at: Some(m.msgtime),
            timed_out_employee_ids: late_ids.iter().map(|i| ID(i.to_string())).collect(),
            timed_out_employee_names: late.iter().map(|e| e.name.clone()).collect(),
        };
        let who = detail.customer_name.clone().unwrap_or_else(|| "客户".into());
        let text = match &detail.group_name {
            Some(g) => format!("【{}级预警】群聊「{g}」中客户{who}的消息已{}分钟未回复", p.level, level.minutes),
            None => format!("【{}级预警】客户{who}的消息已{}分钟未回复", p.level, level.minutes),
        };
        let raised = crate::alerts::raise(
            state,
            &scope,
            NewAlert {
                category: AlertCategory::Timeout,
                kind: "REPLY_TIMEOUT".into(),
                customer_id: m.customer_id,
                group_id: m.group_id,
                employee_id: m.employee_id,
                text,
                payload: serde_json::to_value(&detail).unwrap_or(Value::Null),
                occurred_at: due,
                dedup_key: format!("timeout:{}:{}", m.id, p.level),
                recipients,
                deliver_now: true,
                app_message: rules.app_message,
            },
        )
        .await
        .map_err(JobError::from_app)?;
        Ok(json!({"timedOut": late_ids, "alerted": raised.map(|a| a.recipients)}))
    }
}

/// Sets the timers again for every customer message of the last day still
/// waiting for a reply (after a restore, or when timers were lost). Keys
/// make it idempotent: a timer already set, or a level already recorded,
/// stays as it is.
pub struct RebuildTimersJob;

impl JobKind for RebuildTimersJob {
    const KIND: &'static str = "archive.rebuild_reply_timers";
    type Payload = Value;
}

#[async_trait::async_trait]
impl JobHandler for RebuildTimersJob {
    type Kind = Self;

    async fn run(&self, ctx: &JobCtx, _: Value) -> Result<Value, JobError> {
        let state = &ctx.state;
        let db = &state.db;
        let now = state.clock.now();
        let corps: Vec<i64> = match ctx.job.corp_id {
            Some(c) => vec![c],
            // Platform-wide on purpose: one sweep serves every corp.
            None => entity::corp::Entity::find().all(db).await.map_err(AppError::from)?.into_iter().map(|c| c.id).collect(),
        };
        let mut set = 0;
        for corp in corps {
            let scope = Scope::system(corp);
            let monitor = Monitor::load(db, &scope).await.map_err(JobError::from_app)?;
            if !monitor.rules.enabled {
                continue;
            }
            // Chats whose latest sent message (last day) is the customer's: two statements a corp.
            let last_sent: Vec<i64> = scope
                .select::<entity::chat_thread::Entity>()
                .filter(entity::chat_thread::Column::LastSentAt.gte(now - Duration::days(1)))
                .filter(entity::chat_thread::Column::ChatKind.ne(ChatKind::Internal.as_str()))
                .all(db)
                .await
                .map_err(AppError::from)?
                .into_iter()
                .filter_map(|t| t.last_sent_id)
                .collect();
            for chunk in last_sent.chunks(500) {
                let waiting = scope
                    .select::<chat_message::Entity>()
                    .filter(chat_message::Column::Id.is_in(chunk.iter().copied()))
                    .filter(chat_message::Column::FromCustomer.eq(true))
                    .all(db)
                    .await
                    .map_err(AppError::from)?;
                for m in &waiting {
                    start_timers(db, &scope, &monitor, m, now).await.map_err(JobError::from_app)?;
                }
                set += waiting.len();
            }
        }
        Ok(json!({"waitingChats": set}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(minutes: i32) -> TimeoutLevel {
        TimeoutLevel { minutes, notify_employee: true, ..Default::default() }
    }

    #[test]
    fn at_most_five_levels_with_limits_rising_level_by_level() {
        let ok = ReplyRules { single: (1..=5).map(level).collect(), ..Default::default() };
        assert!(ok.check().is_ok());
        let six = ReplyRules { single: (1..=6).map(level).collect(), ..Default::default() };
        assert_eq!(six.check().unwrap_err().field.as_deref(), Some("single"));
        let falling = ReplyRules { group: vec![level(10), level(5)], ..Default::default() };
        assert_eq!(falling.check().unwrap_err().field.as_deref(), Some("group"));
        let zero = ReplyRules { single: vec![level(0)], ..Default::default() };
        assert!(zero.check().is_err());
    }
}
