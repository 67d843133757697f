//! Resigned auto-allocation (INH-3). A rule covers departments (and their
//! sub-departments) and, optionally, leavers with given attribute values
//! (any of them: the screen joins them with OR). Heirs are active employees
//! of the leaver's department whose values for the rule's attributes equal
//! the leaver's; customers go to them evenly (AVERAGE: always to the heir
//! with the fewest customers) or in turn (ROUND_ROBIN: a cursor kept on the
//! rule across runs). With no heir the rule's fallback employee takes them.
//! A daily job at 10:00 (China time) handles the previous day's leavers.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use async_graphql::Enum;
use chrono::{Duration, NaiveDate, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, PaginatorTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::inheritance::{inherit_resigned, ResignedInheritRequest};
use crate::{
    error::{AppError, AppResult, Msg},
    jobs::{JobCtx, JobError, JobHandler, JobKind},
    tenancy::{subtree_of, Scope},
};
use entity::{allocation_rule, custom_field_value, customer, department, employee, employee_department, unassigned_customer};

const NAME_INVALID: Msg = Msg::new("ALLOCATION_RULE_NAME_INVALID", "规则名称为1-30个字", "Rule names must be 1-30 characters");
const DEPARTMENTS_REQUIRED: Msg = Msg::new("DEPARTMENTS_REQUIRED", "请选择适用部门", "Choose the departments the rule covers");
const CONDITION_INVALID: Msg = Msg::new("CONDITION_INVALID", "请选择员工字段并填写值", "Choose an employee field and a value");
const FALLBACK_RESIGNED: Msg = Msg::new("FALLBACK_RESIGNED", "兜底员工已离职", "The fallback employee has resigned");

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Serialize, Deserialize)]
pub enum AllocationMode {
    /// 平均分配: each customer to the heir with the fewest customers.
    Average,
    /// 轮流分配: heirs in turn, continuing where the last run stopped.
    RoundRobin,
}

impl AllocationMode {
    pub fn as_str(self) -> &'static str {
        match self {
            AllocationMode::Average => "AVERAGE",
            AllocationMode::RoundRobin => "ROUND_ROBIN",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [AllocationMode::Average, AllocationMode::RoundRobin].into_iter().find(|m| m.as_str() == s)
    }
}

/// An attribute condition: POSITION or GENDER, or an employee custom field, equal to a value.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AttributeCondition {
    pub system_field: Option<String>,
    pub custom_field_id: Option<i64>,
    pub value: String,
}

pub struct RuleInput {
    pub name: String,
    pub department_ids: Vec<i64>,
    pub conditions: Vec<AttributeCondition>,
    pub mode: AllocationMode,
    pub fallback_employee_id: Option<i64>,
    pub enabled: bool,
}

async fn check(db: &impl ConnectionTrait, scope: &Scope, input: &RuleInput) -> AppResult<String> {
    let name = input.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 30 {
        return Err(AppError::bad_input("name", NAME_INVALID));
    }
    if input.department_ids.is_empty() {
        return Err(AppError::bad_input("departmentIds", DEPARTMENTS_REQUIRED));
    }
    let found = scope.select::<department::Entity>().filter(department::Column::Id.is_in(input.department_ids.clone())).count(db).await?;
    if found as usize != input.department_ids.iter().collect::<BTreeSet<_>>().len() {
        return Err(AppError::not_found().with_field("departmentIds"));
    }
    for (i, c) in input.conditions.iter().enumerate() {
        let system_ok = c.system_field.as_deref().is_some_and(|f| matches!(f, "POSITION" | "GENDER"));
        let ok = c.custom_field_id.is_some() != system_ok && !c.value.trim().is_empty();
        if !ok {
            return Err(AppError::bad_input(format!("conditions.{i}"), CONDITION_INVALID));
        }
        if let Some(f) = c.custom_field_id {
            scope.get::<entity::custom_field::Entity>(db, f).await?;
        }
    }
    if let Some(f) = input.fallback_employee_id {
        if scope.get::<employee::Entity>(db, f).await?.resigned_at.is_some() {
            return Err(AppError::bad_input("fallbackEmployeeId", FALLBACK_RESIGNED));
        }
    }
    Ok(name)
}

fn json_of<T: Serialize>(v: &T) -> String {
    crate::json::text(v)
}

pub async fn list(db: &impl ConnectionTrait, scope: &Scope) -> AppResult<Vec<allocation_rule::Model>> {
    Ok(scope.select::<allocation_rule::Entity>().order_by_asc(allocation_rule::Column::Id).all(db).await?)
}

pub async fn create(db: &DatabaseConnection, scope: &Scope, input: RuleInput) -> AppResult<allocation_rule::Model> {
    let name = check(db, scope, &input).await?;
    let now = Utc::now();
    scope
        .insert(
            db,
            allocation_rule::ActiveModel {
                name: Set(name),
                department_ids: Set(json_of(&input.department_ids)),
                conditions: Set(json_of(&input.conditions)),
                mode: Set(input.mode.as_str().into()),
                fallback_employee_id: Set(input.fallback_employee_id),
                enabled: Set(input.enabled),
                cursor: Set(0),
                created_by: Set(scope.employee_id()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            },
        )
        .await
}

pub async fn update(db: &DatabaseConnection, scope: &Scope, id: i64, input: RuleInput) -> AppResult<allocation_rule::Model> {
    let rule = scope.get::<allocation_rule::Entity>(db, id).await?;
    let name = check(db, scope, &input).await?;
    let mut am: allocation_rule::ActiveModel = rule.into();
    am.name = Set(name);
    am.department_ids = Set(json_of(&input.department_ids));
    am.conditions = Set(json_of(&input.conditions));
    am.mode = Set(input.mode.as_str().into());
    am.fallback_employee_id = Set(input.fallback_employee_id);
    am.enabled = Set(input.enabled);
    am.updated_at = Set(Utc::now());
    scope.update(db, am).await
}

pub async fn delete(db: &DatabaseConnection, scope: &Scope, id: i64) -> AppResult<()> {
    scope.get::<allocation_rule::Entity>(db, id).await?;
    scope.delete_many::<allocation_rule::Entity>().filter(allocation_rule::Column::Id.eq(id)).exec(db).await?;
    Ok(())
}

/// Every employee's value of each attribute the conditions name.
async fn attributes(
    db: &impl ConnectionTrait,
    scope: &Scope,
    people: &[employee::Model],
    conditions: &[AttributeCondition],
) -> AppResult<HashMap<i64, Vec<Option<String>>>> {
    let fields: Vec<i64> = conditions.iter().filter_map(|c| c.custom_field_id).collect();
    let custom: HashMap<(i64, i64), String> = if fields.is_empty() {
        HashMap::new()
    } else {
        scope
            .select::<custom_field_value::Entity>()
            .filter(custom_field_value::Column::EntityKind.eq("EMPLOYEE"))
            .filter(custom_field_value::Column::FieldId.is_in(fields))
            .filter(custom_field_value::Column::EntityId.is_in(people.iter().map(|p| p.id)))
            .all(db)
            .await?
            .into_iter()
            .filter_map(|v| v.value_text.map(|t| ((v.entity_id, v.field_id), t)))
            .collect()
    };
    Ok(people
        .iter()
        .map(|p| {
            let values = conditions
                .iter()
                .map(|c| match (c.system_field.as_deref(), c.custom_field_id) {
                    (Some("POSITION"), _) => p.position.clone(),
                    (Some("GENDER"), _) => p.gender.clone(),
                    (_, Some(f)) => custom.get(&(p.id, f)).cloned(),
                    _ => None,
                })
                .collect();
            (p.id, values)
        })
        .collect())
}

/// Who gets which of a leaver's waiting customers under `rule`; `None` when the
/// rule does not cover the leaver.
pub async fn plan(
    db: &impl ConnectionTrait,
    scope: &Scope,
    rule: &allocation_rule::Model,
    leaver: &employee::Model,
    customers: &[i64],
) -> AppResult<Option<BTreeMap<i64, Vec<i64>>>> {
    let covered: Vec<i64> = serde_json::from_str(&rule.department_ids).unwrap_or_default();
    let conditions: Vec<AttributeCondition> = serde_json::from_str(&rule.conditions).unwrap_or_default();
    let tree: Vec<(i64, Option<i64>)> =
        scope.select::<department::Entity>().all(db).await?.into_iter().map(|d| (d.id, d.parent_id)).collect();
    let covered: BTreeSet<i64> = subtree_of(&tree, &covered).into_iter().collect();
    let leaver_depts: Vec<i64> = scope
        .select::<employee_department::Entity>()
        .filter(employee_department::Column::EmployeeId.eq(leaver.id))
        .all(db)
        .await?
        .into_iter()
        .map(|d| d.department_id)
        .collect();
    if !leaver_depts.iter().any(|d| covered.contains(d)) {
        return Ok(None);
    }
    let mates: BTreeSet<i64> = scope
        .select::<employee_department::Entity>()
        .filter(employee_department::Column::DepartmentId.is_in(leaver_depts.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|d| d.employee_id)
        .filter(|e| *e != leaver.id)
        .collect();
    let mut people = scope
        .select::<employee::Entity>()
        .filter(employee::Column::Id.is_in(mates))
        .filter(employee::Column::ResignedAt.is_null())
        .filter(employee::Column::Activated.eq(true))
        .order_by_asc(employee::Column::Id)
        .all(db)
        .await?;
    people.push(leaver.clone());
    let values = attributes(db, scope, &people, &conditions).await?;
    let mine = &values[&leaver.id];
    if !conditions.is_empty() && !conditions.iter().zip(mine).any(|(c, v)| v.as_deref() == Some(c.value.trim())) {
        return Ok(None);
    }
    let heirs: Vec<i64> = people.iter().filter(|p| p.id != leaver.id && values[&p.id] == *mine).map(|p| p.id).collect();
    let heirs = if heirs.is_empty() { rule.fallback_employee_id.into_iter().collect() } else { heirs };
    if heirs.is_empty() {
        return Ok(Some(BTreeMap::new()));
    }
    let mut out: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    match AllocationMode::parse(&rule.mode).unwrap_or(AllocationMode::Average) {
        AllocationMode::Average => {
            let mut load: BTreeMap<i64, u64> = BTreeMap::new();
            for h in &heirs {
                load.insert(*h, scope.select::<customer::Entity>().filter(customer::Column::OwnerId.eq(*h)).count(db).await?);
            }
            for c in customers {
                let Some((h, n)) = load.iter_mut().min_by_key(|(id, n)| (**n, **id)) else { break };
                *n += 1;
                out.entry(*h).or_default().push(*c);
            }
        }
        AllocationMode::RoundRobin => {
            for (i, c) in customers.iter().enumerate() {
                let h = heirs[(rule.cursor as usize + i) % heirs.len()];
                out.entry(h).or_default().push(*c);
            }
        }
    }
    Ok(Some(out))
}

/// Allocates the waiting customers of everyone who resigned on `day` (China's
/// calendar day), by the first enabled rule that covers each.
pub async fn run_for_day(state: &crate::state::AppState, scope: &Scope, day: NaiveDate) -> AppResult<Value> {
    let db = &state.db;
    let Some(link) = crate::wecom_sync::link::link(state, scope.corp_id()).await? else {
        return Ok(json!({"skipped": "not bound to WeCom"}));
    };
    super::inheritance::sync_unassigned(db, scope, &link).await?;
    let start = crate::clock::china_midnight(day);
    let leavers = scope
        .select::<employee::Entity>()
        .filter(employee::Column::ResignedAt.gte(start))
        .filter(employee::Column::ResignedAt.lt(start + Duration::days(1)))
        .all(db)
        .await?;
    let rules: Vec<allocation_rule::Model> = list(db, scope).await?.into_iter().filter(|r| r.enabled).collect();
    let (mut allocated, mut unmatched) = (0usize, Vec::new());
    for leaver in leavers {
        let waiting: Vec<String> = scope
            .select::<unassigned_customer::Entity>()
            .filter(unassigned_customer::Column::HandoverUserid.eq(&leaver.userid))
            .all(db)
            .await?
            .into_iter()
            .map(|u| u.external_userid)
            .collect();
        let customers: Vec<i64> = scope
            .select::<customer::Entity>()
            .filter(customer::Column::ExternalUserid.is_in(waiting))
            .order_by_asc(customer::Column::Id)
            .all(db)
            .await?
            .into_iter()
            .map(|c| c.id)
            .collect();
        if customers.is_empty() {
            continue;
        }
        let mut done = false;
        for rule in &rules {
            let Some(plan) = plan(db, scope, rule, &leaver, &customers).await? else { continue };
            for (heir, ids) in &plan {
                let r =
                    ResignedInheritRequest { handover_id: leaver.id, takeover_id: *heir, customer_ids: ids.clone(), include_groups: false };
                let result = inherit_resigned(db, scope, &link, &r).await?;
                allocated += result["started"].as_u64().unwrap_or(0) as usize;
            }
            if !plan.is_empty() {
                scope
                    .update_many::<allocation_rule::Entity>()
                    .col_expr(allocation_rule::Column::Cursor, (rule.cursor + customers.len() as i64).into())
                    .filter(allocation_rule::Column::Id.eq(rule.id))
                    .exec(db)
                    .await?;
                done = true;
            }
            break;
        }
        if !done {
            unmatched.push(leaver.userid.clone());
        }
    }
    Ok(json!({"allocated": allocated, "unmatched": unmatched}))
}

#[derive(Serialize, Deserialize, Debug, Default)]
pub struct AllocationRun {
    /// China's calendar day whose leavers to handle; yesterday when absent.
    pub day: Option<NaiveDate>,
}

/// The daily 10:00 run (platform-wide when scheduled, one corp when a user asks).
pub struct AutoAllocationJob;

impl JobKind for AutoAllocationJob {
    const KIND: &'static str = "customers.auto_allocation";
    type Payload = AllocationRun;
}

#[async_trait::async_trait]
impl JobHandler for AutoAllocationJob {
    type Kind = Self;

    async fn run(&self, ctx: &JobCtx, p: AllocationRun) -> Result<Value, JobError> {
        let china = crate::clock::china();
        let day = p.day.unwrap_or_else(|| (Utc::now().with_timezone(&china) - Duration::days(1)).date_naive());
        let corps: Vec<i64> = match ctx.job.corp_id {
            Some(c) => vec![c],
            // Every corp with a rule; a platform job on purpose.
            None => {
                let ids: BTreeSet<i64> = crate::tenancy::across_corps::<allocation_rule::Entity>()
                    .all(&ctx.state.db)
                    .await
                    .map_err(AppError::from)?
                    .into_iter()
                    .map(|r| r.corp_id)
                    .collect();
                ids.into_iter().collect()
            }
        };
        let mut out = serde_json::Map::new();
        for corp in corps {
            let r = run_for_day(&ctx.state, &Scope::system(corp), day).await.map_err(JobError::from_app)?;
            out.insert(corp.to_string(), r);
        }
        if out.is_empty() {
            return Ok(json!({"day": day.to_string()}));
        }
        Ok(json!({"day": day.to_string(), "corps": out}))
    }
}
