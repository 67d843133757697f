//! Business record templates, business records and work orders over GraphQL.

use async_graphql::{Context, InputObject, Object, ID};
use chrono::{DateTime, Utc};
use entity::{business_record, record_template, work_order};

use super::{
    kit::{crm_loader, employee},
    objects::Customer,
};
use crate::{
    custom_fields::graphql::{parse_values, CustomField, CustomFieldValue, CustomFieldValueInput},
    customers::{
        graphql::loaders::{CustomerById, FieldById, FieldsOfTemplate, GroupById, RecordTemplateById, ScopesOfTemplate},
        graphql::objects::CustomerGroup,
        records::{self, TemplateField, TemplateInput},
        subjects::Subject,
        work_orders::{self, NewWorkOrder, WorkOrderChange, WorkOrderPriority, WorkOrderStatus},
    },
    error::AppError,
    graphql::{
        connection::{id, maybe, parse_id, parse_ids},
        context::CtxExt,
        guard::{LoggedIn, Perm},
        DeletePayload,
    },
    org::{graphql::creator_name, graphql::employee::Employee, permissions as perm},
};

/// Customers need the customer list permission, groups the group list's.
pub fn require_subject_permission(ctx: &Context<'_>, subject: Subject) -> Result<(), AppError> {
    let needed = match subject {
        Subject::Customer => perm::CUSTOMER_VIEW,
        Subject::Group => perm::GROUP_VIEW,
        Subject::Lead => perm::LEAD_VIEW,
    };
    if ctx.auth()?.has(needed) {
        Ok(())
    } else {
        Err(AppError::forbidden().with_extra("permission", needed))
    }
}

pub struct RecordTemplate(pub record_template::Model);

/// A field of a template, with the template's own flags.
pub struct RecordTemplateField {
    field: entity::custom_field::Model,
    enabled: bool,
    required: bool,
}

#[Object]
impl RecordTemplateField {
    async fn field(&self) -> CustomField {
        CustomField(self.field.clone())
    }
    async fn enabled(&self) -> bool {
        self.enabled
    }
    async fn required(&self) -> bool {
        self.required
    }
}

#[Object]
impl RecordTemplate {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    async fn subject_kind(&self) -> Option<Subject> {
        Subject::parse(&self.0.subject_kind)
    }
    async fn sort(&self) -> i32 {
        self.0.sort
    }
    /// Once used, a template can no longer be edited or deleted.
    async fn used(&self) -> bool {
        self.0.used
    }
    /// In the template's order.
    async fn fields(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<RecordTemplateField>> {
        let rows = crm_loader(ctx).load_one(FieldsOfTemplate(self.0.id)).await?.unwrap_or_default();
        Ok(rows.into_iter().map(|(tf, field)| RecordTemplateField { field, enabled: tf.enabled, required: tf.required }).collect())
    }
    /// Employees allowed to use it (with `departmentIds`; both empty: everyone).
    async fn employee_ids(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ID>> {
        let rows = crm_loader(ctx).load_one(ScopesOfTemplate(self.0.id)).await?.unwrap_or_default();
        Ok(rows.into_iter().filter_map(|r| r.employee_id).map(id).collect())
    }
    async fn department_ids(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ID>> {
        let rows = crm_loader(ctx).load_one(ScopesOfTemplate(self.0.id)).await?.unwrap_or_default();
        Ok(rows.into_iter().filter_map(|r| r.department_id).map(id).collect())
    }
    async fn creator_name(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        creator_name(ctx, self.0.created_by).await
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

pub struct BusinessRecord(pub business_record::Model);

#[Object]
impl BusinessRecord {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn template(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<RecordTemplate>> {
        Ok(crm_loader(ctx).load_one(RecordTemplateById(self.0.template_id)).await?.map(RecordTemplate))
    }
    async fn submitter(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Employee>> {
        employee(ctx, Some(self.0.submitter_id)).await
    }
    /// The submitted values in the template's order (fields deleted since are left out).
    async fn values(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<CustomFieldValue>> {
        let raw: Vec<serde_json::Value> = serde_json::from_str(&self.0.field_values).unwrap_or_default();
        let pairs: Vec<(i64, serde_json::Value)> =
            raw.into_iter().filter_map(|v| Some((v["fieldId"].as_i64()?, v["value"].clone()))).collect();
        let defs = crm_loader(ctx).load_many(pairs.iter().map(|(f, _)| FieldById(*f))).await?;
        Ok(pairs
            .into_iter()
            .filter_map(|(f, value)| defs.get(&FieldById(f)).map(|field| CustomFieldValue { field: field.clone(), value }))
            .collect())
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

pub struct WorkOrder(pub work_order::Model);

#[Object]
impl WorkOrder {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// 编号, e.g. GD00000042.
    async fn number(&self) -> String {
        work_orders::number(self.0.id)
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    async fn status(&self) -> Option<WorkOrderStatus> {
        WorkOrderStatus::parse(&self.0.status)
    }
    async fn priority(&self) -> Option<WorkOrderPriority> {
        WorkOrderPriority::parse(&self.0.priority)
    }
    /// 受理人.
    async fn assignee(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Employee>> {
        employee(ctx, self.0.assignee_id).await
    }
    async fn creator(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Employee>> {
        employee(ctx, Some(self.0.created_by)).await
    }
    async fn subject_kind(&self) -> Option<Subject> {
        Subject::parse(&self.0.subject_kind)
    }
    /// The customer, for a customer's work order the caller may see.
    async fn customer(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Customer>> {
        if self.0.subject_kind != Subject::Customer.as_str() {
            return Ok(None);
        }
        Ok(crm_loader(ctx).load_one(CustomerById(self.0.subject_id)).await?.map(Customer))
    }
    /// The group, for a group's work order the caller may see.
    async fn group(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<CustomerGroup>> {
        if self.0.subject_kind != Subject::Group.as_str() {
            return Ok(None);
        }
        Ok(crm_loader(ctx).load_one(GroupById(self.0.subject_id)).await?.map(CustomerGroup))
    }
    async fn closed_at(&self) -> Option<DateTime<Utc>> {
        self.0.closed_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

#[derive(InputObject)]
pub struct RecordTemplateFieldInput {
    pub field_id: ID,
    #[graphql(default = true)]
    pub enabled: bool,
    #[graphql(default)]
    pub required: bool,
}

#[derive(InputObject)]
pub struct RecordTemplateInput {
    /// 1–30 characters.
    pub name: String,
    pub description: Option<String>,
    /// Fixed at creation; an update keeps the template's own.
    pub subject_kind: Subject,
    /// Custom fields of the subject, in display order.
    pub fields: Vec<RecordTemplateFieldInput>,
    /// Who may use it; both empty: everyone.
    #[graphql(default)]
    pub employee_ids: Vec<ID>,
    #[graphql(default)]
    pub department_ids: Vec<ID>,
}

impl RecordTemplateInput {
    fn into_input(self) -> Result<TemplateInput, AppError> {
        Ok(TemplateInput {
            name: self.name,
            description: self.description,
            subject: self.subject_kind,
            fields: self
                .fields
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    Ok(TemplateField { field_id: parse_id(&f.field_id, &format!("fields.{i}"))?, enabled: f.enabled, required: f.required })
                })
                .collect::<Result<_, AppError>>()?,
            employee_ids: parse_ids(&self.employee_ids, "employeeIds")?,
            department_ids: parse_ids(&self.department_ids, "departmentIds")?,
        })
    }
}

#[derive(InputObject)]
pub struct SubmitBusinessRecordInput {
    pub subject_kind: Subject,
    /// The customer's or group's id.
    pub subject_id: ID,
    /// A template the caller may use; the first in order when omitted.
    pub template_id: Option<ID>,
    #[graphql(default)]
    pub values: Vec<CustomFieldValueInput>,
}

#[derive(InputObject)]
pub struct CreateWorkOrderInput {
    pub subject_kind: Subject,
    pub subject_id: ID,
    /// 主题, 1–50 characters.
    pub title: String,
    pub description: Option<String>,
    #[graphql(default)]
    pub priority: WorkOrderPriority,
    pub assignee_id: Option<ID>,
}

/// Omitted fields stay; `null` clears an optional one. Closing is final.
#[derive(InputObject)]
pub struct UpdateWorkOrderInput {
    pub id: ID,
    pub title: Option<String>,
    pub description: async_graphql::MaybeUndefined<String>,
    pub status: Option<WorkOrderStatus>,
    pub priority: Option<WorkOrderPriority>,
    pub assignee_id: async_graphql::MaybeUndefined<ID>,
}

#[derive(Default)]
pub struct RecordQuery;

#[Object]
impl RecordQuery {
    /// Every template, in order; filter by subject and name.
    #[graphql(guard = "Perm(perm::CFG_RECORD_TEMPLATE_MANAGE)")]
    async fn record_templates(
        &self,
        ctx: &Context<'_>,
        subject_kind: Option<Subject>,
        name: Option<String>,
    ) -> async_graphql::Result<Vec<RecordTemplate>> {
        let rows = records::list(ctx.scope()?, subject_kind, name.as_deref()).all(ctx.db()).await.map_err(AppError::from)?;
        crm_loader(ctx).load_many(rows.iter().map(|t| FieldsOfTemplate(t.id))).await?;
        Ok(rows.into_iter().map(RecordTemplate).collect())
    }

    /// The templates the caller may submit with, in order (the first is the default).
    #[graphql(guard = "LoggedIn")]
    async fn usable_record_templates(&self, ctx: &Context<'_>, subject_kind: Subject) -> async_graphql::Result<Vec<RecordTemplate>> {
        require_subject_permission(ctx, subject_kind)?;
        let rows = records::usable(ctx.db(), ctx.scope()?, subject_kind).await?;
        Ok(rows.into_iter().map(RecordTemplate).collect())
    }

    #[graphql(guard = "LoggedIn")]
    async fn work_order(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<WorkOrder> {
        let w = work_orders::get(ctx.db(), ctx.scope()?, parse_id(&id, "id")?).await?;
        require_subject_permission(ctx, Subject::parse(&w.subject_kind).unwrap_or(Subject::Customer))?;
        Ok(WorkOrder(w))
    }
}

#[derive(Default)]
pub struct RecordMutation;

#[Object]
impl RecordMutation {
    #[graphql(guard = "Perm(perm::CFG_RECORD_TEMPLATE_MANAGE)")]
    async fn create_record_template(&self, ctx: &Context<'_>, input: RecordTemplateInput) -> async_graphql::Result<RecordTemplate> {
        Ok(RecordTemplate(records::create_template(ctx.db(), ctx.scope()?, input.into_input()?).await?))
    }

    /// Refused once the template has been used: "该模板已被使用，不支持编辑或删除".
    #[graphql(guard = "Perm(perm::CFG_RECORD_TEMPLATE_MANAGE)")]
    async fn update_record_template(&self, ctx: &Context<'_>, id: ID, input: RecordTemplateInput) -> async_graphql::Result<RecordTemplate> {
        Ok(RecordTemplate(records::update_template(ctx.db(), ctx.scope()?, parse_id(&id, "id")?, input.into_input()?).await?))
    }

    #[graphql(guard = "Perm(perm::CFG_RECORD_TEMPLATE_MANAGE)")]
    async fn delete_record_template(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<DeletePayload> {
        records::delete_template(ctx.db(), ctx.scope()?, parse_id(&id, "id")?).await?;
        Ok(DeletePayload { id })
    }

    /// Moves a template to `position` (0-based) among its subject's templates.
    #[graphql(guard = "Perm(perm::CFG_RECORD_TEMPLATE_MANAGE)")]
    async fn move_record_template(&self, ctx: &Context<'_>, id: ID, position: i32) -> async_graphql::Result<RecordTemplate> {
        let (scope, tid) = (ctx.scope()?, parse_id(&id, "id")?);
        records::move_template(ctx.db(), scope, tid, position.max(0) as usize).await?;
        Ok(RecordTemplate(scope.get::<record_template::Entity>(ctx.db(), tid).await?))
    }

    /// Submits a business record on a visible customer or group (CUS-12).
    #[graphql(guard = "LoggedIn")]
    async fn submit_business_record(&self, ctx: &Context<'_>, input: SubmitBusinessRecordInput) -> async_graphql::Result<BusinessRecord> {
        require_subject_permission(ctx, input.subject_kind)?;
        let r = records::submit(
            ctx.db(),
            ctx.scope()?,
            input.subject_kind,
            parse_id(&input.subject_id, "subjectId")?,
            input.template_id.as_ref().map(|t| parse_id(t, "templateId")).transpose()?,
            &parse_values(&input.values)?,
        )
        .await?;
        Ok(BusinessRecord(r))
    }

    #[graphql(guard = "LoggedIn")]
    async fn create_work_order(&self, ctx: &Context<'_>, input: CreateWorkOrderInput) -> async_graphql::Result<WorkOrder> {
        require_subject_permission(ctx, input.subject_kind)?;
        let new = NewWorkOrder {
            subject: input.subject_kind,
            subject_id: parse_id(&input.subject_id, "subjectId")?,
            title: input.title,
            description: input.description,
            priority: input.priority,
            assignee_id: input.assignee_id.as_ref().map(|a| parse_id(a, "assigneeId")).transpose()?,
        };
        Ok(WorkOrder(work_orders::create(ctx.db(), ctx.scope()?, new).await?))
    }

    /// Closing notifies the customer's owner (or the group's owner) by WeCom app message.
    #[graphql(guard = "LoggedIn")]
    async fn update_work_order(&self, ctx: &Context<'_>, input: UpdateWorkOrderInput) -> async_graphql::Result<WorkOrder> {
        let scope = ctx.scope()?;
        let id = parse_id(&input.id, "id")?;
        let current = work_orders::get(ctx.db(), scope, id).await?;
        require_subject_permission(ctx, Subject::parse(&current.subject_kind).unwrap_or(Subject::Customer))?;
        let change = WorkOrderChange {
            title: input.title,
            description: maybe(input.description),
            status: input.status,
            priority: input.priority,
            assignee_id: maybe(input.assignee_id).map(|a| a.map(|a| parse_id(&a, "assigneeId")).transpose()).transpose()?,
        };
        Ok(WorkOrder(work_orders::update(ctx.state(), scope, id, change).await?))
    }
}
