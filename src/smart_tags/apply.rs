//! How smart tag rules reach customers. Three paths, one rule: a customer
//! who matches a rule, is out of the public pool and still has an adder gets
//! the rule's tags through WeCom's `mark_tag`, once per version of the
//! rule's tags (a tag removed by hand stays removed until the tags change).
//! - a save queues a pass over the rule's current matches, in SQL;
//! - changed customers ([`super::pending`]) are checked in memory against
//!   every rule, within about a minute;
//! - an hourly pass runs every rule in SQL again, for time-based conditions
//!   ("added within 7 days" changes with no event) and anything missed.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::{Expr, ExprTrait, OnConflict},
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{groups, pending, tag_type::TagType};
use crate::{
    conditions::{self, memory, Tree},
    customers::customer_tagging,
    error::{AppError, AppResult},
    jobs::{JobCtx, JobError, JobHandler, JobKind, NewJob},
    state::AppState,
    tenancy::Scope,
    wecom_sync::link::WecomLink,
};
use entity::{customer, smart_tag_hit, smart_tag_pending, smart_tag_rule, smart_tag_rule_tag};

/// Customers one rule tags per hourly pass (the next pass goes on).
const HOURLY_PER_RULE: usize = 5_000;
/// Changed customers one check reads at a time, and the batches one run
/// takes (notes still waiting go to the next minute's run).
const CHECK_BATCH: u64 = 500;
const CHECK_BATCHES: usize = 20;
/// How long a corp's check holds its lock at most (a crashed run's lapses).
const CHECK_LOCK: std::time::Duration = std::time::Duration::from_secs(600);

/// A rule ready to apply: its checked tree and tags.
pub struct LiveRule {
    pub rule: smart_tag_rule::Model,
    pub tree: Tree,
    pub tags: Vec<i64>,
}

/// The corp's CUSTOMER rules with their trees and tags; a rule whose stored
/// conditions no longer check (a custom field since disabled) is skipped.
pub async fn live_rules(db: &impl ConnectionTrait, scope: &Scope, only: Option<i64>) -> AppResult<Vec<LiveRule>> {
    let mut q = scope
        .select::<smart_tag_rule::Entity>()
        .filter(smart_tag_rule::Column::TagType.eq(TagType::Customer.as_str()))
        .order_by_asc(smart_tag_rule::Column::Id);
    if let Some(id) = only {
        q = q.filter(smart_tag_rule::Column::Id.eq(id));
    }
    let found = q.all(db).await?;
    if found.is_empty() {
        return Ok(Vec::new());
    }
    let mut tags: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for t in scope
        .select::<smart_tag_rule_tag::Entity>()
        .filter(smart_tag_rule_tag::Column::RuleId.is_in(found.iter().map(|r| r.id)))
        .order_by_asc(smart_tag_rule_tag::Column::TagId)
        .all(db)
        .await?
    {
        tags.entry(t.rule_id).or_default().push(t.tag_id);
    }
    // An unreadable tree is skipped, never read as the empty tree that matches everyone.
    let parsed: Vec<(smart_tag_rule::Model, conditions::RawTree)> =
        found.into_iter().filter_map(|r| serde_json::from_str::<conditions::RawTree>(&r.conditions).ok().map(|raw| (r, raw))).collect();
    let trees: Vec<&conditions::RawTree> = parsed.iter().map(|(_, raw)| raw).collect();
    let custom = conditions::sql::custom_fields_for(db, scope, conditions::Subject::Customer, &trees).await?;
    let mut out = Vec::new();
    for (rule, raw) in parsed {
        let (Ok(tree), Some(tags)) = (conditions::check(conditions::Subject::Customer, &raw, "conditions", &custom), tags.remove(&rule.id))
        else {
            tracing::warn!(rule = rule.id, "a smart tag rule's conditions or tags no longer hold; skipped");
            continue;
        };
        out.push(LiveRule { rule, tree, tags });
    }
    Ok(out)
}

/// Tags `ids` with the rule's tags and records the customers that got
/// them, a chunk at a time (so a later failure keeps what was tagged);
/// answers how many did and how many WeCom refused (tried again next pass).
async fn tag(
    db: &DatabaseConnection,
    scope: &Scope,
    link: Option<&WecomLink>,
    r: &LiveRule,
    ids: &[i64],
    now: DateTime<Utc>,
) -> AppResult<(usize, usize)> {
    let (mut tagged, mut failed) = (0, 0);
    for chunk in ids.chunks(customer_tagging::MAX_CUSTOMERS) {
        let mut done = Vec::new();
        for result in customer_tagging::change_tags(db, scope, link, chunk, &r.tags, &[]).await? {
            match result.error {
                None => done.push(result.customer_id),
                Some(e) => {
                    failed += 1;
                    tracing::info!(rule = r.rule.id, customer = result.customer_id, reason = e.msg.reason, "a smart tag was not applied");
                }
            }
        }
        tagged += done.len();
        let rows = done.iter().map(|c| smart_tag_hit::ActiveModel {
            rule_id: Set(r.rule.id),
            customer_id: Set(*c),
            tags_version: Set(r.rule.tags_version),
            tagged_at: Set(now),
            ..Default::default()
        });
        // A slower run holding an older version never writes it over a newer one.
        let older = Expr::col((smart_tag_hit::Entity, smart_tag_hit::Column::TagsVersion)).lte(r.rule.tags_version);
        let on_conflict = OnConflict::columns([smart_tag_hit::Column::RuleId, smart_tag_hit::Column::CustomerId])
            .update_columns([smart_tag_hit::Column::TagsVersion, smart_tag_hit::Column::TaggedAt])
            .action_and_where(older)
            .to_owned();
        scope.insert_many_ignoring(db, rows, on_conflict).await?;
    }
    Ok((tagged, failed))
}

/// [`tag`], a failure of the whole call (tags that no longer suit, a
/// customer gone meanwhile) logged and counted, so one rule cannot stop others.
async fn tag_isolated(
    db: &DatabaseConnection,
    scope: &Scope,
    link: Option<&WecomLink>,
    r: &LiveRule,
    ids: &[i64],
    now: DateTime<Utc>,
) -> (usize, usize) {
    match tag(db, scope, link, r, ids, now).await {
        Ok(counts) => counts,
        Err(e) => {
            tracing::warn!(rule = r.rule.id, reason = e.msg.reason, error = ?e.source, "a smart tag rule could not tag");
            (0, ids.len())
        }
    }
}

/// Who a rule may tag at all: out of the pool, with an adder to tag through.
fn taggable() -> Condition {
    Condition::all().add(customer::Column::PooledAt.is_null()).add(customer::Column::AdderCount.gt(0))
}

/// Tags the rule's current matches it has not tagged at this tags version,
/// in id order, at most `limit`.
async fn pass(
    db: &DatabaseConnection,
    scope: &Scope,
    link: Option<&WecomLink>,
    r: &LiveRule,
    now: DateTime<Utc>,
    limit: usize,
) -> AppResult<(usize, usize)> {
    let done_here = scope
        .subquery::<smart_tag_hit::Entity>(smart_tag_hit::Column::CustomerId)
        .and_where(smart_tag_hit::Column::RuleId.eq(r.rule.id))
        .and_where(smart_tag_hit::Column::TagsVersion.eq(r.rule.tags_version))
        .to_owned();
    let matching = Condition::all()
        .add(taggable())
        .add(conditions::sql::condition(scope, db.get_database_backend(), &r.tree, now))
        .add(customer::Column::Id.not_in_subquery(done_here));
    let (mut tagged, mut failed, mut after) = (0, 0, 0i64);
    while tagged + failed < limit {
        let ids: Vec<i64> = scope
            .select::<customer::Entity>()
            .select_only()
            .column(customer::Column::Id)
            .filter(matching.clone())
            .filter(customer::Column::Id.gt(after))
            .order_by_asc(customer::Column::Id)
            .limit(customer_tagging::MAX_CUSTOMERS.min(limit - tagged - failed) as u64)
            .into_tuple()
            .all(db)
            .await?;
        let Some(last) = ids.last() else { break };
        after = *last;
        let (t, f) = tag_isolated(db, scope, link, r, &ids, now).await;
        tagged += t;
        failed += f;
    }
    Ok((tagged, failed))
}

/// Checks noted customers against every rule, in memory, up to 20 batches
/// of 500 a run (the rest wait for the next minute); a customer a rule tags
/// here is noted again, so rules that select on tags chain within one run.
pub async fn check_changed(state: &AppState, scope: &Scope) -> AppResult<Value> {
    // One check per corp at a time (across instances with Redis): two would
    // read the same notes and tag the same customers twice.
    let lock = format!("smart-tags-check:{}", scope.corp_id());
    if state.kv.incr(&lock, CHECK_LOCK).await.map_err(AppError::internal)? > 1 {
        return Ok(json!({"skipped": "another check runs"}));
    }
    let outcome = check_locked(state, scope).await;
    if let Err(e) = state.kv.delete(&lock).await {
        tracing::warn!(error = ?e, "a smart tag check lock was not released; it lapses");
    }
    outcome
}

async fn check_locked(state: &AppState, scope: &Scope) -> AppResult<Value> {
    let db = &state.db;
    let rules = live_rules(db, scope, None).await?;
    let link = crate::wecom_sync::link::link(state, scope.corp_id()).await?;
    let (mut checked, mut tagged, mut failed) = (0, 0, 0);
    for _ in 0..CHECK_BATCHES {
        let now = state.clock.now();
        let batch = pending::next_batch(db, scope, CHECK_BATCH).await?;
        if batch.is_empty() {
            break;
        }
        let ids: Vec<i64> = batch.iter().map(|n| n.customer_id).collect();
        if !rules.is_empty() {
            let facts = memory::facts(db, scope, &ids).await?;
            let hits: HashSet<(i64, i64, i32)> = scope
                .select::<smart_tag_hit::Entity>()
                .filter(smart_tag_hit::Column::CustomerId.is_in(ids.iter().copied()))
                .all(db)
                .await?
                .into_iter()
                .map(|h| (h.rule_id, h.customer_id, h.tags_version))
                .collect();
            for r in &rules {
                let due: Vec<i64> = facts
                    .iter()
                    .filter(|f| f.customer.pooled_at.is_none() && f.customer.adder_count > 0)
                    .filter(|f| !hits.contains(&(r.rule.id, f.customer.id, r.rule.tags_version)))
                    .filter(|f| memory::matches(&r.tree, *f, now))
                    .map(|f| f.customer.id)
                    .collect();
                let (t, f) = tag_isolated(db, scope, link.as_ref(), r, &due, now).await;
                tagged += t;
                failed += f;
            }
        }
        checked += ids.len();
        pending::clear(db, scope, &batch).await?;
    }
    Ok(json!({"checked": checked, "tagged": tagged, "failed": failed}))
}

/// The pass a save queues: every current match of one rule (customers or groups).
#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(rename_all = "camelCase")]
pub struct RulePass {
    pub rule_id: i64,
    pub tags_version: i32,
}

impl JobKind for RulePass {
    const KIND: &'static str = "smart_tags.rule_pass";
    type Payload = RulePass;
}

/// Queues the pass over a just-saved rule's matches, in the saving transaction.
pub async fn queue_pass(txn: &impl ConnectionTrait, scope: &Scope, rule: &smart_tag_rule::Model, now: DateTime<Utc>) -> AppResult<()> {
    let payload = serde_json::to_string(&RulePass { rule_id: rule.id, tags_version: rule.tags_version }).map_err(AppError::internal)?;
    let new = NewJob { corp_id: Some(scope.corp_id()), created_by: scope.employee_id(), ..NewJob::system() }.dedup(format!(
        "smart-tags-pass:{}:{}",
        rule.id,
        rule.updated_at.timestamp_micros()
    ));
    crate::jobs::insert_row(txn, RulePass::KIND, payload, new, now).await?;
    Ok(())
}

pub struct RulePassJob;

#[async_trait::async_trait]
impl JobHandler for RulePassJob {
    type Kind = RulePass;

    async fn run(&self, ctx: &JobCtx, p: RulePass) -> Result<Value, JobError> {
        let Some(corp_id) = ctx.job.corp_id else { return Ok(json!({"skipped": "no corp"})) };
        let scope = Scope::system(corp_id);
        if let Some(r) = groups::live_rules(&ctx.state.db, &scope, Some(p.rule_id)).await?.pop() {
            let (tagged, failed) = groups::pass(&ctx.state.db, &scope, &r, ctx.state.clock.now(), usize::MAX).await?;
            return Ok(json!({"tagged": tagged, "failed": failed}));
        }
        let Some(r) = live_rules(&ctx.state.db, &scope, Some(p.rule_id)).await?.pop() else {
            return Ok(json!({"skipped": "rule gone"}));
        };
        let link = crate::wecom_sync::link::link(&ctx.state, corp_id).await?;
        let (tagged, failed) = pass(&ctx.state.db, &scope, link.as_ref(), &r, ctx.state.clock.now(), usize::MAX).await?;
        Ok(json!({"tagged": tagged, "failed": failed}))
    }
}

/// Every minute: the noted customers of every corp that has some.
pub struct CheckChangedJob;

#[async_trait::async_trait]
impl JobHandler for CheckChangedJob {
    type Kind = pending::CheckChanged;

    async fn run(&self, ctx: &JobCtx, _: Value) -> Result<Value, JobError> {
        let corps: Vec<i64> = crate::tenancy::across_corps::<smart_tag_pending::Entity>()
            .select_only()
            .column(smart_tag_pending::Column::CorpId)
            .distinct()
            .into_tuple()
            .all(&ctx.state.db)
            .await
            .map_err(AppError::from)?;
        let mut out = serde_json::Map::new();
        for corp in corps {
            out.insert(corp.to_string(), per_corp(corp, check_changed(&ctx.state, &Scope::system(corp)).await));
        }
        Ok(Value::Object(out))
    }
}

/// One corp's outcome; its failure is logged and does not stop the others.
fn per_corp(corp: i64, outcome: AppResult<Value>) -> Value {
    outcome.unwrap_or_else(|e| {
        tracing::warn!(corp, reason = e.msg.reason, error = ?e.source, "smart tags failed for a corp");
        json!({"failed": e.msg.reason})
    })
}

async fn hourly_corp(state: &AppState, corp: i64) -> AppResult<Value> {
    let scope = Scope::system(corp);
    let link = crate::wecom_sync::link::link(state, corp).await?;
    let now = state.clock.now();
    let (mut tagged, mut failed) = (0, 0);
    for r in live_rules(&state.db, &scope, None).await? {
        match pass(&state.db, &scope, link.as_ref(), &r, now, HOURLY_PER_RULE).await {
            Ok((t, f)) => {
                tagged += t;
                failed += f;
            }
            Err(e) => tracing::warn!(rule = r.rule.id, reason = e.msg.reason, error = ?e.source, "a smart tag rule's pass failed"),
        }
    }
    Ok(json!({"tagged": tagged, "failed": failed}))
}

/// The hourly pass over every corp with rules.
pub struct HourlyPass;

impl JobKind for HourlyPass {
    const KIND: &'static str = "smart_tags.hourly";
    type Payload = Value;
}

#[async_trait::async_trait]
impl JobHandler for HourlyPass {
    type Kind = Self;

    async fn run(&self, ctx: &JobCtx, _: Value) -> Result<Value, JobError> {
        let db = &ctx.state.db;
        let corps: Vec<i64> = crate::tenancy::across_corps::<smart_tag_rule::Entity>()
            .select_only()
            .column(smart_tag_rule::Column::CorpId)
            .filter(smart_tag_rule::Column::TagType.eq(TagType::Customer.as_str()))
            .distinct()
            .into_tuple()
            .all(db)
            .await
            .map_err(AppError::from)?;
        let mut out = serde_json::Map::new();
        for corp in corps {
            out.insert(corp.to_string(), per_corp(corp, hourly_corp(&ctx.state, corp).await));
        }
        Ok(Value::Object(out))
    }
}
