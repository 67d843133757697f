use async_graphql::{Context, Enum, InputObject, MaybeUndefined, Object, ID};
use chrono::{DateTime, Utc};
use entity::employee;

use super::{department::Department, employee_tag::EmployeeTag, loader, role::Role};
use crate::{
    custom_fields::{
        graphql::{parse_values, CustomFieldValue, CustomFieldValueInput},
        FieldCondition,
    },
    error::AppError,
    graphql::{
        connection::{connection, fetch_page, id, maybe, parse_id, parse_ids, Conn, Page},
        context::CtxExt,
        guard::Perm,
        DeletePayload,
    },
    jobs::graphql::Job,
    org::{
        employees::{self, BatchOperation, BatchRequest, EmployeeFields, EmployeeQuery},
        graphql::loaders::{DepartmentsOfEmployee, EmployeeCustomValues, RolesOfEmployee, TagsOfEmployee},
        permissions as perm, BatchJob,
    },
};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum Gender {
    Male,
    Female,
}

impl Gender {
    fn parse(s: &str) -> Option<Gender> {
        match s {
            "MALE" => Some(Gender::Male),
            "FEMALE" => Some(Gender::Female),
            _ => None,
        }
    }
    fn as_str(self) -> &'static str {
        match self {
            Gender::Male => "MALE",
            Gender::Female => "FEMALE",
        }
    }
}

pub struct Employee(pub employee::Model);

#[Object]
impl Employee {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// The WeCom userid (账号); immutable.
    async fn userid(&self) -> &str {
        &self.0.userid
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn alias(&self) -> Option<&str> {
        self.0.alias.as_deref()
    }
    async fn gender(&self) -> Option<Gender> {
        self.0.gender.as_deref().and_then(Gender::parse)
    }
    /// With country code, e.g. "+86 13800000000".
    async fn mobile(&self) -> &str {
        &self.0.mobile
    }
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    async fn landline(&self) -> Option<&str> {
        self.0.landline.as_deref()
    }
    async fn address(&self) -> Option<&str> {
        self.0.address.as_deref()
    }
    async fn position(&self) -> Option<&str> {
        self.0.position.as_deref()
    }
    async fn avatar(&self) -> Option<&str> {
        self.0.avatar.as_deref()
    }
    /// Activated in WeCom (已激活).
    async fn activated(&self) -> bool {
        self.0.activated
    }
    /// System access (开启系统); counts against the seat quota.
    async fn system_enabled(&self) -> bool {
        self.0.system_enabled
    }
    async fn is_super_admin(&self) -> bool {
        self.0.is_super_admin
    }
    async fn departments(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Department>> {
        Ok(loader(ctx).load_one(DepartmentsOfEmployee(self.0.id)).await?.unwrap_or_default().into_iter().map(Into::into).collect())
    }
    async fn roles(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Role>> {
        let caller_super = ctx.auth()?.is_super_admin;
        let roles = loader(ctx).load_one(RolesOfEmployee(self.0.id)).await?.unwrap_or_default();
        Ok(roles.into_iter().filter(|r| caller_super || !r.is_super).map(Role).collect())
    }
    /// Tags the employee carries directly.
    async fn tags(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<EmployeeTag>> {
        Ok(loader(ctx).load_one(TagsOfEmployee(self.0.id)).await?.unwrap_or_default().into_iter().map(EmployeeTag).collect())
    }
    /// Values of enabled custom fields.
    async fn custom_fields(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<CustomFieldValue>> {
        let values = loader(ctx).load_one(EmployeeCustomValues(self.0.id)).await?.unwrap_or_default();
        Ok(values.into_iter().map(|(field, value)| CustomFieldValue { field, value }).collect())
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// All conditions combine with AND.
#[derive(InputObject, Default)]
pub struct EmployeeFilter {
    /// Substring of the name or mobile.
    pub keyword: Option<String>,
    /// Members of any of these departments.
    #[graphql(default)]
    pub department_ids: Vec<ID>,
    /// Also members of their sub-departments.
    #[graphql(default)]
    pub include_sub_departments: bool,
    /// Carrying any of these employee tags (directly or through a tagged department).
    #[graphql(default)]
    pub tag_ids: Vec<ID>,
    pub role_id: Option<ID>,
    pub system_enabled: Option<bool>,
    /// Conditions on system fields (NAME, USERID, ALIAS, GENDER, MOBILE, EMAIL,
    /// LANDLINE, ADDRESS, POSITION) or employee custom fields.
    #[graphql(default)]
    pub conditions: Vec<FieldCondition>,
}

impl EmployeeFilter {
    pub fn into_query(self) -> Result<EmployeeQuery, AppError> {
        Ok(EmployeeQuery {
            keyword: self.keyword,
            department_ids: parse_ids(&self.department_ids, "filter.departmentIds")?,
            include_sub_departments: self.include_sub_departments,
            tag_ids: parse_ids(&self.tag_ids, "filter.tagIds")?,
            role_id: self.role_id.as_ref().map(|r| parse_id(r, "filter.roleId")).transpose()?,
            system_enabled: self.system_enabled,
            conditions: self.conditions,
        })
    }
}

#[derive(InputObject)]
pub struct CreateEmployeeInput {
    /// The WeCom userid (账号): 1–64 of letters, digits, _ - . @; unique in the corp.
    pub userid: String,
    pub name: String,
    /// "+CC number"; +86 when no country code is given.
    pub mobile: String,
    /// At least one.
    pub department_ids: Vec<ID>,
    /// At least one.
    pub role_ids: Vec<ID>,
    pub alias: Option<String>,
    pub gender: Option<Gender>,
    pub email: Option<String>,
    pub landline: Option<String>,
    pub address: Option<String>,
    pub position: Option<String>,
    #[graphql(default)]
    pub custom_fields: Vec<CustomFieldValueInput>,
}

/// Omitted fields stay; `null` clears an optional one. The userid never changes.
#[derive(InputObject)]
pub struct UpdateEmployeeInput {
    pub id: ID,
    pub name: Option<String>,
    pub mobile: Option<String>,
    pub department_ids: Option<Vec<ID>>,
    pub role_ids: Option<Vec<ID>>,
    pub alias: MaybeUndefined<String>,
    pub gender: MaybeUndefined<Gender>,
    pub email: MaybeUndefined<String>,
    pub landline: MaybeUndefined<String>,
    pub address: MaybeUndefined<String>,
    pub position: MaybeUndefined<String>,
    #[graphql(default)]
    pub custom_fields: Vec<CustomFieldValueInput>,
}

#[derive(InputObject)]
pub struct EmployeeBatchInput {
    pub filter: EmployeeFilter,
    pub operation: BatchOperation,
    /// The roles to add, for ADD_ROLES.
    #[graphql(default)]
    pub role_ids: Vec<ID>,
}

/// Loads the relations the query selects for the whole page in one batch
/// each. Leaving it to the nodes' own loads is usually as good, but a long
/// list is polled in several passes and a batch window can close between
/// them; this keeps a page's statement count fixed.
async fn prefetch(ctx: &Context<'_>, rows: &[employee::Model]) -> async_graphql::Result<()> {
    let node = ctx.look_ahead().field("edges").field("node");
    let l = loader(ctx);
    let ids = || rows.iter().map(|e| e.id);
    futures_util::try_join!(
        async {
            if node.field("departments").exists() {
                l.load_many(ids().map(DepartmentsOfEmployee)).await?;
            }
            Ok::<_, async_graphql::Error>(())
        },
        async {
            if node.field("roles").exists() {
                l.load_many(ids().map(RolesOfEmployee)).await?;
            }
            Ok(())
        },
        async {
            if node.field("tags").exists() {
                l.load_many(ids().map(TagsOfEmployee)).await?;
            }
            Ok(())
        },
        async {
            if node.field("customFields").exists() {
                l.load_many(ids().map(EmployeeCustomValues)).await?;
            }
            Ok(())
        },
    )?;
    Ok(())
}

#[derive(Default)]
pub struct EmployeeQueryRoot;

#[Object]
impl EmployeeQueryRoot {
    /// Employees within the caller's data scope, newest first.
    #[graphql(guard = "Perm(perm::ORG_EMPLOYEE_VIEW)", complexity = "crate::graphql::connection::page_cost(first, child_complexity)")]
    async fn employees(
        &self,
        ctx: &Context<'_>,
        filter: Option<EmployeeFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<Employee>> {
        let scope = ctx.scope()?;
        let page = Page::new(first, after)?;
        let q = filter.unwrap_or_default().into_query()?;
        let select = employees::list(ctx.db(), scope, &q).await?;
        let (rows, total) = fetch_page(ctx.db(), select, page).await?;
        prefetch(ctx, &rows).await?;
        Ok(connection(page, total, rows.into_iter().map(Employee).collect()))
    }

    #[graphql(guard = "Perm(perm::ORG_EMPLOYEE_VIEW)")]
    async fn employee(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Employee> {
        let scope = ctx.scope()?;
        Ok(Employee(scope.get_visible::<employee::Entity>(ctx.db(), parse_id(&id, "id")?).await?))
    }
}

#[derive(Default)]
pub struct EmployeeMutation;

#[Object]
impl EmployeeMutation {
    /// New employees start with system access closed.
    #[graphql(guard = "Perm(perm::ORG_EMPLOYEE_MANAGE)")]
    async fn create_employee(&self, ctx: &Context<'_>, input: CreateEmployeeInput) -> async_graphql::Result<Employee> {
        let fields = EmployeeFields {
            name: Some(input.name),
            mobile: Some(input.mobile),
            alias: Some(input.alias),
            gender: Some(input.gender.map(|g| g.as_str().to_string())),
            email: Some(input.email),
            landline: Some(input.landline),
            address: Some(input.address),
            position: Some(input.position),
            department_ids: Some(parse_ids(&input.department_ids, "departmentIds")?),
            role_ids: Some(parse_ids(&input.role_ids, "roleIds")?),
            custom_fields: parse_values(&input.custom_fields)?,
        };
        let scope = ctx.scope()?;
        let link = crate::wecom_sync::link::link(ctx.state(), scope.corp_id()).await?;
        Ok(Employee(employees::create(ctx.db(), scope, link.as_ref(), &input.userid, fields).await?))
    }

    #[graphql(guard = "Perm(perm::ORG_EMPLOYEE_MANAGE)")]
    async fn update_employee(&self, ctx: &Context<'_>, input: UpdateEmployeeInput) -> async_graphql::Result<Employee> {
        let fields = EmployeeFields {
            name: input.name,
            mobile: input.mobile,
            alias: maybe(input.alias),
            gender: maybe(input.gender).map(|g| g.map(|g| g.as_str().to_string())),
            email: maybe(input.email),
            landline: maybe(input.landline),
            address: maybe(input.address),
            position: maybe(input.position),
            department_ids: input.department_ids.as_deref().map(|d| parse_ids(d, "departmentIds")).transpose()?,
            role_ids: input.role_ids.as_deref().map(|r| parse_ids(r, "roleIds")).transpose()?,
            custom_fields: parse_values(&input.custom_fields)?,
        };
        let scope = ctx.scope()?;
        let link = crate::wecom_sync::link::link(ctx.state(), scope.corp_id()).await?;
        Ok(Employee(employees::update(ctx.db(), scope, link.as_ref(), parse_id(&input.id, "id")?, fields).await?))
    }

    /// Refused for the super admin and while the employee owns customers.
    #[graphql(guard = "Perm(perm::ORG_EMPLOYEE_MANAGE)")]
    async fn delete_employee(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<DeletePayload> {
        let scope = ctx.scope()?;
        let link = crate::wecom_sync::link::link(ctx.state(), scope.corp_id()).await?;
        let employee = parse_id(&id, "id")?;
        let sessions = crate::auth::service::sessions_of(ctx.db(), scope, employee).await?;
        employees::delete(ctx.db(), scope, link.as_ref(), &ctx.state().deletion_guards, employee).await?;
        crate::auth::service::announce_ended(ctx.state(), &sessions).await;
        Ok(DeletePayload { id })
    }

    /// Opening counts against the seat quota; closing ends the employee's sessions at once.
    #[graphql(guard = "Perm(perm::ORG_EMPLOYEE_SYSTEM)")]
    async fn set_employee_system_access(&self, ctx: &Context<'_>, id: ID, enabled: bool) -> async_graphql::Result<Employee> {
        let (scope, employee) = (ctx.scope()?, parse_id(&id, "id")?);
        let sessions = if enabled { vec![] } else { crate::auth::service::sessions_of(ctx.db(), scope, employee).await? };
        let e = employees::set_system_access(ctx.db(), scope, employee, enabled).await?;
        // Closing system access ends the sessions; their alert sockets close too.
        crate::auth::service::announce_ended(ctx.state(), &sessions).await;
        Ok(Employee(e))
    }

    /// Sets an employee's login password (at least 8 characters).
    #[graphql(guard = "Perm(perm::ORG_EMPLOYEE_MANAGE)")]
    async fn set_employee_password(&self, ctx: &Context<'_>, id: ID, password: String) -> async_graphql::Result<Employee> {
        let scope = ctx.scope()?;
        let id = parse_id(&id, "id")?;
        employees::set_password(ctx.db(), scope, id, &password).await?;
        Ok(Employee(scope.get_visible::<employee::Entity>(ctx.db(), id).await?))
    }

    /// Starts a bulk operation over every employee matching the filter (within
    /// the caller's data scope) as a background job; follow it with `job(id)`.
    #[graphql(guard = "Perm(perm::ORG_EMPLOYEE_BATCH)")]
    async fn run_employee_batch_operation(&self, ctx: &Context<'_>, input: EmployeeBatchInput) -> async_graphql::Result<Job> {
        let auth = ctx.auth()?;
        if input.operation != BatchOperation::AddRoles && !auth.has(perm::ORG_EMPLOYEE_SYSTEM) {
            return Err(AppError::forbidden().into());
        }
        let req = BatchRequest {
            filter: input.filter.into_query()?,
            operation: input.operation,
            role_ids: parse_ids(&input.role_ids, "roleIds")?,
        };
        // Validate the filter now so a bad condition fails the request, not the job.
        req.filter.condition(ctx.db(), &auth.scope).await?;
        let job = ctx.state().jobs.enqueue::<BatchJob>(ctx.db(), crate::jobs::NewJob::for_user(auth), &req).await?;
        Ok(Job(job))
    }
}
