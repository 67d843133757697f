//! A crowd pack's portrait (OPS-11): its gender split, how many of its
//! customers carry chosen tags (or its most common tags: the tag cloud), and
//! how that grew day by day. Every figure counts the pack's customers the
//! caller may see, in one statement each.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::{
    sea_query::{Expr, Func, SelectStatement},
    ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::{clock, error::AppResult, tenancy::Scope};
use entity::{customer, follow_tag};

/// Customers per WeCom gender number (0 unknown, 1 male, 2 female).
pub async fn genders(db: &impl ConnectionTrait, scope: &Scope, members: SelectStatement) -> AppResult<Vec<(i32, i64)>> {
    Ok(scope
        .select::<customer::Entity>()
        .select_only()
        .column(customer::Column::Gender)
        .column_as(customer::Column::Id.count(), "n")
        .filter(customer::Column::Id.in_subquery(members))
        .group_by(customer::Column::Gender)
        .order_by_asc(customer::Column::Gender)
        .into_tuple()
        .all(db)
        .await?)
}

/// Customers carrying each tag (on any adder's relation): the given tags,
/// or with none given the `limit` most carried, most first.
pub async fn tag_counts(
    db: &impl ConnectionTrait,
    scope: &Scope,
    members: SelectStatement,
    tag_ids: &[i64],
    limit: u64,
) -> AppResult<Vec<(i64, i64)>> {
    let count = Expr::expr(Func::count_distinct(Expr::col((follow_tag::Entity, follow_tag::Column::CustomerId))));
    let mut q = scope
        .select::<follow_tag::Entity>()
        .select_only()
        .column(follow_tag::Column::TagId)
        .column_as(count.clone(), "n")
        .filter(follow_tag::Column::CustomerId.in_subquery(members))
        .group_by(follow_tag::Column::TagId);
    if !tag_ids.is_empty() {
        q = q.filter(follow_tag::Column::TagId.is_in(tag_ids.iter().copied()));
    }
    Ok(q.order_by_desc(count).order_by_asc(follow_tag::Column::TagId).limit(limit).into_tuple().all(db).await?)
}

/// For each tag, the pack's customers carrying it at the end of each of the
/// last `days` China days up to `now`'s. A tag counts from when it was put
/// on a customer's first relation; a tag since taken off has no history.
pub async fn tag_trend(
    db: &impl ConnectionTrait,
    scope: &Scope,
    members: SelectStatement,
    tag_ids: &[i64],
    days: u32,
    now: DateTime<Utc>,
) -> AppResult<Vec<(i64, Vec<(NaiveDate, i64)>)>> {
    let first: Vec<(i64, i64, Option<DateTime<Utc>>)> = scope
        .select::<follow_tag::Entity>()
        .select_only()
        .column(follow_tag::Column::TagId)
        .column(follow_tag::Column::CustomerId)
        .column_as(follow_tag::Column::CreatedAt.min(), "first")
        .filter(follow_tag::Column::CustomerId.in_subquery(members))
        .filter(follow_tag::Column::TagId.is_in(tag_ids.iter().copied()))
        .group_by(follow_tag::Column::TagId)
        .group_by(follow_tag::Column::CustomerId)
        .into_tuple()
        .all(db)
        .await?;
    let mut since: BTreeMap<i64, Vec<DateTime<Utc>>> = tag_ids.iter().map(|t| (*t, Vec::new())).collect();
    for (tag, _, at) in first {
        if let Some(at) = at {
            since.entry(tag).or_default().push(at);
        }
    }
    let today = now.with_timezone(&clock::china()).date_naive();
    let out = tag_ids
        .iter()
        .map(|tag| {
            let mut times = since.remove(tag).unwrap_or_default();
            times.sort();
            let points = (0..days)
                .rev()
                .map(|back| {
                    let day = today - Duration::days(i64::from(back));
                    let end = clock::china_midnight(day + Duration::days(1));
                    (day, times.partition_point(|t| *t < end) as i64)
                })
                .collect();
            (*tag, points)
        })
        .collect();
    Ok(out)
}
