//! What the sidebar remembers per employee (SIDE-4): the timeline event types
//! they chose to see. Stored as an employee preference, so it follows them
//! across devices.

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
    let me = scope.employee_id.ok_or_else(AppError::forbidden)?;
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
    let me = scope.employee_id.ok_or_else(AppError::forbidden)?;
    let mut names: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
    names.dedup();
    let value = serde_json::to_string(&names).expect("serialize");
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
