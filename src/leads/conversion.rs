//! An assigned lead becomes a customer (CRM-3) when WeCom reports that its
//! assignee added the person: the new follow relation's `state` is the
//! lead's (`L<id>`, what a contact link made for the lead carries), or one
//! of the relation's remark mobiles is the lead's mobile. Only the lead's
//! own assignee's add converts it (a colleague who happens to know the
//! number takes nothing); the customer's owner becomes the assignee.
//! Runs inside the transaction that writes the relation, so an add is
//! converted exactly once with it.

use chrono::{DateTime, Utc};
use sea_orm::{sea_query::Expr, ColumnTrait, Condition, ConnectionTrait, QueryFilter};
use serde_json::json;

use super::{
    model::{event, log_row, LeadStatus},
    service,
};
use crate::{error::AppResult, tenancy::Scope};
use entity::{customer, lead};

/// A follow relation WeCom just reported.
pub struct Added {
    pub customer_id: i64,
    pub employee_id: i64,
    pub state: Option<String>,
    pub mobiles: Vec<String>,
}

fn lead_of_state(state: &str) -> Option<i64> {
    state.strip_prefix('L')?.parse().ok()
}

/// Converts the leads these adds match; answers how many. Costs nothing
/// when no add carries a lead state or a mobile.
pub async fn convert(db: &impl ConnectionTrait, scope: &Scope, added: &[Added], now: DateTime<Utc>) -> AppResult<usize> {
    let states: Vec<i64> = added.iter().filter_map(|a| a.state.as_deref().and_then(lead_of_state)).collect();
    let mobiles: Vec<String> =
        added.iter().flat_map(|a| a.mobiles.iter()).filter_map(|m| service::normalize_mobile(m).ok().flatten()).collect();
    if states.is_empty() && mobiles.is_empty() {
        return Ok(0);
    }
    let mut candidates = scope
        .select::<lead::Entity>()
        .filter(lead::Column::Status.eq(LeadStatus::Active.as_str()))
        .filter(lead::Column::OwnerId.is_not_null())
        .filter(Condition::any().add(lead::Column::Id.is_in(states)).add(lead::Column::Mobile.is_in(mobiles)))
        .all(db)
        .await?;
    let mut converted = 0;
    for a in added {
        let mine: Vec<String> = a.mobiles.iter().filter_map(|m| service::normalize_mobile(m).ok().flatten()).collect();
        let state = a.state.as_deref().and_then(lead_of_state);
        let found = candidates.iter().position(|l| {
            l.owner_id == Some(a.employee_id) && (state == Some(l.id) || l.mobile.as_ref().is_some_and(|m| mine.contains(m)))
        });
        let Some(i) = found else { continue };
        let l = candidates.swap_remove(i);
        let matched_by = if state == Some(l.id) { "STATE" } else { "MOBILE" };
        scope
            .update_many::<lead::Entity>()
            .col_expr(lead::Column::Status, Expr::value(LeadStatus::Converted.as_str()))
            .col_expr(lead::Column::CustomerId, Expr::value(a.customer_id))
            .col_expr(lead::Column::ConvertedAt, Expr::value(now))
            .col_expr(lead::Column::UpdatedAt, Expr::value(now))
            .filter(lead::Column::Id.eq(l.id))
            .exec(db)
            .await?;
        // The assignee owns it from now (recall counts from here), out of any pool.
        scope
            .update_many::<customer::Entity>()
            .col_expr(customer::Column::OwnerId, Expr::value(a.employee_id))
            .col_expr(customer::Column::OwnerSince, Expr::value(now))
            .col_expr(customer::Column::PooledAt, Expr::value(Option::<DateTime<Utc>>::None))
            .col_expr(customer::Column::PoolReasonId, Expr::value(Option::<i64>::None))
            .filter(customer::Column::Id.eq(a.customer_id))
            .exec(db)
            .await?;
        scope.insert(db, log_row(l.id, event::CONVERTED, None, json!({"customerId": a.customer_id, "matchedBy": matched_by}), now)).await?;
        converted += 1;
    }
    Ok(converted)
}
