//! The import and download centres (CFG-1, CFG-2): every import and export
//! is a transfer row and a durable job. The job reports progress on the row
//! and on one NOTICE alert per transfer (kind IMPORT or EXPORT), which is
//! pushed again on every change, so a `notices` subscriber sees a bar move
//! and the `alerts` history holds the last state. Produced files (an export,
//! an import's per-row result) are kept 7 days; the centres list 30 days.

pub mod graphql;
pub mod sheet;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::{
    alerts::delivery::{self, AlertCategory, NewAlert},
    error::{AppError, AppResult, Code},
    jobs::{self, JobCtx, JobError, JobHandler, JobKind, JobRegistry, NewJob},
    state::AppState,
    tenancy::Scope,
};
use entity::{alert, data_transfer, stored_file};

/// Days a produced file is kept (CFG-2).
pub const FILE_DAYS: i64 = 7;
/// Days the centres list a transfer (CFG-2).
pub const LIST_DAYS: i64 = 30;

#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[graphql(name = "TransferDirection")]
pub enum Direction {
    Import,
    Export,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Import => "IMPORT",
            Direction::Export => "EXPORT",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Direction::Import, Direction::Export].into_iter().find(|d| d.as_str() == s)
    }
}

/// The module a transfer belongs to (CFG-1's "source module").
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[graphql(name = "TransferModule")]
pub enum Module {
    Leads,
    Customers,
    SensitiveBehaviors,
    /// The public pool's customers (CRM-6).
    PoolCustomers,
}

impl Module {
    pub fn as_str(self) -> &'static str {
        match self {
            Module::Leads => "LEADS",
            Module::Customers => "CUSTOMERS",
            Module::SensitiveBehaviors => "SENSITIVE_BEHAVIORS",
            Module::PoolCustomers => "POOL_CUSTOMERS",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Module::Leads, Module::Customers, Module::SensitiveBehaviors, Module::PoolCustomers].into_iter().find(|m| m.as_str() == s)
    }
    fn label(self) -> (&'static str, &'static str) {
        match self {
            Module::Leads => ("线索", "leads"),
            Module::Customers => ("客户", "customers"),
            Module::SensitiveBehaviors => ("敏感行为", "sensitive behaviours"),
            Module::PoolCustomers => ("公海客户", "pool customers"),
        }
    }
}

pub mod status {
    pub const QUEUED: &str = "QUEUED";
    pub const RUNNING: &str = "RUNNING";
    pub const COMPLETED: &str = "COMPLETED";
    pub const FAILED: &str = "FAILED";
}

/// The payload of every transfer job: the row says the rest.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransferRef {
    pub transfer_id: i64,
}

/// What a new transfer is.
pub struct NewTransfer {
    pub direction: Direction,
    pub module: Module,
    pub file_name: String,
    pub source_file_id: Option<i64>,
    pub params: Value,
}

/// Records a transfer and queues its job of kind `K` in one transaction, so
/// neither exists without the other.
pub async fn start<K: JobKind<Payload = TransferRef>>(state: &AppState, scope: &Scope, t: NewTransfer) -> AppResult<data_transfer::Model> {
    let operator = scope.employee_id().ok_or_else(AppError::forbidden)?;
    let now = state.clock.now();
    let txn = crate::db::write_txn(&state.db).await?;
    let row = scope
        .insert(
            &txn,
            data_transfer::ActiveModel {
                direction: Set(t.direction.as_str().into()),
                module: Set(t.module.as_str().into()),
                file_name: Set(t.file_name),
                status: Set(status::QUEUED.into()),
                progress: Set(0),
                total_rows: Set(0),
                succeeded_rows: Set(0),
                failed_rows: Set(0),
                params: Set(t.params.to_string()),
                source_file_id: Set(t.source_file_id),
                operator_id: Set(Some(operator)),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            },
        )
        .await?;
    let new = NewJob { corp_id: Some(scope.corp_id()), created_by: Some(operator), ..NewJob::system() };
    let job = jobs::insert::<K>(&txn, new, &TransferRef { transfer_id: row.id }, now).await?;
    let row = scope.update(&txn, data_transfer::ActiveModel { id: Set(row.id), job_id: Set(Some(job.id)), ..Default::default() }).await?;
    txn.commit().await?;
    state.jobs.wake_workers();
    Ok(row)
}

/// What a finished transfer produced.
pub struct Outcome {
    pub total: i64,
    pub succeeded: i64,
    pub failed: i64,
    pub file: Option<stored_file::Model>,
}

/// A running transfer: reports progress on its row and its notice.
pub struct Transfer {
    pub row: data_transfer::Model,
    pub scope: Scope,
    state: AppState,
    /// The percent and time of the last push (progress is throttled).
    last_pushed: (i32, DateTime<Utc>),
}

/// The notice's text: CFG-1's "共N条记录,成功S失败F" once done.
fn notice_text(row: &data_transfer::Model) -> String {
    let module = Module::parse(&row.module).map_or("", |m| m.label().0);
    let what = if row.direction == Direction::Import.as_str() { "导入" } else { "导出" };
    match row.status.as_str() {
        status::COMPLETED if row.direction == Direction::Import.as_str() => {
            format!("{module}{what}完成：共{}条记录,成功{}失败{}", row.total_rows, row.succeeded_rows, row.failed_rows)
        }
        status::COMPLETED => format!("{module}{what}完成：共{}条记录", row.total_rows),
        status::FAILED => format!("{module}{what}失败"),
        _ => format!("{module}{what}中：{}%", row.progress),
    }
}

fn notice_payload(row: &data_transfer::Model) -> Value {
    json!({
        "transferId": row.id,
        "direction": row.direction,
        "module": row.module,
        "fileName": row.file_name,
        "status": row.status,
        "progress": row.progress,
        "totalRows": row.total_rows,
        "succeededRows": row.succeeded_rows,
        "failedRows": row.failed_rows,
    })
}

impl Transfer {
    /// Writes `row`'s counters and status, then pushes the notice.
    async fn save(&mut self, am: data_transfer::ActiveModel) -> AppResult<()> {
        self.row = self.scope.update(&self.state.db, am).await?;
        self.notify().await
    }

    /// Raises the transfer's notice the first time, afterwards updates it
    /// and pushes it again under the same id.
    async fn notify(&mut self) -> AppResult<()> {
        let Some(operator) = self.row.operator_id else { return Ok(()) };
        let (text, payload) = (notice_text(&self.row), notice_payload(&self.row));
        let now = self.state.clock.now();
        let Some(alert_id) = self.row.alert_id else {
            let raised = delivery::raise(
                &self.state,
                &self.scope,
                NewAlert {
                    category: AlertCategory::Notice,
                    kind: self.row.direction.clone(),
                    customer_id: None,
                    group_id: None,
                    employee_id: None,
                    text,
                    payload,
                    occurred_at: now,
                    dedup_key: format!("transfer:{}", self.row.id),
                    recipients: vec![operator],
                    deliver_now: true,
                    app_message: false,
                },
            )
            .await?;
            let alert_id = match raised {
                Some(event) => event.id,
                // Raised by an earlier attempt of the job.
                None => {
                    let found = self
                        .scope
                        .select::<alert::Entity>()
                        .filter(alert::Column::DedupKey.eq(format!("transfer:{}", self.row.id)))
                        .one(&self.state.db)
                        .await?;
                    let Some(found) = found else { return Ok(()) };
                    found.id
                }
            };
            self.row = self
                .scope
                .update(
                    &self.state.db,
                    data_transfer::ActiveModel { id: Set(self.row.id), alert_id: Set(Some(alert_id)), ..Default::default() },
                )
                .await?;
            return Ok(());
        };
        let updated = self
            .scope
            .update(
                &self.state.db,
                alert::ActiveModel { id: Set(alert_id), text: Set(text), payload: Set(payload.to_string()), ..Default::default() },
            )
            .await?;
        delivery::push(&self.state, &delivery::event_of(&updated, vec![operator]), false).await;
        Ok(())
    }

    /// Progress while rows are processed; pushed when it moved a whole
    /// percent or a second passed, so a big import sends at most ~100 notices.
    pub async fn progress(&mut self, percent: i32, total: i64, succeeded: i64, failed: i64) -> AppResult<()> {
        let percent = percent.clamp(0, 99);
        let now = self.state.clock.now();
        if percent <= self.last_pushed.0 && now - self.last_pushed.1 < Duration::seconds(1) {
            return Ok(());
        }
        self.last_pushed = (percent, now);
        self.save(data_transfer::ActiveModel {
            id: Set(self.row.id),
            status: Set(status::RUNNING.into()),
            progress: Set(percent),
            total_rows: Set(total),
            succeeded_rows: Set(succeeded),
            failed_rows: Set(failed),
            updated_at: Set(now),
            ..Default::default()
        })
        .await
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn params<T: serde::de::DeserializeOwned>(&self) -> AppResult<T> {
        serde_json::from_str(&self.row.params).map_err(AppError::internal)
    }
}

/// Runs a transfer's job: RUNNING, then `work`, then COMPLETED with its
/// counts and file, or FAILED with the reason once no retry is left.
pub async fn run<F>(ctx: &JobCtx, r: TransferRef, work: F) -> Result<Value, JobError>
where
    F: AsyncFnOnce(&mut Transfer) -> Result<Outcome, JobError>,
{
    let scope = match ctx.starter_scope().await {
        Ok(s) => s,
        Err(e) => {
            // The operator is gone: the transfer ends FAILED rather than waiting forever.
            if let Some(corp) = ctx.job.corp_id {
                let (code, msg) = match &e {
                    JobError::Permanent { code, msg } => (*code, msg.clone()),
                    JobError::Retry(_) => (Code::Internal, crate::error::msg::INTERNAL),
                };
                let error = json!({"code": code.as_str(), "reason": msg.reason, "zh": msg.zh, "en": msg.en});
                Scope::system(corp)
                    .update_many::<data_transfer::Entity>()
                    .col_expr(data_transfer::Column::Status, status::FAILED.into())
                    .col_expr(data_transfer::Column::Error, Some(error.to_string()).into())
                    .filter(data_transfer::Column::Id.eq(r.transfer_id))
                    .exec(&ctx.state.db)
                    .await
                    .map_err(AppError::from)?;
            }
            return Err(e);
        }
    };
    let row = scope.get::<data_transfer::Entity>(&ctx.state.db, r.transfer_id).await?;
    if row.status == status::COMPLETED || row.status == status::FAILED {
        return Ok(json!({"skipped": row.status}));
    }
    let mut t = Transfer { row, scope, state: ctx.state.clone(), last_pushed: (-1, DateTime::<Utc>::MIN_UTC) };
    t.progress(0, 0, 0, 0).await?;
    let outcome = work(&mut t).await;
    let now = ctx.state.clock.now();
    match outcome {
        Ok(o) => {
            t.save(data_transfer::ActiveModel {
                id: Set(t.row.id),
                status: Set(status::COMPLETED.into()),
                progress: Set(100),
                total_rows: Set(o.total),
                succeeded_rows: Set(o.succeeded),
                failed_rows: Set(o.failed),
                result_file_id: Set(o.file.as_ref().map(|f| f.id)),
                file_expires_at: Set(o.file.as_ref().map(|_| now + Duration::days(FILE_DAYS))),
                finished_at: Set(Some(now)),
                updated_at: Set(now),
                ..Default::default()
            })
            .await?;
            Ok(json!({"transferId": t.row.id, "total": o.total, "succeeded": o.succeeded, "failed": o.failed}))
        }
        Err(e) => {
            let last_try = ctx.job.attempts >= ctx.job.max_attempts;
            let (code, msg) = match &e {
                JobError::Permanent { code, msg } => (*code, msg.clone()),
                JobError::Retry(_) if last_try => (Code::Internal, crate::error::msg::INTERNAL),
                JobError::Retry(_) => return Err(e),
            };
            let error = json!({"code": code.as_str(), "reason": msg.reason, "zh": msg.zh, "en": msg.en});
            t.save(data_transfer::ActiveModel {
                id: Set(t.row.id),
                status: Set(status::FAILED.into()),
                error: Set(Some(error.to_string())),
                finished_at: Set(Some(now)),
                updated_at: Set(now),
                ..Default::default()
            })
            .await?;
            Err(e)
        }
    }
}

/// The caller's transfers of one direction from the last 30 days, newest first.
pub fn listed(scope: &Scope, direction: Direction, now: DateTime<Utc>) -> AppResult<sea_orm::Select<data_transfer::Entity>> {
    let me = scope.employee_id().ok_or_else(AppError::forbidden)?;
    Ok(scope
        .select::<data_transfer::Entity>()
        .filter(data_transfer::Column::OperatorId.eq(me))
        .filter(data_transfer::Column::Direction.eq(direction.as_str()))
        .filter(data_transfer::Column::CreatedAt.gte(now - Duration::days(LIST_DAYS)))
        .order_by_desc(data_transfer::Column::Id))
}

/// One of the caller's transfers.
pub async fn get(db: &impl ConnectionTrait, scope: &Scope, id: i64) -> AppResult<data_transfer::Model> {
    let me = scope.employee_id().ok_or_else(AppError::forbidden)?;
    let row = scope.get::<data_transfer::Entity>(db, id).await?;
    if row.operator_id != Some(me) {
        return Err(AppError::not_found());
    }
    Ok(row)
}

/// Removes produced files 7 days on and transfers 30 days on (and an
/// import's uploaded source with its transfer), across corps.
pub struct ExpireTransfersJob;

impl JobKind for ExpireTransfersJob {
    const KIND: &'static str = "data_centre.expire";
    type Payload = Value;
}

#[async_trait::async_trait]
impl JobHandler for ExpireTransfersJob {
    type Kind = Self;

    async fn run(&self, ctx: &JobCtx, _: Value) -> Result<Value, JobError> {
        let state = &ctx.state;
        let now = state.clock.now();
        let mut removed = 0usize;
        // Files past their 7 days.
        let due = crate::tenancy::across_corps::<data_transfer::Entity>()
            .filter(data_transfer::Column::FileExpiresAt.lt(now))
            .filter(data_transfer::Column::ResultFileId.is_not_null())
            .limit(500)
            .all(&state.db)
            .await
            .map_err(AppError::from)?;
        for t in due {
            let scope = Scope::system(t.corp_id);
            // Removing the file's row clears the transfer's link (ON DELETE SET NULL).
            if let Some(file) = scope.find::<stored_file::Entity>(&state.db, t.result_file_id).await? {
                match crate::files::remove(state, &scope, &file).await {
                    Ok(()) => removed += 1,
                    Err(e) => tracing::warn!(code = e.code.as_str(), transfer = t.id, "an expired transfer file stayed"),
                }
            }
        }
        // Transfers past their 30 days, with an import's source file.
        let old = crate::tenancy::across_corps::<data_transfer::Entity>()
            .filter(data_transfer::Column::CreatedAt.lt(now - Duration::days(LIST_DAYS)))
            .limit(500)
            .all(&state.db)
            .await
            .map_err(AppError::from)?;
        for t in &old {
            let scope = Scope::system(t.corp_id);
            scope
                .delete_many::<data_transfer::Entity>()
                .filter(data_transfer::Column::Id.eq(t.id))
                .exec(&state.db)
                .await
                .map_err(AppError::from)?;
            for id in [t.source_file_id, t.result_file_id] {
                if let Some(file) = scope.find::<stored_file::Entity>(&state.db, id).await? {
                    if crate::files::remove(state, &scope, &file).await.is_ok() {
                        removed += 1;
                    }
                }
            }
        }
        Ok(json!({"filesRemoved": removed, "transfersRemoved": old.len()}))
    }
}

pub fn jobs(registry: JobRegistry) -> JobRegistry {
    registry.register(ExpireTransfersJob).schedule_every::<ExpireTransfersJob>(
        "data_centre.expire",
        Duration::hours(1),
        Duration::minutes(7),
    )
}
