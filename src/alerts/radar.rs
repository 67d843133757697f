//! Radar (CFG-7): which customer behaviours alert whom, when and how often.
//!
//! Producers append to the customer timeline; `timeline::append` queues a
//! [`RadarDispatchJob`] for the live behaviours among them in the same
//! transaction, so an alert is never lost nor raised for a change that
//! rolled back. Later producers (materials: views, stays, shares; moments;
//! calls) publish the same way, through their timeline kinds.

use async_graphql::{Enum, InputObject, SimpleObject, ID};
use chrono::{DateTime, Timelike, Utc};
use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::delivery::{AlertCategory, NewAlert};
use crate::bus::BusMessage;
use crate::clock::{china, minute_of_day};
use crate::{
    customers::timeline::{EventKind, LiveEntries, LiveEntry, RadarDispatch},
    error::{AppError, AppResult, Msg},
    jobs::{JobCtx, JobError, JobHandler, JobKind, NewJob},
    settings::Document,
    tenancy::Scope,
};
use entity::{alert, alert_recipient, customer, customer_group, employee};

const BAD_WINDOW: Msg = Msg::new("RADAR_WINDOW_INVALID", "推送时段格式为HH:MM", "Push window times are HH:MM");
const BAD_BATCH: Msg = Msg::new("RADAR_BATCH_INVALID", "汇总推送间隔为1-1440分钟", "The batch interval is 1-1440 minutes");

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RadarBehaviour {
    /// 客户入群.
    JoinedGroup,
    /// 客户添加员工.
    AddedEmployee,
    /// 客户朋友圈 (likes and comments).
    CustomerMoment,
    /// 语音/视频通话.
    Call,
    /// 企业动态.
    CorpFeed,
    /// 营销素材 (views, stays, shares).
    Material,
}

impl RadarBehaviour {
    pub fn as_str(self) -> &'static str {
        match self {
            RadarBehaviour::JoinedGroup => "JOINED_GROUP",
            RadarBehaviour::AddedEmployee => "ADDED_EMPLOYEE",
            RadarBehaviour::CustomerMoment => "CUSTOMER_MOMENT",
            RadarBehaviour::Call => "CALL",
            RadarBehaviour::CorpFeed => "CORP_FEED",
            RadarBehaviour::Material => "MATERIAL",
        }
    }

    pub fn all() -> Vec<RadarBehaviour> {
        vec![
            RadarBehaviour::JoinedGroup,
            RadarBehaviour::AddedEmployee,
            RadarBehaviour::CustomerMoment,
            RadarBehaviour::Call,
            RadarBehaviour::CorpFeed,
            RadarBehaviour::Material,
        ]
    }

    /// The radar behaviour a timeline entry is, if any.
    pub fn of(kind: EventKind) -> Option<RadarBehaviour> {
        match kind {
            EventKind::JoinedGroup => Some(RadarBehaviour::JoinedGroup),
            EventKind::AddedEmployee => Some(RadarBehaviour::AddedEmployee),
            EventKind::MomentInteraction => Some(RadarBehaviour::CustomerMoment),
            EventKind::Call => Some(RadarBehaviour::Call),
            EventKind::MaterialViewed => Some(RadarBehaviour::Material),
            _ => None,
        }
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RadarFrequency {
    #[default]
    Realtime,
    /// Collected and pushed every `batchMinutes`.
    Batched,
}

#[derive(SimpleObject, InputObject, Clone, Debug, Serialize, Deserialize, PartialEq)]
#[graphql(name = "RadarSettings", input_name = "RadarSettingsInput")]
#[serde(rename_all = "camelCase", default)]
pub struct RadarSettings {
    pub enabled: bool,
    /// The behaviours that alert.
    pub behaviours: Vec<RadarBehaviour>,
    /// Push window, China time "HH:MM" (start inclusive, end exclusive; "24:00" is midnight; equal ends mean all day).
    pub window_start: String,
    pub window_end: String,
    /// Alert the customer's owner.
    pub notify_owner: bool,
    /// Alert these employees too (each only for customers their data scope sees).
    pub employee_ids: Vec<ID>,
    pub frequency: RadarFrequency,
    /// For BATCHED: minutes between pushes (1–1440).
    pub batch_minutes: i32,
    /// Also send a WeCom app message.
    pub app_message: bool,
}

impl Default for RadarSettings {
    /// Every behaviour, all day, to the owner, in real time, with an app message.
    fn default() -> Self {
        RadarSettings {
            enabled: true,
            behaviours: RadarBehaviour::all(),
            window_start: "00:00".into(),
            window_end: "24:00".into(),
            notify_owner: true,
            employee_ids: Vec::new(),
            frequency: RadarFrequency::Realtime,
            batch_minutes: 30,
            app_message: true,
        }
    }
}

impl Document for RadarSettings {
    const KEY: &'static str = "radar";
}

impl RadarSettings {
    pub fn check(&self) -> AppResult<()> {
        for (f, v) in [("windowStart", &self.window_start), ("windowEnd", &self.window_end)] {
            if minute_of_day(v).is_none() {
                return Err(AppError::bad_input(f, BAD_WINDOW));
            }
        }
        if self.frequency == RadarFrequency::Batched && !(1..=1440).contains(&self.batch_minutes) {
            return Err(AppError::bad_input("batchMinutes", BAD_BATCH));
        }
        Ok(())
    }

    /// Whether `at` falls inside the push window.
    pub fn in_window(&self, at: DateTime<Utc>) -> bool {
        let (Some(start), Some(end)) = (minute_of_day(&self.window_start), minute_of_day(&self.window_end)) else { return true };
        let local = at.with_timezone(&china());
        let m = local.hour() * 60 + local.minute();
        match start.cmp(&end) {
            std::cmp::Ordering::Equal => true,
            std::cmp::Ordering::Less => start <= m && m < end,
            std::cmp::Ordering::Greater => m >= start || m < end,
        }
    }
}

/// A live timeline entry that is a radar behaviour.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(rename_all = "camelCase")]
pub struct RadarEvent {
    pub customer_id: i64,
    pub behaviour: RadarBehaviour,
    pub occurred_at: DateTime<Utc>,
    pub employee_id: Option<i64>,
    pub group_id: Option<i64>,
    /// The timeline payload (material id and title, action, dwell seconds…).
    pub payload: Value,
}

impl RadarEvent {
    fn of(e: LiveEntry) -> Option<RadarEvent> {
        Some(RadarEvent {
            behaviour: RadarBehaviour::of(EventKind::parse(&e.kind)?)?,
            customer_id: e.customer_id,
            occurred_at: e.occurred_at,
            employee_id: e.employee_id,
            group_id: e.group_id,
            payload: e.payload,
        })
    }
}

/// What the alert of a radar event says and carries.
#[derive(SimpleObject, Serialize, Deserialize, Clone, Debug, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct RadarAlertDetail {
    pub behaviour: Option<RadarBehaviour>,
    pub customer_name: Option<String>,
    pub group_name: Option<String>,
    pub employee_name: Option<String>,
    pub material_id: Option<ID>,
    pub material_title: Option<String>,
    /// VIEW, STAY, BOTTOM, SHARE or FORM for materials; LIKE or COMMENT for moments.
    pub action: Option<String>,
    pub dwell_seconds: Option<i64>,
}

fn text_of(d: &RadarAlertDetail) -> String {
    let who = d.customer_name.clone().unwrap_or_else(|| "客户".into());
    match d.behaviour {
        Some(RadarBehaviour::JoinedGroup) => format!("【雷达】客户{who}加入了群聊「{}」", d.group_name.clone().unwrap_or_default()),
        Some(RadarBehaviour::AddedEmployee) => format!("【雷达】客户{who}添加了员工{}", d.employee_name.clone().unwrap_or_default()),
        Some(RadarBehaviour::CustomerMoment) => format!("【雷达】客户{who}互动了朋友圈"),
        Some(RadarBehaviour::Call) => format!("【雷达】客户{who}与{}进行了通话", d.employee_name.clone().unwrap_or_default()),
        Some(RadarBehaviour::CorpFeed) => format!("【雷达】客户{who}查看了企业动态"),
        Some(RadarBehaviour::Material) | None => {
            let title = d.material_title.clone().unwrap_or_default();
            match d.action.as_deref() {
                Some("STAY") => format!("【雷达】客户{who}浏览素材「{title}」已停留{}秒", d.dwell_seconds.unwrap_or_default()),
                Some("BOTTOM") => format!("【雷达】客户{who}看完了素材「{title}」"),
                Some("SHARE") => format!("【雷达】客户{who}分享了素材「{title}」"),
                Some("FORM") => format!("【雷达】客户{who}提交了表单「{title}」"),
                _ => format!("【雷达】客户{who}查看了素材「{title}」"),
            }
        }
    }
}

pub struct RadarDispatchJob;

#[async_trait::async_trait]
impl JobHandler for RadarDispatchJob {
    type Kind = RadarDispatch;

    async fn run(&self, ctx: &JobCtx, p: LiveEntries) -> Result<Value, JobError> {
        let state = &ctx.state;
        let Some(corp_id) = ctx.job.corp_id else { return Ok(json!({"skipped": "no corp"})) };
        let scope = Scope::system(corp_id);
        let events: Vec<RadarEvent> = p.events.into_iter().filter_map(RadarEvent::of).collect();
        let settings: RadarSettings = crate::settings::get(&state.db, &scope).await.map_err(JobError::from_app)?;
        let now = state.clock.now();
        if !settings.enabled || !settings.in_window(now) {
            return Ok(json!({"skipped": if settings.enabled { "outside the push window" } else { "radar off" }}));
        }
        let chosen: Vec<i64> = settings.employee_ids.iter().filter_map(|i| i.parse().ok()).collect();
        let mut raised = 0;
        for e in events.iter().filter(|e| settings.behaviours.contains(&e.behaviour)) {
            let db = &state.db;
            let Some(c) = scope.find::<customer::Entity>(db, Some(e.customer_id)).await.map_err(JobError::from_app)? else { continue };
            let group = scope.find::<customer_group::Entity>(db, e.group_id).await.map_err(JobError::from_app)?;
            let emp = scope.find::<employee::Entity>(db, e.employee_id).await.map_err(JobError::from_app)?;
            let detail = RadarAlertDetail {
                behaviour: Some(e.behaviour),
                customer_name: Some(c.name.clone()),
                group_name: group.as_ref().map(|g| g.name.clone()),
                employee_name: emp.as_ref().map(|x| x.name.clone()),
                material_id: e.payload["materialId"].as_i64().map(|i| ID(i.to_string())),
                material_title: e.payload["materialTitle"].as_str().map(str::to_string),
                action: e.payload["action"].as_str().map(str::to_string),
                dwell_seconds: e.payload["dwellSeconds"].as_i64(),
            };
            let mut recipients: Vec<i64> = chosen.clone();
            if settings.notify_owner {
                recipients.extend(c.owner_id);
            }
            // A material's radar exists to tell the employee who sent it (EMP-2).
            if e.behaviour == RadarBehaviour::Material {
                recipients.extend(e.employee_id);
            }
            let alert = NewAlert {
                category: AlertCategory::Radar,
                kind: e.behaviour.as_str().to_string(),
                customer_id: Some(c.id),
                group_id: e.group_id,
                employee_id: e.employee_id,
                text: text_of(&detail),
                payload: serde_json::to_value(&detail).unwrap_or(Value::Null),
                occurred_at: e.occurred_at,
                // The action too: a viewer may reach the bottom and share in one second.
                dedup_key: format!(
                    "radar:{}{}:{}:{}:{}:{}",
                    e.behaviour.as_str(),
                    e.payload["action"].as_str().map(|a| format!("/{a}")).unwrap_or_default(),
                    c.id,
                    e.group_id.unwrap_or(0),
                    e.employee_id.unwrap_or(0),
                    e.occurred_at.timestamp_millis()
                ),
                recipients,
                deliver_now: settings.frequency == RadarFrequency::Realtime,
                app_message: settings.app_message,
            };
            if super::delivery::raise(state, &scope, alert).await.map_err(JobError::from_app)?.is_some() {
                raised += 1;
            }
        }
        if raised > 0 && settings.frequency == RadarFrequency::Batched {
            let every = settings.batch_minutes.max(1) as i64 * 60;
            let slot = now.timestamp().div_euclid(every);
            let at = DateTime::from_timestamp((slot + 1) * every, 0).unwrap_or(now);
            let new = NewJob { corp_id: Some(corp_id), ..NewJob::system() }.dedup(format!("radar-flush:{corp_id}:{every}:{slot}")).at(at);
            state.jobs.enqueue::<RadarFlushJob>(&state.db, new, &json!({})).await?;
        }
        Ok(json!({"raised": raised}))
    }
}

/// Pushes the batched radar alerts that are waiting, with one digest app
/// message per recipient.
pub struct RadarFlushJob;

impl JobKind for RadarFlushJob {
    const KIND: &'static str = "alerts.radar_flush";
    type Payload = Value;
}

#[async_trait::async_trait]
impl JobHandler for RadarFlushJob {
    type Kind = Self;

    async fn run(&self, ctx: &JobCtx, _: Value) -> Result<Value, JobError> {
        let state = &ctx.state;
        let Some(corp_id) = ctx.job.corp_id else { return Ok(json!({"skipped": "no corp"})) };
        let scope = Scope::system(corp_id);
        let db = &state.db;
        let waiting = scope
            .select::<alert::Entity>()
            .filter(alert::Column::Category.eq(AlertCategory::Radar.as_str()))
            .filter(alert::Column::DeliveredAt.is_null())
            .order_by_asc(alert::Column::Id)
            .all(db)
            .await
            .map_err(AppError::from)?;
        if waiting.is_empty() {
            return Ok(json!({"pushed": 0}));
        }
        let ids: Vec<i64> = waiting.iter().map(|a| a.id).collect();
        let recipients = scope
            .select::<alert_recipient::Entity>()
            .filter(alert_recipient::Column::AlertId.is_in(ids.clone()))
            .all(db)
            .await
            .map_err(AppError::from)?;
        scope
            .update_many::<alert::Entity>()
            .col_expr(alert::Column::DeliveredAt, Some(state.clock.now()).into())
            .filter(alert::Column::Id.is_in(ids))
            .exec(db)
            .await
            .map_err(AppError::from)?;
        let mut digest: std::collections::BTreeMap<i64, Vec<String>> = Default::default();
        for a in &waiting {
            let to: Vec<i64> = recipients.iter().filter(|r| r.alert_id == a.id).map(|r| r.employee_id).collect();
            for r in &to {
                digest.entry(*r).or_default().push(a.text.clone());
            }
            if let Err(e) = state.bus.publish(BusMessage::Alert(super::delivery::event_of(a, to))).await {
                tracing::error!(error = ?e, "batched alert not published");
            }
        }
        let settings: RadarSettings = crate::settings::get(db, &scope).await.map_err(JobError::from_app)?;
        if settings.app_message {
            for (employee, lines) in &digest {
                let text = format!("【雷达汇总】{}条提醒\n{}", lines.len(), lines.join("\n"));
                if let Err(e) = super::delivery::send_app_message(state, corp_id, &[*employee], text).await {
                    tracing::warn!(error = ?e, "radar digest not sent");
                }
            }
        }
        Ok(json!({"pushed": waiting.len()}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_push_window_reads_china_time_and_may_wrap_midnight() {
        let at = |h: u32, m: u32| {
            chrono::NaiveDate::from_ymd_opt(2026, 12, 2).unwrap().and_hms_opt(h, m, 0).unwrap().and_utc() - chrono::Duration::hours(8)
        };
        let day = RadarSettings { window_start: "09:00".into(), window_end: "18:00".into(), ..Default::default() };
        assert!(day.in_window(at(9, 0)));
        assert!(day.in_window(at(17, 59)));
        assert!(!day.in_window(at(18, 0)));
        assert!(!day.in_window(at(8, 59)));
        let night = RadarSettings { window_start: "22:00".into(), window_end: "06:00".into(), ..Default::default() };
        assert!(night.in_window(at(23, 0)) && night.in_window(at(5, 59)) && !night.in_window(at(12, 0)));
        assert!(RadarSettings::default().in_window(at(3, 0)));
    }

    #[test]
    fn settings_refuse_bad_times_and_batch_intervals() {
        let bad = RadarSettings { window_end: "25:00".into(), ..Default::default() };
        assert_eq!(bad.check().unwrap_err().field.as_deref(), Some("windowEnd"));
        let batch = RadarSettings { frequency: RadarFrequency::Batched, batch_minutes: 0, ..Default::default() };
        assert_eq!(batch.check().unwrap_err().field.as_deref(), Some("batchMinutes"));
    }
}
