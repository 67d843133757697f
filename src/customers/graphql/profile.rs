//! The customer profile of the employee side (EMP-5): activity, 30-day
//! activity, TA的人脉 (who this customer's shares brought in) and the forms
//! they submitted. Behaviour records are the timeline's MATERIAL_VIEWED
//! entries (`Customer.timeline(kinds: [MATERIAL_VIEWED])`). Each field of a
//! page costs one or two statements whatever the page size.

use std::collections::HashMap;

use async_graphql::{dataloader::Loader, Context, Enum, Json, Object, SimpleObject, ID};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};

use super::{kit::crm_loader, loaders::CrmLoader};
use crate::{
    customers::timeline::EventKind,
    error::AppError,
    graphql::loader::{group, id_keys, ids, LoadResult},
    ids::id,
    org::graphql::{employee::Employee, loader as org_loader, loaders::EmployeeById},
};
use entity::{customer_event, form_submission, radar_share, radar_viewer};

id_keys!(ActivityOf, NetworkOf, FormsOf);

/// At most this many people of a network or forms of a customer are listed.
pub const PROFILE_LIST_CAP: usize = 100;

/// The profile of one customer.
pub struct CustomerProfile(pub i64);

/// How well a viewer of a re-share is known.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum ViewerKind {
    /// A customer of the corp.
    Customer,
    /// Known by WeChat OAuth, not (yet) a customer.
    Visitor,
    /// Opened the link without identifying.
    Anonymous,
}

/// Someone who opened a link this customer shared on.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct NetworkMember {
    pub kind: ViewerKind,
    pub first_viewed_at: DateTime<Utc>,
    /// Resolved to `customer` in `objects.rs` (the customer type lives there).
    #[graphql(skip)]
    pub customer_id: Option<i64>,
}

pub struct FormSubmission(pub form_submission::Model);

#[Object]
impl FormSubmission {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn form_id(&self) -> ID {
        id(self.0.material_id)
    }
    /// `{componentId: answer}`.
    async fn answers(&self) -> Json<serde_json::Value> {
        Json(serde_json::from_str(&self.0.answers).unwrap_or_default())
    }
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }
    /// The employee whose share it came through.
    async fn employee(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Employee>> {
        let Some(e) = self.0.employee_id else { return Ok(None) };
        Ok(org_loader(ctx).load_one(EmployeeById(e)).await?.map(Employee))
    }
    async fn submitted_at(&self) -> DateTime<Utc> {
        self.0.submitted_at
    }
}

#[Object]
impl CustomerProfile {
    /// 活跃度: every behaviour of the customer the radar watches (joins,
    /// adds, moments, calls, material visits).
    async fn activity(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        Ok(crm_loader(ctx).load_one(ActivityOf(self.0)).await?.unwrap_or_default().0)
    }
    /// The same over the last 30 days.
    #[graphql(name = "activity30d")]
    async fn activity_30d(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        Ok(crm_loader(ctx).load_one(ActivityOf(self.0)).await?.unwrap_or_default().1)
    }
    /// TA的人脉: the people who opened what this customer shared on, first
    /// viewers first (at most 100).
    async fn network(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<NetworkMember>> {
        let viewers = crm_loader(ctx).load_one(NetworkOf(self.0)).await?.unwrap_or_default();
        Ok(viewers
            .into_iter()
            .map(|v| NetworkMember {
                kind: match (v.customer_id, v.visitor_id) {
                    (Some(_), _) => ViewerKind::Customer,
                    (None, Some(_)) => ViewerKind::Visitor,
                    _ => ViewerKind::Anonymous,
                },
                first_viewed_at: v.first_viewed_at,
                customer_id: v.customer_id,
            })
            .collect())
    }
    /// Forms the customer submitted, newest first (at most 100).
    async fn form_submissions(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<FormSubmission>> {
        Ok(crm_loader(ctx).load_one(FormsOf(self.0)).await?.unwrap_or_default().into_iter().map(FormSubmission).collect())
    }
}

impl Loader<ActivityOf> for CrmLoader {
    type Value = (i64, i64);
    type Error = async_graphql::Error;
    /// Two grouped counts (all time, last 30 days): a typed filter each, so
    /// both databases compare timestamps as timestamps.
    async fn load(&self, keys: &[ActivityOf]) -> LoadResult<ActivityOf, Self::Value> {
        let Some(scope) = self.scope.get() else { return Ok(HashMap::new()) };
        let kinds: Vec<&str> = EventKind::all().iter().filter(|k| k.is_radar_behaviour()).map(|k| k.as_str()).collect();
        let counts = |since: Option<DateTime<Utc>>| {
            let mut q = scope
                .select::<customer_event::Entity>()
                .select_only()
                .column(customer_event::Column::CustomerId)
                .column_as(customer_event::Column::Id.count(), "n")
                .filter(customer_event::Column::CustomerId.is_in(ids(keys, |k| k.0)))
                .filter(customer_event::Column::Kind.is_in(kinds.clone()))
                .group_by(customer_event::Column::CustomerId);
            if let Some(since) = since {
                q = q.filter(customer_event::Column::OccurredAt.gte(since));
            }
            q.into_tuple::<(i64, i64)>().all(&self.db)
        };
        let total = counts(None).await.map_err(AppError::from)?;
        let recent: HashMap<i64, i64> = counts(Some(Utc::now() - Duration::days(30))).await.map_err(AppError::from)?.into_iter().collect();
        let mut out: HashMap<ActivityOf, (i64, i64)> = keys.iter().map(|k| (*k, (0, 0))).collect();
        out.extend(total.into_iter().map(|(c, n)| (ActivityOf(c), (n, recent.get(&c).copied().unwrap_or(0)))));
        Ok(out)
    }
}

impl Loader<NetworkOf> for CrmLoader {
    type Value = Vec<radar_viewer::Model>;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[NetworkOf]) -> LoadResult<NetworkOf, Self::Value> {
        let Some(scope) = self.scope.get() else { return Ok(HashMap::new()) };
        let shares: Vec<(i64, Option<i64>)> = scope
            .select::<radar_share::Entity>()
            .select_only()
            .column(radar_share::Column::Id)
            .column(radar_share::Column::SharedByCustomerId)
            .filter(radar_share::Column::SharedByCustomerId.is_in(ids(keys, |k| k.0)))
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(AppError::from)?;
        if shares.is_empty() {
            return Ok(group(keys, std::iter::empty()));
        }
        let sharer: HashMap<i64, i64> = shares.into_iter().filter_map(|(s, by)| by.map(|b| (s, b))).collect();
        let viewers = scope
            .select::<radar_viewer::Entity>()
            .filter(radar_viewer::Column::ShareId.is_in(sharer.keys().copied()))
            .order_by_asc(radar_viewer::Column::FirstViewedAt)
            .order_by_asc(radar_viewer::Column::Id)
            .all(&self.db)
            .await
            .map_err(AppError::from)?;
        let mut out = group(
            keys,
            viewers
                .into_iter()
                .filter_map(|v| sharer.get(&v.share_id).map(|by| (NetworkOf(*by), v)))
                // The sharer reopening their own share is not their network.
                .filter(|(by, v)| v.customer_id != Some(by.0)),
        );
        for list in out.values_mut() {
            list.truncate(PROFILE_LIST_CAP);
        }
        Ok(out)
    }
}

impl Loader<FormsOf> for CrmLoader {
    type Value = Vec<form_submission::Model>;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[FormsOf]) -> LoadResult<FormsOf, Self::Value> {
        let Some(scope) = self.scope.get() else { return Ok(HashMap::new()) };
        let rows = scope
            .select::<form_submission::Entity>()
            .filter(form_submission::Column::CustomerId.is_in(ids(keys, |k| k.0)))
            .order_by_desc(form_submission::Column::SubmittedAt)
            .order_by_desc(form_submission::Column::Id)
            .all(&self.db)
            .await
            .map_err(AppError::from)?;
        let mut out = group(keys, rows.into_iter().filter_map(|f| f.customer_id.map(|c| (FormsOf(c), f))));
        for list in out.values_mut() {
            list.truncate(PROFILE_LIST_CAP);
        }
        Ok(out)
    }
}
