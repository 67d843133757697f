//! The public pool over GraphQL: groups and reasons (CFG-14/15), the pool's
//! customers, and return, claim, assign and delete (CRM-6…8).

use async_graphql::{ComplexObject, Context, InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};

use super::{
    groups::{self, GroupInput, RecallMode},
    members::{self, PoolFilter},
};
use crate::{
    customers::{
        export::{CustomerColumn, ExportCustomersJob, ExportParams},
        graphql::kit::employee,
        graphql::Customer,
        service::CustomerQuery,
    },
    data_centre::{self, graphql::DataTransfer, sheet::Format, Direction, Module, NewTransfer},
    error::AppError,
    graphql::{
        connection::{connection, fetch_page, id, parse_id, parse_ids, Conn, Page},
        context::CtxExt,
        guard::{LoggedIn, Perm},
        loader::{rows, RowById},
        DeletePayload,
    },
    leads::assignment::LeadAssignMode,
    org::{graphql::employee::Employee, permissions as perm},
};
use entity::{customer, pool_group, pool_reason};

/// A pool group (CFG-14).
#[derive(SimpleObject)]
pub struct PoolGroup {
    pub id: ID,
    pub name: String,
    /// The default pool: customers nobody placed follow its rules; never deleted.
    pub is_default: bool,
    /// Who sees and claims its customers (with the departments below); empty: everyone.
    pub department_ids: Vec<ID>,
    /// After a recall, the previous owner may not claim for this many days.
    pub claim_block_days: Option<i32>,
    pub recall_mode: RecallMode,
    pub never_followed_days: Option<i32>,
    pub not_friend_days: Option<i32>,
    pub no_new_follow_up_days: Option<i32>,
    pub not_won_days: Option<i32>,
    pub remind_days: Option<i32>,
    pub created_at: DateTime<Utc>,
}

fn group(g: pool_group::Model) -> PoolGroup {
    PoolGroup {
        id: id(g.id),
        name: g.name.clone(),
        is_default: g.fixed.is_some(),
        department_ids: groups::department_ids(&g).into_iter().map(id).collect(),
        claim_block_days: g.claim_block_days,
        recall_mode: RecallMode::parse(&g.recall_mode),
        never_followed_days: g.never_followed_days,
        not_friend_days: g.not_friend_days,
        no_new_follow_up_days: g.no_new_follow_up_days,
        not_won_days: g.not_won_days,
        remind_days: g.remind_days,
        created_at: g.created_at,
    }
}

#[derive(SimpleObject)]
pub struct PoolReason {
    pub id: ID,
    pub name: String,
    pub sort_index: f64,
}

fn reason(r: pool_reason::Model) -> PoolReason {
    PoolReason { id: id(r.id), name: r.name, sort_index: r.sort_index }
}

/// A customer sitting in a pool: read-only until claimed or assigned.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct PoolCustomer {
    pub customer: Customer,
    /// When it arrived in the pool.
    pub pooled_at: Option<DateTime<Utc>>,
    /// RECALLED by the rules, or RETURNED by its owner.
    pub arrival: String,
    #[graphql(skip)]
    pub row: customer::Model,
}

#[ComplexObject]
impl PoolCustomer {
    async fn pool(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<PoolGroup>> {
        let Some(g) = self.row.pool_id else { return Ok(None) };
        Ok(rows(ctx).load_one(RowById::<pool_group::Entity>::new(g)).await?.map(group))
    }
    /// Why its owner returned it (none when recalled).
    async fn return_reason(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<PoolReason>> {
        let Some(r) = self.row.pool_reason_id else { return Ok(None) };
        Ok(rows(ctx).load_one(RowById::<pool_reason::Entity>::new(r)).await?.map(reason))
    }
    /// Who owned it before.
    async fn previous_owner(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Employee>> {
        employee(ctx, self.row.previous_owner_id).await
    }
}

fn pool_customer(c: customer::Model) -> PoolCustomer {
    PoolCustomer {
        pooled_at: c.pooled_at,
        arrival: if c.pool_reason_id.is_some() { "RETURNED".into() } else { "RECALLED".into() },
        customer: Customer(c.clone()),
        row: c,
    }
}

#[derive(InputObject, Default)]
pub struct PoolGroupInput {
    /// 1–30 characters.
    pub name: String,
    #[graphql(default)]
    pub department_ids: Vec<ID>,
    pub claim_block_days: Option<i32>,
    #[graphql(default_with = "RecallMode::Manual")]
    pub recall_mode: RecallMode,
    pub never_followed_days: Option<i32>,
    pub not_friend_days: Option<i32>,
    pub no_new_follow_up_days: Option<i32>,
    pub not_won_days: Option<i32>,
    pub remind_days: Option<i32>,
}

impl PoolGroupInput {
    fn parsed(&self) -> async_graphql::Result<GroupInput> {
        Ok(GroupInput {
            name: self.name.clone(),
            department_ids: parse_ids(&self.department_ids, "input.departmentIds")?,
            claim_block_days: self.claim_block_days,
            recall_mode: Some(self.recall_mode),
            never_followed_days: self.never_followed_days,
            not_friend_days: self.not_friend_days,
            no_new_follow_up_days: self.no_new_follow_up_days,
            not_won_days: self.not_won_days,
            remind_days: self.remind_days,
        })
    }
}

/// The pool list's filters (CRM-6); all given ones apply.
#[derive(InputObject, Default)]
pub struct PoolCustomerFilter {
    /// One pool; every pool the caller may use when omitted.
    pub pool_id: Option<ID>,
    pub return_reason_id: Option<ID>,
    pub name: Option<String>,
    pub mobile: Option<String>,
    #[graphql(default)]
    pub adder_ids: Vec<ID>,
    pub adder_count_min: Option<i32>,
    pub adder_count_max: Option<i32>,
    pub added_from: Option<DateTime<Utc>>,
    pub added_to: Option<DateTime<Utc>>,
    pub channel: Option<String>,
    /// Carries any of these tags.
    #[graphql(default)]
    pub tag_ids: Vec<ID>,
}

#[derive(InputObject)]
pub struct AssignPoolCustomersInput {
    pub customer_ids: Vec<ID>,
    #[graphql(default)]
    pub employee_ids: Vec<ID>,
    #[graphql(default)]
    pub department_ids: Vec<ID>,
    #[graphql(default_with = "LeadAssignMode::RoundRobin")]
    pub mode: LeadAssignMode,
}

fn pool_customers(rows: Vec<customer::Model>) -> Vec<PoolCustomer> {
    rows.into_iter().map(pool_customer).collect()
}

#[derive(Default)]
pub struct PoolQuery;

#[Object]
impl PoolQuery {
    /// Every pool group, the default first (the configuration page).
    #[graphql(guard = "Perm(perm::CFG_POOL_MANAGE)")]
    async fn pool_groups(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<PoolGroup>> {
        Ok(groups::list(ctx.db(), ctx.scope()?).await?.into_iter().map(group).collect())
    }

    /// The pools the caller may see and claim from (and return customers to).
    #[graphql(guard = "Perm(perm::POOL_VIEW)")]
    async fn my_pools(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<PoolGroup>> {
        Ok(groups::usable(ctx.db(), ctx.scope()?).await?.into_iter().map(group).collect())
    }

    /// Return reasons (CFG-15), in order.
    #[graphql(guard = "LoggedIn")]
    async fn pool_reasons(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<PoolReason>> {
        Ok(groups::reasons(ctx.db(), ctx.scope()?).await?.into_iter().map(reason).collect())
    }

    /// Customers in the pools the caller may use, latest arrivals first.
    #[graphql(guard = "Perm(perm::POOL_VIEW)", complexity = "crate::graphql::connection::page_cost(first, child_complexity)")]
    async fn pool_customers(
        &self,
        ctx: &Context<'_>,
        filter: Option<PoolCustomerFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<PoolCustomer>> {
        let page = Page::new(first, after)?;
        let (pool, q) = filter.unwrap_or_default().parsed(ctx.state().clock.now())?;
        let select = members::list(ctx.db(), ctx.scope()?, &pool, &q).await?;
        let (rows, total) = fetch_page(ctx.db(), select, page).await?;
        Ok(connection(page, total, pool_customers(rows)))
    }
}

#[derive(Default)]
pub struct PoolMutation;

impl PoolCustomerFilter {
    fn parsed(self, now: DateTime<Utc>) -> async_graphql::Result<(PoolFilter, CustomerQuery)> {
        let pool = PoolFilter {
            group_id: self.pool_id.as_ref().map(|p| parse_id(p, "filter.poolId")).transpose()?,
            reason_id: self.return_reason_id.as_ref().map(|r| parse_id(r, "filter.returnReasonId")).transpose()?,
        };
        let q = CustomerQuery {
            name: self.name,
            mobile: self.mobile,
            adder_ids: parse_ids(&self.adder_ids, "filter.adderIds")?,
            adder_count_min: self.adder_count_min,
            adder_count_max: self.adder_count_max,
            added_from: self.added_from,
            added_to: self.added_to,
            channel: self.channel,
            tags_any: parse_ids(&self.tag_ids, "filter.tagIds")?,
            now,
            ..Default::default()
        };
        Ok((pool, q))
    }
}

#[Object]
impl PoolMutation {
    /// Exports the pool customers the filter selects (CRM-6), with the
    /// customer columns asked for (all when omitted) plus their pool and
    /// return reason, through the download centre.
    #[graphql(guard = "Perm(perm::POOL_VIEW)")]
    async fn export_pool_customers(
        &self,
        ctx: &Context<'_>,
        filter: Option<PoolCustomerFilter>,
        columns: Option<Vec<CustomerColumn>>,
        #[graphql(default = true)] custom_fields: bool,
        #[graphql(default_with = "Format::Xlsx")] format: Format,
    ) -> async_graphql::Result<DataTransfer> {
        let now = ctx.state().clock.now();
        let (pool, query) = filter.unwrap_or_default().parsed(now)?;
        // Refuse a pool the caller may not use now rather than in the job.
        members::matching(ctx.db(), ctx.scope()?, &pool, &query).await?;
        let columns = columns.unwrap_or_else(|| CustomerColumn::ALL.to_vec());
        let params = ExportParams { query, pool: Some(pool), columns, custom_fields, format };
        let t = NewTransfer {
            direction: Direction::Export,
            module: Module::PoolCustomers,
            file_name: format!("公海客户_{}.{}", now.with_timezone(&crate::clock::china()).format("%Y%m%d%H%M%S"), format.extension()),
            source_file_id: None,
            params: serde_json::to_value(&params).map_err(AppError::internal)?,
        };
        Ok(DataTransfer(data_centre::start::<ExportCustomersJob>(ctx.state(), ctx.scope()?, t).await?))
    }

    #[graphql(guard = "Perm(perm::CFG_POOL_MANAGE)")]
    async fn create_pool_group(&self, ctx: &Context<'_>, input: PoolGroupInput) -> async_graphql::Result<PoolGroup> {
        Ok(group(groups::create(ctx.db(), ctx.scope()?, &input.parsed()?).await?))
    }

    #[graphql(guard = "Perm(perm::CFG_POOL_MANAGE)")]
    async fn update_pool_group(&self, ctx: &Context<'_>, id: ID, input: PoolGroupInput) -> async_graphql::Result<PoolGroup> {
        Ok(group(groups::update(ctx.db(), ctx.scope()?, parse_id(&id, "id")?, &input.parsed()?).await?))
    }

    /// Deletes a pool group no customer follows (never the default).
    #[graphql(guard = "Perm(perm::CFG_POOL_MANAGE)")]
    async fn delete_pool_group(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<DeletePayload> {
        groups::delete(ctx.db(), ctx.scope()?, parse_id(&id, "id")?).await?;
        Ok(DeletePayload { id })
    }

    #[graphql(guard = "Perm(perm::CFG_POOL_MANAGE)")]
    async fn create_pool_reason(&self, ctx: &Context<'_>, name: String) -> async_graphql::Result<PoolReason> {
        Ok(reason(groups::create_reason(ctx.db(), ctx.scope()?, &name).await?))
    }

    #[graphql(guard = "Perm(perm::CFG_POOL_MANAGE)")]
    async fn rename_pool_reason(&self, ctx: &Context<'_>, id: ID, name: String) -> async_graphql::Result<PoolReason> {
        Ok(reason(groups::rename_reason(ctx.db(), ctx.scope()?, parse_id(&id, "id")?, &name).await?))
    }

    /// Returns customers the caller's data scope holds to a pool they may use, with a reason (CRM-8).
    #[graphql(guard = "Perm(perm::CUSTOMER_RETURN)")]
    async fn return_customers_to_pool(
        &self,
        ctx: &Context<'_>,
        customer_ids: Vec<ID>,
        pool_id: ID,
        reason_id: ID,
    ) -> async_graphql::Result<Vec<PoolCustomer>> {
        let (ids, pool, why) = (parse_ids(&customer_ids, "customerIds")?, parse_id(&pool_id, "poolId")?, parse_id(&reason_id, "reasonId")?);
        Ok(pool_customers(members::return_to_pool(ctx.state(), ctx.scope()?, &ids, pool, why).await?))
    }

    /// Takes pool customers as the caller's (all of them, or none: one
    /// already taken is a CONFLICT). The caller is told to add them.
    #[graphql(guard = "Perm(perm::POOL_CLAIM)")]
    async fn claim_pool_customers(&self, ctx: &Context<'_>, customer_ids: Vec<ID>) -> async_graphql::Result<Vec<Customer>> {
        let ids = parse_ids(&customer_ids, "customerIds")?;
        Ok(members::claim(ctx.state(), ctx.scope()?, &ids).await?.into_iter().map(Customer).collect())
    }

    /// Hands pool customers to employees, as lead assignment does.
    #[graphql(guard = "Perm(perm::POOL_MANAGE)")]
    async fn assign_pool_customers(&self, ctx: &Context<'_>, input: AssignPoolCustomersInput) -> async_graphql::Result<Vec<Customer>> {
        let ids = parse_ids(&input.customer_ids, "input.customerIds")?;
        let (employees, departments) =
            (parse_ids(&input.employee_ids, "input.employeeIds")?, parse_ids(&input.department_ids, "input.departmentIds")?);
        Ok(members::assign(ctx.state(), ctx.scope()?, &ids, &employees, &departments, input.mode)
            .await?
            .into_iter()
            .map(Customer)
            .collect())
    }

    /// Deletes pool customers' data for good.
    #[graphql(guard = "Perm(perm::POOL_MANAGE)")]
    async fn delete_pool_customers(&self, ctx: &Context<'_>, customer_ids: Vec<ID>) -> async_graphql::Result<Vec<DeletePayload>> {
        let ids = parse_ids(&customer_ids, "customerIds")?;
        members::delete(ctx.state(), ctx.scope()?, &ids).await?;
        Ok(ids.into_iter().map(|i| DeletePayload { id: id(i) }).collect())
    }
}
