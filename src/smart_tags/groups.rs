//! How GROUP smart tag rules reach customer groups: a live group a rule
//! matches gets the rule's group tags, once per version of its tags (a tag
//! removed by hand stays off until the tags change), as customer rules do.
//! Groups are few next to customers (hundreds to some thousands a corp), so
//! rather than noting changes, every rule runs in SQL each minute over the
//! groups it has not tagged at its tags version: new and changed groups and
//! time-based conditions alike are tagged within about a minute. A save
//! runs the rule at once ([`super::apply::RulePassJob`]).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::{Expr, ExprTrait, OnConflict},
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::{json, Value};

use super::tag_type::TagType;
use crate::{
    conditions::{self, group_sql, Tree},
    customers::group_tags,
    error::{AppError, AppResult},
    jobs::{JobCtx, JobError, JobHandler, JobKind},
    state::AppState,
    tenancy::Scope,
};
use entity::{customer_group, smart_tag_group_hit, smart_tag_rule, smart_tag_rule_group_tag};

/// Groups one rule tags per run (the next minute goes on).
const PER_RULE: usize = 5_000;
/// Groups tagged per call (what `tag_groups` takes at a time).
const CHUNK: usize = 100;

/// A GROUP rule ready to apply: its checked tree and group tags.
pub struct LiveGroupRule {
    pub rule: smart_tag_rule::Model,
    pub tree: Tree,
    pub tags: Vec<i64>,
}

/// The corp's GROUP rules (or the one `only` names) with their trees and
/// tags; one whose stored conditions no longer check is skipped.
pub async fn live_rules(db: &impl ConnectionTrait, scope: &Scope, only: Option<i64>) -> AppResult<Vec<LiveGroupRule>> {
    let mut q = scope
        .select::<smart_tag_rule::Entity>()
        .filter(smart_tag_rule::Column::TagType.eq(TagType::Group.as_str()))
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
        .select::<smart_tag_rule_group_tag::Entity>()
        .filter(smart_tag_rule_group_tag::Column::RuleId.is_in(found.iter().map(|r| r.id)))
        .order_by_asc(smart_tag_rule_group_tag::Column::TagId)
        .all(db)
        .await?
    {
        tags.entry(t.rule_id).or_default().push(t.tag_id);
    }
    // An unreadable tree is skipped, never read as the empty tree that matches every group.
    let parsed: Vec<(smart_tag_rule::Model, Option<conditions::RawTree>)> =
        found.into_iter().map(|r| (serde_json::from_str::<conditions::RawTree>(&r.conditions).ok(), r)).map(|(raw, r)| (r, raw)).collect();
    let trees: Vec<&conditions::RawTree> = parsed.iter().filter_map(|(_, raw)| raw.as_ref()).collect();
    let custom = conditions::sql::custom_fields_for(db, scope, conditions::Subject::Group, &trees).await?;
    let mut out = Vec::new();
    for (rule, raw) in parsed {
        let tree = raw.and_then(|raw| conditions::check(conditions::Subject::Group, &raw, "conditions", &custom).ok());
        let (Some(tree), Some(tags)) = (tree, tags.remove(&rule.id)) else {
            tracing::warn!(rule = rule.id, "a group smart tag rule's conditions or tags no longer hold; skipped");
            continue;
        };
        out.push(LiveGroupRule { rule, tree, tags });
    }
    Ok(out)
}

/// Tags `ids` with the rule's group tags and records them as its hits.
async fn tag(db: &DatabaseConnection, scope: &Scope, r: &LiveGroupRule, ids: &[i64], now: DateTime<Utc>) -> AppResult<()> {
    group_tags::tag_groups(db, scope, ids, &r.tags, &[]).await?;
    let rows = ids.iter().map(|g| smart_tag_group_hit::ActiveModel {
        rule_id: Set(r.rule.id),
        group_id: Set(*g),
        tags_version: Set(r.rule.tags_version),
        tagged_at: Set(now),
        ..Default::default()
    });
    // A slower run holding an older version never writes it over a newer one.
    let older = Expr::col((smart_tag_group_hit::Entity, smart_tag_group_hit::Column::TagsVersion)).lte(r.rule.tags_version);
    let on_conflict = OnConflict::columns([smart_tag_group_hit::Column::RuleId, smart_tag_group_hit::Column::GroupId])
        .update_columns([smart_tag_group_hit::Column::TagsVersion, smart_tag_group_hit::Column::TaggedAt])
        .action_and_where(older)
        .to_owned();
    scope.insert_many_ignoring(db, rows, on_conflict).await
}

/// Tags the live groups the rule matches and has not tagged at this tags
/// version, in id order, at most `limit`; answers how many were tagged and
/// how many failed (a group deleted meanwhile fails its chunk, which the
/// next run tries again without it).
pub async fn pass(
    db: &DatabaseConnection,
    scope: &Scope,
    r: &LiveGroupRule,
    now: DateTime<Utc>,
    limit: usize,
) -> AppResult<(usize, usize)> {
    let done_here = scope
        .subquery::<smart_tag_group_hit::Entity>(smart_tag_group_hit::Column::GroupId)
        .and_where(smart_tag_group_hit::Column::RuleId.eq(r.rule.id))
        .and_where(smart_tag_group_hit::Column::TagsVersion.eq(r.rule.tags_version))
        .to_owned();
    let matching = Condition::all()
        .add(customer_group::Column::DismissedAt.is_null())
        .add(group_sql::condition(scope, db.get_database_backend(), &r.tree, now))
        .add(customer_group::Column::Id.not_in_subquery(done_here));
    let (mut tagged, mut failed, mut after) = (0, 0, 0i64);
    while tagged + failed < limit {
        let ids: Vec<i64> = scope
            .select::<customer_group::Entity>()
            .select_only()
            .column(customer_group::Column::Id)
            .filter(matching.clone())
            .filter(customer_group::Column::Id.gt(after))
            .order_by_asc(customer_group::Column::Id)
            .limit(CHUNK.min(limit - tagged - failed) as u64)
            .into_tuple()
            .all(db)
            .await?;
        let Some(last) = ids.last() else { break };
        after = *last;
        match tag(db, scope, r, &ids, now).await {
            Ok(()) => tagged += ids.len(),
            Err(e) => {
                failed += ids.len();
                tracing::warn!(rule = r.rule.id, reason = e.msg.reason, error = ?e.source, "a group smart tag rule could not tag");
            }
        }
    }
    Ok((tagged, failed))
}

/// Every GROUP rule of one corp, each failing alone.
async fn corp_pass(state: &AppState, corp: i64) -> AppResult<Value> {
    let scope = Scope::system(corp);
    let now = state.clock.now();
    let (mut tagged, mut failed) = (0, 0);
    for r in live_rules(&state.db, &scope, None).await? {
        match pass(&state.db, &scope, &r, now, PER_RULE).await {
            Ok((t, f)) => {
                tagged += t;
                failed += f;
            }
            Err(e) => tracing::warn!(rule = r.rule.id, reason = e.msg.reason, error = ?e.source, "a group smart tag rule's pass failed"),
        }
    }
    Ok(json!({"tagged": tagged, "failed": failed}))
}

/// Each minute: every GROUP rule of every corp that has some.
pub struct GroupPass;

impl JobKind for GroupPass {
    const KIND: &'static str = "smart_tags.groups";
    type Payload = Value;
}

#[async_trait::async_trait]
impl JobHandler for GroupPass {
    type Kind = Self;

    async fn run(&self, ctx: &JobCtx, _: Value) -> Result<Value, JobError> {
        let corps: Vec<i64> = crate::tenancy::across_corps::<smart_tag_rule::Entity>()
            .select_only()
            .column(smart_tag_rule::Column::CorpId)
            .filter(smart_tag_rule::Column::TagType.eq(TagType::Group.as_str()))
            .distinct()
            .into_tuple()
            .all(&ctx.state.db)
            .await
            .map_err(AppError::from)?;
        let mut out = serde_json::Map::new();
        for corp in corps {
            let outcome = corp_pass(&ctx.state, corp).await.unwrap_or_else(|e| {
                tracing::warn!(corp, reason = e.msg.reason, error = ?e.source, "group smart tags failed for a corp");
                json!({"failed": e.msg.reason})
            });
            out.insert(corp.to_string(), outcome);
        }
        Ok(Value::Object(out))
    }
}
