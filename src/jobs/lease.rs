//! Claiming and settling jobs. A claim sets a lease (`locked_until`,
//! `locked_by`); on PostgreSQL it skips rows another worker is claiming
//! (`FOR UPDATE SKIP LOCKED`), on SQLite the single writer serialises claims.
//!
//! Both claims read the partial indexes of migration 15: due `QUEUED` jobs
//! by `(run_at, id)` and `RUNNING` jobs by `locked_until`, so a claim costs
//! the same with one job waiting or a hundred thousand.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, Statement};
use serde_json::Value;

use super::{status, JobError};
use crate::error::{msg, AppResult, Code, Msg};
use entity::job;

fn job_columns() -> String {
    use sea_orm::{IdenStatic, Iterable};
    // Named, not `*`: sqlx-sqlite's cached column list for a `RETURNING *`
    // statement can lag a column added by a later migration.
    job::Column::iter().map(|c| c.as_str().to_string()).collect::<Vec<_>>().join(", ")
}

/// The parameter sigil and the row-lock clause of a claim.
fn placeholders(backend: DatabaseBackend) -> (&'static str, &'static str) {
    match backend {
        DatabaseBackend::Postgres => ("$", " FOR UPDATE SKIP LOCKED"),
        _ => ("?", ""),
    }
}

/// Claims the oldest due job of `kinds` for `worker` until `until`: a job
/// whose lease expired (its worker died) first, else the oldest queued one.
pub async fn claim(
    db: &impl ConnectionTrait,
    kinds: &[&str],
    worker: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> AppResult<Option<job::Model>> {
    if kinds.is_empty() {
        return Ok(None);
    }
    Ok(job::Entity::find().from_raw_sql(claim_statement(db.get_database_backend(), kinds, worker, now, until)).one(db).await?)
}

/// The statement of [`claim`] (tests read its plan).
pub fn claim_statement(backend: DatabaseBackend, kinds: &[&str], worker: &str, now: DateTime<Utc>, until: DateTime<Utc>) -> Statement {
    let (p, lock) = placeholders(backend);
    let kind_list: Vec<String> = (0..kinds.len()).map(|i| format!("{p}{}", i + 4)).collect();
    let kind_list = kind_list.join(", ");
    // Two scalar subqueries rather than one `OR`: each is an ordered read of
    // its own partial index (an `OR` across statuses sorted the whole queue).
    let sql = format!(
        "UPDATE jobs SET status = 'RUNNING', attempts = attempts + 1, locked_until = {p}1, locked_by = {p}2, updated_at = {p}3 \
         WHERE id = COALESCE(\
         (SELECT id FROM jobs WHERE status = 'RUNNING' AND locked_until < {p}3 AND kind IN ({kind_list}) ORDER BY locked_until LIMIT 1{lock}), \
         (SELECT id FROM jobs WHERE status = 'QUEUED' AND run_at <= {p}3 AND kind IN ({kind_list}) ORDER BY run_at, id LIMIT 1{lock})) \
         RETURNING {}",
        job_columns()
    );
    let mut values: Vec<sea_orm::Value> = vec![until.into(), worker.into(), now.into()];
    values.extend(kinds.iter().map(|k| sea_orm::Value::from(k.to_string())));
    Statement::from_sql_and_values(backend, sql, values)
}

/// Claims up to `limit` more due jobs of `leader`'s kind and corp under
/// `leader`'s lease, for a handler that applies many small jobs together.
/// Each stays its own job: the handler settles every one (`settle`), and one
/// the handler never settles is claimed again when the lease expires.
pub async fn claim_more(db: &impl ConnectionTrait, leader: &job::Model, now: DateTime<Utc>, limit: u64) -> AppResult<Vec<job::Model>> {
    let (Some(corp_id), Some(until), Some(worker)) = (leader.corp_id, leader.locked_until, leader.locked_by.as_deref()) else {
        return Ok(Vec::new());
    };
    let backend = db.get_database_backend();
    let (p, lock) = placeholders(backend);
    let sql = format!(
        "UPDATE jobs SET status = 'RUNNING', attempts = attempts + 1, locked_until = {p}1, locked_by = {p}2, updated_at = {p}3 \
         WHERE id IN (SELECT id FROM jobs WHERE status = 'QUEUED' AND run_at <= {p}3 AND kind = {p}4 AND corp_id = {p}5 \
         ORDER BY run_at, id LIMIT {limit}{lock}) RETURNING {}",
        job_columns()
    );
    let values: Vec<sea_orm::Value> = vec![until.into(), worker.into(), now.into(), leader.kind.clone().into(), corp_id.into()];
    Ok(job::Entity::find().from_raw_sql(Statement::from_sql_and_values(backend, sql, values)).all(db).await?)
}

/// Wait before try `attempts + 1`: 10 s, 20 s, 40 s… capped at an hour.
pub fn backoff(attempts: i32) -> chrono::Duration {
    let secs = 5i64.saturating_mul(1i64 << attempts.clamp(0, 12)).min(3600);
    chrono::Duration::seconds(secs)
}

fn error_json(code: Code, msg: &Msg) -> String {
    serde_json::json!({"code": code.as_str(), "reason": msg.reason, "zh": msg.zh, "en": msg.en}).to_string()
}

/// Records how a claimed run of `j` ended, if `worker` still holds it:
/// SUCCEEDED with its result, FAILED, or QUEUED again after a backoff while
/// tries remain.
pub async fn settle(
    db: &impl ConnectionTrait,
    j: &job::Model,
    worker: &str,
    outcome: Result<Value, JobError>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let mine = job::Entity::update_many()
        .filter(job::Column::Id.eq(j.id))
        .filter(job::Column::LockedBy.eq(worker))
        .col_expr(job::Column::LockedUntil, Option::<DateTime<Utc>>::None.into())
        .col_expr(job::Column::UpdatedAt, now.into());
    let update = match outcome {
        Ok(result) => {
            tracing::info!(job = j.id, kind = %j.kind, "job succeeded");
            mine.col_expr(job::Column::Status, status::SUCCEEDED.into())
                .col_expr(job::Column::Progress, 100.into())
                .col_expr(job::Column::Result, Some(result.to_string()).into())
                .col_expr(job::Column::FinishedAt, Some(now).into())
        }
        Err(JobError::Permanent { code, msg }) => {
            tracing::warn!(job = j.id, kind = %j.kind, code = code.as_str(), "job failed permanently");
            mine.col_expr(job::Column::Status, status::FAILED.into())
                .col_expr(job::Column::LastError, Some(error_json(code, &msg)).into())
                .col_expr(job::Column::FinishedAt, Some(now).into())
        }
        Err(JobError::Retry(err)) => {
            tracing::error!(job = j.id, kind = %j.kind, attempt = j.attempts, error = ?err, "job attempt failed");
            let e = error_json(Code::Internal, &msg::INTERNAL);
            if j.attempts >= j.max_attempts {
                mine.col_expr(job::Column::Status, status::FAILED.into())
                    .col_expr(job::Column::LastError, Some(e).into())
                    .col_expr(job::Column::FinishedAt, Some(now).into())
            } else {
                mine.col_expr(job::Column::Status, status::QUEUED.into())
                    .col_expr(job::Column::LastError, Some(e).into())
                    .col_expr(job::Column::RunAt, (now + backoff(j.attempts)).into())
            }
        }
    };
    update.exec(db).await?;
    Ok(())
}

/// Settles many successful runs in one statement (a batch handler's jobs).
pub async fn succeed_many(db: &impl ConnectionTrait, ids: &[i64], worker: &str, result: &Value, now: DateTime<Utc>) -> AppResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    job::Entity::update_many()
        .filter(job::Column::Id.is_in(ids.iter().copied()))
        .filter(job::Column::LockedBy.eq(worker))
        .col_expr(job::Column::LockedUntil, Option::<DateTime<Utc>>::None.into())
        .col_expr(job::Column::UpdatedAt, now.into())
        .col_expr(job::Column::Status, status::SUCCEEDED.into())
        .col_expr(job::Column::Progress, 100.into())
        .col_expr(job::Column::Result, Some(result.to_string()).into())
        .col_expr(job::Column::FinishedAt, Some(now).into())
        .exec(db)
        .await?;
    Ok(())
}
