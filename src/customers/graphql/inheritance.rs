//! Inheritance over GraphQL: resigned employees with what they leave behind,
//! their waiting customers, hand-overs with WeCom's result, and the jobs
//! that refresh and perform them.

use std::collections::HashMap;

use async_graphql::{Context, InputObject, Object, ID};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, Condition, QueryFilter, QueryOrder, QuerySelect};

use super::{
    kit::{crm_loader, employee, subject_page},
    objects::Customer,
};
use crate::{
    customers::{
        allocation::{self, AllocationMode, AllocationRun, AttributeCondition, RuleInput},
        graphql::loaders::CustomerById,
        inheritance::{self, InheritanceKind, InheritanceStatus, ResignedInheritRequest},
    },
    error::AppError,
    graphql::{
        connection::{connection, fetch_page, id, parse_id, parse_ids, Conn, Page},
        context::CtxExt,
        guard::Perm,
    },
    jobs::{graphql::Job, NewJob},
    org::{graphql::employee::Employee, permissions as perm},
};
use entity::{customer, customer_group, employee as emp, inheritance as inh, unassigned_customer};

/// A resigned employee with what still waits for an heir.
pub struct ResignedEmployee {
    employee: emp::Model,
    pending_customers: i64,
    pending_groups: i64,
}

#[Object]
impl ResignedEmployee {
    async fn employee(&self) -> Employee {
        Employee(self.employee.clone())
    }
    async fn resigned_at(&self) -> Option<DateTime<Utc>> {
        self.employee.resigned_at
    }
    /// Customers WeCom still lists as unassigned.
    async fn pending_customer_count(&self) -> i64 {
        self.pending_customers
    }
    /// Groups they still own.
    async fn pending_group_count(&self) -> i64 {
        self.pending_groups
    }
}

pub struct Inheritance(pub inh::Model);

#[Object]
impl Inheritance {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn customer(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Customer>> {
        Ok(crm_loader(ctx).load_one(CustomerById(self.0.customer_id)).await?.map(Customer))
    }
    async fn handover(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Employee>> {
        employee(ctx, Some(self.0.handover_id)).await
    }
    async fn takeover(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Employee>> {
        employee(ctx, Some(self.0.takeover_id)).await
    }
    async fn kind(&self) -> Option<InheritanceKind> {
        InheritanceKind::parse(&self.0.kind)
    }
    async fn status(&self) -> Option<InheritanceStatus> {
        InheritanceStatus::parse(&self.0.status)
    }
    /// WeCom's errcode when it refused to start the hand-over.
    async fn errcode(&self) -> Option<i64> {
        self.0.errcode
    }
    async fn takeover_at(&self) -> Option<DateTime<Utc>> {
        self.0.takeover_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

#[derive(InputObject, Default)]
pub struct ResignedEmployeeFilter {
    /// false (default): still leaving customers behind; true: all handed over (已分配).
    #[graphql(default)]
    pub allocated: bool,
    pub resigned_from: Option<DateTime<Utc>>,
    pub resigned_to: Option<DateTime<Utc>>,
}

#[derive(InputObject, Default)]
pub struct InheritanceFilter {
    pub kind: Option<InheritanceKind>,
    #[graphql(default)]
    pub statuses: Vec<InheritanceStatus>,
    pub handover_employee_id: Option<ID>,
}

#[derive(InputObject)]
pub struct InheritResignedInput {
    pub handover_employee_id: ID,
    pub takeover_employee_id: ID,
    /// Only these of the leaver's waiting customers; all of them when empty.
    #[graphql(default)]
    pub customer_ids: Vec<ID>,
    /// Also hand over the customer groups the leaver owns (WeCom's groupchat/transfer).
    #[graphql(default)]
    pub include_groups: bool,
}

pub struct AllocationRule(pub entity::allocation_rule::Model);

#[Object]
impl AllocationRule {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Covered departments (with their sub-departments).
    async fn department_ids(&self) -> Vec<ID> {
        serde_json::from_str::<Vec<i64>>(&self.0.department_ids).unwrap_or_default().into_iter().map(id).collect()
    }
    /// A leaver is covered when any condition holds (none: every leaver of the departments).
    async fn conditions(&self) -> Vec<AllocationCondition> {
        serde_json::from_str::<Vec<AttributeCondition>>(&self.0.conditions)
            .unwrap_or_default()
            .into_iter()
            .map(|c| AllocationCondition { system_field: c.system_field, custom_field_id: c.custom_field_id.map(id), value: c.value })
            .collect()
    }
    async fn mode(&self) -> Option<AllocationMode> {
        AllocationMode::parse(&self.0.mode)
    }
    /// Takes the customers when no heir qualifies.
    async fn fallback_employee(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Employee>> {
        employee(ctx, self.0.fallback_employee_id).await
    }
    async fn enabled(&self) -> bool {
        self.0.enabled
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(async_graphql::SimpleObject)]
pub struct AllocationCondition {
    /// POSITION or GENDER; or see `customFieldId`.
    pub system_field: Option<String>,
    /// An employee custom field (its text value is compared).
    pub custom_field_id: Option<ID>,
    pub value: String,
}

#[derive(InputObject)]
pub struct AllocationConditionInput {
    /// POSITION or GENDER (MALE / FEMALE).
    pub system_field: Option<String>,
    pub custom_field_id: Option<ID>,
    pub value: String,
}

#[derive(InputObject)]
pub struct AllocationRuleInput {
    /// 1–30 characters.
    pub name: String,
    /// At least one.
    pub department_ids: Vec<ID>,
    #[graphql(default)]
    pub conditions: Vec<AllocationConditionInput>,
    pub mode: AllocationMode,
    pub fallback_employee_id: Option<ID>,
    #[graphql(default = true)]
    pub enabled: bool,
}

impl AllocationRuleInput {
    fn into_input(self) -> Result<RuleInput, AppError> {
        Ok(RuleInput {
            name: self.name,
            department_ids: parse_ids(&self.department_ids, "departmentIds")?,
            conditions: self
                .conditions
                .into_iter()
                .enumerate()
                .map(|(i, c)| {
                    Ok(AttributeCondition {
                        system_field: c.system_field,
                        custom_field_id: c.custom_field_id.as_ref().map(|f| parse_id(f, &format!("conditions.{i}"))).transpose()?,
                        value: c.value,
                    })
                })
                .collect::<Result<_, AppError>>()?,
            mode: self.mode,
            fallback_employee_id: self.fallback_employee_id.as_ref().map(|f| parse_id(f, "fallbackEmployeeId")).transpose()?,
            enabled: self.enabled,
        })
    }
}

#[derive(Default)]
pub struct InheritanceQuery;

#[Object]
impl InheritanceQuery {
    /// Resigned employees within the caller's data scope, most recent first (INH-1).
    #[graphql(guard = "Perm(perm::CUSTOMER_INHERIT)", complexity = "crate::graphql::connection::page_cost(first, child_complexity)")]
    async fn resigned_employees(
        &self,
        ctx: &Context<'_>,
        filter: Option<ResignedEmployeeFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<ResignedEmployee>> {
        let scope = ctx.scope()?;
        let f = filter.unwrap_or_default();
        let page = Page::new(first, after)?;
        let waiting = scope.subquery::<unassigned_customer::Entity>(unassigned_customer::Column::HandoverUserid).to_owned();
        let mut cond = Condition::all().add(emp::Column::ResignedAt.is_not_null());
        cond = cond.add(if f.allocated { emp::Column::Userid.not_in_subquery(waiting) } else { emp::Column::Userid.in_subquery(waiting) });
        if let Some(t) = f.resigned_from {
            cond = cond.add(emp::Column::ResignedAt.gte(t));
        }
        if let Some(t) = f.resigned_to {
            cond = cond.add(emp::Column::ResignedAt.lte(t));
        }
        let select =
            scope.select_visible::<emp::Entity>().filter(cond).order_by_desc(emp::Column::ResignedAt).order_by_desc(emp::Column::Id);
        let (rows, total) = fetch_page(ctx.db(), select, page).await?;
        // Two grouped counts for the whole page.
        let customers: HashMap<String, i64> = scope
            .select::<unassigned_customer::Entity>()
            .select_only()
            .column(unassigned_customer::Column::HandoverUserid)
            .column_as(unassigned_customer::Column::Id.count(), "n")
            .filter(unassigned_customer::Column::HandoverUserid.is_in(rows.iter().map(|e| e.userid.clone())))
            .group_by(unassigned_customer::Column::HandoverUserid)
            .into_tuple::<(String, i64)>()
            .all(ctx.db())
            .await
            .map_err(AppError::from)?
            .into_iter()
            .collect();
        let groups: HashMap<i64, i64> = scope
            .select::<customer_group::Entity>()
            .select_only()
            .column(customer_group::Column::OwnerId)
            .column_as(customer_group::Column::Id.count(), "n")
            .filter(customer_group::Column::OwnerId.is_in(rows.iter().map(|e| e.id)))
            .filter(customer_group::Column::DismissedAt.is_null())
            .group_by(customer_group::Column::OwnerId)
            .into_tuple::<(i64, i64)>()
            .all(ctx.db())
            .await
            .map_err(AppError::from)?
            .into_iter()
            .collect();
        let nodes = rows
            .into_iter()
            .map(|e| ResignedEmployee {
                pending_customers: customers.get(&e.userid).copied().unwrap_or(0),
                pending_groups: groups.get(&e.id).copied().unwrap_or(0),
                employee: e,
            })
            .collect();
        Ok(connection(page, total, nodes))
    }

    /// A leaver's customers still waiting for an heir (WeCom's unassigned list).
    #[graphql(guard = "Perm(perm::CUSTOMER_INHERIT)", complexity = "crate::graphql::connection::page_cost(first, child_complexity)")]
    async fn unassigned_customers(
        &self,
        ctx: &Context<'_>,
        handover_employee_id: ID,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<Customer>> {
        let scope = ctx.scope()?;
        let leaver = scope.get_visible::<emp::Entity>(ctx.db(), parse_id(&handover_employee_id, "handoverEmployeeId")?).await?;
        let waiting = scope
            .subquery::<unassigned_customer::Entity>(unassigned_customer::Column::ExternalUserid)
            .and_where(unassigned_customer::Column::HandoverUserid.eq(leaver.userid))
            .to_owned();
        let select = scope
            .select_visible::<customer::Entity>()
            .filter(customer::Column::ExternalUserid.in_subquery(waiting))
            .order_by_desc(customer::Column::FirstAddedAt)
            .order_by_desc(customer::Column::Id);
        subject_page(ctx, select, first, after, Customer).await
    }

    /// Resigned auto-allocation rules, oldest first (the first that covers a leaver applies).
    #[graphql(guard = "Perm(perm::CUSTOMER_INHERIT)")]
    async fn allocation_rules(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<AllocationRule>> {
        Ok(allocation::list(ctx.db(), ctx.scope()?).await?.into_iter().map(AllocationRule).collect())
    }

    /// Hand-overs (on-job and resigned) whose receiver is in the caller's scope, newest first.
    #[graphql(guard = "Perm(perm::CUSTOMER_INHERIT)", complexity = "crate::graphql::connection::page_cost(first, child_complexity)")]
    async fn inheritances(
        &self,
        ctx: &Context<'_>,
        filter: Option<InheritanceFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<Inheritance>> {
        let scope = ctx.scope()?;
        let f = filter.unwrap_or_default();
        let mut select = scope.select::<inh::Entity>().filter(scope.visible_employees(inh::Column::TakeoverId));
        if let Some(k) = f.kind {
            select = select.filter(inh::Column::Kind.eq(k.as_str()));
        }
        if !f.statuses.is_empty() {
            select = select.filter(inh::Column::Status.is_in(f.statuses.iter().map(|s| s.as_str())));
        }
        if let Some(h) = &f.handover_employee_id {
            select = select.filter(inh::Column::HandoverId.eq(parse_id(h, "filter.handoverEmployeeId")?));
        }
        let select = select.order_by_desc(inh::Column::CreatedAt).order_by_desc(inh::Column::Id);
        subject_page(ctx, select, first, after, Inheritance).await
    }
}

#[derive(Default)]
pub struct InheritanceMutation;

#[Object]
impl InheritanceMutation {
    /// Pulls WeCom's list of resigned members' unassigned customers (a job).
    #[graphql(guard = "Perm(perm::CUSTOMER_INHERIT)")]
    async fn refresh_resigned_customers(&self, ctx: &Context<'_>) -> async_graphql::Result<Job> {
        let auth = ctx.auth()?;
        let job =
            ctx.state().jobs.enqueue::<inheritance::SyncUnassignedJob>(ctx.db(), NewJob::for_user(auth), &serde_json::json!({})).await?;
        Ok(Job(job))
    }

    /// Hands a leaver's waiting customers to an active employee through WeCom (a job).
    #[graphql(guard = "Perm(perm::CUSTOMER_INHERIT)")]
    async fn inherit_resigned_customers(&self, ctx: &Context<'_>, input: InheritResignedInput) -> async_graphql::Result<Job> {
        let auth = ctx.auth()?;
        let req = ResignedInheritRequest {
            handover_id: parse_id(&input.handover_employee_id, "handoverEmployeeId")?,
            takeover_id: parse_id(&input.takeover_employee_id, "takeoverEmployeeId")?,
            customer_ids: parse_ids(&input.customer_ids, "customerIds")?,
            include_groups: input.include_groups,
        };
        // Validate now so a bad hand-over fails the request, not the job.
        inheritance::check_resigned_request(ctx.db(), &auth.scope, &req).await?;
        let job = ctx.state().jobs.enqueue::<inheritance::ResignedInheritJob>(ctx.db(), NewJob::for_user(auth), &req).await?;
        Ok(Job(job))
    }

    #[graphql(guard = "Perm(perm::CUSTOMER_INHERIT)")]
    async fn create_allocation_rule(&self, ctx: &Context<'_>, input: AllocationRuleInput) -> async_graphql::Result<AllocationRule> {
        Ok(AllocationRule(allocation::create(ctx.db(), ctx.scope()?, input.into_input()?).await?))
    }

    #[graphql(guard = "Perm(perm::CUSTOMER_INHERIT)")]
    async fn update_allocation_rule(&self, ctx: &Context<'_>, id: ID, input: AllocationRuleInput) -> async_graphql::Result<AllocationRule> {
        Ok(AllocationRule(allocation::update(ctx.db(), ctx.scope()?, parse_id(&id, "id")?, input.into_input()?).await?))
    }

    #[graphql(guard = "Perm(perm::CUSTOMER_INHERIT)")]
    async fn delete_allocation_rule(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<crate::graphql::DeletePayload> {
        allocation::delete(ctx.db(), ctx.scope()?, parse_id(&id, "id")?).await?;
        Ok(crate::graphql::DeletePayload { id })
    }

    /// Runs the auto-allocation for the leavers of `day` (China's calendar
    /// day, "YYYY-MM-DD"; yesterday when omitted) now, as a job. The same
    /// runs by itself every day at 10:00.
    #[graphql(guard = "Perm(perm::CUSTOMER_INHERIT)")]
    async fn run_resigned_allocation(&self, ctx: &Context<'_>, day: Option<String>) -> async_graphql::Result<Job> {
        let auth = ctx.auth()?;
        let day = day.map(|d| chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d")).transpose().map_err(|_| {
            AppError::bad_input(
                "day",
                crate::error::Msg::new("DATE_FORMAT_INVALID", "日期格式应为YYYY-MM-DD", "Dates are written YYYY-MM-DD"),
            )
        })?;
        let job =
            ctx.state().jobs.enqueue::<allocation::AutoAllocationJob>(ctx.db(), NewJob::for_user(auth), &AllocationRun { day }).await?;
        Ok(Job(job))
    }

    /// Asks WeCom how the caller's corp's waiting hand-overs went (a job; also runs every 30 minutes).
    #[graphql(guard = "Perm(perm::CUSTOMER_INHERIT)")]
    async fn refresh_inheritance_status(&self, ctx: &Context<'_>) -> async_graphql::Result<Job> {
        let auth = ctx.auth()?;
        let job =
            ctx.state().jobs.enqueue::<inheritance::InheritanceStatusJob>(ctx.db(), NewJob::for_user(auth), &serde_json::json!({})).await?;
        Ok(Job(job))
    }
}
