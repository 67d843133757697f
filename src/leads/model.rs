//! What every lead service shares: the states, the change-log kinds and
//! rows, the batch limit and the `state` that names a lead in an add.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{AppError, AppResult, Msg};
use entity::lead_event;

/// Leads one batch operation may name.
pub const MAX_BATCH: usize = 1000;
pub const NOT_ACTIVE: Msg =
    Msg::new("LEAD_NOT_ACTIVE", "该线索已废弃或已转为客户，不能修改", "The lead is discarded or already a customer and cannot change");
const TOO_MANY: Msg = Msg::new("LEAD_BATCH_TOO_LARGE", "一次最多操作1000条线索", "At most 1000 leads at a time");

/// The distinct ids of a batch, or BAD_USER_INPUT past [`MAX_BATCH`].
pub fn batch(ids: &[i64]) -> AppResult<BTreeSet<i64>> {
    if ids.len() > MAX_BATCH {
        return Err(AppError::bad_input("ids", TOO_MANY));
    }
    Ok(ids.iter().copied().collect())
}

#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LeadStatus {
    /// 线索列表.
    Active,
    /// 已废弃: restore or delete only.
    Discarded,
    /// Became a customer of its assignee (read-only).
    Converted,
}

impl LeadStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            LeadStatus::Active => "ACTIVE",
            LeadStatus::Discarded => "DISCARDED",
            LeadStatus::Converted => "CONVERTED",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [LeadStatus::Active, LeadStatus::Discarded, LeadStatus::Converted].into_iter().find(|x| x.as_str() == s)
    }
}

/// What a lead's change-log entry records (CRM-5, plus ASSIGNED and CONVERTED).
pub mod event {
    pub const CREATED: &str = "CREATED";
    pub const INFO_UPDATED: &str = "INFO_UPDATED";
    pub const TAGS_UPDATED: &str = "TAGS_UPDATED";
    pub const DISCARDED: &str = "DISCARDED";
    pub const RESTORED: &str = "RESTORED";
    pub const ASSIGNED: &str = "ASSIGNED";
    pub const CONVERTED: &str = "CONVERTED";
}

/// The `state` an add carries to name a lead: `L` and the lead's id.
pub fn add_state(lead_id: i64) -> String {
    format!("L{lead_id}")
}

/// A change-log row.
pub fn log_row(lead_id: i64, kind: &str, actor: Option<i64>, detail: Value, now: DateTime<Utc>) -> lead_event::ActiveModel {
    lead_event::ActiveModel {
        lead_id: Set(lead_id),
        kind: Set(kind.into()),
        actor_id: Set(actor),
        detail: Set(detail.to_string()),
        created_at: Set(now),
        ..Default::default()
    }
}
