//! Pool groups (CFG-14) and return reasons (CFG-15). Every corp has a
//! default pool, made on first use, that may be edited but never deleted;
//! customers whose rules nobody chose follow it. A group names the
//! departments whose members (and those below) see and claim its customers
//! (none named: everyone); callers whose data scope is the whole corp see
//! every group.

use std::collections::BTreeSet;

use sea_orm::{sea_query::OnConflict, ActiveValue::Set, ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};

use crate::{
    error::{AppError, AppResult, Msg},
    tenancy::{subtree_of, Scope, Visibility},
};
use entity::{department, employee_department, pool_group, pool_reason};

/// `pool_groups.fixed` of the default pool.
pub const DEFAULT: &str = "DEFAULT";
pub const DEFAULT_NAME: &str = "默认客户公海";
/// The longest a rule may count (ten years).
const MAX_DAYS: i32 = 3650;

const NAME_INVALID: Msg = Msg::new("POOL_GROUP_NAME_INVALID", "公海名称为1-30个字", "Pool names must be 1-30 characters");
const DAYS_INVALID: Msg = Msg::new("POOL_DAYS_INVALID", "天数须为1-3650的整数", "Days must be a whole number from 1 to 3650");
const CONDITION_REQUIRED: Msg =
    Msg::new("POOL_RECALL_CONDITION_REQUIRED", "自动回收须至少设置一个回收条件", "Automatic recall needs at least one condition");
const DEFAULT_FIXED: Msg = Msg::new("POOL_DEFAULT_FIXED", "默认客户公海不能删除", "The default pool cannot be deleted");
const IN_USE: Msg =
    Msg::new("POOL_GROUP_IN_USE", "该公海分组下仍有客户，不能删除", "Customers still follow this pool; it cannot be deleted");
const REASON_INVALID: Msg = Msg::new("POOL_REASON_NAME_INVALID", "退回原因为1-30个字", "Return reasons must be 1-30 characters");

#[derive(async_graphql::Enum, Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum RecallMode {
    /// Customers meeting any enabled condition are recalled by the hourly pass.
    Auto,
    /// Only owners' returns fill the pool.
    #[default]
    Manual,
}

impl RecallMode {
    pub fn as_str(self) -> &'static str {
        match self {
            RecallMode::Auto => "AUTO",
            RecallMode::Manual => "MANUAL",
        }
    }
    pub fn parse(s: &str) -> Self {
        if s == "AUTO" {
            RecallMode::Auto
        } else {
            RecallMode::Manual
        }
    }
}

/// A group as a client sets it.
#[derive(Clone, Debug, Default)]
pub struct GroupInput {
    pub name: String,
    pub department_ids: Vec<i64>,
    /// After a recall, the previous owner may not claim for this many days.
    pub claim_block_days: Option<i32>,
    pub recall_mode: Option<RecallMode>,
    /// 超过N天从未跟进.
    pub never_followed_days: Option<i32>,
    /// 超过N天未加企微好友 (the owner is not among the adders).
    pub not_friend_days: Option<i32>,
    /// 距离上次跟进超过N天没有再次跟进.
    pub no_new_follow_up_days: Option<i32>,
    /// 超过N天未成交 (no won opportunity).
    pub not_won_days: Option<i32>,
    /// Remind the owner this many days before a recall.
    pub remind_days: Option<i32>,
}

fn days(v: Option<i32>, field: &str) -> AppResult<Option<i32>> {
    match v {
        Some(d) if !(1..=MAX_DAYS).contains(&d) => Err(AppError::bad_input(format!("input.{field}"), DAYS_INVALID)),
        other => Ok(other),
    }
}

async fn checked(db: &impl ConnectionTrait, scope: &Scope, g: &GroupInput) -> AppResult<pool_group::ActiveModel> {
    let name = g.name.trim();
    if name.is_empty() || name.chars().count() > 30 {
        return Err(AppError::bad_input("input.name", NAME_INVALID));
    }
    let departments: BTreeSet<i64> = g.department_ids.iter().copied().collect();
    if !departments.is_empty() {
        let found = scope.select::<department::Entity>().filter(department::Column::Id.is_in(departments.iter().copied())).all(db).await?;
        if found.len() != departments.len() {
            return Err(AppError::not_found().with_field("input.departmentIds"));
        }
    }
    let mode = g.recall_mode.unwrap_or(RecallMode::Manual);
    let rules = [
        days(g.never_followed_days, "neverFollowedDays")?,
        days(g.not_friend_days, "notFriendDays")?,
        days(g.no_new_follow_up_days, "noNewFollowUpDays")?,
        days(g.not_won_days, "notWonDays")?,
    ];
    if mode == RecallMode::Auto && rules.iter().all(Option::is_none) {
        return Err(AppError::bad_input("input.recallMode", CONDITION_REQUIRED));
    }
    Ok(pool_group::ActiveModel {
        name: Set(name.to_string()),
        department_ids: Set(serde_json::to_string(&departments).map_err(AppError::internal)?),
        claim_block_days: Set(days(g.claim_block_days, "claimBlockDays")?),
        recall_mode: Set(mode.as_str().into()),
        never_followed_days: Set(rules[0]),
        not_friend_days: Set(rules[1]),
        no_new_follow_up_days: Set(rules[2]),
        not_won_days: Set(rules[3]),
        remind_days: Set(days(g.remind_days, "remindDays")?),
        ..Default::default()
    })
}

/// The corp's default pool, made on first use.
pub async fn default_group(db: &impl ConnectionTrait, scope: &Scope) -> AppResult<pool_group::Model> {
    let now = chrono::Utc::now();
    scope
        .insert_many_ignoring(
            db,
            [pool_group::ActiveModel {
                name: Set(DEFAULT_NAME.into()),
                fixed: Set(Some(DEFAULT.into())),
                department_ids: Set("[]".into()),
                claim_block_days: Set(None),
                recall_mode: Set(RecallMode::Manual.as_str().into()),
                never_followed_days: Set(None),
                not_friend_days: Set(None),
                no_new_follow_up_days: Set(None),
                not_won_days: Set(None),
                remind_days: Set(None),
                created_by: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }],
            OnConflict::columns([pool_group::Column::CorpId, pool_group::Column::Fixed]).do_nothing().to_owned(),
        )
        .await?;
    scope.select::<pool_group::Entity>().filter(pool_group::Column::Fixed.eq(DEFAULT)).one(db).await?.ok_or_else(AppError::not_found)
}

/// Every group, the default first.
pub async fn list(db: &impl ConnectionTrait, scope: &Scope) -> AppResult<Vec<pool_group::Model>> {
    default_group(db, scope).await?;
    let mut all = scope.select::<pool_group::Entity>().order_by_asc(pool_group::Column::Id).all(db).await?;
    all.sort_by_key(|g| g.fixed.is_none());
    Ok(all)
}

pub fn department_ids(g: &pool_group::Model) -> Vec<i64> {
    serde_json::from_str(&g.department_ids).unwrap_or_default()
}

/// The groups whose customers the caller may see and claim.
pub async fn usable(db: &impl ConnectionTrait, scope: &Scope) -> AppResult<Vec<pool_group::Model>> {
    let all = list(db, scope).await?;
    if matches!(scope.visibility(), Visibility::All) {
        return Ok(all);
    }
    let Some(me) = scope.employee_id() else { return Ok(Vec::new()) };
    let mine: Vec<i64> = scope
        .select::<employee_department::Entity>()
        .filter(employee_department::Column::EmployeeId.eq(me))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.department_id)
        .collect();
    let tree: Vec<(i64, Option<i64>)> =
        scope.select::<department::Entity>().all(db).await?.into_iter().map(|d| (d.id, d.parent_id)).collect();
    Ok(all
        .into_iter()
        .filter(|g| {
            let named = department_ids(g);
            named.is_empty() || subtree_of(&tree, &named).iter().any(|d| mine.contains(d))
        })
        .collect())
}

/// A group the caller may use, or NOT_FOUND (naming `field`).
pub async fn usable_one(db: &impl ConnectionTrait, scope: &Scope, id: i64, field: &str) -> AppResult<pool_group::Model> {
    usable(db, scope).await?.into_iter().find(|g| g.id == id).ok_or_else(|| AppError::not_found().with_field(field))
}

pub async fn create(db: &impl ConnectionTrait, scope: &Scope, g: &GroupInput) -> AppResult<pool_group::Model> {
    let mut am = checked(db, scope, g).await?;
    let now = chrono::Utc::now();
    am.created_by = Set(scope.employee_id());
    am.created_at = Set(now);
    am.updated_at = Set(now);
    default_group(db, scope).await?;
    scope.insert(db, am).await
}

pub async fn update(db: &impl ConnectionTrait, scope: &Scope, id: i64, g: &GroupInput) -> AppResult<pool_group::Model> {
    scope.get::<pool_group::Entity>(db, id).await?;
    let mut am = checked(db, scope, g).await?;
    am.id = Set(id);
    am.updated_at = Set(chrono::Utc::now());
    scope.update(db, am).await
}

/// Deletes a group no customer follows (the default never).
pub async fn delete(db: &impl ConnectionTrait, scope: &Scope, id: i64) -> AppResult<()> {
    let g = scope.get::<pool_group::Entity>(db, id).await?;
    if g.fixed.is_some() {
        return Err(AppError::conflict(DEFAULT_FIXED));
    }
    scope.delete_by_id::<pool_group::Entity>(db, id, IN_USE).await
}

pub async fn reasons(db: &impl ConnectionTrait, scope: &Scope) -> AppResult<Vec<pool_reason::Model>> {
    Ok(scope
        .select::<pool_reason::Entity>()
        .order_by_asc(pool_reason::Column::SortIndex)
        .order_by_asc(pool_reason::Column::Id)
        .all(db)
        .await?)
}

fn reason_name(name: &str) -> AppResult<String> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > 30 {
        return Err(AppError::bad_input("name", REASON_INVALID));
    }
    Ok(n.to_string())
}

/// Adds a return reason at the end (a name used before is a CONFLICT).
pub async fn create_reason(db: &impl ConnectionTrait, scope: &Scope, name: &str) -> AppResult<pool_reason::Model> {
    let name = reason_name(name)?;
    let last = reasons(db, scope).await?.last().map_or(0.0, |r| r.sort_index);
    let now = chrono::Utc::now();
    scope
        .insert(
            db,
            pool_reason::ActiveModel {
                name: Set(name),
                sort_index: Set(last.floor() + 1.0),
                created_by: Set(scope.employee_id()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            },
        )
        .await
}

pub async fn rename_reason(db: &impl ConnectionTrait, scope: &Scope, id: i64, name: &str) -> AppResult<pool_reason::Model> {
    let name = reason_name(name)?;
    scope.get::<pool_reason::Entity>(db, id).await?;
    scope
        .update(db, pool_reason::ActiveModel { id: Set(id), name: Set(name), updated_at: Set(chrono::Utc::now()), ..Default::default() })
        .await
}
