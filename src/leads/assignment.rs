//! Putting leads in employees' hands (CRM-3): the targets (employees, and
//! the active members of departments and their sub-departments), how leads
//! are spread over them, and the owner change with its log and notice.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use sea_orm::{sea_query::Expr, ColumnTrait, ConnectionTrait, QueryFilter, QuerySelect};
use serde_json::json;

use super::model::{batch, event, log_row, LeadStatus};
use crate::{
    alerts::delivery::{self, AlertCategory, NewAlert},
    error::{AppError, AppResult, Msg},
    state::AppState,
    tenancy::{subtree_of, Scope},
};
use entity::{department, employee, employee_department, lead};

const TARGETS_REQUIRED: Msg =
    Msg::new("LEAD_TARGETS_REQUIRED", "请选择分配的员工或部门", "Choose the employees or departments to assign to");
const TARGET_MISSING: Msg = Msg::new("LEAD_TARGET_INVALID", "所选员工不存在或已离职", "A chosen employee does not exist or has resigned");
const NOT_ASSIGNABLE: Msg =
    Msg::new("LEAD_NOT_ASSIGNABLE", "只能分配未废弃且未转为客户的线索", "Only active leads that are not yet customers can be assigned");

/// How a manual assignment spreads leads (CRM-3).
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum LeadAssignMode {
    /// 按已选员工轮流: one each, in the order chosen.
    RoundRobin,
    /// 按已选员工平均: each lead to the chosen employee holding the fewest active leads.
    Average,
}

/// Who may receive leads: the chosen employees in their order, then the
/// active members of the chosen departments (and those below) by id.
pub async fn targets(
    db: &impl ConnectionTrait,
    scope: &Scope,
    employee_ids: &[i64],
    department_ids: &[i64],
    field: &str,
) -> AppResult<Vec<i64>> {
    let mut out: Vec<i64> = Vec::new();
    if !employee_ids.is_empty() {
        let active: BTreeSet<i64> = scope
            .select::<employee::Entity>()
            .filter(employee::Column::Id.is_in(employee_ids.iter().copied()))
            .filter(employee::Column::ResignedAt.is_null())
            .all(db)
            .await?
            .into_iter()
            .map(|e| e.id)
            .collect();
        if let Some(_gone) = employee_ids.iter().find(|e| !active.contains(e)) {
            return Err(AppError::bad_input(format!("{field}.employeeIds"), TARGET_MISSING));
        }
        out.extend(employee_ids.iter().copied());
    }
    if !department_ids.is_empty() {
        let tree: Vec<(i64, Option<i64>)> =
            scope.select::<department::Entity>().all(db).await?.into_iter().map(|d| (d.id, d.parent_id)).collect();
        if department_ids.iter().any(|d| !tree.iter().any(|(id, _)| id == d)) {
            return Err(AppError::not_found().with_field(format!("{field}.departmentIds")));
        }
        let below = subtree_of(&tree, department_ids);
        let active = scope.subquery::<employee::Entity>(employee::Column::Id).and_where(employee::Column::ResignedAt.is_null()).to_owned();
        let mut members: Vec<i64> = scope
            .select::<employee_department::Entity>()
            .filter(employee_department::Column::DepartmentId.is_in(below))
            .filter(employee_department::Column::EmployeeId.in_subquery(active))
            .all(db)
            .await?
            .into_iter()
            .map(|m| m.employee_id)
            .collect();
        members.sort_unstable();
        out.extend(members);
    }
    let mut seen = BTreeSet::new();
    out.retain(|e| seen.insert(*e));
    if out.is_empty() {
        return Err(AppError::bad_input(format!("{field}.employeeIds"), TARGETS_REQUIRED));
    }
    Ok(out)
}

/// Active leads each target holds now, for AVERAGE.
async fn loads(db: &impl ConnectionTrait, scope: &Scope, targets: &[i64]) -> AppResult<BTreeMap<i64, i64>> {
    let rows: Vec<(Option<i64>, i64)> = scope
        .select::<lead::Entity>()
        .select_only()
        .column(lead::Column::OwnerId)
        .column_as(lead::Column::Id.count(), "n")
        .filter(lead::Column::OwnerId.is_in(targets.iter().copied()))
        .filter(lead::Column::Status.eq(LeadStatus::Active.as_str()))
        .group_by(lead::Column::OwnerId)
        .into_tuple()
        .all(db)
        .await?;
    let mut out: BTreeMap<i64, i64> = targets.iter().map(|t| (*t, 0)).collect();
    for (owner, n) in rows {
        if let Some(o) = owner {
            out.insert(o, n);
        }
    }
    Ok(out)
}

/// Who gets each lead, in the leads' order.
pub fn spread_average(leads: &[i64], targets: &[i64], mut load: BTreeMap<i64, i64>) -> Vec<(i64, i64)> {
    let order: BTreeMap<i64, usize> = targets.iter().enumerate().map(|(i, t)| (*t, i)).collect();
    leads
        .iter()
        .filter_map(|l| {
            let (t, n) = load.iter_mut().min_by_key(|(t, n)| (**n, order.get(t).copied().unwrap_or(usize::MAX)))?;
            *n += 1;
            Some((*l, *t))
        })
        .collect()
}

/// Who gets each lead, in turn from `start`.
pub fn spread_in_turn(leads: &[i64], targets: &[i64], start: usize) -> Vec<(i64, i64)> {
    leads.iter().enumerate().map(|(i, l)| (*l, targets[(start + i) % targets.len()])).collect()
}

/// Sets each lead's owner and logs it; `how` says what assigned it.
pub async fn set_owners(
    db: &impl ConnectionTrait,
    scope: &Scope,
    pairs: &[(i64, i64)],
    how: serde_json::Value,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let mut by_owner: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for (l, e) in pairs {
        by_owner.entry(*e).or_default().push(*l);
    }
    for (owner, ids) in &by_owner {
        scope
            .update_many::<lead::Entity>()
            .col_expr(lead::Column::OwnerId, Expr::value(*owner))
            .col_expr(lead::Column::AssignedAt, Expr::value(now))
            .col_expr(lead::Column::UpdatedAt, Expr::value(now))
            .filter(lead::Column::Id.is_in(ids.iter().copied()))
            .filter(lead::Column::Status.eq(LeadStatus::Active.as_str()))
            .exec(db)
            .await?;
    }
    let logs = pairs.iter().map(|(l, e)| {
        let mut detail = how.clone();
        detail["employeeId"] = json!(e);
        log_row(*l, event::ASSIGNED, scope.employee_id(), detail, now)
    });
    scope.insert_many(db, logs).await
}

/// Tells each assignee how many leads they received (LEAD_ASSIGNED, also as
/// an app message). Failing to tell is logged: the assignment stands.
pub async fn notify(state: &AppState, scope: &Scope, pairs: &[(i64, i64)]) {
    let mut per: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for (l, e) in pairs {
        per.entry(*e).or_default().push(*l);
    }
    for (employee, leads) in per {
        let text = format!("你有{}条新线索待跟进", leads.len());
        let raised = delivery::raise(
            state,
            scope,
            NewAlert {
                category: AlertCategory::Notice,
                kind: "LEAD_ASSIGNED".into(),
                customer_id: None,
                group_id: None,
                employee_id: Some(employee),
                text,
                // The first hundred: a console opens the list for the rest.
                payload: json!({"count": leads.len(), "leadIds": leads.iter().take(100).collect::<Vec<_>>()}),
                occurred_at: state.clock.now(),
                dedup_key: format!("leads-assigned:{}", uuid::Uuid::new_v4().simple()),
                recipients: vec![employee],
                deliver_now: true,
                app_message: true,
            },
        )
        .await;
        if let Err(e) = raised {
            tracing::warn!(code = e.code.as_str(), employee, "lead assignment notice not raised");
        }
    }
}

/// Assigns visible active leads by hand (CRM-3); answers them as stored.
pub async fn assign(
    state: &AppState,
    scope: &Scope,
    ids: &[i64],
    employee_ids: &[i64],
    department_ids: &[i64],
    mode: LeadAssignMode,
) -> AppResult<Vec<lead::Model>> {
    let ids: Vec<i64> = batch(ids)?.into_iter().collect();
    let now = state.clock.now();
    let txn = crate::db::write_txn(&state.db).await?;
    let targets = targets(&txn, scope, employee_ids, department_ids, "input").await?;
    let found = scope.select_visible::<lead::Entity>().filter(lead::Column::Id.is_in(ids.iter().copied())).all(&txn).await?;
    if found.len() != ids.len() {
        return Err(AppError::not_found().with_field("ids"));
    }
    if found.iter().any(|l| l.status != LeadStatus::Active.as_str()) {
        return Err(AppError::conflict(NOT_ASSIGNABLE).with_field("ids"));
    }
    let pairs = match mode {
        LeadAssignMode::RoundRobin => spread_in_turn(&ids, &targets, 0),
        LeadAssignMode::Average => spread_average(&ids, &targets, loads(&txn, scope, &targets).await?),
    };
    set_owners(&txn, scope, &pairs, json!({"by": "MANUAL", "mode": mode}), now).await?;
    txn.commit().await?;
    notify(state, scope, &pairs).await;
    Ok(scope.select::<lead::Entity>().filter(lead::Column::Id.is_in(ids)).all(&state.db).await?)
}
