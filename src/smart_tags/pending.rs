//! Customers whose facts changed, for smart tag rules to look at again. A
//! writer that changes a customer (a new add, tags, edited fields, a chat)
//! calls [`mark_changed`] in its own transaction: the customers are noted
//! (once each, whatever the number of changes) and a check is queued for the
//! end of the current 30-second window, so a burst of changes costs one job.
//! Corps without smart tag rules pay one indexed read.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{sea_query::OnConflict, ActiveValue::Set, ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::{
    error::AppResult,
    jobs::{JobKind, NewJob},
    tenancy::Scope,
};
use entity::{smart_tag_pending, smart_tag_rule};

/// How long changes gather before one check looks at them.
pub const WINDOW_SECS: i64 = 30;

/// The check of a corp's changed customers (handled in `apply`).
pub struct CheckChanged;

impl JobKind for CheckChanged {
    const KIND: &'static str = "smart_tags.check";
    type Payload = serde_json::Value;
}

/// Notes `customer_ids` as changed and queues their check, when the corp has rules.
pub async fn mark_changed(db: &impl ConnectionTrait, scope: &Scope, customer_ids: &[i64], now: DateTime<Utc>) -> AppResult<()> {
    if customer_ids.is_empty() {
        return Ok(());
    }
    let has_rules = scope
        .select::<smart_tag_rule::Entity>()
        .select_only()
        .column(smart_tag_rule::Column::Id)
        .limit(1)
        .into_tuple::<i64>()
        .one(db)
        .await?;
    if has_rules.is_none() {
        return Ok(());
    }
    for chunk in customer_ids.chunks(500) {
        let rows =
            chunk.iter().map(|c| smart_tag_pending::ActiveModel { customer_id: Set(*c), changed_at: Set(now), ..Default::default() });
        // A customer already waiting keeps its row with the later change time,
        // so a check that read the earlier one does not clear it.
        let on_conflict =
            OnConflict::column(smart_tag_pending::Column::CustomerId).update_column(smart_tag_pending::Column::ChangedAt).to_owned();
        scope.insert_many_ignoring(db, rows, on_conflict).await?;
    }
    let window = now.timestamp().div_euclid(WINDOW_SECS);
    let due = DateTime::from_timestamp((window + 1) * WINDOW_SECS, 0).unwrap_or(now) + Duration::seconds(1);
    let new = NewJob { corp_id: Some(scope.corp_id()), ..NewJob::system() }
        .dedup(format!("smart-tags-check:{}:{window}", scope.corp_id()))
        .at(due);
    crate::jobs::insert_row(db, CheckChanged::KIND, "{}".into(), new, now).await?;
    Ok(())
}

/// Forgets the noted customers a check has looked at, unless they changed again since `read_at`.
pub async fn clear(db: &impl ConnectionTrait, scope: &Scope, ids: &[i64], read_at: DateTime<Utc>) -> AppResult<()> {
    scope
        .delete_many::<smart_tag_pending::Entity>()
        .filter(smart_tag_pending::Column::Id.is_in(ids.iter().copied()))
        .filter(smart_tag_pending::Column::ChangedAt.lte(read_at))
        .exec(db)
        .await?;
    Ok(())
}

/// Up to `limit` noted customers of the corp, oldest first: (row id, customer id).
pub async fn next_batch(db: &impl ConnectionTrait, scope: &Scope, limit: u64) -> AppResult<Vec<(i64, i64)>> {
    Ok(scope
        .select::<smart_tag_pending::Entity>()
        .select_only()
        .column(smart_tag_pending::Column::Id)
        .column(smart_tag_pending::Column::CustomerId)
        .order_by_asc(smart_tag_pending::Column::Id)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?)
}
