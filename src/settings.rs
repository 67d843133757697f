//! Per-corp settings documents (CFG-3, CFG-4, CFG-7, CFG-9, CFG-10…): one
//! JSON document per corp and name in `corp_settings`, read with the
//! document's defaults until an admin saves one.

use chrono::Utc;
use sea_orm::{sea_query::OnConflict, ActiveValue::Set, ColumnTrait, ConnectionTrait, QueryFilter};
use serde::{de::DeserializeOwned, Serialize};

use crate::{error::AppResult, tenancy::Scope};
use entity::corp_setting;

/// A settings document: its name and its defaults.
pub trait Document: Serialize + DeserializeOwned + Default {
    const KEY: &'static str;
}

/// The corp's document, or its defaults.
pub async fn get<D: Document>(db: &impl ConnectionTrait, scope: &Scope) -> AppResult<D> {
    let row = scope.select::<corp_setting::Entity>().filter(corp_setting::Column::Key.eq(D::KEY)).one(db).await?;
    Ok(row.and_then(|r| serde_json::from_str(&r.value).ok()).unwrap_or_default())
}

/// Replaces the corp's document (the caller has validated it).
pub async fn put<D: Document>(db: &impl ConnectionTrait, scope: &Scope, doc: &D) -> AppResult<()> {
    let value = serde_json::to_string(doc).map_err(crate::error::AppError::internal)?;
    scope
        .insert_many_ignoring(
            db,
            [corp_setting::ActiveModel {
                key: Set(D::KEY.to_string()),
                value: Set(value),
                updated_by: Set(scope.employee_id()),
                updated_at: Set(Utc::now()),
                ..Default::default()
            }],
            OnConflict::columns([corp_setting::Column::CorpId, corp_setting::Column::Key])
                .update_columns([corp_setting::Column::Value, corp_setting::Column::UpdatedBy, corp_setting::Column::UpdatedAt])
                .to_owned(),
        )
        .await
}
