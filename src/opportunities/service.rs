//! Opportunities (CRM-10/11): a customer's deal with a stage, an exact
//! expected amount (fen; written and read as a decimal string of yuan,
//! never a float) and close date; one pinned per customer; every change in
//! its log and every stage change on the customer's timeline. Stage moves
//! follow CFG-13: without "skip stages" only to an adjacent stage (losing is
//! possible from any open stage; winning only from the last open one);
//! a lost opportunity moves again only with "restart after loss" (to any
//! open stage); losing needs a lose reason.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    sea_query::{Expr, SelectStatement},
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Select,
};
use serde_json::{json, Value};

use super::stages::{self, LOST, WON};
use crate::{
    customers::{
        service::not_pooled,
        timeline::{self, EventKind, NewEvent},
    },
    error::{AppError, AppResult, Msg},
    state::AppState,
    tenancy::Scope,
};
use entity::{customer, employee, lose_reason, opportunity, opportunity_event, opportunity_stage};

const NAME_INVALID: Msg =
    Msg::new("OPPORTUNITY_NAME_INVALID", "请填写商机名称（不超过50字）", "An opportunity needs a name of at most 50 characters");
const AMOUNT_INVALID: Msg = Msg::new(
    "OPPORTUNITY_AMOUNT_INVALID",
    "预计金额须为非负数，最多两位小数",
    "The expected amount must be a non-negative number with at most 2 decimals",
);
const STAGE_NOT_OPEN: Msg =
    Msg::new("OPPORTUNITY_STAGE_NOT_OPEN", "新建商机须选择进行中的阶段", "A new opportunity starts in an open stage");
const NOT_ADJACENT: Msg = Msg::new(
    "OPPORTUNITY_STAGE_NOT_ADJACENT",
    "未开启任意跨越阶段，只能推进到相邻阶段",
    "Without skipping stages, an opportunity moves only to an adjacent stage",
);
const LOST_FINAL: Msg = Msg::new(
    "OPPORTUNITY_LOST_FINAL",
    "未开启输单后重新启动，输单商机不能变更阶段",
    "Without restart after loss, a lost opportunity keeps its stage",
);
const REASON_REQUIRED: Msg = Msg::new("OPPORTUNITY_LOSE_REASON_REQUIRED", "输单须选择输单原因", "Losing needs a lose reason");
const WON_FINAL: Msg = Msg::new("OPPORTUNITY_WON_FINAL", "赢单商机不能变更阶段", "A won opportunity keeps its stage");
const SAME_STAGE: Msg = Msg::new("OPPORTUNITY_STAGE_UNCHANGED", "商机已在该阶段", "The opportunity is already in this stage");

/// Largest amount taken: a trillion yuan, in fen.
const MAX_FEN: i64 = 100_000_000_000_000;

/// "1234.5" yuan → 123450 fen, exactly.
pub fn parse_amount(s: &str, field: &str) -> AppResult<i64> {
    let bad = || AppError::bad_input(field, AMOUNT_INVALID);
    let s = s.trim();
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty() || frac.len() > 2 || !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let yuan: i64 = whole.parse().map_err(|_| bad())?;
    let cents: i64 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
    let fen = yuan.checked_mul(100).and_then(|y| y.checked_add(cents)).ok_or_else(bad)?;
    if fen > MAX_FEN {
        return Err(bad());
    }
    Ok(fen)
}

/// 123450 fen → "1234.50".
pub fn format_amount(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

pub struct Draft {
    pub customer_id: i64,
    pub name: String,
    pub stage_id: i64,
    pub amount: String,
    pub expected_close_on: NaiveDate,
    /// The creator when omitted.
    pub owner_id: Option<i64>,
}

/// What an update may change (the stage moves through `change_stage`).
pub struct Edit {
    pub name: Option<String>,
    pub amount: Option<String>,
    pub expected_close_on: Option<NaiveDate>,
    pub owner_id: Option<i64>,
}

fn name(n: &str, field: &str) -> AppResult<String> {
    let n = n.trim();
    if n.is_empty() || n.chars().count() > 50 {
        return Err(AppError::bad_input(field, NAME_INVALID));
    }
    Ok(n.to_string())
}

fn log(
    id: i64,
    kind: &str,
    from: Option<i64>,
    to: Option<i64>,
    actor: Option<i64>,
    detail: Value,
    now: DateTime<Utc>,
) -> opportunity_event::ActiveModel {
    opportunity_event::ActiveModel {
        opportunity_id: Set(id),
        kind: Set(kind.into()),
        from_stage_id: Set(from),
        to_stage_id: Set(to),
        actor_id: Set(actor),
        detail: Set(detail.to_string()),
        created_at: Set(now),
        ..Default::default()
    }
}

async fn active_employee(db: &impl ConnectionTrait, scope: &Scope, id: i64, field: &str) -> AppResult<()> {
    let e = scope.get::<employee::Entity>(db, id).await.map_err(|e| e.with_field(field))?;
    if e.resigned_at.is_some() {
        return Err(AppError::not_found().with_field(field));
    }
    Ok(())
}

pub async fn create(state: &AppState, scope: &Scope, d: &Draft) -> AppResult<opportunity::Model> {
    let title = name(&d.name, "input.name")?;
    let amount = parse_amount(&d.amount, "input.expectedAmount")?;
    let now = state.clock.now();
    let txn = crate::db::write_txn(&state.db).await?;
    let c = scope.get_visible::<customer::Entity>(&txn, d.customer_id).await.map_err(|e| e.with_field("input.customerId"))?;
    not_pooled(&c)?;
    let stage = scope.get::<opportunity_stage::Entity>(&txn, d.stage_id).await.map_err(|e| e.with_field("input.stageId"))?;
    if stage.terminal.is_some() {
        return Err(AppError::bad_input("input.stageId", STAGE_NOT_OPEN));
    }
    let owner = d.owner_id.or(scope.employee_id());
    if let Some(o) = d.owner_id {
        active_employee(&txn, scope, o, "input.ownerId").await?;
    }
    let o = scope
        .insert(
            &txn,
            opportunity::ActiveModel {
                customer_id: Set(c.id),
                name: Set(title.clone()),
                stage_id: Set(stage.id),
                amount_fen: Set(amount),
                expected_close_on: Set(d.expected_close_on),
                owner_id: Set(owner),
                pinned: Set(false),
                lose_reason_id: Set(None),
                lose_note: Set(None),
                closed_at: Set(None),
                created_by: Set(scope.employee_id()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            },
        )
        .await?;
    scope.insert(&txn, log(o.id, "CREATED", None, Some(stage.id), scope.employee_id(), json!({}), now)).await?;
    let event = NewEvent::new(c.id, EventKind::Opportunity, now)
        .by(scope.employee_id())
        .with(json!({"action": "CREATED", "opportunityId": o.id, "name": title, "stage": stage.name}));
    timeline::append(&txn, scope, vec![event]).await?;
    txn.commit().await?;
    Ok(o)
}

pub async fn get(db: &impl ConnectionTrait, scope: &Scope, id: i64) -> AppResult<opportunity::Model> {
    scope.get_visible::<opportunity::Entity>(db, id).await
}

/// A visible opportunity whose customer is not in the public pool (pool customers are read-only).
async fn writable(db: &impl ConnectionTrait, scope: &Scope, id: i64) -> AppResult<opportunity::Model> {
    let o = get(db, scope, id).await?;
    if let Some(c) = scope.find::<customer::Entity>(db, Some(o.customer_id)).await? {
        not_pooled(&c)?;
    }
    Ok(o)
}

pub async fn update(state: &AppState, scope: &Scope, id: i64, e: &Edit) -> AppResult<opportunity::Model> {
    let now = state.clock.now();
    let txn = crate::db::write_txn(&state.db).await?;
    let o = writable(&txn, scope, id).await?;
    let mut am = opportunity::ActiveModel { id: Set(id), updated_at: Set(now), ..Default::default() };
    let mut changed = Vec::new();
    if let Some(n) = &e.name {
        am.name = Set(name(n, "input.name")?);
        changed.push("name");
    }
    if let Some(a) = &e.amount {
        am.amount_fen = Set(parse_amount(a, "input.expectedAmount")?);
        changed.push("expectedAmount");
    }
    if let Some(d) = e.expected_close_on {
        am.expected_close_on = Set(d);
        changed.push("expectedCloseOn");
    }
    if let Some(owner) = e.owner_id {
        active_employee(&txn, scope, owner, "input.ownerId").await?;
        am.owner_id = Set(Some(owner));
        changed.push("owner");
    }
    let updated = scope.update(&txn, am).await?;
    if !changed.is_empty() {
        scope.insert(&txn, log(o.id, "UPDATED", None, None, scope.employee_id(), json!({"fields": changed}), now)).await?;
    }
    txn.commit().await?;
    Ok(updated)
}

/// Whether `from` → `to` is a move CFG-13 allows; `stages` in order.
pub fn allowed(
    stages: &[opportunity_stage::Model],
    from: &opportunity_stage::Model,
    to: &opportunity_stage::Model,
    s: &stages::OpportunitySettings,
) -> AppResult<()> {
    if from.id == to.id {
        return Err(AppError::bad_input("stageId", SAME_STAGE));
    }
    if from.terminal.as_deref() == Some(LOST) {
        if !s.allow_restart_after_loss {
            return Err(AppError::conflict(LOST_FINAL));
        }
        return match to.terminal {
            None => Ok(()),
            Some(_) => Err(AppError::conflict(NOT_ADJACENT)),
        };
    }
    if from.terminal.as_deref() == Some(WON) {
        return Err(AppError::conflict(WON_FINAL));
    }
    // Losing is possible from any open stage.
    if s.allow_skip_stages || to.terminal.as_deref() == Some(LOST) {
        return Ok(());
    }
    // Adjacent along open stages then WON (LOST sits apart).
    let line: Vec<i64> = stages.iter().filter(|x| x.terminal.as_deref() != Some(LOST)).map(|x| x.id).collect();
    let (a, b) = (line.iter().position(|x| *x == from.id), line.iter().position(|x| *x == to.id));
    match (a, b) {
        (Some(a), Some(b)) if a.abs_diff(b) == 1 => Ok(()),
        _ => Err(AppError::conflict(NOT_ADJACENT)),
    }
}

/// Moves an opportunity to another stage (CRM-11).
pub async fn change_stage(
    state: &AppState,
    scope: &Scope,
    id: i64,
    stage_id: i64,
    lose_reason_id: Option<i64>,
    lose_note: Option<String>,
) -> AppResult<opportunity::Model> {
    let now = state.clock.now();
    let txn = crate::db::write_txn(&state.db).await?;
    let o = writable(&txn, scope, id).await?;
    let all = stages::list(&txn, scope).await?;
    let from = all.iter().find(|s| s.id == o.stage_id).ok_or_else(AppError::not_found)?;
    let to = all.iter().find(|s| s.id == stage_id).ok_or_else(|| AppError::not_found().with_field("stageId"))?;
    allowed(&all, from, to, &stages::settings(&txn, scope).await?)?;
    let losing = to.terminal.as_deref() == Some(LOST);
    let reason = match (losing, lose_reason_id) {
        (true, None) => return Err(AppError::bad_input("loseReasonId", REASON_REQUIRED)),
        (true, Some(r)) => Some(scope.get::<lose_reason::Entity>(&txn, r).await.map_err(|e| e.with_field("loseReasonId"))?),
        (false, _) => None,
    };
    let note = lose_note.map(|n| n.trim().chars().take(200).collect::<String>()).filter(|n| !n.is_empty());
    let updated = scope
        .update(
            &txn,
            opportunity::ActiveModel {
                id: Set(id),
                stage_id: Set(to.id),
                lose_reason_id: Set(reason.as_ref().map(|r| r.id)),
                lose_note: Set(if losing { note.clone() } else { None }),
                closed_at: Set(to.terminal.as_ref().map(|_| now)),
                updated_at: Set(now),
                ..Default::default()
            },
        )
        .await?;
    let detail = json!({"from": from.name, "to": to.name, "loseReason": reason.as_ref().map(|r| r.name.clone()), "note": note});
    scope.insert(&txn, log(id, "STAGE_CHANGED", Some(from.id), Some(to.id), scope.employee_id(), detail, now)).await?;
    let event = NewEvent::new(o.customer_id, EventKind::Opportunity, now)
        .by(scope.employee_id())
        .with(json!({"action": "STAGE_CHANGED", "opportunityId": id, "name": o.name, "from": from.name, "to": to.name, "won": to.terminal.as_deref() == Some(WON)}));
    timeline::append(&txn, scope, vec![event]).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Pins an opportunity on its customer (the one whose stage the detail shows), unpinning the other.
pub async fn pin(state: &AppState, scope: &Scope, id: i64) -> AppResult<opportunity::Model> {
    let now = state.clock.now();
    let txn = crate::db::write_txn(&state.db).await?;
    let o = writable(&txn, scope, id).await?;
    scope
        .update_many::<opportunity::Entity>()
        .col_expr(opportunity::Column::Pinned, Expr::value(false))
        .filter(opportunity::Column::CustomerId.eq(o.customer_id))
        .filter(opportunity::Column::Pinned.eq(true))
        .exec(&txn)
        .await?;
    let pinned =
        scope.update(&txn, opportunity::ActiveModel { id: Set(id), pinned: Set(true), updated_at: Set(now), ..Default::default() }).await?;
    scope.insert(&txn, log(id, "PINNED", None, None, scope.employee_id(), json!({}), now)).await?;
    txn.commit().await?;
    Ok(pinned)
}

pub async fn delete(db: &impl ConnectionTrait, scope: &Scope, id: i64) -> AppResult<()> {
    writable(db, scope, id).await?;
    opportunity::Entity::delete_many()
        .filter(scope.tenant_condition::<opportunity::Entity>())
        .filter(opportunity::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub name: Option<String>,
    pub customer_id: Option<i64>,
    pub owner_ids: Option<Vec<i64>>,
    pub stage_id: Option<i64>,
    pub close_from: Option<NaiveDate>,
    pub close_to: Option<NaiveDate>,
}

/// Visible opportunities, newest first.
pub fn list(scope: &Scope, f: &Filter) -> Select<opportunity::Entity> {
    let mut c = Condition::all();
    if let Some(n) = f.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        c = c.add(opportunity::Column::Name.contains(n));
    }
    if let Some(id) = f.customer_id {
        c = c.add(opportunity::Column::CustomerId.eq(id));
    }
    if let Some(o) = &f.owner_ids {
        c = c.add(opportunity::Column::OwnerId.is_in(o.iter().copied()));
    }
    if let Some(s) = f.stage_id {
        c = c.add(opportunity::Column::StageId.eq(s));
    }
    if let Some(d) = f.close_from {
        c = c.add(opportunity::Column::ExpectedCloseOn.gte(d));
    }
    if let Some(d) = f.close_to {
        c = c.add(opportunity::Column::ExpectedCloseOn.lte(d));
    }
    scope.select_visible::<opportunity::Entity>().filter(c).order_by_desc(opportunity::Column::Id)
}

pub fn log_of(scope: &Scope, id: i64) -> Select<opportunity_event::Entity> {
    scope
        .select::<opportunity_event::Entity>()
        .filter(opportunity_event::Column::OpportunityId.eq(id))
        .order_by_desc(opportunity_event::Column::Id)
}

/// Customers with a won opportunity (never recalled to the pool, CRM-7).
pub fn won_customers(scope: &Scope) -> SelectStatement {
    let won = scope
        .subquery::<opportunity_stage::Entity>(opportunity_stage::Column::Id)
        .and_where(opportunity_stage::Column::Terminal.eq(WON))
        .to_owned();
    scope
        .subquery::<opportunity::Entity>(opportunity::Column::CustomerId)
        .and_where(opportunity::Column::StageId.in_subquery(won))
        .to_owned()
}
