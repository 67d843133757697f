//! The pool's customers (CRM-6, CRM-8): returned by their owner with a
//! reason, recalled by the rules ([`super::recall`]), claimed, assigned or
//! deleted. A customer in a pool has no owner and is read-only elsewhere;
//! it is seen by those who may use its pool (not through the data scope:
//! nobody owns it). A claim is one conditional update per customer, so two
//! employees claiming the same customer at once give one owner and one
//! CONFLICT.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use sea_orm::{sea_query::Expr, ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder, QuerySelect, Select};
use serde_json::json;

use super::groups;
use crate::{
    alerts::delivery::{self, AlertCategory, NewAlert},
    customers::{
        service::{not_pooled, CustomerQuery},
        timeline::{self, EventKind, NewEvent},
    },
    error::{AppError, AppResult, Msg},
    leads::assignment::{self as spread, LeadAssignMode},
    state::AppState,
    tenancy::Scope,
};
use entity::{customer, pool_group, pool_reason};

/// Customers one pool operation may name.
pub const MAX_BATCH: usize = 1000;

const TOO_MANY: Msg = Msg::new("POOL_BATCH_TOO_LARGE", "一次最多操作1000位客户", "At most 1000 customers at a time");
const NOT_POOLED: Msg = Msg::new(
    "POOL_ALREADY_CLAIMED",
    "客户已被领取或分配，不在公海中",
    "The customer was already claimed or assigned and is no longer in the pool",
);
const NOT_POOLED_ANYMORE: Msg = Msg::new(
    "POOL_RETURN_RACED",
    "客户已被他人退回公海，请刷新后重试",
    "Someone else returned the customer to the pool first; refresh and try again",
);
const CLAIM_BLOCKED: Msg = Msg::new(
    "POOL_CLAIM_BLOCKED",
    "客户被回收后，前跟进人在限制期内不能领取",
    "After a recall, the previous owner cannot claim the customer yet",
);

fn batch(ids: &[i64]) -> AppResult<Vec<i64>> {
    if ids.is_empty() || ids.len() > MAX_BATCH {
        return Err(AppError::bad_input("customerIds", TOO_MANY));
    }
    let set: BTreeSet<i64> = ids.iter().copied().collect();
    Ok(set.into_iter().collect())
}

/// The pool's filters besides the customer list's own.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PoolFilter {
    pub group_id: Option<i64>,
    pub reason_id: Option<i64>,
}

/// [`matching`], latest arrivals first.
pub async fn list(db: &impl ConnectionTrait, scope: &Scope, pool: &PoolFilter, q: &CustomerQuery) -> AppResult<Select<customer::Entity>> {
    Ok(matching(db, scope, pool, q).await?.order_by_desc(customer::Column::PooledAt).order_by_desc(customer::Column::Id))
}

/// Customers sitting in the pools the caller may use (or one of them),
/// matching the list's filters, in no order (the export pages them by id).
pub async fn matching(
    db: &impl ConnectionTrait,
    scope: &Scope,
    pool: &PoolFilter,
    q: &CustomerQuery,
) -> AppResult<Select<customer::Entity>> {
    let usable: Vec<i64> = match pool.group_id {
        Some(g) => vec![groups::usable_one(db, scope, g, "filter.poolId").await?.id],
        None => groups::usable(db, scope).await?.into_iter().map(|g| g.id).collect(),
    };
    let mut select = scope
        .select::<customer::Entity>()
        .filter(customer::Column::PooledAt.is_not_null())
        .filter(customer::Column::PoolId.is_in(usable))
        .filter(q.condition(db, scope).await?);
    if let Some(r) = pool.reason_id {
        select = select.filter(customer::Column::PoolReasonId.eq(r));
    }
    Ok(select)
}

/// Pooled customers among `ids` in pools the caller may use; NOT_FOUND
/// unless every one is.
async fn pooled(
    db: &impl ConnectionTrait,
    scope: &Scope,
    ids: &[i64],
) -> AppResult<(Vec<customer::Model>, BTreeMap<i64, pool_group::Model>)> {
    let usable: BTreeMap<i64, pool_group::Model> = groups::usable(db, scope).await?.into_iter().map(|g| (g.id, g)).collect();
    let found = scope
        .select::<customer::Entity>()
        .filter(customer::Column::Id.is_in(ids.iter().copied()))
        .filter(customer::Column::PoolId.is_in(usable.keys().copied()))
        .all(db)
        .await?;
    if found.len() != ids.len() {
        return Err(AppError::not_found().with_field("customerIds"));
    }
    if found.iter().any(|c| c.pooled_at.is_none()) {
        return Err(AppError::conflict(NOT_POOLED).with_field("customerIds"));
    }
    Ok((found, usable))
}

fn pool_event(
    customer_id: i64,
    action: &str,
    by: Option<i64>,
    g: &pool_group::Model,
    extra: serde_json::Value,
    now: DateTime<Utc>,
) -> NewEvent {
    let mut payload = json!({"action": action, "poolId": g.id, "pool": g.name});
    if let (Some(p), Some(e)) = (payload.as_object_mut(), extra.as_object()) {
        p.extend(e.clone());
    }
    NewEvent::new(customer_id, EventKind::PublicPool, now).by(by).with(payload)
}

/// Moves visible customers the caller's data scope holds into a pool they
/// may use, with a reason (CRM-8 return).
pub async fn return_to_pool(
    state: &AppState,
    scope: &Scope,
    ids: &[i64],
    group_id: i64,
    reason_id: i64,
) -> AppResult<Vec<customer::Model>> {
    let ids = batch(ids)?;
    let now = state.clock.now();
    let txn = crate::db::write_txn(&state.db).await?;
    let g = groups::usable_one(&txn, scope, group_id, "poolId").await?;
    let reason = scope.get::<pool_reason::Entity>(&txn, reason_id).await.map_err(|e| e.with_field("reasonId"))?;
    // Only customers whose owner is in the caller's data scope: seeing a
    // customer as one of its adders is not holding it.
    let found = scope
        .select::<customer::Entity>()
        .filter(customer::Column::Id.is_in(ids.clone()))
        .filter(scope.visible_employees(customer::Column::OwnerId))
        .all(&txn)
        .await?;
    if found.len() != ids.len() {
        return Err(AppError::not_found().with_field("customerIds"));
    }
    for c in &found {
        not_pooled(c).map_err(|e| e.with_field("customerIds"))?;
    }
    let moved = scope
        .update_many::<customer::Entity>()
        .col_expr(customer::Column::PreviousOwnerId, Expr::col(customer::Column::OwnerId))
        .col_expr(customer::Column::OwnerId, Expr::value(Option::<i64>::None))
        .col_expr(customer::Column::PooledAt, Expr::value(now))
        .col_expr(customer::Column::PoolId, Expr::value(g.id))
        .col_expr(customer::Column::PoolReasonId, Expr::value(reason.id))
        .col_expr(customer::Column::UpdatedAt, Expr::value(now))
        .filter(customer::Column::Id.is_in(ids.clone()))
        .filter(customer::Column::PooledAt.is_null())
        .exec(&txn)
        .await?;
    if moved.rows_affected != ids.len() as u64 {
        return Err(AppError::conflict(NOT_POOLED_ANYMORE).with_field("customerIds"));
    }
    let events = found
        .iter()
        .map(|c| pool_event(c.id, "RETURNED", scope.employee_id(), &g, json!({"reason": reason.name, "from": c.owner_id}), now));
    timeline::append(&txn, scope, events.collect()).await?;
    let out = scope.select::<customer::Entity>().filter(customer::Column::Id.is_in(ids)).all(&txn).await?;
    txn.commit().await?;
    Ok(out)
}

/// Takes pooled customers from the pool to `owner` (claim: the caller;
/// assign: each its assignee), each by a conditional update so a customer
/// someone else took first is a CONFLICT and nothing of the batch is taken.
async fn take(
    db: &impl ConnectionTrait,
    scope: &Scope,
    pairs: &[(i64, i64)],
    action: &str,
    groups_of: &BTreeMap<i64, pool_group::Model>,
    pool_of: &BTreeMap<i64, i64>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    for (customer_id, owner) in pairs {
        let taken = scope
            .update_many::<customer::Entity>()
            .col_expr(customer::Column::OwnerId, Expr::value(*owner))
            .col_expr(customer::Column::OwnerSince, Expr::value(now))
            .col_expr(customer::Column::PooledAt, Expr::value(Option::<DateTime<Utc>>::None))
            .col_expr(customer::Column::PoolReasonId, Expr::value(Option::<i64>::None))
            .col_expr(customer::Column::UpdatedAt, Expr::value(now))
            .filter(customer::Column::Id.eq(*customer_id))
            .filter(customer::Column::PooledAt.is_not_null())
            .exec(db)
            .await?;
        if taken.rows_affected != 1 {
            return Err(AppError::conflict(NOT_POOLED).with_field("customerIds"));
        }
    }
    let events = pairs.iter().filter_map(|(c, owner)| {
        let g = groups_of.get(pool_of.get(c)?)?;
        Some(pool_event(*c, action, scope.employee_id(), g, json!({"to": owner}), now))
    });
    timeline::append(db, scope, events.collect()).await
}

/// Tells each new owner how many pool customers they got, and to add them.
async fn notify(state: &AppState, scope: &Scope, kind: &str, pairs: &[(i64, i64)]) {
    let mut per: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for (c, e) in pairs {
        per.entry(*e).or_default().push(*c);
    }
    for (employee, customers) in per {
        let text = match kind {
            "POOL_CLAIMED" => format!("你已领取{}位公海客户，请尽快添加客户并跟进", customers.len()),
            _ => format!("你被分配了{}位公海客户，请尽快添加客户并跟进", customers.len()),
        };
        let raised = delivery::raise(
            state,
            scope,
            NewAlert {
                category: AlertCategory::Notice,
                kind: kind.into(),
                customer_id: None,
                group_id: None,
                employee_id: Some(employee),
                text,
                payload: json!({"count": customers.len(), "customerIds": customers.iter().take(100).collect::<Vec<_>>()}),
                occurred_at: state.clock.now(),
                dedup_key: format!("{}:{}", kind.to_lowercase(), uuid::Uuid::new_v4().simple()),
                recipients: vec![employee],
                deliver_now: true,
                app_message: true,
            },
        )
        .await;
        if let Err(e) = raised {
            tracing::warn!(code = e.code.as_str(), employee, "pool notice not raised");
        }
    }
}

/// The caller takes pooled customers (CRM-8 claim). A recalled customer's
/// previous owner waits out the pool's claim limit.
pub async fn claim(state: &AppState, scope: &Scope, ids: &[i64]) -> AppResult<Vec<customer::Model>> {
    let ids = batch(ids)?;
    let me = scope.employee_id().ok_or_else(AppError::forbidden)?;
    let now = state.clock.now();
    let txn = crate::db::write_txn(&state.db).await?;
    let (found, groups_of) = pooled(&txn, scope, &ids).await?;
    for c in &found {
        let block = c.pool_id.and_then(|g| groups_of.get(&g)).and_then(|g| g.claim_block_days);
        let recalled = c.pool_reason_id.is_none();
        if let (Some(days), Some(at), true, true) = (block, c.pooled_at, recalled, c.previous_owner_id == Some(me)) {
            if now < at + Duration::days(i64::from(days)) {
                return Err(AppError::conflict(CLAIM_BLOCKED).with_field("customerIds"));
            }
        }
    }
    let pool_of: BTreeMap<i64, i64> = found.iter().filter_map(|c| Some((c.id, c.pool_id?))).collect();
    let pairs: Vec<(i64, i64)> = ids.iter().map(|c| (*c, me)).collect();
    take(&txn, scope, &pairs, "CLAIMED", &groups_of, &pool_of, now).await?;
    // Out of the pool, smart tag rules may tag them again.
    crate::smart_tags::pending::mark_changed(&txn, scope, &ids).await?;
    txn.commit().await?;
    notify(state, scope, "POOL_CLAIMED", &pairs).await;
    Ok(scope.select::<customer::Entity>().filter(customer::Column::Id.is_in(ids)).all(&state.db).await?)
}

/// Hands pooled customers to employees, as lead assignment does (CRM-8).
pub async fn assign(
    state: &AppState,
    scope: &Scope,
    ids: &[i64],
    employee_ids: &[i64],
    department_ids: &[i64],
    mode: LeadAssignMode,
) -> AppResult<Vec<customer::Model>> {
    let ids = batch(ids)?;
    let now = state.clock.now();
    let txn = crate::db::write_txn(&state.db).await?;
    let (found, groups_of) = pooled(&txn, scope, &ids).await?;
    let targets = spread::targets(&txn, scope, employee_ids, department_ids, "input").await?;
    let pairs = match mode {
        LeadAssignMode::RoundRobin => spread::spread_in_turn(&ids, &targets, 0),
        LeadAssignMode::Average => {
            let rows: Vec<(Option<i64>, i64)> = scope
                .select::<customer::Entity>()
                .select_only()
                .column(customer::Column::OwnerId)
                .column_as(customer::Column::Id.count(), "n")
                .filter(customer::Column::OwnerId.is_in(targets.clone()))
                .group_by(customer::Column::OwnerId)
                .into_tuple()
                .all(&txn)
                .await?;
            let mut load: BTreeMap<i64, i64> = targets.iter().map(|t| (*t, 0)).collect();
            for (o, n) in rows {
                if let Some(o) = o {
                    load.insert(o, n);
                }
            }
            spread::spread_average(&ids, &targets, load)
        }
    };
    let pool_of: BTreeMap<i64, i64> = found.iter().filter_map(|c| Some((c.id, c.pool_id?))).collect();
    take(&txn, scope, &pairs, "ASSIGNED", &groups_of, &pool_of, now).await?;
    crate::smart_tags::pending::mark_changed(&txn, scope, &ids).await?;
    txn.commit().await?;
    notify(state, scope, "POOL_ASSIGNED", &pairs).await;
    Ok(scope.select::<customer::Entity>().filter(customer::Column::Id.is_in(ids)).all(&state.db).await?)
}

/// Deletes pooled customers' data for good (CRM-8); answers how many.
pub async fn delete(state: &AppState, scope: &Scope, ids: &[i64]) -> AppResult<u64> {
    let ids = batch(ids)?;
    let txn = crate::db::write_txn(&state.db).await?;
    pooled(&txn, scope, &ids).await?;
    let done = scope
        .delete_many::<customer::Entity>()
        .filter(customer::Column::Id.is_in(ids))
        .filter(customer::Column::PooledAt.is_not_null())
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(done.rows_affected)
}
