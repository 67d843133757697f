//! Group activity (GRP-3) from the archive.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, QueryFilter, QuerySelect};

use crate::{
    error::AppResult,
    ports::activity::{ActivityMetric, ActivitySource},
    tenancy::Scope,
};
use entity::chat_message;

/// Group activity (GRP-3) from the archive: customer messages and group messages.
pub struct ArchiveActivity;

#[async_trait::async_trait]
impl ActivitySource for ArchiveActivity {
    async fn customer_metrics(
        &self,
        db: &DatabaseConnection,
        scope: &Scope,
        since: DateTime<Utc>,
        customers: &[String],
    ) -> AppResult<HashMap<String, HashMap<ActivityMetric, f64>>> {
        let mut out: HashMap<String, HashMap<ActivityMetric, f64>> = HashMap::new();
        for chunk in customers.chunks(500) {
            let rows: Vec<(String, i64)> = scope
                .select::<chat_message::Entity>()
                .select_only()
                .column(chat_message::Column::FromId)
                .column_as(chat_message::Column::Id.count(), "n")
                .filter(chat_message::Column::FromCustomer.eq(true))
                .filter(chat_message::Column::Msgtime.gte(since))
                .filter(chat_message::Column::FromId.is_in(chunk.iter().cloned()))
                .group_by(chat_message::Column::FromId)
                .into_tuple()
                .all(db)
                .await?;
            for (who, n) in rows {
                out.entry(who).or_default().insert(ActivityMetric::CustomerMessages, n as f64);
            }
        }
        Ok(out)
    }

    async fn group_messages(
        &self,
        db: &DatabaseConnection,
        scope: &Scope,
        since: DateTime<Utc>,
        groups: &[i64],
    ) -> AppResult<HashMap<i64, u64>> {
        let mut out = HashMap::new();
        for chunk in groups.chunks(500) {
            let rows: Vec<(Option<i64>, i64)> = scope
                .select::<chat_message::Entity>()
                .select_only()
                .column(chat_message::Column::GroupId)
                .column_as(chat_message::Column::Id.count(), "n")
                .filter(chat_message::Column::Msgtime.gte(since))
                .filter(chat_message::Column::GroupId.is_in(chunk.iter().copied()))
                .group_by(chat_message::Column::GroupId)
                .into_tuple()
                .all(db)
                .await?;
            out.extend(rows.into_iter().filter_map(|(g, n)| g.map(|g| (g, n as u64))));
        }
        Ok(out)
    }
}
