//! Where group-activity metrics come from (GRP-3): the chat archive counts
//! messages; material and order counts come from the areas that track them.

use std::{collections::HashMap, sync::Arc};

use async_graphql::Enum;
use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};

use crate::{error::AppResult, tenancy::Scope};

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Serialize, Deserialize, Hash)]
pub enum ActivityMetric {
    /// 客户消息数.
    CustomerMessages,
    /// 营销素材停留时长 (seconds, summed over articles, posters, brochures and forms).
    MaterialDwellSeconds,
    /// 分享次数.
    MaterialShares,
    /// 浏览次数.
    MaterialViews,
    /// 下单次数.
    Orders,
}

/// Where activity metrics come from.
#[async_trait::async_trait]
pub trait ActivitySource: Send + Sync {
    /// Metrics of these customers (external userids) since `since`.
    async fn customer_metrics(
        &self,
        db: &DatabaseConnection,
        scope: &Scope,
        since: DateTime<Utc>,
        customers: &[String],
    ) -> AppResult<HashMap<String, HashMap<ActivityMetric, f64>>>;
    /// Messages spoken in these groups since `since`.
    async fn group_messages(
        &self,
        db: &DatabaseConnection,
        scope: &Scope,
        since: DateTime<Utc>,
        groups: &[i64],
    ) -> AppResult<HashMap<i64, u64>>;
}

pub type Activity = Arc<dyn ActivitySource>;
