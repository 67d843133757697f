//! Leads over GraphQL (thin: the rules are in `leads`' services): the list
//! and detail with the change log, the operations of CRM-2…5, the import,
//! and the auto-assignment rules of CFG-12.

pub mod loaders;

use async_graphql::{ComplexObject, Context, Enum, InputObject, Json, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};

use super::{
    assignment::{self, LeadAssignMode},
    model::{add_state, LeadStatus},
    rules::{self, LeadRuleMode, RuleInput},
    service,
};
use crate::{
    conditions::graphql::ConditionTreeInput,
    corp_tags::graphql::{tag, CorpTag},
    custom_fields::graphql::{parse_values, CustomFieldValue, CustomFieldValueInput},
    customers::{
        follow_ups,
        graphql::{
            crm_loader,
            kit::{employee, subject_page},
            loaders::CustomerById,
            roots::FollowUpNote,
            Customer, FollowUp,
        },
        subjects::Subject,
    },
    data_centre::{self, graphql::DataTransfer, Direction, Module, NewTransfer},
    graphql::{
        connection::{connection, fetch_page, id, parse_id, parse_ids, Conn, Page},
        context::CtxExt,
        guard::Perm,
        DeletePayload,
    },
    org::{graphql::employee::Employee, permissions as perm},
};
use entity::{lead, lead_event, lead_rule};
use loaders::{loader, LeadFieldValues, TagsOfLead};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum LeadGender {
    Unknown,
    Male,
    Female,
}

impl LeadGender {
    fn stored(self) -> i32 {
        match self {
            LeadGender::Unknown => 0,
            LeadGender::Male => 1,
            LeadGender::Female => 2,
        }
    }
    fn of(n: i32) -> Self {
        match n {
            1 => LeadGender::Male,
            2 => LeadGender::Female,
            _ => LeadGender::Unknown,
        }
    }
}

/// A lead (CRM-1/5).
pub struct Lead(pub lead::Model);

#[Object]
impl Lead {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn mobile(&self) -> Option<&str> {
        self.0.mobile.as_deref()
    }
    async fn gender(&self) -> LeadGender {
        LeadGender::of(self.0.gender)
    }
    async fn company(&self) -> Option<&str> {
        self.0.company_name.as_deref()
    }
    async fn position(&self) -> Option<&str> {
        self.0.position.as_deref()
    }
    async fn channel(&self) -> Option<&str> {
        self.0.channel.as_deref()
    }
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    async fn remark(&self) -> Option<&str> {
        self.0.remark.as_deref()
    }
    async fn status(&self) -> Option<LeadStatus> {
        LeadStatus::parse(&self.0.status)
    }
    /// The employee the lead is assigned to.
    async fn owner(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Employee>> {
        employee(ctx, self.0.owner_id).await
    }
    async fn assigned_at(&self) -> Option<DateTime<Utc>> {
        self.0.assigned_at
    }
    /// The customer the lead became (CONVERTED), when the caller may see it.
    async fn customer(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Customer>> {
        let Some(c) = self.0.customer_id else { return Ok(None) };
        Ok(crm_loader(ctx).load_one(CustomerById(c)).await?.map(Customer))
    }
    async fn converted_at(&self) -> Option<DateTime<Utc>> {
        self.0.converted_at
    }
    /// The `state` a WeCom contact link for this lead carries: the assignee's
    /// add through such a link converts the lead.
    async fn add_state(&self) -> String {
        add_state(self.0.id)
    }
    async fn last_follow_up_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_follow_up_at
    }
    /// Whole days since the last follow-up, or since creation if never followed (CRM-1).
    async fn days_not_followed(&self, ctx: &Context<'_>) -> i64 {
        service::days_not_followed(&self.0, ctx.state().clock.now())
    }
    async fn tags(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<CorpTag>> {
        Ok(loader(ctx).load_one(TagsOfLead(self.0.id)).await?.unwrap_or_default().into_iter().map(tag).collect())
    }
    /// Values of the corp's enabled lead custom fields.
    async fn custom_fields(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<CustomFieldValue>> {
        let values = loader(ctx).load_one(LeadFieldValues(self.0.id)).await?.unwrap_or_default();
        Ok(values.into_iter().map(|(field, value)| CustomFieldValue { field, value }).collect())
    }
    async fn created_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Employee>> {
        employee(ctx, self.0.created_by).await
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// Follow-up records (CRM-5), newest first.
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, child_complexity)")]
    async fn follow_ups(&self, ctx: &Context<'_>, first: Option<i32>, after: Option<String>) -> async_graphql::Result<Conn<FollowUp>> {
        subject_page(ctx, follow_ups::of_subject(ctx.scope()?, Subject::Lead, self.0.id), first, after, FollowUp).await
    }
    /// The change log (CRM-5), newest first.
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, child_complexity)")]
    async fn log(&self, ctx: &Context<'_>, first: Option<i32>, after: Option<String>) -> async_graphql::Result<Conn<LeadEvent>> {
        let page = Page::new(first, after)?;
        let (rows, total) = fetch_page(ctx.db(), service::log(ctx.scope()?, self.0.id), page).await?;
        Ok(connection(page, total, rows.into_iter().map(LeadEvent).collect()))
    }
}

/// One change-log entry.
pub struct LeadEvent(pub lead_event::Model);

#[Object]
impl LeadEvent {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// CREATED, INFO_UPDATED, TAGS_UPDATED, DISCARDED, RESTORED, ASSIGNED, CONVERTED.
    async fn kind(&self) -> &str {
        &self.0.kind
    }
    async fn actor(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Employee>> {
        employee(ctx, self.0.actor_id).await
    }
    /// What changed: `fields` (INFO_UPDATED), `added`/`removed` tag ids,
    /// `employeeId` and `by` (ASSIGNED), `customerId` and `matchedBy` (CONVERTED).
    async fn detail(&self) -> Json<serde_json::Value> {
        Json(serde_json::from_str(&self.0.detail).unwrap_or_default())
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(InputObject)]
pub struct LeadInput {
    /// Required, at most 50 characters.
    pub name: String,
    /// 5–20 digits, optionally after +; unique among the corp's leads.
    pub mobile: Option<String>,
    #[graphql(default_with = "LeadGender::Unknown")]
    pub gender: LeadGender,
    pub company: Option<String>,
    pub position: Option<String>,
    pub channel: Option<String>,
    pub email: Option<String>,
    pub remark: Option<String>,
    /// The corp's lead custom fields (`customFields(entity: LEAD)`); on
    /// update, only those given change (`null` clears one).
    #[graphql(default)]
    pub custom_fields: Vec<CustomFieldValueInput>,
}

impl LeadInput {
    fn draft(&self) -> async_graphql::Result<service::Draft> {
        Ok(service::Draft {
            name: self.name.clone(),
            mobile: self.mobile.clone(),
            gender: self.gender.stored(),
            company_name: self.company.clone(),
            position: self.position.clone(),
            channel: self.channel.clone(),
            email: self.email.clone(),
            remark: self.remark.clone(),
            custom_fields: parse_values(&self.custom_fields).map_err(|e| {
                let at = format!("input.{}", e.field.as_deref().unwrap_or("customFields"));
                e.with_field(at)
            })?,
        })
    }
}

/// The lead list's filters (CRM-1); all given ones apply.
#[derive(InputObject, Default)]
pub struct LeadFilter {
    /// ACTIVE when omitted (the discarded list is DISCARDED).
    pub status: Option<LeadStatus>,
    /// Substring of the name.
    pub name: Option<String>,
    /// Substring of the mobile.
    pub mobile: Option<String>,
    /// Substring of the company.
    pub company: Option<String>,
    /// The channel, exactly.
    pub channel: Option<String>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    pub owner_ids: Option<Vec<ID>>,
    /// true: nobody's yet; false: assigned.
    pub unassigned: Option<bool>,
    /// Carries any of these tags.
    pub tag_ids: Option<Vec<ID>>,
    /// Not followed up within at least this many days.
    pub min_days_not_followed: Option<i64>,
}

impl LeadFilter {
    fn parsed(self) -> async_graphql::Result<service::Filter> {
        Ok(service::Filter {
            status: self.status,
            name: self.name,
            mobile: self.mobile,
            company: self.company,
            channel: self.channel,
            created_from: self.created_from,
            created_to: self.created_to,
            owner_ids: self.owner_ids.as_deref().map(|ids| parse_ids(ids, "filter.ownerIds")).transpose()?,
            unassigned: self.unassigned,
            tag_ids: self.tag_ids.as_deref().map(|ids| parse_ids(ids, "filter.tagIds")).transpose()?,
            min_days_not_followed: self.min_days_not_followed,
        })
    }
}

#[derive(InputObject)]
pub struct CreateLeadFollowUpInput {
    pub lead_id: ID,
    #[graphql(flatten)]
    pub note: FollowUpNote,
}

#[derive(InputObject)]
pub struct AssignLeadsInput {
    pub ids: Vec<ID>,
    #[graphql(default)]
    pub employee_ids: Vec<ID>,
    /// Their active members and those of departments below.
    #[graphql(default)]
    pub department_ids: Vec<ID>,
    #[graphql(default_with = "LeadAssignMode::RoundRobin")]
    pub mode: LeadAssignMode,
}

/// A lead auto-assignment rule (CFG-12).
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct LeadRule {
    pub id: ID,
    pub name: String,
    /// The tree as written (`conditionCatalogue(subject: LEAD)` lists the fields).
    pub conditions: Json<serde_json::Value>,
    pub employee_ids: Vec<ID>,
    pub department_ids: Vec<ID>,
    pub mode: LeadRuleMode,
    pub enabled: bool,
    /// Rules are tried by this, ascending.
    pub sort_index: f64,
    pub created_at: DateTime<Utc>,
    #[graphql(skip)]
    pub created_by: Option<i64>,
}

#[ComplexObject]
impl LeadRule {
    async fn created_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Employee>> {
        employee(ctx, self.created_by).await
    }
}

fn rule(r: lead_rule::Model) -> LeadRule {
    LeadRule {
        id: id(r.id),
        name: r.name,
        conditions: Json(serde_json::from_str(&r.conditions).unwrap_or_default()),
        employee_ids: rules::ids_of(&r.employee_ids).into_iter().map(id).collect(),
        department_ids: rules::ids_of(&r.department_ids).into_iter().map(id).collect(),
        mode: LeadRuleMode::parse(&r.mode).unwrap_or(LeadRuleMode::RoundRobin),
        enabled: r.enabled,
        sort_index: r.sort_index,
        created_at: r.created_at,
        created_by: r.created_by,
    }
}

#[derive(InputObject)]
pub struct LeadRuleInput {
    /// 1–30 characters.
    pub name: String,
    /// Over lead fields (subject LEAD).
    pub conditions: ConditionTreeInput,
    #[graphql(default)]
    pub employee_ids: Vec<ID>,
    #[graphql(default)]
    pub department_ids: Vec<ID>,
    #[graphql(default_with = "LeadRuleMode::RoundRobin")]
    pub mode: LeadRuleMode,
    #[graphql(default = true)]
    pub enabled: bool,
    /// Last when omitted on create; unchanged when omitted on update.
    pub sort_index: Option<f64>,
}

impl LeadRuleInput {
    fn parsed(self) -> async_graphql::Result<RuleInput> {
        Ok(RuleInput {
            name: self.name,
            conditions: self.conditions.into_raw(),
            employee_ids: parse_ids(&self.employee_ids, "input.employeeIds")?,
            department_ids: parse_ids(&self.department_ids, "input.departmentIds")?,
            mode: self.mode,
            enabled: self.enabled,
            sort_index: self.sort_index,
        })
    }
}

fn leads(rows: Vec<lead::Model>) -> Vec<Lead> {
    rows.into_iter().map(Lead).collect()
}

#[derive(Default)]
pub struct LeadQuery;

#[Object]
impl LeadQuery {
    /// The import's columns for this corp: the template's
    /// (`GET /templates/leads.xlsx`), then the enabled lead custom fields by
    /// name; `*` marks a required one. A file with any of these headers
    /// imports them: option labels (`,` between several), `parent/child`
    /// cascade paths, China-time dates.
    #[graphql(guard = "Perm(perm::LEAD_IMPORT)")]
    async fn lead_import_columns(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<String>> {
        let fields = super::import_fields::load(ctx.db(), ctx.scope()?).await?;
        // Only the fields a header can name: not one a system column shadows, nor one whose name two share.
        let custom = fields
            .iter()
            .enumerate()
            .filter(|(at, f)| {
                super::import_fields::column(&fields, &f.model.name) == Some(*at)
                    && !super::import::COLUMNS.iter().any(|c| c.trim_end_matches('*') == f.model.name)
            })
            .map(|(_, f)| format!("{}{}", f.model.name, if f.model.required { "*" } else { "" }));
        Ok(super::import::COLUMNS.iter().map(|c| c.to_string()).chain(custom).collect())
    }

    /// Leads the caller may see (assigned to someone in their data scope, or
    /// unassigned and created by someone in it), newest first.
    #[graphql(guard = "Perm(perm::LEAD_VIEW)", complexity = "crate::graphql::connection::page_cost(first, child_complexity)")]
    async fn leads(
        &self,
        ctx: &Context<'_>,
        filter: Option<LeadFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<Lead>> {
        let page = Page::new(first, after)?;
        let f = filter.unwrap_or_default().parsed()?;
        let (rows, total) = fetch_page(ctx.db(), service::list(ctx.scope()?, &f, ctx.state().clock.now()), page).await?;
        Ok(connection(page, total, leads(rows)))
    }

    #[graphql(guard = "Perm(perm::LEAD_VIEW)")]
    async fn lead(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Lead> {
        Ok(Lead(service::get(ctx.db(), ctx.scope()?, parse_id(&id, "id")?).await?))
    }

    /// The auto-assignment rules in the order they are tried.
    #[graphql(guard = "Perm(perm::CFG_LEAD_RULE_MANAGE)")]
    async fn lead_rules(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<LeadRule>> {
        Ok(rules::list(ctx.db(), ctx.scope()?).await?.into_iter().map(rule).collect())
    }
}

#[derive(Default)]
pub struct LeadMutation;

#[Object]
impl LeadMutation {
    /// Creates a lead; the first enabled rule it meets assigns it at once (CFG-12).
    #[graphql(guard = "Perm(perm::LEAD_MANAGE)")]
    async fn create_lead(&self, ctx: &Context<'_>, input: LeadInput) -> async_graphql::Result<Lead> {
        Ok(Lead(service::create(ctx.state(), ctx.scope()?, &input.draft()?).await?))
    }

    /// Replaces an active lead's details.
    #[graphql(guard = "Perm(perm::LEAD_MANAGE)")]
    async fn update_lead(&self, ctx: &Context<'_>, id: ID, input: LeadInput) -> async_graphql::Result<Lead> {
        Ok(Lead(service::update(ctx.state(), ctx.scope()?, parse_id(&id, "id")?, &input.draft()?).await?))
    }

    /// Moves active leads to the discarded list.
    #[graphql(guard = "Perm(perm::LEAD_MANAGE)")]
    async fn discard_leads(&self, ctx: &Context<'_>, ids: Vec<ID>) -> async_graphql::Result<Vec<Lead>> {
        Ok(leads(service::move_state(ctx.state(), ctx.scope()?, &parse_ids(&ids, "ids")?, LeadStatus::Discarded).await?))
    }

    /// Brings discarded leads back to the list.
    #[graphql(guard = "Perm(perm::LEAD_MANAGE)")]
    async fn restore_leads(&self, ctx: &Context<'_>, ids: Vec<ID>) -> async_graphql::Result<Vec<Lead>> {
        Ok(leads(service::move_state(ctx.state(), ctx.scope()?, &parse_ids(&ids, "ids")?, LeadStatus::Active).await?))
    }

    /// Deletes leads for good, active or discarded.
    #[graphql(guard = "Perm(perm::LEAD_MANAGE)")]
    async fn delete_leads(&self, ctx: &Context<'_>, ids: Vec<ID>) -> async_graphql::Result<Vec<DeletePayload>> {
        let parsed = parse_ids(&ids, "ids")?;
        service::delete(ctx.state(), ctx.scope()?, &parsed).await?;
        Ok(parsed.into_iter().map(|i| DeletePayload { id: id(i) }).collect())
    }

    /// Adds and removes corp tags on leads (active or discarded).
    #[graphql(guard = "Perm(perm::LEAD_MANAGE)")]
    async fn tag_leads(
        &self,
        ctx: &Context<'_>,
        ids: Vec<ID>,
        #[graphql(default)] add_tag_ids: Vec<ID>,
        #[graphql(default)] remove_tag_ids: Vec<ID>,
    ) -> async_graphql::Result<Vec<Lead>> {
        let (ids, add, remove) =
            (parse_ids(&ids, "ids")?, parse_ids(&add_tag_ids, "addTagIds")?, parse_ids(&remove_tag_ids, "removeTagIds")?);
        Ok(leads(service::tag(ctx.state(), ctx.scope()?, &ids, &add, &remove).await?))
    }

    /// Writes a follow-up record on an active lead (CRM-5); the lead's
    /// latest follow-up time (and so its days not followed) moves with it.
    #[graphql(guard = "Perm(perm::LEAD_VIEW)")]
    async fn create_lead_follow_up(&self, ctx: &Context<'_>, input: CreateLeadFollowUpInput) -> async_graphql::Result<FollowUp> {
        let new = input.note.about(Subject::Lead, parse_id(&input.lead_id, "leadId")?)?;
        Ok(FollowUp(follow_ups::create(ctx.state(), ctx.scope()?, new).await?))
    }

    /// Assigns active leads to employees (and departments' members) by hand (CRM-3).
    #[graphql(guard = "Perm(perm::LEAD_ASSIGN)")]
    async fn assign_leads(&self, ctx: &Context<'_>, input: AssignLeadsInput) -> async_graphql::Result<Vec<Lead>> {
        let ids = parse_ids(&input.ids, "input.ids")?;
        let (employees, departments) =
            (parse_ids(&input.employee_ids, "input.employeeIds")?, parse_ids(&input.department_ids, "input.departmentIds")?);
        Ok(leads(assignment::assign(ctx.state(), ctx.scope()?, &ids, &employees, &departments, input.mode).await?))
    }

    /// Imports leads from an uploaded XLSX or CSV laid out like the template
    /// (`GET /templates/leads.xlsx`, plus any of `leadImportColumns`' custom
    /// field columns): a job in the import centre; progress
    /// arrives on `notices` (kind IMPORT), the result file says per row.
    #[graphql(guard = "Perm(perm::LEAD_IMPORT)")]
    async fn import_leads(&self, ctx: &Context<'_>, file_id: ID) -> async_graphql::Result<DataTransfer> {
        let scope = ctx.scope()?;
        let file = crate::files::of_kind(ctx.db(), scope, parse_id(&file_id, "fileId")?, crate::files::Kind::File, "fileId").await?;
        let t = NewTransfer {
            direction: Direction::Import,
            module: Module::Leads,
            file_name: file.name.clone(),
            source_file_id: Some(file.id),
            params: serde_json::json!({}),
        };
        Ok(DataTransfer(data_centre::start::<super::import::ImportLeadsJob>(ctx.state(), scope, t).await?))
    }

    #[graphql(guard = "Perm(perm::CFG_LEAD_RULE_MANAGE)")]
    async fn create_lead_rule(&self, ctx: &Context<'_>, input: LeadRuleInput) -> async_graphql::Result<LeadRule> {
        Ok(rule(rules::create(ctx.state(), ctx.scope()?, &input.parsed()?).await?))
    }

    /// Replaces a rule; its round-robin turn carries on.
    #[graphql(guard = "Perm(perm::CFG_LEAD_RULE_MANAGE)")]
    async fn update_lead_rule(&self, ctx: &Context<'_>, id: ID, input: LeadRuleInput) -> async_graphql::Result<LeadRule> {
        Ok(rule(rules::update(ctx.state(), ctx.scope()?, parse_id(&id, "id")?, &input.parsed()?).await?))
    }

    #[graphql(guard = "Perm(perm::CFG_LEAD_RULE_MANAGE)")]
    async fn delete_lead_rule(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<DeletePayload> {
        let rule_id = parse_id(&id, "id")?;
        rules::delete(ctx.db(), ctx.scope()?, rule_id).await?;
        Ok(DeletePayload { id })
    }
}
