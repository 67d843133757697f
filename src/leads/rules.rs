//! Lead auto-assignment rules (CFG-12): a name, conditions over lead fields
//! (the condition engine, subject LEAD), targets, and ROUND_ROBIN (a cursor
//! kept on the rule, so turns continue across saves) or RANDOM. A lead
//! saved unassigned goes by the first enabled rule, in the rules' order,
//! whose conditions it meets; none met, it stays unassigned.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use rand::{rngs::StdRng, Rng, SeedableRng};
use sea_orm::{
    sea_query::{Expr, ExprTrait},
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;

use super::{assignment, model::LeadStatus};
use crate::{
    conditions::{self, catalogue::Key, memory::Facts, RawTree, Subject},
    custom_fields::FieldEntity,
    error::{AppError, AppResult, Msg},
    state::AppState,
    tenancy::Scope,
};
use entity::{custom_field_value, lead, lead_rule, lead_tag};

const NAME_INVALID: Msg = Msg::new("LEAD_RULE_NAME_INVALID", "规则名称为1-30个字", "Rule names must be 1-30 characters");

/// How a rule spreads the leads it takes.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum LeadRuleMode {
    /// In turn over the targets, continuing where the last lead stopped.
    RoundRobin,
    /// A target at random.
    Random,
}

impl LeadRuleMode {
    pub fn as_str(self) -> &'static str {
        match self {
            LeadRuleMode::RoundRobin => "ROUND_ROBIN",
            LeadRuleMode::Random => "RANDOM",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [LeadRuleMode::RoundRobin, LeadRuleMode::Random].into_iter().find(|m| m.as_str() == s)
    }
}

pub struct RuleInput {
    pub name: String,
    pub conditions: RawTree,
    pub employee_ids: Vec<i64>,
    pub department_ids: Vec<i64>,
    pub mode: LeadRuleMode,
    pub enabled: bool,
    pub sort_index: Option<f64>,
}

async fn checked(db: &impl ConnectionTrait, scope: &Scope, input: &RuleInput) -> AppResult<String> {
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 30 {
        return Err(AppError::bad_input("input.name", NAME_INVALID));
    }
    let custom = conditions::sql::custom_fields_for(db, scope, Subject::Lead, &[&input.conditions]).await?;
    conditions::check(Subject::Lead, &input.conditions, "input.conditions", &custom)?;
    assignment::targets(db, scope, &input.employee_ids, &input.department_ids, "input").await?;
    Ok(name.to_string())
}

fn ids_json(ids: &[i64]) -> String {
    serde_json::to_string(ids).unwrap_or_else(|_| "[]".into())
}

pub fn ids_of(stored: &str) -> Vec<i64> {
    serde_json::from_str(stored).unwrap_or_default()
}

pub async fn create(state: &AppState, scope: &Scope, input: &RuleInput) -> AppResult<lead_rule::Model> {
    let name = checked(&state.db, scope, input).await?;
    let now = state.clock.now();
    let last = list(&state.db, scope).await?.last().map_or(0.0, |r| r.sort_index);
    scope
        .insert(
            &state.db,
            lead_rule::ActiveModel {
                name: Set(name),
                conditions: Set(serde_json::to_string(&input.conditions).map_err(AppError::internal)?),
                employee_ids: Set(ids_json(&input.employee_ids)),
                department_ids: Set(ids_json(&input.department_ids)),
                mode: Set(input.mode.as_str().into()),
                cursor: Set(0),
                enabled: Set(input.enabled),
                sort_index: Set(input.sort_index.unwrap_or(last.floor() + 1.0)),
                created_by: Set(scope.employee_id()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            },
        )
        .await
}

pub async fn update(state: &AppState, scope: &Scope, id: i64, input: &RuleInput) -> AppResult<lead_rule::Model> {
    let old = scope.get::<lead_rule::Entity>(&state.db, id).await?;
    let name = checked(&state.db, scope, input).await?;
    scope
        .update(
            &state.db,
            lead_rule::ActiveModel {
                id: Set(id),
                name: Set(name),
                conditions: Set(serde_json::to_string(&input.conditions).map_err(AppError::internal)?),
                employee_ids: Set(ids_json(&input.employee_ids)),
                department_ids: Set(ids_json(&input.department_ids)),
                mode: Set(input.mode.as_str().into()),
                enabled: Set(input.enabled),
                sort_index: Set(input.sort_index.unwrap_or(old.sort_index)),
                updated_at: Set(state.clock.now()),
                ..Default::default()
            },
        )
        .await
}

pub async fn delete(db: &impl ConnectionTrait, scope: &Scope, id: i64) -> AppResult<()> {
    scope.get::<lead_rule::Entity>(db, id).await?;
    scope.delete_many::<lead_rule::Entity>().filter(lead_rule::Column::Id.eq(id)).exec(db).await?;
    Ok(())
}

/// The corp's rules in the order they are tried.
pub async fn list(db: &impl ConnectionTrait, scope: &Scope) -> AppResult<Vec<lead_rule::Model>> {
    Ok(scope.select::<lead_rule::Entity>().order_by_asc(lead_rule::Column::SortIndex).order_by_asc(lead_rule::Column::Id).all(db).await?)
}

/// What a lead rule's conditions read of a lead.
pub struct LeadFacts<'a> {
    pub lead: &'a lead::Model,
    pub tag_ids: BTreeSet<i64>,
    /// Lead custom field values by field.
    pub custom: BTreeMap<i64, conditions::memory::CustomValue>,
}

static NO_DEPARTMENTS: BTreeSet<i64> = BTreeSet::new();

impl Facts for LeadFacts<'_> {
    fn text(&self, key: Key) -> Option<&str> {
        let l = self.lead;
        match key {
            Key::Name => Some(l.name.as_str()),
            Key::Mobile => l.mobile.as_deref(),
            Key::Channel => l.channel.as_deref(),
            Key::Company => l.company_name.as_deref(),
            Key::Position => l.position.as_deref(),
            _ => None,
        }
    }
    fn number(&self, key: Key) -> i64 {
        match key {
            Key::Gender => i64::from(self.lead.gender),
            _ => 0,
        }
    }
    fn time(&self, key: Key) -> Option<DateTime<Utc>> {
        match key {
            Key::CreatedAt => Some(self.lead.created_at),
            Key::LastFollowUpAt => self.lead.last_follow_up_at,
            _ => None,
        }
    }
    fn tag_ids(&self) -> &BTreeSet<i64> {
        &self.tag_ids
    }
    fn owner(&self) -> Option<i64> {
        self.lead.owner_id
    }
    fn owner_departments(&self) -> &BTreeSet<i64> {
        &NO_DEPARTMENTS
    }
    fn custom(&self, field_id: i64) -> Option<&conditions::memory::CustomValue> {
        self.custom.get(&field_id)
    }
}

/// A rule as the engine runs it.
pub struct Loaded {
    pub rule: lead_rule::Model,
    pub tree: conditions::Tree,
    pub targets: Vec<i64>,
}

/// The enabled rules with their trees checked and targets resolved now (a
/// rule whose targets all left, or whose stored tree no longer checks, is
/// skipped).
pub async fn enabled(db: &impl ConnectionTrait, scope: &Scope) -> AppResult<Vec<Loaded>> {
    let mut out = Vec::new();
    let rules: Vec<lead_rule::Model> = list(db, scope).await?.into_iter().filter(|r| r.enabled).collect();
    if rules.is_empty() {
        return Ok(out);
    }
    let parsed: Vec<(lead_rule::Model, RawTree)> =
        rules.into_iter().filter_map(|r| serde_json::from_str::<RawTree>(&r.conditions).ok().map(|raw| (r, raw))).collect();
    // Parsed first, so the lead custom fields are read only when a tree names one.
    let trees: Vec<&RawTree> = parsed.iter().map(|(_, raw)| raw).collect();
    let custom = conditions::sql::custom_fields_for(db, scope, Subject::Lead, &trees).await?;
    for (rule, raw) in parsed {
        let Ok(tree) = conditions::check(Subject::Lead, &raw, "conditions", &custom) else { continue };
        let targets = match assignment::targets(db, scope, &ids_of(&rule.employee_ids), &ids_of(&rule.department_ids), "rule").await {
            Ok(t) => t,
            // Everyone it names left: the rule takes nothing until edited.
            Err(e) if matches!(e.code, crate::error::Code::BadUserInput | crate::error::Code::NotFound) => continue,
            Err(e) => return Err(e),
        };
        out.push(Loaded { rule, tree, targets });
    }
    Ok(out)
}

/// Assigns, by the rules, those of `leads` that are active and unassigned,
/// in one transaction; answers the leads as stored after it.
pub async fn assign_new(state: &AppState, scope: &Scope, leads: Vec<lead::Model>) -> AppResult<Vec<lead::Model>> {
    let rules = enabled(&state.db, scope).await?;
    if rules.is_empty() || leads.is_empty() {
        return Ok(leads);
    }
    let pairs = {
        let txn = crate::db::write_txn(&state.db).await?;
        let pairs = apply(&txn, scope, &rules, &leads, state.clock.now()).await?;
        txn.commit().await?;
        pairs
    };
    if pairs.is_empty() {
        return Ok(leads);
    }
    assignment::notify(state, scope, &pairs).await;
    let ids: Vec<i64> = leads.iter().map(|l| l.id).collect();
    let mut fresh: BTreeMap<i64, lead::Model> =
        scope.select::<lead::Entity>().filter(lead::Column::Id.is_in(ids)).all(&state.db).await?.into_iter().map(|l| (l.id, l)).collect();
    Ok(leads.into_iter().map(|l| fresh.remove(&l.id).unwrap_or(l)).collect())
}

/// The rule step inside the caller's transaction (an import's batch, a
/// save): picks each lead's rule and target, writes owners, logs and the
/// rules' cursors; answers (lead, employee) pairs for the notices.
pub async fn apply(
    db: &impl ConnectionTrait,
    scope: &Scope,
    rules: &[Loaded],
    leads: &[lead::Model],
    now: DateTime<Utc>,
) -> AppResult<Vec<(i64, i64)>> {
    let waiting: Vec<&lead::Model> = leads.iter().filter(|l| l.owner_id.is_none() && l.status == LeadStatus::Active.as_str()).collect();
    if rules.is_empty() || waiting.is_empty() {
        return Ok(Vec::new());
    }
    let mut tags: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
    for t in scope.select::<lead_tag::Entity>().filter(lead_tag::Column::LeadId.is_in(waiting.iter().map(|l| l.id))).all(db).await? {
        tags.entry(t.lead_id).or_default().insert(t.tag_id);
    }
    let mut custom: BTreeMap<i64, BTreeMap<i64, conditions::memory::CustomValue>> = BTreeMap::new();
    let values = scope
        .select::<custom_field_value::Entity>()
        .filter(custom_field_value::Column::EntityKind.eq(FieldEntity::Lead.as_str()))
        .filter(custom_field_value::Column::EntityId.is_in(waiting.iter().map(|l| l.id)))
        .all(db)
        .await?;
    for v in values {
        custom.entry(v.entity_id).or_default().insert(v.field_id, (v.value_text, v.value_num));
    }
    let mut taken: BTreeMap<usize, Vec<i64>> = BTreeMap::new();
    for l in waiting {
        let facts =
            LeadFacts { lead: l, tag_ids: tags.remove(&l.id).unwrap_or_default(), custom: custom.remove(&l.id).unwrap_or_default() };
        if let Some(i) = rules.iter().position(|r| conditions::memory::matches(&r.tree, &facts, now)) {
            taken.entry(i).or_default().push(l.id);
        }
    }
    let mut pairs = Vec::new();
    let mut rng = StdRng::from_entropy();
    for (i, ids) in taken {
        let r = &rules[i];
        let mode = LeadRuleMode::parse(&r.rule.mode).unwrap_or(LeadRuleMode::RoundRobin);
        let these = match mode {
            LeadRuleMode::RoundRobin => {
                // Take the turns by moving the cursor in the database first:
                // the row lock makes concurrent saves take turns one after another.
                let (n, len) = (ids.len() as i64, r.targets.len() as i64);
                scope
                    .update_many::<lead_rule::Entity>()
                    .col_expr(lead_rule::Column::Cursor, Expr::col(lead_rule::Column::Cursor).add(n).modulo(len))
                    .filter(lead_rule::Column::Id.eq(r.rule.id))
                    .exec(db)
                    .await?;
                let after: Option<i64> = scope
                    .select::<lead_rule::Entity>()
                    .select_only()
                    .column(lead_rule::Column::Cursor)
                    .filter(lead_rule::Column::Id.eq(r.rule.id))
                    .into_tuple()
                    .one(db)
                    .await?;
                let start = (after.unwrap_or(n) - n).rem_euclid(len);
                assignment::spread_in_turn(&ids, &r.targets, start as usize)
            }
            LeadRuleMode::Random => ids.iter().map(|l| (*l, r.targets[rng.gen_range(0..r.targets.len())])).collect(),
        };
        assignment::set_owners(db, scope, &these, json!({"by": "RULE", "ruleId": r.rule.id, "rule": r.rule.name}), now).await?;
        pairs.extend(these);
    }
    Ok(pairs)
}
