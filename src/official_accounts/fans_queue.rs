//! Queuing an account's fans sync (`oa.sync_fans`), apart from the job
//! that runs it (`fans::SyncFansJob`), so binding can queue one.

use chrono::Utc;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};

use crate::{
    error::AppResult,
    jobs::{JobKind, JobQueue, NewJob},
};
use entity::{job, oa_account};

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncFansRequest {
    pub account_id: i64,
}

/// Pulls an account's followers (`oa.sync_fans`).
pub struct SyncFans;

impl JobKind for SyncFans {
    const KIND: &'static str = "oa.sync_fans";
    type Payload = SyncFansRequest;
}

/// Queues a sync of `account` unless one is already waiting or running.
pub async fn queue_sync(db: &impl ConnectionTrait, jobs: &JobQueue, new: NewJob, account: &oa_account::Model) -> AppResult<job::Model> {
    let prefix = format!("oa-fans:{}:", account.id);
    let pending = job::Entity::find()
        .filter(job::Column::CorpId.eq(account.corp_id))
        .filter(job::Column::Kind.eq(SyncFans::KIND))
        .filter(job::Column::DedupKey.starts_with(prefix.as_str()))
        .filter(job::Column::Status.is_in([crate::jobs::status::QUEUED, crate::jobs::status::RUNNING]))
        .one(db)
        .await?;
    if let Some(j) = pending {
        return Ok(j);
    }
    let new = NewJob { corp_id: Some(account.corp_id), ..new }.dedup(format!("{prefix}{}", Utc::now().timestamp_micros()));
    let now = jobs.clock().now();
    crate::jobs::insert::<SyncFans>(db, new, &SyncFansRequest { account_id: account.id }, now).await
}
