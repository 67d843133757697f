//! Alerts as clients see them: `radarAlerts`, `timeoutAlerts` and
//! `sensitiveAlerts` subscriptions (each employee receives what is addressed
//! to them), the `alerts` history for catching up after a reconnect, and the
//! radar settings.

use async_graphql::{Context, Object, Subscription, ID};
use chrono::{DateTime, Utc};
use futures_util::Stream;
use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};

use super::{
    delivery::AlertCategory,
    radar::{RadarAlertDetail, RadarSettings},
};
use crate::bus::AlertEvent;
use crate::{
    archive::reply::TimeoutAlertDetail,
    archive::sensitive::SensitiveAlertDetail,
    customers::{
        graphql::loaders::{CustomerById, GroupById},
        graphql::objects::CustomerGroup,
        graphql::{crm_loader, Customer},
    },
    data_centre::graphql::TransferAlertDetail,
    graphql::{
        connection::{connection, fetch_page, id, Conn, Page},
        context::CtxExt,
        guard::{LoggedIn, Perm},
    },
    org::permissions as perm,
};
use entity::{alert, alert_recipient};

pub struct Alert(pub AlertEvent);

#[Object]
impl Alert {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn category(&self) -> Option<AlertCategory> {
        AlertCategory::parse(&self.0.category)
    }
    /// What happened: a radar behaviour (JOINED_GROUP…), REPLY_TIMEOUT, or a sensitive behaviour (SEND_RED_PACKET…).
    async fn kind(&self) -> &str {
        &self.0.kind
    }
    /// The text of the alert, as the app message says it.
    async fn text(&self) -> &str {
        &self.0.text
    }
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }
    async fn customer_id(&self) -> Option<ID> {
        self.0.customer_id.map(id)
    }
    /// The customer, when the caller may see it.
    async fn customer(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Customer>> {
        let Some(c) = self.0.customer_id else { return Ok(None) };
        Ok(crm_loader(ctx).load_one(CustomerById(c)).await?.map(Customer))
    }
    async fn group_id(&self) -> Option<ID> {
        self.0.group_id.map(id)
    }
    async fn group(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<CustomerGroup>> {
        let Some(g) = self.0.group_id else { return Ok(None) };
        Ok(crm_loader(ctx).load_one(GroupById(g)).await?.map(CustomerGroup))
    }
    /// The employee the alert is about (the adder, the employee who did not reply, the sender).
    async fn employee_id(&self) -> Option<ID> {
        self.0.employee_id.map(id)
    }
    async fn radar(&self) -> Option<RadarAlertDetail> {
        (self.0.category == AlertCategory::Radar.as_str()).then(|| serde_json::from_value(self.0.payload.clone()).unwrap_or_default())
    }
    async fn timeout(&self) -> Option<TimeoutAlertDetail> {
        (self.0.category == AlertCategory::Timeout.as_str()).then(|| serde_json::from_value(self.0.payload.clone()).unwrap_or_default())
    }
    /// An import's or export's progress (NOTICE of kind IMPORT or EXPORT).
    async fn transfer(&self) -> Option<TransferAlertDetail> {
        (self.0.category == AlertCategory::Notice.as_str() && matches!(self.0.kind.as_str(), "IMPORT" | "EXPORT"))
            .then(|| serde_json::from_value(self.0.payload.clone()).unwrap_or_default())
    }
    async fn sensitive(&self) -> Option<SensitiveAlertDetail> {
        (self.0.category == AlertCategory::Sensitive.as_str()).then(|| serde_json::from_value(self.0.payload.clone()).unwrap_or_default())
    }
}

fn alerts_of(ctx: &Context<'_>, category: AlertCategory) -> async_graphql::Result<impl Stream<Item = Alert>> {
    let auth = ctx.auth()?.clone();
    let mut stream = ctx.state().bus.subscribe(auth.corp_id, auth.employee_id);
    Ok(async_stream::stream! {
        while let Some(a) = stream.recv().await {
            if a.category == category.as_str() {
                yield Alert((*a).clone());
            }
        }
    })
}

#[derive(Default)]
pub struct AlertSubscription;

#[Subscription]
impl AlertSubscription {
    /// Radar alerts addressed to me (CFG-7): behaviours of customers my data scope sees.
    #[graphql(guard = "LoggedIn")]
    async fn radar_alerts(&self, ctx: &Context<'_>) -> async_graphql::Result<impl Stream<Item = Alert>> {
        alerts_of(ctx, AlertCategory::Radar)
    }
    /// Reply-timeout alerts the message-reply rules address to me (ARC-6).
    #[graphql(guard = "LoggedIn")]
    async fn timeout_alerts(&self, ctx: &Context<'_>) -> async_graphql::Result<impl Stream<Item = Alert>> {
        alerts_of(ctx, AlertCategory::Timeout)
    }
    /// Sensitive-behaviour alerts the monitoring settings address to me (CFG-3).
    #[graphql(guard = "LoggedIn")]
    async fn sensitive_alerts(&self, ctx: &Context<'_>) -> async_graphql::Result<impl Stream<Item = Alert>> {
        alerts_of(ctx, AlertCategory::Sensitive)
    }
    /// Work notices for me: follow-up mentions and reminders (REMINDER_MENTION, REMINDER_DUE), work-order progress,
    /// lead assignments (LEAD_ASSIGNED), imports' and exports' progress (IMPORT, EXPORT: the same alert again as it moves).
    #[graphql(guard = "LoggedIn")]
    async fn notices(&self, ctx: &Context<'_>) -> async_graphql::Result<impl Stream<Item = Alert>> {
        alerts_of(ctx, AlertCategory::Notice)
    }
}

#[derive(Default)]
pub struct AlertQuery;

#[Object]
impl AlertQuery {
    /// Alerts addressed to me, newest first (what a client missed while offline).
    #[graphql(guard = "LoggedIn")]
    async fn alerts(
        &self,
        ctx: &Context<'_>,
        category: Option<AlertCategory>,
        since: Option<DateTime<Utc>>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<Alert>> {
        let auth = ctx.auth()?;
        let page = Page::new(first, after)?;
        let scope = &auth.scope;
        let mine = auth
            .scope
            .subquery::<alert_recipient::Entity>(alert_recipient::Column::AlertId)
            .and_where(alert_recipient::Column::EmployeeId.eq(auth.employee_id))
            .to_owned();
        let mut q =
            scope.select::<alert::Entity>().filter(alert::Column::Id.in_subquery(mine)).filter(alert::Column::DeliveredAt.is_not_null());
        if let Some(c) = category {
            q = q.filter(alert::Column::Category.eq(c.as_str()));
        }
        if let Some(s) = since {
            q = q.filter(alert::Column::CreatedAt.gte(s));
        }
        let (rows, total) = fetch_page(ctx.db(), q.order_by_desc(alert::Column::Id), page).await?;
        let node = ctx.look_ahead().field("edges").field("node");
        crate::customers::graphql::prefetch_links(ctx, node, rows.iter().map(|a| (a.customer_id, a.group_id))).await?;
        let nodes = rows.iter().map(|m| Alert(super::delivery::event_of(m, vec![auth.employee_id]))).collect();
        Ok(connection(page, total, nodes))
    }

    #[graphql(guard = "Perm(perm::CFG_RADAR_MANAGE)")]
    async fn radar_settings(&self, ctx: &Context<'_>) -> async_graphql::Result<RadarSettings> {
        Ok(crate::settings::get(ctx.db(), ctx.scope()?).await?)
    }
}

#[derive(Default)]
pub struct AlertMutation;

#[Object]
impl AlertMutation {
    /// Replaces the radar settings (CFG-7).
    #[graphql(guard = "Perm(perm::CFG_RADAR_MANAGE)")]
    async fn set_radar_settings(&self, ctx: &Context<'_>, input: RadarSettings) -> async_graphql::Result<RadarSettings> {
        input.check()?;
        let scope = ctx.scope()?;
        let chosen = crate::graphql::connection::parse_ids(&input.employee_ids, "employeeIds")?;
        crate::org::employees::ensure_exist(ctx.db(), scope, &chosen).await?;
        crate::settings::put(ctx.db(), scope, &input).await?;
        Ok(input)
    }

    /// Marks alerts addressed to me as read.
    #[graphql(guard = "LoggedIn")]
    async fn mark_alerts_read(&self, ctx: &Context<'_>, ids: Vec<ID>) -> async_graphql::Result<i32> {
        let auth = ctx.auth()?;
        let ids = crate::graphql::connection::parse_ids(&ids, "ids")?;
        let res = auth
            .scope
            .update_many::<alert_recipient::Entity>()
            .col_expr(alert_recipient::Column::ReadAt, Some(Utc::now()).into())
            .filter(alert_recipient::Column::EmployeeId.eq(auth.employee_id))
            .filter(alert_recipient::Column::AlertId.is_in(ids))
            .filter(alert_recipient::Column::ReadAt.is_null())
            .exec(ctx.db())
            .await
            .map_err(crate::error::AppError::from)?;
        Ok(res.rows_affected as i32)
    }
}
