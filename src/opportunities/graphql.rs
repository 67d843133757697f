//! Opportunities over GraphQL: the list and detail with the change log,
//! create, edit, stage moves, pinning (CRM-10/11), and CFG-13's stages,
//! lose reasons and flags.

use async_graphql::{Context, InputObject, Json, Object, SimpleObject, ID};
use chrono::{DateTime, NaiveDate, Utc};

use super::{
    service::{self, Draft, Edit, Filter},
    stages::{self, OpportunitySettings},
};
use crate::{
    customers::graphql::{crm_loader, kit::employee, loaders::CustomerById, Customer},
    graphql::{
        connection::{connection, fetch_page, id, parse_id, parse_ids, Conn, Page},
        context::CtxExt,
        guard::{LoggedIn, Perm},
        loader::{rows, RowById},
        DeletePayload,
    },
    org::{graphql::employee::Employee, permissions as perm},
};
use entity::{lose_reason, opportunity, opportunity_event, opportunity_stage};

/// A stage (CFG-13).
#[derive(SimpleObject)]
pub struct OpportunityStage {
    pub id: ID,
    pub name: String,
    /// Open stages sort by this; the won and lost outcomes come last.
    pub sort_index: f64,
    /// WON or LOST on the two outcomes.
    pub outcome: Option<String>,
}

fn stage(s: opportunity_stage::Model) -> OpportunityStage {
    OpportunityStage { id: id(s.id), name: s.name, sort_index: s.sort_index, outcome: s.terminal }
}

#[derive(SimpleObject)]
pub struct LoseReason {
    pub id: ID,
    pub name: String,
}

fn lose(r: lose_reason::Model) -> LoseReason {
    LoseReason { id: id(r.id), name: r.name }
}

pub struct Opportunity(pub opportunity::Model);

#[Object]
impl Opportunity {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The customer, when the caller may see it.
    async fn customer(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Customer>> {
        Ok(crm_loader(ctx).load_one(CustomerById(self.0.customer_id)).await?.map(Customer))
    }
    async fn stage(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<OpportunityStage>> {
        Ok(rows(ctx).load_one(RowById::<opportunity_stage::Entity>::new(self.0.stage_id)).await?.map(stage))
    }
    /// Yuan as an exact decimal string with two places ("1234.50").
    async fn expected_amount(&self) -> String {
        service::format_amount(self.0.amount_fen)
    }
    async fn expected_close_on(&self) -> NaiveDate {
        self.0.expected_close_on
    }
    /// 商机所有人 (the creator unless set).
    async fn owner(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Employee>> {
        employee(ctx, self.0.owner_id).await
    }
    /// The one whose stage the customer's detail shows.
    async fn pinned(&self) -> bool {
        self.0.pinned
    }
    async fn lose_reason(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<LoseReason>> {
        let Some(r) = self.0.lose_reason_id else { return Ok(None) };
        Ok(rows(ctx).load_one(RowById::<lose_reason::Entity>::new(r)).await?.map(lose))
    }
    async fn lose_note(&self) -> Option<&str> {
        self.0.lose_note.as_deref()
    }
    /// When it was won or lost.
    async fn closed_at(&self) -> Option<DateTime<Utc>> {
        self.0.closed_at
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
    /// The change log, newest first: CREATED, UPDATED, STAGE_CHANGED, PINNED.
    #[graphql(complexity = "crate::graphql::connection::page_cost(first, child_complexity)")]
    async fn log(&self, ctx: &Context<'_>, first: Option<i32>, after: Option<String>) -> async_graphql::Result<Conn<OpportunityEvent>> {
        let page = Page::new(first, after)?;
        let (rows, total) = fetch_page(ctx.db(), service::log_of(ctx.scope()?, self.0.id), page).await?;
        Ok(connection(page, total, rows.into_iter().map(OpportunityEvent).collect()))
    }
}

pub struct OpportunityEvent(pub opportunity_event::Model);

#[Object]
impl OpportunityEvent {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn kind(&self) -> &str {
        &self.0.kind
    }
    #[graphql(name = "fromStage")]
    async fn stage_before(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<OpportunityStage>> {
        let Some(s) = self.0.from_stage_id else { return Ok(None) };
        Ok(rows(ctx).load_one(RowById::<opportunity_stage::Entity>::new(s)).await?.map(stage))
    }
    #[graphql(name = "toStage")]
    async fn stage_after(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<OpportunityStage>> {
        let Some(s) = self.0.to_stage_id else { return Ok(None) };
        Ok(rows(ctx).load_one(RowById::<opportunity_stage::Entity>::new(s)).await?.map(stage))
    }
    async fn actor(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Employee>> {
        employee(ctx, self.0.actor_id).await
    }
    /// `fields` (UPDATED); `from`, `to`, `loseReason`, `note` (STAGE_CHANGED).
    async fn detail(&self) -> Json<serde_json::Value> {
        Json(serde_json::from_str(&self.0.detail).unwrap_or_default())
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(InputObject)]
pub struct CreateOpportunityInput {
    pub customer_id: ID,
    /// 1–50 characters.
    pub name: String,
    /// An open stage.
    pub stage_id: ID,
    /// Yuan, a non-negative decimal with at most two places ("12800", "99.5").
    pub expected_amount: String,
    pub expected_close_on: NaiveDate,
    /// The creator when omitted.
    pub owner_id: Option<ID>,
}

#[derive(InputObject)]
pub struct UpdateOpportunityInput {
    pub name: Option<String>,
    pub expected_amount: Option<String>,
    pub expected_close_on: Option<NaiveDate>,
    pub owner_id: Option<ID>,
}

#[derive(InputObject, Default)]
pub struct OpportunityFilter {
    /// Substring of the name.
    pub name: Option<String>,
    /// One customer's (the customer detail's list).
    pub customer_id: Option<ID>,
    pub owner_ids: Option<Vec<ID>>,
    pub stage_id: Option<ID>,
    pub close_from: Option<NaiveDate>,
    pub close_to: Option<NaiveDate>,
}

#[derive(SimpleObject, InputObject)]
#[graphql(input_name = "OpportunitySettingsInput")]
pub struct OpportunitySettingsDoc {
    pub allow_skip_stages: bool,
    pub allow_restart_after_loss: bool,
}

#[derive(Default)]
pub struct OpportunityQuery;

#[Object]
impl OpportunityQuery {
    /// Opportunities of customers (or owners) the caller may see, newest first.
    #[graphql(guard = "Perm(perm::OPPORTUNITY_VIEW)", complexity = "crate::graphql::connection::page_cost(first, child_complexity)")]
    async fn opportunities(
        &self,
        ctx: &Context<'_>,
        filter: Option<OpportunityFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<Opportunity>> {
        let page = Page::new(first, after)?;
        let f = filter.unwrap_or_default();
        let parsed = Filter {
            name: f.name,
            customer_id: f.customer_id.as_ref().map(|c| parse_id(c, "filter.customerId")).transpose()?,
            owner_ids: f.owner_ids.as_deref().map(|o| parse_ids(o, "filter.ownerIds")).transpose()?,
            stage_id: f.stage_id.as_ref().map(|s| parse_id(s, "filter.stageId")).transpose()?,
            close_from: f.close_from,
            close_to: f.close_to,
        };
        let (rows, total) = fetch_page(ctx.db(), service::list(ctx.scope()?, &parsed), page).await?;
        Ok(connection(page, total, rows.into_iter().map(Opportunity).collect()))
    }

    #[graphql(guard = "Perm(perm::OPPORTUNITY_VIEW)")]
    async fn opportunity(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Opportunity> {
        Ok(Opportunity(service::get(ctx.db(), ctx.scope()?, parse_id(&id, "id")?).await?))
    }

    /// The stages in order (made from the presets on first use).
    #[graphql(guard = "LoggedIn")]
    async fn opportunity_stages(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<OpportunityStage>> {
        Ok(stages::list(ctx.db(), ctx.scope()?).await?.into_iter().map(stage).collect())
    }

    #[graphql(guard = "LoggedIn")]
    async fn lose_reasons(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<LoseReason>> {
        Ok(stages::reasons(ctx.db(), ctx.scope()?).await?.into_iter().map(lose).collect())
    }

    #[graphql(guard = "LoggedIn")]
    async fn opportunity_settings(&self, ctx: &Context<'_>) -> async_graphql::Result<OpportunitySettingsDoc> {
        let s = stages::settings(ctx.db(), ctx.scope()?).await?;
        Ok(OpportunitySettingsDoc { allow_skip_stages: s.allow_skip_stages, allow_restart_after_loss: s.allow_restart_after_loss })
    }
}

#[derive(Default)]
pub struct OpportunityMutation;

#[Object]
impl OpportunityMutation {
    #[graphql(guard = "Perm(perm::OPPORTUNITY_MANAGE)")]
    async fn create_opportunity(&self, ctx: &Context<'_>, input: CreateOpportunityInput) -> async_graphql::Result<Opportunity> {
        let d = Draft {
            customer_id: parse_id(&input.customer_id, "input.customerId")?,
            name: input.name,
            stage_id: parse_id(&input.stage_id, "input.stageId")?,
            amount: input.expected_amount,
            expected_close_on: input.expected_close_on,
            owner_id: input.owner_id.as_ref().map(|o| parse_id(o, "input.ownerId")).transpose()?,
        };
        Ok(Opportunity(service::create(ctx.state(), ctx.scope()?, &d).await?))
    }

    #[graphql(guard = "Perm(perm::OPPORTUNITY_MANAGE)")]
    async fn update_opportunity(&self, ctx: &Context<'_>, id: ID, input: UpdateOpportunityInput) -> async_graphql::Result<Opportunity> {
        let e = Edit {
            name: input.name,
            amount: input.expected_amount,
            expected_close_on: input.expected_close_on,
            owner_id: input.owner_id.as_ref().map(|o| parse_id(o, "input.ownerId")).transpose()?,
        };
        Ok(Opportunity(service::update(ctx.state(), ctx.scope()?, parse_id(&id, "id")?, &e).await?))
    }

    /// Moves to another stage (CRM-11); losing needs `loseReasonId`.
    #[graphql(guard = "Perm(perm::OPPORTUNITY_MANAGE)")]
    async fn change_opportunity_stage(
        &self,
        ctx: &Context<'_>,
        id: ID,
        stage_id: ID,
        lose_reason_id: Option<ID>,
        lose_note: Option<String>,
    ) -> async_graphql::Result<Opportunity> {
        let reason = lose_reason_id.as_ref().map(|r| parse_id(r, "loseReasonId")).transpose()?;
        let o = service::change_stage(ctx.state(), ctx.scope()?, parse_id(&id, "id")?, parse_id(&stage_id, "stageId")?, reason, lose_note)
            .await?;
        Ok(Opportunity(o))
    }

    /// Pins it on its customer (unpinning the customer's other one).
    #[graphql(guard = "Perm(perm::OPPORTUNITY_MANAGE)")]
    async fn pin_opportunity(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Opportunity> {
        Ok(Opportunity(service::pin(ctx.state(), ctx.scope()?, parse_id(&id, "id")?).await?))
    }

    #[graphql(guard = "Perm(perm::OPPORTUNITY_MANAGE)")]
    async fn delete_opportunity(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<DeletePayload> {
        service::delete(ctx.db(), ctx.scope()?, parse_id(&id, "id")?).await?;
        Ok(DeletePayload { id })
    }

    #[graphql(guard = "Perm(perm::CFG_OPPORTUNITY_MANAGE)")]
    async fn create_opportunity_stage(
        &self,
        ctx: &Context<'_>,
        name: String,
        sort_index: Option<f64>,
    ) -> async_graphql::Result<OpportunityStage> {
        Ok(stage(stages::create(ctx.db(), ctx.scope()?, &name, sort_index).await?))
    }

    /// Renames a stage and, for an open one, moves it.
    #[graphql(guard = "Perm(perm::CFG_OPPORTUNITY_MANAGE)")]
    async fn update_opportunity_stage(
        &self,
        ctx: &Context<'_>,
        id: ID,
        name: String,
        sort_index: Option<f64>,
    ) -> async_graphql::Result<OpportunityStage> {
        Ok(stage(stages::update(ctx.db(), ctx.scope()?, parse_id(&id, "id")?, &name, sort_index).await?))
    }

    /// Deletes an open stage no opportunity is in.
    #[graphql(guard = "Perm(perm::CFG_OPPORTUNITY_MANAGE)")]
    async fn delete_opportunity_stage(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<DeletePayload> {
        stages::delete(ctx.db(), ctx.scope()?, parse_id(&id, "id")?).await?;
        Ok(DeletePayload { id })
    }

    #[graphql(guard = "Perm(perm::CFG_OPPORTUNITY_MANAGE)")]
    async fn create_lose_reason(&self, ctx: &Context<'_>, name: String) -> async_graphql::Result<LoseReason> {
        Ok(lose(stages::create_reason(ctx.db(), ctx.scope()?, &name).await?))
    }

    #[graphql(guard = "Perm(perm::CFG_OPPORTUNITY_MANAGE)")]
    async fn rename_lose_reason(&self, ctx: &Context<'_>, id: ID, name: String) -> async_graphql::Result<LoseReason> {
        Ok(lose(stages::rename_reason(ctx.db(), ctx.scope()?, parse_id(&id, "id")?, &name).await?))
    }

    #[graphql(guard = "Perm(perm::CFG_OPPORTUNITY_MANAGE)")]
    async fn delete_lose_reason(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<DeletePayload> {
        stages::delete_reason(ctx.db(), ctx.scope()?, parse_id(&id, "id")?).await?;
        Ok(DeletePayload { id })
    }

    #[graphql(guard = "Perm(perm::CFG_OPPORTUNITY_MANAGE)")]
    async fn set_opportunity_settings(
        &self,
        ctx: &Context<'_>,
        input: OpportunitySettingsDoc,
    ) -> async_graphql::Result<OpportunitySettingsDoc> {
        let s =
            OpportunitySettings { allow_skip_stages: input.allow_skip_stages, allow_restart_after_loss: input.allow_restart_after_loss };
        stages::set_settings(ctx.db(), ctx.scope()?, &s).await?;
        Ok(input)
    }
}
