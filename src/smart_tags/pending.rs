//! Customers whose facts changed, for smart tag rules to look at again. A
//! writer that changes a customer (a new add, tags, edited fields, a chat)
//! calls [`mark_changed`] as the last write of its transaction (locks are
//! taken in one order: customers, then these rows); the customers are noted
//! once each, whatever the number of changes, and a check every minute
//! drains the notes. A note carries a version the writers bump, so a check
//! clears only the notes it read: a change landing while it works waits for
//! the next check. Corps without smart tag rules pay one indexed read.

use sea_orm::{
    sea_query::{Expr, ExprTrait, OnConflict},
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::{error::AppResult, jobs::JobKind, tenancy::Scope};
use entity::{smart_tag_pending, smart_tag_rule};

/// The check of every corp's noted customers (handled in `apply`).
pub struct CheckChanged;

impl JobKind for CheckChanged {
    const KIND: &'static str = "smart_tags.check";
    type Payload = serde_json::Value;
}

/// Notes `customer_ids` as changed, when the corp has customer rules.
pub async fn mark_changed(db: &impl ConnectionTrait, scope: &Scope, customer_ids: &[i64]) -> AppResult<()> {
    if customer_ids.is_empty() {
        return Ok(());
    }
    let has_rules = scope
        .select::<smart_tag_rule::Entity>()
        .filter(smart_tag_rule::Column::TagType.eq(super::tag_type::TagType::Customer.as_str()))
        .select_only()
        .column(smart_tag_rule::Column::Id)
        .limit(1)
        .into_tuple::<i64>()
        .one(db)
        .await?;
    if has_rules.is_none() {
        return Ok(());
    }
    // Sorted and distinct: one order of row locks, and PostgreSQL refuses an
    // upsert that meets the same row twice.
    let mut ids = customer_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    for chunk in ids.chunks(500) {
        let rows = chunk.iter().map(|c| smart_tag_pending::ActiveModel { customer_id: Set(*c), version: Set(1), ..Default::default() });
        let bump = Expr::col((smart_tag_pending::Entity, smart_tag_pending::Column::Version)).add(1);
        let on_conflict =
            OnConflict::column(smart_tag_pending::Column::CustomerId).value(smart_tag_pending::Column::Version, bump).to_owned();
        scope.insert_many_ignoring(db, rows, on_conflict).await?;
    }
    Ok(())
}

/// A noted customer as a check read it.
#[derive(Clone, Copy, Debug)]
pub struct Note {
    pub id: i64,
    pub customer_id: i64,
    pub version: i32,
}

/// Up to `limit` noted customers of the corp, oldest first.
pub async fn next_batch(db: &impl ConnectionTrait, scope: &Scope, limit: u64) -> AppResult<Vec<Note>> {
    let rows: Vec<(i64, i64, i32)> = scope
        .select::<smart_tag_pending::Entity>()
        .select_only()
        .column(smart_tag_pending::Column::Id)
        .column(smart_tag_pending::Column::CustomerId)
        .column(smart_tag_pending::Column::Version)
        .order_by_asc(smart_tag_pending::Column::Id)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|(id, customer_id, version)| Note { id, customer_id, version }).collect())
}

/// Forgets the notes a check read, unless they were bumped since.
pub async fn clear(db: &impl ConnectionTrait, scope: &Scope, notes: &[Note]) -> AppResult<()> {
    for chunk in notes.chunks(200) {
        let read = chunk.iter().fold(Condition::any(), |any, n| {
            any.add(Condition::all().add(smart_tag_pending::Column::Id.eq(n.id)).add(smart_tag_pending::Column::Version.eq(n.version)))
        });
        scope.delete_many::<smart_tag_pending::Entity>().filter(read).exec(db).await?;
    }
    Ok(())
}
