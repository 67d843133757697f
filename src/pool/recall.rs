//! Recall (CRM-7): an hourly durable job moves into each AUTO pool the
//! owned customers following its rules that meet any enabled condition, and
//! reminds owners of those that will meet one within the pool's reminder
//! days (POOL_RECALL_SOON, once per owner, pool and China day). Times are
//! the app clock's. "Since" is when the owner got the customer from a pool
//! (`owner_since`), else its first add.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    sea_query::{Expr, ExprTrait, Func, Query},
    ColumnTrait, Condition, QueryFilter, QuerySelect,
};
use serde_json::{json, Value};

use super::groups::{self, RecallMode};
use crate::{
    alerts::delivery::{self, AlertCategory, NewAlert},
    customers::timeline::{self, EventKind, NewEvent},
    error::AppError,
    jobs::{JobCtx, JobError, JobHandler, JobKind},
    state::AppState,
    tenancy::Scope,
};
use entity::{customer, customer_follow, follow_up, pool_group};

/// Customers one pass recalls per pool (the next pass takes the rest).
const PER_PASS: u64 = 5_000;

/// The customers of `g`'s rules meeting any of its conditions as of `at`.
pub fn due(scope: &Scope, g: &pool_group::Model, at: DateTime<Utc>) -> Option<Condition> {
    let cutoff = |days: i32| at - Duration::days(i64::from(days));
    let since = Expr::expr(Func::coalesce([
        Expr::col((customer::Entity, customer::Column::OwnerSince)),
        Expr::col((customer::Entity, customer::Column::FirstAddedAt)),
    ]));
    let followed = scope
        .subquery::<follow_up::Entity>(follow_up::Column::SubjectId)
        .and_where(follow_up::Column::SubjectKind.eq("CUSTOMER"))
        .to_owned();
    let mut any = Condition::any();
    if let Some(d) = g.never_followed_days {
        any = any.add(Condition::all().add(customer::Column::Id.not_in_subquery(followed.clone())).add(since.clone().lt(cutoff(d))));
    }
    if let Some(d) = g.not_friend_days {
        let relations = Query::select()
            .columns([customer_follow::Column::CustomerId, customer_follow::Column::EmployeeId])
            .from(customer_follow::Entity)
            .and_where(customer_follow::Column::CorpId.eq(scope.corp_id()))
            .to_owned();
        let pair =
            Expr::tuple([Expr::col((customer::Entity, customer::Column::Id)), Expr::col((customer::Entity, customer::Column::OwnerId))]);
        any = any.add(Condition::all().add(pair.not_in_subquery(relations)).add(since.clone().lt(cutoff(d))));
    }
    if let Some(d) = g.no_new_follow_up_days {
        let stale = scope
            .subquery::<follow_up::Entity>(follow_up::Column::SubjectId)
            .and_where(follow_up::Column::SubjectKind.eq("CUSTOMER"))
            .group_by_col(follow_up::Column::SubjectId)
            .and_having(Expr::col(follow_up::Column::CreatedAt).max().lt(cutoff(d)))
            .to_owned();
        // A follow-up by a previous owner does not count against the new one.
        any = any.add(Condition::all().add(customer::Column::Id.in_subquery(stale)).add(since.clone().lt(cutoff(d))));
    }
    if let Some(d) = g.not_won_days {
        any = any.add(since.lt(cutoff(d)));
    }
    if any.is_empty() {
        return None;
    }
    let mut base = Condition::all()
        .add(customer::Column::PooledAt.is_null())
        .add(customer::Column::OwnerId.is_not_null())
        .add(customer::Column::Id.not_in_subquery(crate::opportunities::service::won_customers(scope)))
        .add(any);
    base = match g.fixed {
        Some(_) => base.add(Condition::any().add(customer::Column::PoolId.eq(g.id)).add(customer::Column::PoolId.is_null())),
        None => base.add(customer::Column::PoolId.eq(g.id)),
    };
    Some(base)
}

/// Recalls and reminds for one corp's AUTO pools; answers what it did.
pub async fn run_corp(state: &AppState, scope: &Scope, now: DateTime<Utc>) -> Result<Value, AppError> {
    let db = &state.db;
    let mut recalled = 0usize;
    let mut reminded = 0usize;
    for g in groups::list(db, scope).await?.into_iter().filter(|g| RecallMode::parse(&g.recall_mode) == RecallMode::Auto) {
        let Some(due_now) = due(scope, &g, now) else { continue };
        let txn = crate::db::write_txn(db).await?;
        let taken = scope.select::<customer::Entity>().filter(due_now).limit(PER_PASS).all(&txn).await?;
        if !taken.is_empty() {
            let ids: Vec<i64> = taken.iter().map(|c| c.id).collect();
            for chunk in ids.chunks(500) {
                scope
                    .update_many::<customer::Entity>()
                    .col_expr(customer::Column::PreviousOwnerId, Expr::col(customer::Column::OwnerId))
                    .col_expr(customer::Column::OwnerId, Expr::value(Option::<i64>::None))
                    .col_expr(customer::Column::PooledAt, Expr::value(now))
                    .col_expr(customer::Column::PoolId, Expr::value(g.id))
                    .col_expr(customer::Column::PoolReasonId, Expr::value(Option::<i64>::None))
                    .col_expr(customer::Column::UpdatedAt, Expr::value(now))
                    .filter(customer::Column::Id.is_in(chunk.iter().copied()))
                    .filter(customer::Column::PooledAt.is_null())
                    .exec(&txn)
                    .await?;
            }
            let events = taken.iter().map(|c| {
                NewEvent::new(c.id, EventKind::PublicPool, now)
                    .with(json!({"action": "RECALLED", "poolId": g.id, "pool": g.name, "from": c.owner_id}))
            });
            timeline::append(&txn, scope, events.collect()).await?;
            recalled += taken.len();
        }
        txn.commit().await?;

        // Reminders: due by then, not yet now (those were just recalled).
        let Some(days) = g.remind_days else { continue };
        let Some(due_then) = due(scope, &g, now + Duration::days(i64::from(days))) else { continue };
        let soon: Vec<(Option<i64>, i64)> = scope
            .select::<customer::Entity>()
            .select_only()
            .column(customer::Column::OwnerId)
            .column_as(customer::Column::Id.count(), "n")
            .filter(due_then)
            .group_by(customer::Column::OwnerId)
            .into_tuple()
            .all(db)
            .await?;
        let per: BTreeMap<i64, i64> = soon.into_iter().filter_map(|(o, n)| Some((o?, n))).collect();
        let day = now.with_timezone(&crate::clock::china()).format("%Y-%m-%d");
        for (owner, n) in per {
            let raised = delivery::raise(
                state,
                scope,
                NewAlert {
                    category: AlertCategory::Notice,
                    kind: "POOL_RECALL_SOON".into(),
                    customer_id: None,
                    group_id: None,
                    employee_id: Some(owner),
                    text: format!("你有{n}位客户将在{days}天内被回收至「{}」，请及时跟进", g.name),
                    payload: json!({"poolId": g.id, "customers": n, "days": days}),
                    occurred_at: now,
                    dedup_key: format!("pool-recall-soon:{}:{owner}:{day}", g.id),
                    recipients: vec![owner],
                    deliver_now: true,
                    app_message: true,
                },
            )
            .await?;
            reminded += usize::from(raised.is_some());
        }
    }
    Ok(json!({"recalled": recalled, "reminded": reminded}))
}

/// The hourly recall pass over every corp that has an AUTO pool.
pub struct RecallJob;

impl JobKind for RecallJob {
    const KIND: &'static str = "pool.recall";
    type Payload = Value;
}

#[async_trait::async_trait]
impl JobHandler for RecallJob {
    type Kind = Self;

    async fn run(&self, ctx: &JobCtx, _: Value) -> Result<Value, JobError> {
        let now = ctx.state.clock.now();
        let corps: Vec<i64> = crate::tenancy::across_corps::<pool_group::Entity>()
            .filter(pool_group::Column::RecallMode.eq(RecallMode::Auto.as_str()))
            .select_only()
            .column(pool_group::Column::CorpId)
            .distinct()
            .into_tuple()
            .all(&ctx.state.db)
            .await
            .map_err(AppError::from)?;
        let mut out = serde_json::Map::new();
        for corp in corps {
            out.insert(corp.to_string(), run_corp(&ctx.state, &Scope::system(corp), now).await?);
        }
        Ok(Value::Object(out))
    }
}
