//! Vetoes on deleting an employee, registered by the areas that own rows
//! pointing at employees (so `org` need not know those areas).

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::{error::AppResult, tenancy::Scope};

/// Something elsewhere that refuses an employee's deletion (e.g. customers
/// still owned, from the customers area). Areas register theirs at start.
#[async_trait::async_trait]
pub trait DeletionGuard: Send + Sync {
    async fn check(&self, db: &DatabaseConnection, scope: &Scope, employee_id: i64) -> AppResult<()>;
}

pub type DeletionGuards = Arc<Vec<Arc<dyn DeletionGuard>>>;
