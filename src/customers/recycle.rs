//! The customer recycle bin (INH-4): every ended follow relation, with why
//! and when, searchable and filterable. Rows are written by the WeCom
//! callbacks that end a relation, keyed by the event so a replay writes once.

use chrono::{DateTime, Utc};
use sea_orm::{sea_query::OnConflict, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, QueryFilter, QueryOrder, Select};
use serde_json::json;

use super::timeline::{self, EventKind, NewEvent};
use crate::{error::AppResult, tenancy::Scope};
use entity::{customer, customer_follow, customer_loss};

#[derive(async_graphql::Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum LossType {
    /// The customer deleted the employee (客户删除).
    CustomerDeleted,
    /// The employee deleted the customer (员工删除).
    EmployeeDeleted,
    /// The employee left the corp (员工离职).
    EmployeeResigned,
}

impl LossType {
    pub fn as_str(self) -> &'static str {
        match self {
            LossType::CustomerDeleted => "CUSTOMER_DELETED",
            LossType::EmployeeDeleted => "EMPLOYEE_DELETED",
            LossType::EmployeeResigned => "EMPLOYEE_RESIGNED",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [LossType::CustomerDeleted, LossType::EmployeeDeleted, LossType::EmployeeResigned].into_iter().find(|t| t.as_str() == s)
    }
}

/// Records the end of one follow relation (before it is removed) and puts it
/// on the customer's timeline. `dedup_key` names the source event.
pub async fn record(
    db: &impl ConnectionTrait,
    scope: &Scope,
    c: &customer::Model,
    follow: &customer_follow::Model,
    loss: LossType,
    lost_at: DateTime<Utc>,
    dedup_key: &str,
) -> AppResult<()> {
    scope
        .insert_many_ignoring(
            db,
            [customer_loss::ActiveModel {
                customer_id: Set(c.id),
                employee_id: Set(follow.employee_id),
                loss_type: Set(loss.as_str().into()),
                lost_at: Set(lost_at),
                added_at: Set(follow.added_at),
                last_contact_at: Set(c.last_contact_at),
                customer_name: Set(c.name.clone()),
                customer_mobile: Set(c.mobile.clone()),
                dedup_key: Set(dedup_key.to_string()),
                ..Default::default()
            }],
            OnConflict::columns([customer_loss::Column::CorpId, customer_loss::Column::DedupKey]).do_nothing().to_owned(),
        )
        .await?;
    timeline::append(
        db,
        scope,
        vec![NewEvent::new(c.id, EventKind::RelationEnded, lost_at).by(Some(follow.employee_id)).with(json!({"lossType": loss.as_str()}))],
    )
    .await
}

/// The recycle bin's filter; conditions combine with AND.
#[derive(Default)]
pub struct LossQuery {
    /// Substring of the customer's name or mobile.
    pub keyword: Option<String>,
    pub loss_types: Vec<LossType>,
    pub lost_from: Option<DateTime<Utc>>,
    pub lost_to: Option<DateTime<Utc>>,
}

/// Rows the caller may see (the employee who lost the customer is in scope), newest loss first.
pub fn list(scope: &Scope, q: &LossQuery) -> Select<customer_loss::Entity> {
    let mut s = scope.select::<customer_loss::Entity>().filter(scope.visible_employees(customer_loss::Column::EmployeeId));
    if let Some(k) = q.keyword.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
        s = s.filter(
            Condition::any().add(customer_loss::Column::CustomerName.contains(k)).add(customer_loss::Column::CustomerMobile.contains(k)),
        );
    }
    if !q.loss_types.is_empty() {
        s = s.filter(customer_loss::Column::LossType.is_in(q.loss_types.iter().map(|t| t.as_str())));
    }
    if let Some(t) = q.lost_from {
        s = s.filter(customer_loss::Column::LostAt.gte(t));
    }
    if let Some(t) = q.lost_to {
        s = s.filter(customer_loss::Column::LostAt.lte(t));
    }
    s.order_by_desc(customer_loss::Column::LostAt).order_by_desc(customer_loss::Column::Id)
}
