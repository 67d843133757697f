//! `exportCustomers`: the customer list as the caller filters it, through
//! the download centre.

use async_graphql::{Context, Object};

use super::roots::CustomerFilter;
use crate::{
    customers::{
        export::{CustomerColumn, ExportCustomersJob, ExportParams},
        service::CustomerOrder,
    },
    data_centre::{self, graphql::DataTransfer, sheet::Format, Direction, Module, NewTransfer},
    error::AppError,
    graphql::{context::CtxExt, guard::Perm},
    org::permissions as perm,
};

#[derive(Default)]
pub struct CustomerExportMutation;

#[Object]
impl CustomerExportMutation {
    /// Exports the customers the filter selects in the caller's data scope,
    /// with these columns (all when omitted) and the enabled custom fields,
    /// as a job in the download centre (progress on `notices`, kind EXPORT).
    #[graphql(guard = "Perm(perm::CUSTOMER_VIEW)")]
    async fn export_customers(
        &self,
        ctx: &Context<'_>,
        filter: Option<CustomerFilter>,
        columns: Option<Vec<CustomerColumn>>,
        #[graphql(default = true)] custom_fields: bool,
        #[graphql(default_with = "Format::Xlsx")] format: Format,
    ) -> async_graphql::Result<DataTransfer> {
        let now = ctx.state().clock.now();
        let query = filter.unwrap_or_default().into_query(CustomerOrder::default(), now)?;
        // Refuse a bad filter now rather than in the job.
        query.condition(ctx.db(), ctx.scope()?).await?;
        let params =
            ExportParams { query, pool: None, columns: columns.unwrap_or_else(|| CustomerColumn::ALL.to_vec()), custom_fields, format };
        let t = NewTransfer {
            direction: Direction::Export,
            module: Module::Customers,
            file_name: format!("客户列表_{}.{}", now.with_timezone(&crate::clock::china()).format("%Y%m%d%H%M%S"), format.extension()),
            source_file_id: None,
            params: serde_json::to_value(&params).map_err(AppError::internal)?,
        };
        Ok(DataTransfer(data_centre::start::<ExportCustomersJob>(ctx.state(), ctx.scope()?, t).await?))
    }
}
