//! Applying the inbox in batches. Each verified callback has its own job
//! (queued in the transaction that stored it, so none is lost); the worker
//! that claims one also claims the corp's other due inbox jobs, up to
//! [`BATCH`], and applies them together: contact refreshes, by far the most
//! common events, read WeCom concurrently and land as one page through the
//! customer sync's page writer; statuses are written per batch. Each job is
//! still settled on its own, so a failing event retries and ends FAILED
//! alone, as before.
//!
//! Order is kept where it matters: events run in arrival order, and a run of
//! consecutive refreshes is flushed before any other event (a removal after
//! a refresh of the same contact stays after it).

use std::collections::{BTreeMap, HashMap};

use chrono::Utc;
use futures_util::{stream, StreamExt};
use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
use serde_json::{json, Value};

use super::{
    callbacks::{apply, employee_ids, flat_xml},
    inbox::{self, status, ApplyInbox},
    link::{link, WecomLink},
};
use crate::{
    error::{AppError, Code},
    integrations::wecom::types,
    jobs::{lease, JobCtx, JobError, JobHandler},
    state::AppState,
    tenancy::Scope,
};
use entity::{job, wecom_inbox};

/// Inbox jobs one worker applies together.
pub const BATCH: u64 = 200;
/// WeCom reads in flight at once for one batch.
const READS_IN_FLIGHT: usize = 8;

/// Applies inbox events; leaves each row APPLIED (or UNHANDLED), or counts
/// a failed try (`inbox::record_failure`).
pub struct ApplyInboxJob;

fn inbox_id(payload: &Value) -> Option<i64> {
    payload["inboxId"].as_i64()
}

fn is_refresh(row: &wecom_inbox::Model) -> bool {
    row.event == "change_external_contact"
        && matches!(
            row.change_type.as_str(),
            "add_external_contact" | "add_half_external_contact" | "edit_external_contact" | "transfer_fail"
        )
}

#[async_trait::async_trait]
impl JobHandler for ApplyInboxJob {
    type Kind = ApplyInbox;

    async fn run(&self, ctx: &JobCtx, p: Value) -> Result<Value, JobError> {
        let state = &ctx.state;
        let own = inbox_id(&p).ok_or(JobError::Permanent { code: Code::Internal, msg: crate::error::msg::INTERNAL })?;
        let now = state.jobs.clock().now();
        let others = lease::claim_more(&state.db, &ctx.job, now, BATCH - 1).await?;
        let mut jobs_of: HashMap<i64, &job::Model> = HashMap::new();
        for j in &others {
            match serde_json::from_str::<Value>(&j.payload).ok().as_ref().and_then(inbox_id) {
                Some(id) => {
                    jobs_of.insert(id, j);
                }
                None => {
                    let bad = Err(JobError::Permanent { code: Code::Internal, msg: crate::error::msg::INTERNAL });
                    lease::settle(&state.db, j, worker(ctx), bad, now).await?;
                }
            }
        }
        let mut ids: Vec<i64> = jobs_of.keys().copied().collect();
        ids.push(own);
        // The inbox rows name their corps; jobs run for whichever corp they are.
        let rows = crate::tenancy::across_corps::<wecom_inbox::Entity>()
            .filter(wecom_inbox::Column::Id.is_in(ids))
            .order_by_asc(wecom_inbox::Column::Id)
            .all(&state.db)
            .await
            .map_err(AppError::from)?;
        let outcomes = apply_rows(state, &rows).await?;

        // Settle the others; the own job's outcome is this run's result.
        let mut own_outcome = Ok(json!({"skipped": "gone"}));
        let mut succeeded = Vec::new();
        for (id, outcome) in outcomes {
            if id == own {
                own_outcome = outcome;
            } else if let Some(j) = jobs_of.remove(&id) {
                match outcome {
                    Ok(_) => succeeded.push(j.id),
                    failed => lease::settle(&state.db, j, worker(ctx), failed, now).await?,
                }
            }
        }
        let batched = json!({"batchedWith": ctx.job.id});
        lease::succeed_many(&state.db, &succeeded, worker(ctx), &batched, Utc::now()).await?;
        // Jobs whose inbox row is gone have nothing left to do.
        let gone: Vec<i64> = jobs_of.values().map(|j| j.id).collect();
        lease::succeed_many(&state.db, &gone, worker(ctx), &json!({"skipped": "gone"}), Utc::now()).await?;
        own_outcome
    }
}

fn worker(ctx: &JobCtx) -> &str {
    ctx.job.locked_by.as_deref().unwrap_or_default()
}

/// Applies `rows` (arrival order) and records each row's status; returns
/// each row's outcome for its job.
async fn apply_rows(state: &AppState, rows: &[wecom_inbox::Model]) -> Result<Vec<(i64, Result<Value, JobError>)>, JobError> {
    let mut outcomes = Vec::with_capacity(rows.len());
    let mut done: BTreeMap<(i64, &'static str), Vec<i64>> = BTreeMap::new();
    let mut refreshes: Vec<&wecom_inbox::Model> = Vec::new();
    for row in rows {
        if row.status != status::PENDING {
            outcomes.push((row.id, Ok(json!({"skipped": row.status}))));
            continue;
        }
        let same_corp = refreshes.first().is_none_or(|r| r.corp_id == row.corp_id);
        if is_refresh(row) && same_corp {
            refreshes.push(row);
            continue;
        }
        flush_refreshes(state, &mut refreshes, &mut done, &mut outcomes).await?;
        if is_refresh(row) {
            refreshes.push(row);
            continue;
        }
        let fields = flat_xml(&row.payload).unwrap_or_default();
        let result = apply(state, &Scope::system(row.corp_id), row, &fields).await;
        settle_row(state, row, result, &mut done, &mut outcomes).await?;
    }
    flush_refreshes(state, &mut refreshes, &mut done, &mut outcomes).await?;
    for ((corp_id, st), ids) in done {
        Scope::system(corp_id)
            .update_many::<wecom_inbox::Entity>()
            .col_expr(wecom_inbox::Column::Status, st.into())
            .col_expr(wecom_inbox::Column::AppliedAt, Some(Utc::now()).into())
            .filter(wecom_inbox::Column::Id.is_in(ids))
            .exec(&state.db)
            .await
            .map_err(AppError::from)?;
    }
    Ok(outcomes)
}

async fn settle_row(
    state: &AppState,
    row: &wecom_inbox::Model,
    result: Result<&'static str, JobError>,
    done: &mut BTreeMap<(i64, &'static str), Vec<i64>>,
    outcomes: &mut Vec<(i64, Result<Value, JobError>)>,
) -> Result<(), JobError> {
    match result {
        // Deferred: the row stays PENDING for the job `apply` queued.
        Ok(status::PENDING) => outcomes.push((row.id, Ok(json!({"deferred": true, "event": row.event})))),
        Ok(st) => {
            done.entry((row.corp_id, st)).or_default().push(row.id);
            outcomes.push((row.id, Ok(json!({"status": st, "event": row.event, "changeType": row.change_type}))));
        }
        Err(e) => outcomes.push((row.id, Err(inbox::record_failure(&state.db, row, e).await?))),
    }
    Ok(())
}

/// Applies a run of contact refreshes of one corp: each contact read once,
/// concurrently, and the run written as one page.
async fn flush_refreshes(
    state: &AppState,
    refreshes: &mut Vec<&wecom_inbox::Model>,
    done: &mut BTreeMap<(i64, &'static str), Vec<i64>>,
    outcomes: &mut Vec<(i64, Result<Value, JobError>)>,
) -> Result<(), JobError> {
    let run = std::mem::take(refreshes);
    let Some(first) = run.first() else { return Ok(()) };
    let scope = Scope::system(first.corp_id);
    let Some(link) = link(state, scope.corp_id()).await? else {
        for row in run {
            settle_row(state, row, Ok(status::UNHANDLED), done, outcomes).await?;
        }
        return Ok(());
    };
    let external_id = |row: &wecom_inbox::Model| flat_xml(&row.payload).and_then(|f| f.get("ExternalUserID").cloned()).unwrap_or_default();
    let wanted: Vec<String> = {
        let mut ids: Vec<String> = run.iter().map(|r| external_id(r)).collect();
        ids.sort();
        ids.dedup();
        ids
    };
    let details = read_contacts(&link, wanted).await;
    let mut page = Vec::new();
    for detail in details.values().flatten() {
        page.extend(
            detail
                .follow_user
                .iter()
                .map(|u| types::ContactWithFollow { external_contact: detail.external_contact.clone(), follow_info: u.to_follow_info() }),
        );
    }
    let written: Result<(), JobError> = async {
        let employees = employee_ids(state, &scope).await?;
        let mut out = super::progress::SyncOutcome::default();
        super::customer_sync::apply_contact_page(&state.db, &scope, &page, &employees, &mut out, crate::db::Durability::Flushed).await?;
        Ok(())
    }
    .await;
    for row in run {
        let result = match (&written, details.get(&external_id(row))) {
            (Ok(()), Some(Ok(_))) => Ok(status::APPLIED),
            (_, Some(Err(e))) => Err(copy(e)),
            (Err(e), _) => Err(copy(e)),
            (Ok(()), None) => Err(JobError::Retry(anyhow::anyhow!("contact was not read"))),
        };
        settle_row(state, row, result, done, outcomes).await?;
    }
    Ok(())
}

/// One failure shared by every event of a run (`JobError` is not `Clone`).
fn copy(e: &JobError) -> JobError {
    match e {
        JobError::Permanent { code, msg } => JobError::Permanent { code: *code, msg: msg.clone() },
        JobError::Retry(err) => JobError::Retry(anyhow::anyhow!("{err:#}")),
    }
}

async fn read_contacts(link: &WecomLink, ids: Vec<String>) -> HashMap<String, Result<types::ExternalContactDetail, JobError>> {
    stream::iter(ids)
        .map(|ext| async move {
            let detail = link.client.contact_get(&link.creds, &ext).await.map_err(|e| JobError::from_app(e.into()));
            (ext, detail)
        })
        .buffer_unordered(READS_IN_FLIGHT)
        .collect()
        .await
}
