//! What the product remembers per employee: the timeline event types the
//! sidebar shows (SIDE-4) and each list's visible columns in order (CUS-2,
//! §26 column settings). Stored as employee preferences, so they follow the
//! employee across devices.

use chrono::Utc;
use sea_orm::{sea_query::OnConflict, ActiveValue::Set, ColumnTrait, ConnectionTrait, QueryFilter};

use super::timeline::EventKind;
use crate::{
    error::{AppError, AppResult},
    tenancy::Scope,
};
use entity::employee_preference;

const EVENT_KINDS: &str = "sidebar.event_kinds";

/// The caller's chosen event types; every type until they choose.
pub async fn event_kinds(db: &impl ConnectionTrait, scope: &Scope) -> AppResult<Vec<EventKind>> {
    let me = scope.employee_id().ok_or_else(AppError::forbidden)?;
    let stored = scope
        .select::<employee_preference::Entity>()
        .filter(employee_preference::Column::EmployeeId.eq(me))
        .filter(employee_preference::Column::Key.eq(EVENT_KINDS))
        .one(db)
        .await?;
    Ok(match stored {
        Some(p) => serde_json::from_str::<Vec<String>>(&p.value).unwrap_or_default().iter().filter_map(|k| EventKind::parse(k)).collect(),
        None => EventKind::all().to_vec(),
    })
}

/// Replaces the caller's choice (an upsert on the employee and key).
pub async fn set_event_kinds(db: &impl ConnectionTrait, scope: &Scope, kinds: &[EventKind]) -> AppResult<Vec<EventKind>> {
    let me = scope.employee_id().ok_or_else(AppError::forbidden)?;
    let mut names: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
    names.dedup();
    let value = crate::json::text(&names);
    scope
        .insert_many_ignoring(
            db,
            [employee_preference::ActiveModel {
                employee_id: Set(me),
                key: Set(EVENT_KINDS.into()),
                value: Set(value.clone()),
                updated_at: Set(Utc::now()),
                ..Default::default()
            }],
            OnConflict::columns([
                employee_preference::Column::CorpId,
                employee_preference::Column::EmployeeId,
                employee_preference::Column::Key,
            ])
            .update_columns([employee_preference::Column::Value, employee_preference::Column::UpdatedAt])
            .to_owned(),
        )
        .await?;
    event_kinds(db, scope).await
}

const LIST_COLUMNS: &str = "columns.";
const LIST_NAME: crate::error::Msg =
    crate::error::Msg::new("LIST_NAME_INVALID", "列表名称为1-40位字母、数字或_", "List names are 1-40 letters, digits or _");
const TOO_MANY_COLUMNS: crate::error::Msg = crate::error::Msg::new("TOO_MANY_COLUMNS", "最多100列", "At most 100 columns");

fn list_key(list: &str) -> AppResult<String> {
    let ok = !list.is_empty() && list.len() <= 40 && list.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ok {
        return Err(AppError::bad_input("list", LIST_NAME));
    }
    Ok(format!("{LIST_COLUMNS}{list}"))
}

/// The caller's saved columns of a list (e.g. "customers"), in order; empty
/// until saved, when the client shows its defaults. Columns are the client's
/// names (system fields, or `cf:<custom field id>`).
pub async fn list_columns(db: &impl ConnectionTrait, scope: &Scope, list: &str) -> AppResult<Vec<String>> {
    let me = scope.employee_id().ok_or_else(AppError::forbidden)?;
    let key = list_key(list)?;
    let stored = scope
        .select::<employee_preference::Entity>()
        .filter(employee_preference::Column::EmployeeId.eq(me))
        .filter(employee_preference::Column::Key.eq(key))
        .one(db)
        .await?;
    Ok(stored.map(|p| serde_json::from_str(&p.value).unwrap_or_default()).unwrap_or_default())
}

pub async fn set_list_columns(db: &impl ConnectionTrait, scope: &Scope, list: &str, columns: &[String]) -> AppResult<Vec<String>> {
    let me = scope.employee_id().ok_or_else(AppError::forbidden)?;
    let key = list_key(list)?;
    if columns.len() > 100 || columns.iter().any(|c| c.is_empty() || c.len() > 64) {
        return Err(AppError::bad_input("columns", TOO_MANY_COLUMNS));
    }
    scope
        .insert_many_ignoring(
            db,
            [employee_preference::ActiveModel {
                employee_id: Set(me),
                key: Set(key),
                value: Set(crate::json::text(columns)),
                updated_at: Set(Utc::now()),
                ..Default::default()
            }],
            OnConflict::columns([
                employee_preference::Column::CorpId,
                employee_preference::Column::EmployeeId,
                employee_preference::Column::Key,
            ])
            .update_columns([employee_preference::Column::Value, employee_preference::Column::UpdatedAt])
            .to_owned(),
        )
        .await?;
    list_columns(db, scope, list).await
}
