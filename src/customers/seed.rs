//! Synthetic customers in bulk, for benchmarks and statement-count tests:
//! rows go straight through the scope (what is measured is reading them).

use chrono::{Duration, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, QueryFilter, QueryOrder};

use super::{aggregates, follow_ups};
use crate::{error::AppResult, tenancy::Scope};
use entity::{customer, customer_follow, follow_tag, follow_up};

/// `n` customers added by `employees` (every third by two of them), each
/// with one of `tags` per adder, and a follow-up on every second customer.
pub async fn customers(db: &DatabaseConnection, scope: &Scope, n: usize, employees: &[i64], tags: &[i64]) -> AppResult<()> {
    let now = Utc::now();
    let start = now - Duration::days(365);
    let note = follow_ups::types(db, scope).await?.into_iter().find(|t| t.is_default).map(|t| t.id).unwrap_or_default();
    let author = employees.first().copied().unwrap_or_default();
    for chunk in (0..n).collect::<Vec<_>>().chunks(500) {
        let txn = crate::db::write_txn(db).await?;
        let prefix = format!("seed{}-", chunk[0]);
        scope
            .insert_many(
                &txn,
                chunk.iter().map(|i| customer::ActiveModel {
                    external_userid: Set(format!("{prefix}{i}")),
                    name: Set(format!("客户{i}")),
                    avatar: Set(None),
                    contact_type: Set(if i % 10 == 0 { 2 } else { 1 }),
                    gender: Set((i % 3) as i32),
                    owner_id: Set(Some(employees[i % employees.len()])),
                    mobile: Set(Some(format!("139{i:08}"))),
                    channel: Set(Some(["展会", "官网", "转介绍"][i % 3].to_string())),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                }),
            )
            .await?;
        // In insert order: the index of each row decides its adders and tags.
        let rows = scope
            .select::<customer::Entity>()
            .filter(customer::Column::ExternalUserid.starts_with(&prefix))
            .order_by_asc(customer::Column::Id)
            .all(&txn)
            .await?;
        let mut follows = Vec::new();
        let mut tag_rows = Vec::new();
        let mut notes = Vec::new();
        for (k, c) in rows.iter().enumerate() {
            let i = chunk[0] + k;
            let adders = if i % 3 == 0 { 2.min(employees.len()) } else { 1 };
            for a in 0..adders {
                let e = employees[(i + a) % employees.len()];
                follows.push(customer_follow::ActiveModel {
                    customer_id: Set(c.id),
                    employee_id: Set(e),
                    remark: Set(Some(format!("备注{i}"))),
                    added_at: Set(start + Duration::minutes(i as i64)),
                    add_way: Set(1),
                    remark_mobiles: Set("[]".into()),
                    wecom_tag_ids: Set("[]".into()),
                    ..Default::default()
                });
                if !tags.is_empty() {
                    tag_rows.push(follow_tag::ActiveModel {
                        customer_id: Set(c.id),
                        employee_id: Set(e),
                        tag_id: Set(tags[i % tags.len()]),
                        created_at: Set(now),
                        ..Default::default()
                    });
                }
            }
            if i % 2 == 0 {
                notes.push(follow_up::ActiveModel {
                    subject_kind: Set(super::subjects::Subject::Customer.as_str().into()),
                    subject_id: Set(c.id),
                    author_id: Set(author),
                    type_id: Set(note),
                    content: Set(format!("回访{i}")),
                    mentions: Set("[]".into()),
                    attachments: Set("[]".into()),
                    created_at: Set(now),
                    ..Default::default()
                });
            }
        }
        scope.insert_many(&txn, follows).await?;
        scope.insert_many(&txn, tag_rows).await?;
        scope.insert_many(&txn, notes).await?;
        aggregates::refresh(&txn, scope, &rows.iter().map(|c| c.id).collect::<Vec<_>>()).await?;
        txn.commit().await?;
    }
    Ok(())
}
