//! The inbox of verified WeCom callbacks, as admins see it: events whose
//! apply keeps failing end FAILED with their last error after
//! `INBOX_MAX_ATTEMPTS` tries (with the job queue's backoff between them),
//! instead of calling WeCom every sweep forever; an admin can retry one.

use std::collections::HashSet;

use chrono::Utc;
use sea_orm::{
    sea_query::OnConflict, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter, QueryOrder, Select,
};
use serde_json::json;

use crate::{
    db::group_commit::BatchFuture,
    error::{AppError, AppResult, Code, Msg},
    jobs::{JobError, JobKind, JobQueue, NewJob},
    tenancy::Scope,
};
use entity::wecom_inbox;

pub mod status {
    pub const PENDING: &str = "PENDING";
    pub const APPLIED: &str = "APPLIED";
    /// Verified and kept, for an area whose handler has not landed yet.
    pub const UNHANDLED: &str = "UNHANDLED";
    /// Its tries are spent; `last_error` says why. An admin may retry it.
    pub const FAILED: &str = "FAILED";
}

/// Applies one inbox event (the handler is `inbox_apply::ApplyInboxJob`).
pub struct ApplyInbox;

impl JobKind for ApplyInbox {
    const KIND: &'static str = "wecom.apply_inbox";
    type Payload = serde_json::Value;
}

/// Tries of one event before it is FAILED.
pub const INBOX_MAX_ATTEMPTS: i32 = 5;

const NOT_FAILED: Msg = Msg::new("INBOX_EVENT_NOT_FAILED", "只能重试处理失败的事件", "Only a FAILED event can be retried");

/// Stores verified callbacks with one apply job each, in two statements
/// whatever the batch size (the writer of `AppState::inbox_commits`): `true`
/// for each row stored, `false` for a redelivery, whether stored before or
/// earlier in the same batch. The job is queued in the same transaction as
/// its row, so an acknowledged event always has its job.
pub fn store_batch<'t>(txn: &'t DatabaseTransaction, rows: &'t [wecom_inbox::ActiveModel]) -> BatchFuture<'t, bool> {
    Box::pin(async move {
        let key = |r: &'t wecom_inbox::ActiveModel| (r.corp_id.try_as_ref().copied(), r.dedup_key.try_as_ref().map(String::as_str));
        let mut seen = HashSet::new();
        let first: Vec<bool> = rows.iter().map(|r| seen.insert(key(r))).collect();
        let fresh: Vec<wecom_inbox::ActiveModel> = rows.iter().zip(&first).filter(|(_, f)| **f).map(|(r, _)| r.clone()).collect();
        let on_conflict = OnConflict::columns([wecom_inbox::Column::CorpId, wecom_inbox::Column::DedupKey]).do_nothing().to_owned();
        let stored = match wecom_inbox::Entity::insert_many(fresh).on_conflict(on_conflict).exec_with_returning(txn).await {
            Ok(stored) => stored,
            Err(DbErr::RecordNotInserted) => Vec::new(),
            Err(e) => return Err(e),
        };
        let now = Utc::now();
        let jobs = stored
            .iter()
            .map(|m| {
                let (new, payload) = apply_job(m.corp_id, m.id, "");
                crate::jobs::job_row(ApplyInbox::KIND, payload.to_string(), new, now)
            })
            .collect();
        crate::jobs::insert_rows(txn, jobs).await?;
        let stored: HashSet<(Option<i64>, Option<&str>)> = stored.iter().map(|m| (Some(m.corp_id), Some(m.dedup_key.as_str()))).collect();
        Ok(rows.iter().zip(first).map(|(r, first)| first && stored.contains(&key(r))).collect())
    })
}

/// The job that applies inbox row `id` (tried up to the cap, with backoff).
pub fn apply_job(corp_id: i64, id: i64, generation: &str) -> (NewJob, serde_json::Value) {
    (
        NewJob { corp_id: Some(corp_id), ..NewJob::system() }.dedup(format!("wecom-inbox:{id}{generation}")).attempts(INBOX_MAX_ATTEMPTS),
        json!({"inboxId": id}),
    )
}

/// The corp's inbox, newest first, optionally of one status.
pub fn list(scope: &Scope, status: Option<&str>) -> Select<wecom_inbox::Entity> {
    let q = scope.select::<wecom_inbox::Entity>().order_by_desc(wecom_inbox::Column::Id);
    match status {
        Some(s) => q.filter(wecom_inbox::Column::Status.eq(s)),
        None => q,
    }
}

/// Records a failed apply; the event is FAILED once it has had its tries.
/// Returns the error the job should end this attempt with: a retry until
/// the last try (even a "permanent" WeCom verdict such as 84061 can be an
/// event racing WeCom's own replication), permanent after it.
pub async fn record_failure(db: &impl ConnectionTrait, row: &wecom_inbox::Model, err: JobError) -> Result<JobError, AppError> {
    let attempts = row.attempts + 1;
    let (code, msg) = match &err {
        JobError::Permanent { code, msg } => (*code, msg.clone()),
        JobError::Retry(_) => (Code::Internal, crate::error::msg::INTERNAL),
    };
    let last_error = json!({"code": code.as_str(), "reason": msg.reason, "zh": msg.zh, "en": msg.en}).to_string();
    let last = attempts >= INBOX_MAX_ATTEMPTS;
    let mut update = Scope::system(row.corp_id)
        .update_many::<wecom_inbox::Entity>()
        .col_expr(wecom_inbox::Column::Attempts, attempts.into())
        .col_expr(wecom_inbox::Column::LastError, Some(last_error).into())
        .filter(wecom_inbox::Column::Id.eq(row.id));
    if last {
        update = update.col_expr(wecom_inbox::Column::Status, status::FAILED.into());
    }
    update.exec(db).await?;
    Ok(match (last, err) {
        (true, JobError::Retry(_)) => JobError::Permanent { code, msg },
        (true, permanent) => permanent,
        (false, JobError::Retry(e)) => JobError::Retry(e),
        (false, JobError::Permanent { code, msg }) => JobError::Retry(anyhow::anyhow!("inbox apply failed: {} {}", code.as_str(), msg.en)),
    })
}

/// Puts a FAILED event back to PENDING with fresh tries and queues it.
pub async fn retry(db: &impl ConnectionTrait, jobs: &JobQueue, scope: &Scope, id: i64) -> AppResult<wecom_inbox::Model> {
    let row = scope.get::<wecom_inbox::Entity>(db, id).await?;
    if row.status != status::FAILED {
        return Err(AppError::conflict(NOT_FAILED).with_field("id"));
    }
    scope
        .update_many::<wecom_inbox::Entity>()
        .col_expr(wecom_inbox::Column::Status, status::PENDING.into())
        .col_expr(wecom_inbox::Column::Attempts, 0.into())
        .filter(wecom_inbox::Column::Id.eq(id))
        .exec(db)
        .await?;
    let (new, payload) = apply_job(row.corp_id, id, &format!(":retry:{}", Utc::now().timestamp_millis()));
    jobs.enqueue::<ApplyInbox>(db, new, &payload).await?;
    scope.get::<wecom_inbox::Entity>(db, id).await
}
