//! Opportunity stages, lose reasons and the two flags of CFG-13. A corp's
//! stages are made from the presets on first use: four open stages in
//! order, then the won and the lost outcome (those two are fixed: renamed,
//! never deleted, always last). Open stages are added, renamed, reordered
//! and deleted while no opportunity is in them.

use chrono::Utc;
use sea_orm::{sea_query::OnConflict, ActiveValue::Set, ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};

use crate::{
    error::{AppError, AppResult, Msg},
    settings::{self, Document},
    tenancy::Scope,
};
use entity::{lose_reason, opportunity_stage};

pub const WON: &str = "WON";
pub const LOST: &str = "LOST";

const PRESETS: &[(&str, Option<&str>)] =
    &[("初步接洽", None), ("需求确认", None), ("方案报价", None), ("谈判审核", None), ("赢单", Some(WON)), ("输单", Some(LOST))];

const NAME_INVALID: Msg = Msg::new("OPPORTUNITY_STAGE_NAME_INVALID", "阶段名称为1-20个字", "Stage names must be 1-20 characters");
const FIXED: Msg =
    Msg::new("OPPORTUNITY_STAGE_FIXED", "赢单和输单阶段不能删除或移动", "The won and lost stages cannot be deleted or moved");
const IN_USE: Msg =
    Msg::new("OPPORTUNITY_STAGE_IN_USE", "该阶段下仍有商机，不能删除", "Opportunities are in this stage; it cannot be deleted");
const REASON_INVALID: Msg = Msg::new("LOSE_REASON_NAME_INVALID", "输单原因为1-30个字", "Lose reasons must be 1-30 characters");

/// CFG-13's two flags.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct OpportunitySettings {
    /// 允许任意跨越阶段: off, a change moves only to an adjacent stage.
    pub allow_skip_stages: bool,
    /// 允许输单后重新启动商机: off, a lost opportunity never changes stage again.
    pub allow_restart_after_loss: bool,
}

impl Document for OpportunitySettings {
    const KEY: &'static str = "opportunities";
}

pub async fn settings(db: &impl ConnectionTrait, scope: &Scope) -> AppResult<OpportunitySettings> {
    settings::get(db, scope).await
}

pub async fn set_settings(db: &impl ConnectionTrait, scope: &Scope, s: &OpportunitySettings) -> AppResult<()> {
    settings::put(db, scope, s).await
}

/// The stages in order: open ones by sort index, then won, then lost.
pub async fn list(db: &impl ConnectionTrait, scope: &Scope) -> AppResult<Vec<opportunity_stage::Model>> {
    let mut all = scope
        .select::<opportunity_stage::Entity>()
        .order_by_asc(opportunity_stage::Column::SortIndex)
        .order_by_asc(opportunity_stage::Column::Id)
        .all(db)
        .await?;
    if all.is_empty() {
        let now = Utc::now();
        let rows = PRESETS.iter().enumerate().map(|(i, (name, terminal))| opportunity_stage::ActiveModel {
            name: Set((*name).into()),
            sort_index: Set(i as f64 + 1.0),
            terminal: Set(terminal.map(str::to_string)),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        });
        scope
            .insert_many_ignoring(
                db,
                rows,
                OnConflict::columns([opportunity_stage::Column::CorpId, opportunity_stage::Column::Name]).do_nothing().to_owned(),
            )
            .await?;
        all = scope
            .select::<opportunity_stage::Entity>()
            .order_by_asc(opportunity_stage::Column::SortIndex)
            .order_by_asc(opportunity_stage::Column::Id)
            .all(db)
            .await?;
    }
    all.sort_by_key(|s| match s.terminal.as_deref() {
        None => 0,
        Some(WON) => 1,
        Some(_) => 2,
    });
    Ok(all)
}

fn stage_name(name: &str) -> AppResult<String> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > 20 {
        return Err(AppError::bad_input("name", NAME_INVALID));
    }
    Ok(n.to_string())
}

/// Adds an open stage, last among the open ones unless placed.
pub async fn create(db: &impl ConnectionTrait, scope: &Scope, name: &str, sort_index: Option<f64>) -> AppResult<opportunity_stage::Model> {
    let name = stage_name(name)?;
    let last = list(db, scope).await?.iter().filter(|s| s.terminal.is_none()).map(|s| s.sort_index).fold(0.0, f64::max);
    let now = Utc::now();
    scope
        .insert(
            db,
            opportunity_stage::ActiveModel {
                name: Set(name),
                sort_index: Set(sort_index.unwrap_or(last.floor() + 1.0)),
                terminal: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            },
        )
        .await
}

/// Renames a stage and, for an open one, moves it (`sort_index`).
pub async fn update(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id: i64,
    name: &str,
    sort_index: Option<f64>,
) -> AppResult<opportunity_stage::Model> {
    let name = stage_name(name)?;
    let s = scope.get::<opportunity_stage::Entity>(db, id).await?;
    if s.terminal.is_some() && sort_index.is_some() {
        return Err(AppError::conflict(FIXED));
    }
    scope
        .update(
            db,
            opportunity_stage::ActiveModel {
                id: Set(id),
                name: Set(name),
                sort_index: Set(sort_index.unwrap_or(s.sort_index)),
                updated_at: Set(Utc::now()),
                ..Default::default()
            },
        )
        .await
}

pub async fn delete(db: &impl ConnectionTrait, scope: &Scope, id: i64) -> AppResult<()> {
    let s = scope.get::<opportunity_stage::Entity>(db, id).await?;
    if s.terminal.is_some() {
        return Err(AppError::conflict(FIXED));
    }
    scope.delete_by_id::<opportunity_stage::Entity>(db, id, IN_USE).await
}

pub async fn reasons(db: &impl ConnectionTrait, scope: &Scope) -> AppResult<Vec<lose_reason::Model>> {
    Ok(scope
        .select::<lose_reason::Entity>()
        .order_by_asc(lose_reason::Column::SortIndex)
        .order_by_asc(lose_reason::Column::Id)
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

pub async fn create_reason(db: &impl ConnectionTrait, scope: &Scope, name: &str) -> AppResult<lose_reason::Model> {
    let name = reason_name(name)?;
    let last = reasons(db, scope).await?.last().map_or(0.0, |r| r.sort_index);
    let now = Utc::now();
    scope
        .insert(
            db,
            lose_reason::ActiveModel {
                name: Set(name),
                sort_index: Set(last.floor() + 1.0),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            },
        )
        .await
}

pub async fn rename_reason(db: &impl ConnectionTrait, scope: &Scope, id: i64, name: &str) -> AppResult<lose_reason::Model> {
    let name = reason_name(name)?;
    scope.get::<lose_reason::Entity>(db, id).await?;
    scope.update(db, lose_reason::ActiveModel { id: Set(id), name: Set(name), updated_at: Set(Utc::now()), ..Default::default() }).await
}

/// Deletes a lose reason; opportunities lost for it keep their note.
pub async fn delete_reason(db: &impl ConnectionTrait, scope: &Scope, id: i64) -> AppResult<()> {
    scope.get::<lose_reason::Entity>(db, id).await?;
    scope.delete_many::<lose_reason::Entity>().filter(lose_reason::Column::Id.eq(id)).exec(db).await?;
    Ok(())
}
