//! Raising an alert: recorded once, its recipients narrowed to those whose
//! data scope sees it, pushed on the bus, optionally sent as an app message.

use async_graphql::Enum;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, TryInsertResult,
};
use serde_json::Value;

use crate::bus::{AlertEvent, BusMessage};
use crate::{
    error::AppResult,
    state::AppState,
    tenancy::{Scope, TenantActiveModel},
};
use entity::{alert, alert_recipient, customer, customer_group, employee};

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum AlertCategory {
    /// Radar behaviours (CFG-7).
    Radar,
    /// Reply timeouts (ARC-6, CFG-4).
    Timeout,
    /// Sensitive behaviours (CFG-3, ARC-8).
    Sensitive,
    /// Work notices: follow-up mentions and reminders, work-order progress (NTF-1).
    Notice,
}

impl AlertCategory {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertCategory::Radar => "RADAR",
            AlertCategory::Timeout => "TIMEOUT",
            AlertCategory::Sensitive => "SENSITIVE",
            AlertCategory::Notice => "NOTICE",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [AlertCategory::Radar, AlertCategory::Timeout, AlertCategory::Sensitive, AlertCategory::Notice]
            .into_iter()
            .find(|c| c.as_str() == s)
    }
}

/// An alert to raise.
pub struct NewAlert {
    pub category: AlertCategory,
    pub kind: String,
    pub customer_id: Option<i64>,
    pub group_id: Option<i64>,
    pub employee_id: Option<i64>,
    pub text: String,
    pub payload: Value,
    pub occurred_at: DateTime<Utc>,
    /// The same key raises the alert once, however often the producer runs.
    pub dedup_key: String,
    /// Candidates; those who may not see the customer or group are dropped.
    pub recipients: Vec<i64>,
    /// Push now; `false` keeps it for a batch that pushes it later.
    pub deliver_now: bool,
    /// Also send it as a WeCom app message.
    pub app_message: bool,
}

use crate::tenancy::scope_of;

/// The candidates who may see this customer (or group): the one data-scope
/// check every alert goes through.
pub async fn allowed_recipients(
    db: &impl ConnectionTrait,
    corp_id: i64,
    customer_id: Option<i64>,
    group_id: Option<i64>,
    candidates: &[i64],
) -> AppResult<Vec<i64>> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for &e in candidates {
        if !seen.insert(e) {
            continue;
        }
        let Some(scope) = scope_of(db, corp_id, e).await? else { continue };
        let sees = match (customer_id, group_id) {
            (Some(c), _) => scope.select_visible::<customer::Entity>().filter(customer::Column::Id.eq(c)).count(db).await? > 0,
            (None, Some(g)) => {
                scope.select_visible::<customer_group::Entity>().filter(customer_group::Column::Id.eq(g)).count(db).await? > 0
            }
            (None, None) => true,
        };
        if sees {
            out.push(e);
        }
    }
    Ok(out)
}

pub fn event_of(m: &alert::Model, recipients: Vec<i64>) -> AlertEvent {
    AlertEvent {
        id: m.id,
        corp_id: m.corp_id,
        category: m.category.clone(),
        kind: m.kind.clone(),
        recipients,
        customer_id: m.customer_id,
        group_id: m.group_id,
        employee_id: m.employee_id,
        text: m.text.clone(),
        payload: serde_json::from_str(&m.payload).unwrap_or(Value::Null),
        occurred_at: m.occurred_at,
    }
}

/// Records the alert once and, unless it waits for a batch, pushes it.
/// Returns what was pushed (`None`: no one may see it, or it was raised before).
pub async fn raise(state: &AppState, scope: &Scope, a: NewAlert) -> AppResult<Option<AlertEvent>> {
    let db = &state.db;
    let recipients = allowed_recipients(db, scope.corp_id(), a.customer_id, a.group_id, &a.recipients).await?;
    if recipients.is_empty() {
        return Ok(None);
    }
    let now = state.clock.now();
    let txn = crate::db::write_txn(db).await?;
    let mut am = alert::ActiveModel {
        category: Set(a.category.as_str().to_string()),
        kind: Set(a.kind.clone()),
        customer_id: Set(a.customer_id),
        group_id: Set(a.group_id),
        employee_id: Set(a.employee_id),
        text: Set(a.text.clone()),
        payload: Set(a.payload.to_string()),
        occurred_at: Set(a.occurred_at),
        dedup_key: Set(a.dedup_key.clone()),
        delivered_at: Set(a.deliver_now.then_some(now)),
        created_at: Set(now),
        ..Default::default()
    };
    am.stamp_corp(scope.corp_id());
    let inserted = alert::Entity::insert(am).on_conflict_do_nothing_on([alert::Column::CorpId, alert::Column::DedupKey]).exec(&txn).await?;
    let TryInsertResult::Inserted(res) = inserted else {
        txn.rollback().await?;
        return Ok(None);
    };
    let id = res.last_insert_id;
    scope
        .insert_many(
            &txn,
            recipients.iter().map(|e| alert_recipient::ActiveModel {
                alert_id: Set(id),
                employee_id: Set(*e),
                read_at: Set(None),
                ..Default::default()
            }),
        )
        .await?;
    txn.commit().await?;
    let event = AlertEvent {
        id,
        corp_id: scope.corp_id(),
        category: a.category.as_str().to_string(),
        kind: a.kind,
        recipients,
        customer_id: a.customer_id,
        group_id: a.group_id,
        employee_id: a.employee_id,
        text: a.text,
        payload: a.payload,
        occurred_at: a.occurred_at,
    };
    if a.deliver_now {
        push(state, &event, a.app_message).await;
    }
    Ok(Some(event))
}

/// Publishes on the bus and, if asked, sends the app message. The alert is
/// already recorded, so a failure here is logged rather than retried (a
/// retry would record nothing new and push nothing).
pub async fn push(state: &AppState, event: &AlertEvent, app_message: bool) {
    if let Err(e) = state.bus.publish(BusMessage::Alert(event.clone())).await {
        tracing::error!(error = ?e, alert = event.id, "alert not published");
    }
    if app_message {
        if let Err(e) = send_app_message(state, event.corp_id, &event.recipients, event.text.clone()).await {
            tracing::warn!(error = ?e, alert = event.id, "alert app message not sent");
        }
    }
}

/// The recipients' WeCom userids, then one app message to all of them.
pub async fn send_app_message(state: &AppState, corp_id: i64, employees: &[i64], text: String) -> anyhow::Result<()> {
    let userids = userids_of(&state.db, corp_id, employees).await.map_err(|e| anyhow::anyhow!("{:?}", e.code))?;
    crate::wecom_sync::app_message::send_text(state, corp_id, &userids, text).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    Ok(())
}

pub async fn userids_of(db: &DatabaseConnection, corp_id: i64, employees: &[i64]) -> AppResult<Vec<String>> {
    Ok(Scope::system(corp_id)
        .select::<employee::Entity>()
        .filter(employee::Column::Id.is_in(employees.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|e| e.userid)
        .collect())
}
