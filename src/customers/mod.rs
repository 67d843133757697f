//! Customers (CUS): the list and its filters, detail fields, owner and adders,
//! tags through WeCom's `mark_tag`, on-job transfer, follow-up records, the
//! timeline every producer appends to, and the recycle bin of lost customers.
//!
//! Visibility is the tenancy rule for `customer::Entity` (an adder or the
//! owner in the caller's data scope); every read here goes through
//! `Scope::select_visible` / `get_visible`.

pub mod aggregates;
pub mod follow_ups;
pub mod graphql;
pub mod groups;
pub mod loaders;
pub mod recycle;
pub mod seed;
pub mod service;
pub mod tagging;
pub mod timeline;
pub mod transfer;

use sea_orm::{ColumnTrait, DatabaseConnection, PaginatorTrait, QueryFilter};

use crate::{
    error::{msg, AppError, AppResult},
    org::employees::DeletionGuard,
    tenancy::Scope,
};

/// Refuses to delete an employee who still owns customers (ORG: "该员工下有跟进的客户…").
pub struct OwnedCustomersGuard;

#[async_trait::async_trait]
impl DeletionGuard for OwnedCustomersGuard {
    async fn check(&self, db: &DatabaseConnection, scope: &Scope, employee_id: i64) -> AppResult<()> {
        let owned =
            scope.select::<entity::customer::Entity>().filter(entity::customer::Column::OwnerId.eq(employee_id)).count(db).await?;
        if owned > 0 {
            return Err(AppError::conflict(msg::EMPLOYEE_HAS_CUSTOMERS));
        }
        Ok(())
    }
}
