//! List aggregates kept on the customer row (add time of the first adder,
//! adder count), recomputed from the follow relations by whoever changes them,
//! inside the same transaction, so the list filters and sorts on indexed columns.

use sea_orm::{
    sea_query::{Expr, ExprTrait, Func, Query},
    ColumnTrait, ConnectionTrait, QueryFilter,
};

use crate::{error::AppResult, tenancy::Scope};
use entity::{customer, customer_follow};

/// Recomputes the aggregates of these customers: one statement per 500 ids.
pub async fn refresh(db: &impl ConnectionTrait, scope: &Scope, customer_ids: &[i64]) -> AppResult<()> {
    // corp_id first, so the subquery reads the (corp_id, customer_id, employee_id) index.
    let of_this_customer = || {
        Expr::col((customer_follow::Entity, customer_follow::Column::CorpId))
            .equals((customer::Entity, customer::Column::CorpId))
            .and(Expr::col((customer_follow::Entity, customer_follow::Column::CustomerId)).equals((customer::Entity, customer::Column::Id)))
    };
    let first = Query::select()
        .expr(Func::min(Expr::col((customer_follow::Entity, customer_follow::Column::AddedAt))))
        .from(customer_follow::Entity)
        .and_where(of_this_customer())
        .to_owned();
    let count = Query::select()
        .expr(Func::count(Expr::col((customer_follow::Entity, customer_follow::Column::Id))))
        .from(customer_follow::Entity)
        .and_where(of_this_customer())
        .to_owned();
    for chunk in customer_ids.chunks(500) {
        scope
            .update_many::<customer::Entity>()
            // A customer who lost every adder keeps the add time it had.
            .col_expr(
                customer::Column::FirstAddedAt,
                Func::coalesce([
                    Expr::from(first.clone()),
                    Expr::col((customer::Entity, customer::Column::FirstAddedAt)),
                    Expr::col((customer::Entity, customer::Column::CreatedAt)),
                ])
                .into(),
            )
            .col_expr(customer::Column::AdderCount, Expr::from(count.clone()))
            .filter(customer::Column::Id.is_in(chunk.iter().copied()))
            .exec(db)
            .await?;
    }
    Ok(())
}
