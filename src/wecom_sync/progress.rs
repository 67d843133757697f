//! What a sync did, and where a retried one resumes.

use serde::{Deserialize, Serialize};

use crate::{
    error::{AppError, AppResult},
    jobs::JobCtx,
};

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SyncOutcome {
    pub departments_created: u32,
    pub departments_updated: u32,
    pub employees_created: u32,
    pub employees_updated: u32,
    /// Local employees WeCom no longer lists (left the corp); kept for inheritance.
    pub employees_missing: u32,
    /// Corp tag groups and tags.
    pub tags_created: u32,
    pub tags_updated: u32,
    /// Synced tags WeCom no longer lists (deleted there, and from every customer).
    #[serde(default)]
    pub tags_deleted: u32,
    /// Address-book tags read from WeCom (ORG-10).
    #[serde(default)]
    pub employee_tags_synced: u32,
    pub customers_created: u32,
    pub customers_updated: u32,
    /// Follow relations (adders).
    pub follows_created: u32,
    pub follows_updated: u32,
    pub groups_created: u32,
    pub groups_updated: u32,
    /// Group members added in this pass.
    pub members_changed: u32,
    /// Parts WeCom refused by policy (e.g. "organisation: 48009"); the rest still ran.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<String>,
}

/// Where a retried full sync resumes: the customer pages and group chats
/// already written are not fetched again.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Checkpoint {
    /// "customers" or "groups".
    pub phase: String,
    /// Index of the member chunk, and the page cursor within it.
    pub chunk: usize,
    pub cursor: String,
    /// Group chats already written.
    pub next_chat: usize,
    /// Counts so far, so the job's result covers every attempt.
    pub out: SyncOutcome,
}

impl Checkpoint {
    pub async fn save(&self, ctx: Option<&JobCtx>) -> AppResult<()> {
        match ctx {
            Some(c) => c.save_checkpoint(&serde_json::to_value(self).map_err(AppError::internal)?).await,
            None => Ok(()),
        }
    }
}
