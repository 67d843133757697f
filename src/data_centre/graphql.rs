//! The import and download centres over GraphQL: the caller's transfers of
//! the last 30 days, one transfer, and the detail a transfer's notice carries.

use async_graphql::{Context, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};

use super::{Direction, Module};
use crate::{
    customers::graphql::{crm_loader, loaders::FileById},
    files::graphql::UploadedFile,
    graphql::{
        connection::{connection, fetch_page, id, parse_id, Conn, Page},
        context::CtxExt,
        guard::LoggedIn,
    },
    jobs::graphql::JobError,
};
use entity::data_transfer;

/// One import or export (CFG-1/2).
pub struct DataTransfer(pub data_transfer::Model);

#[Object]
impl DataTransfer {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn direction(&self) -> Option<Direction> {
        Direction::parse(&self.0.direction)
    }
    async fn module(&self) -> Option<Module> {
        Module::parse(&self.0.module)
    }
    /// The imported file's name, or the name of the file an export makes.
    async fn file_name(&self) -> &str {
        &self.0.file_name
    }
    /// QUEUED, RUNNING, COMPLETED or FAILED.
    async fn status(&self) -> &str {
        &self.0.status
    }
    /// 0–100.
    async fn progress(&self) -> i32 {
        self.0.progress
    }
    async fn total_rows(&self) -> i64 {
        self.0.total_rows
    }
    async fn succeeded_rows(&self) -> i64 {
        self.0.succeeded_rows
    }
    async fn failed_rows(&self) -> i64 {
        self.0.failed_rows
    }
    /// The export, or the import's result (its rows with 结果 and 原因 per row), until it expires.
    async fn result_file(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<UploadedFile>> {
        let Some(file) = self.0.result_file_id else { return Ok(None) };
        Ok(crm_loader(ctx).load_one(FileById(file)).await?.map(UploadedFile))
    }
    /// When the result file is removed (7 days after it was made).
    async fn file_expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.file_expires_at
    }
    /// Why it FAILED.
    async fn error(&self, ctx: &Context<'_>) -> Option<JobError> {
        JobError::from_stored(self.0.error.as_deref()?, ctx.lang())
    }
    async fn operator_id(&self) -> Option<ID> {
        self.0.operator_id.map(id)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.0.finished_at
    }
}

/// What an IMPORT or EXPORT notice says of its transfer, pushed again on
/// every change of progress (same alert id).
#[derive(SimpleObject, serde::Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct TransferAlertDetail {
    pub transfer_id: i64,
    pub status: String,
    pub progress: i32,
    pub total_rows: i64,
    pub succeeded_rows: i64,
    pub failed_rows: i64,
    pub file_name: String,
}

#[derive(Default)]
pub struct DataCentreQuery;

#[Object]
impl DataCentreQuery {
    /// My imports (the import centre) or exports (the download centre) of
    /// the last 30 days, newest first.
    #[graphql(guard = "LoggedIn", complexity = "crate::graphql::connection::page_cost(first, child_complexity)")]
    async fn data_transfers(
        &self,
        ctx: &Context<'_>,
        direction: Direction,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<DataTransfer>> {
        let page = Page::new(first, after)?;
        let q = super::listed(ctx.scope()?, direction, ctx.state().clock.now())?;
        let (rows, total) = fetch_page(ctx.db(), q, page).await?;
        Ok(connection(page, total, rows.into_iter().map(DataTransfer).collect()))
    }

    /// One of my imports or exports.
    #[graphql(guard = "LoggedIn")]
    async fn data_transfer(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<DataTransfer> {
        Ok(DataTransfer(super::get(ctx.db(), ctx.scope()?, parse_id(&id, "id")?).await?))
    }
}
