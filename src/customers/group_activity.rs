//! The group activity rule (GRP-3): one per corp. Step 1 defines an active
//! customer by metrics over a window (all conditions must hold); step 2 calls
//! a group ACTIVE when its share of active customers and its speech ratio
//! both pass their thresholds (SPEC leaves the combination open; we AND them).
//! A daily job, and every rule change, labels each live group.
//!
//! The metrics come from an [`ActivitySource`]: the chat archive
//! (`archive::activity::ArchiveActivity`) counts customer and group messages; material
//! and order counts come with the areas that track them (0 until then).

use std::collections::HashMap;

use async_graphql::{Enum, InputObject, SimpleObject};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{sea_query::OnConflict, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::ports::activity::{ActivityMetric, ActivitySource};
use crate::{
    error::{AppError, AppResult, Msg},
    jobs::{JobCtx, JobError, JobHandler, JobKind},
    tenancy::Scope,
};
use entity::{customer_group, group_activity_rule, group_member};

const CONDITIONS_REQUIRED: Msg =
    Msg::new("CONDITIONS_REQUIRED", "请至少添加一个活跃客户条件", "Add at least one condition for an active customer");
const CUSTOM_DAYS: Msg = Msg::new("CUSTOM_DAYS_RANGE", "自定义时间范围为1-90天", "A custom window is 1-90 days");
const NEGATIVE: Msg = Msg::new("THRESHOLD_NEGATIVE", "阈值不能为负数", "Thresholds cannot be negative");

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Serialize, Deserialize, Default)]
pub enum ActivityWindow {
    Today,
    #[default]
    Last7Days,
    Last30Days,
    /// `customDays` days back from now.
    Custom,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Serialize, Deserialize)]
pub enum Comparison {
    /// 大于.
    Gt,
    /// 大于等于.
    Gte,
}

impl Comparison {
    fn holds(self, left: f64, right: f64) -> bool {
        match self {
            Comparison::Gt => left > right,
            Comparison::Gte => left >= right,
        }
    }
}

#[derive(SimpleObject, InputObject, Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
#[graphql(input_name = "MetricConditionInput")]
#[serde(rename_all = "camelCase")]
pub struct MetricCondition {
    pub metric: ActivityMetric,
    pub op: Comparison,
    pub value: f64,
}

#[derive(SimpleObject, InputObject, Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
#[graphql(input_name = "ThresholdInput")]
pub struct Threshold {
    pub op: Comparison,
    pub value: f64,
}

/// The whole rule.
#[derive(SimpleObject, InputObject, Clone, Debug, Serialize, Deserialize, PartialEq)]
#[graphql(name = "GroupActivityRule", input_name = "GroupActivityRuleInput")]
#[serde(rename_all = "camelCase")]
pub struct ActivityRule {
    pub window: ActivityWindow,
    /// For a CUSTOM window: 1–90 days.
    pub custom_days: Option<i32>,
    /// An active customer meets all of them.
    pub conditions: Vec<MetricCondition>,
    /// Active customers ÷ all members × 100 (percent).
    pub active_ratio: Threshold,
    /// Messages per day ÷ all members (times per person per day).
    pub speech_ratio: Threshold,
}

impl Default for ActivityRule {
    /// The manual's example: customer messages > 0 in the last 7 days; ≥ 14 % active; > 1 message per member per day.
    fn default() -> Self {
        ActivityRule {
            window: ActivityWindow::Last7Days,
            custom_days: None,
            conditions: vec![MetricCondition { metric: ActivityMetric::CustomerMessages, op: Comparison::Gt, value: 0.0 }],
            active_ratio: Threshold { op: Comparison::Gte, value: 14.0 },
            speech_ratio: Threshold { op: Comparison::Gt, value: 1.0 },
        }
    }
}

impl ActivityRule {
    fn check(&self) -> AppResult<()> {
        if self.conditions.is_empty() {
            return Err(AppError::bad_input("conditions", CONDITIONS_REQUIRED));
        }
        if self.window == ActivityWindow::Custom && !self.custom_days.is_some_and(|d| (1..=90).contains(&d)) {
            return Err(AppError::bad_input("customDays", CUSTOM_DAYS));
        }
        if self.conditions.iter().map(|c| c.value).chain([self.active_ratio.value, self.speech_ratio.value]).any(|v| v < 0.0) {
            return Err(AppError::bad_input("conditions", NEGATIVE));
        }
        Ok(())
    }

    /// The window's start and its length in days (today counts as one day).
    pub fn since(&self, now: DateTime<Utc>) -> (DateTime<Utc>, f64) {
        let china = crate::clock::china();
        let today = crate::clock::china_midnight(now.with_timezone(&china).date_naive());
        match self.window {
            ActivityWindow::Today => (today, 1.0),
            ActivityWindow::Last7Days => (now - Duration::days(7), 7.0),
            ActivityWindow::Last30Days => (now - Duration::days(30), 30.0),
            ActivityWindow::Custom => {
                let d = self.custom_days.unwrap_or(7).max(1);
                (now - Duration::days(d as i64), d as f64)
            }
        }
    }

    /// Whether a customer with these metrics is active.
    pub fn customer_active(&self, m: &HashMap<ActivityMetric, f64>) -> bool {
        self.conditions.iter().all(|c| c.op.holds(m.get(&c.metric).copied().unwrap_or(0.0), c.value))
    }

    /// Whether a group is active: `members` all members, `active` active customers, `messages` in the window.
    pub fn group_active(&self, members: usize, active: usize, messages: u64, days: f64) -> bool {
        if members == 0 {
            return false;
        }
        let ratio = active as f64 / members as f64 * 100.0;
        let speech = messages as f64 / days.max(1.0) / members as f64;
        self.active_ratio.op.holds(ratio, self.active_ratio.value) && self.speech_ratio.op.holds(speech, self.speech_ratio.value)
    }
}

/// The corp's rule, or the default until one is set.
pub async fn rule(db: &impl ConnectionTrait, scope: &Scope) -> AppResult<ActivityRule> {
    let row = scope.select::<group_activity_rule::Entity>().one(db).await?;
    Ok(row.and_then(|r| serde_json::from_str(&r.rule).ok()).unwrap_or_default())
}

/// Replaces the corp's rule.
pub async fn set_rule(db: &impl ConnectionTrait, scope: &Scope, r: &ActivityRule) -> AppResult<()> {
    r.check()?;
    scope
        .insert_many_ignoring(
            db,
            [group_activity_rule::ActiveModel {
                rule: Set(crate::json::text(r)),
                updated_by: Set(scope.employee_id()),
                updated_at: Set(Utc::now()),
                ..Default::default()
            }],
            OnConflict::column(group_activity_rule::Column::CorpId)
                .update_columns([
                    group_activity_rule::Column::Rule,
                    group_activity_rule::Column::UpdatedBy,
                    group_activity_rule::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .await
}

/// Labels every live group of the corp; one transaction.
pub async fn evaluate(
    db: &DatabaseConnection,
    scope: &Scope,
    source: &dyn ActivitySource,
    now: DateTime<Utc>,
) -> AppResult<(usize, usize)> {
    let rule = rule(db, scope).await?;
    let (since, days) = rule.since(now);
    let groups = scope.select::<customer_group::Entity>().filter(customer_group::Column::DismissedAt.is_null()).all(db).await?;
    let members = scope
        .select::<group_member::Entity>()
        .filter(group_member::Column::GroupId.is_in(groups.iter().map(|g| g.id)))
        .filter(group_member::Column::LeftAt.is_null())
        .all(db)
        .await?;
    let externals: Vec<String> = members.iter().filter(|m| m.member_type == 2).map(|m| m.userid.clone()).collect();
    let metrics = source.customer_metrics(db, scope, since, &externals).await?;
    let messages = source.group_messages(db, scope, since, &groups.iter().map(|g| g.id).collect::<Vec<_>>()).await?;
    let none = HashMap::new();
    // Groups sharing a label and an active-customer count are written together.
    let mut labelled: std::collections::BTreeMap<(&str, i32), Vec<i64>> = std::collections::BTreeMap::new();
    for g in &groups {
        let mine: Vec<&group_member::Model> = members.iter().filter(|m| m.group_id == g.id).collect();
        let active_customers =
            mine.iter().filter(|m| m.member_type == 2 && rule.customer_active(metrics.get(&m.userid).unwrap_or(&none))).count();
        let label = match rule.group_active(mine.len(), active_customers, messages.get(&g.id).copied().unwrap_or(0), days) {
            true => "ACTIVE",
            false => "INACTIVE",
        };
        labelled.entry((label, i32::try_from(active_customers).unwrap_or(i32::MAX))).or_default().push(g.id);
    }
    let (mut active, mut inactive) = (0, 0);
    let txn = crate::db::write_txn(db).await?;
    for ((label, count), ids) in &labelled {
        match *label {
            "ACTIVE" => active += ids.len(),
            _ => inactive += ids.len(),
        }
        for chunk in ids.chunks(500) {
            scope
                .update_many::<customer_group::Entity>()
                .col_expr(customer_group::Column::Activity, Some(label.to_string()).into())
                .col_expr(customer_group::Column::ActiveCustomerCount, Some(*count).into())
                .col_expr(customer_group::Column::ActivityEvaluatedAt, Some(now).into())
                .filter(customer_group::Column::Id.is_in(chunk.iter().copied()))
                .exec(&txn)
                .await?;
        }
    }
    txn.commit().await?;
    Ok((active, inactive))
}

/// Labels groups: one corp when a rule changes, every corp with groups when scheduled.
pub struct GroupActivityJob;

impl JobKind for GroupActivityJob {
    const KIND: &'static str = "customers.group_activity";
    type Payload = Value;
}

#[async_trait::async_trait]
impl JobHandler for GroupActivityJob {
    type Kind = Self;

    async fn run(&self, ctx: &JobCtx, _: Value) -> Result<Value, JobError> {
        let db = &ctx.state.db;
        let corps: Vec<i64> = match ctx.job.corp_id {
            Some(c) => vec![c],
            // A platform job on purpose: one run serves every corp.
            None => entity::corp::Entity::find().all(db).await.map_err(AppError::from)?.into_iter().map(|c| c.id).collect(),
        };
        let mut out = serde_json::Map::new();
        for corp in corps {
            let (a, i) = evaluate(db, &Scope::system(corp), ctx.state.activity.as_ref(), Utc::now()).await.map_err(JobError::from_app)?;
            out.insert(corp.to_string(), json!({"active": a, "inactive": i}));
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics(messages: f64) -> HashMap<ActivityMetric, f64> {
        HashMap::from([(ActivityMetric::CustomerMessages, messages)])
    }

    #[test]
    fn the_manuals_example_rule_labels_groups_by_both_thresholds() {
        let r = ActivityRule::default();
        assert!(!r.customer_active(&metrics(0.0)), "more than 0 messages");
        assert!(r.customer_active(&metrics(1.0)));
        // 10 members, 2 active customers (20 % ≥ 14 %), 140 messages over 7 days = 2 per member per day (> 1).
        assert!(r.group_active(10, 2, 140, 7.0));
        // 1 active of 10 is 10 %: below 14 %.
        assert!(!r.group_active(10, 1, 140, 7.0));
        // Enough active customers but quiet: 70 messages is exactly 1 per member per day, not more.
        assert!(!r.group_active(10, 2, 70, 7.0));
        assert!(!r.group_active(0, 0, 0, 7.0), "an empty group is never active");
    }

    #[test]
    fn every_condition_must_hold_for_an_active_customer() {
        let r = ActivityRule {
            conditions: vec![
                MetricCondition { metric: ActivityMetric::CustomerMessages, op: Comparison::Gte, value: 3.0 },
                MetricCondition { metric: ActivityMetric::MaterialViews, op: Comparison::Gt, value: 1.0 },
            ],
            ..ActivityRule::default()
        };
        let both = HashMap::from([(ActivityMetric::CustomerMessages, 3.0), (ActivityMetric::MaterialViews, 2.0)]);
        let one = HashMap::from([(ActivityMetric::CustomerMessages, 3.0), (ActivityMetric::MaterialViews, 1.0)]);
        assert!(r.customer_active(&both));
        assert!(!r.customer_active(&one));
    }

    #[test]
    fn a_custom_window_needs_its_days_and_rules_need_a_condition() {
        let bad = ActivityRule { window: ActivityWindow::Custom, custom_days: None, ..ActivityRule::default() };
        assert_eq!(bad.check().unwrap_err().field.as_deref(), Some("customDays"));
        let empty = ActivityRule { conditions: vec![], ..ActivityRule::default() };
        assert_eq!(empty.check().unwrap_err().field.as_deref(), Some("conditions"));
        let now = Utc::now();
        let (since, days) = ActivityRule { window: ActivityWindow::Custom, custom_days: Some(3), ..ActivityRule::default() }.since(now);
        assert_eq!((now - since, days), (Duration::days(3), 3.0));
    }
}
