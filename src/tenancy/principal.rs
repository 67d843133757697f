//! Who is calling: the authenticated principal, and the one way an
//! employee's data scope is worked out from their roles as they are now
//! (for a request, a job run on their behalf, or an alert's recipient).

use std::{collections::HashSet, sync::Arc};

use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter};

use super::{scope::Scope, visibility::resolve_visibility};
use crate::error::AppResult;
use entity::{employee, employee_role, role};

/// The authenticated caller.
#[derive(Clone, Debug)]
pub struct Auth {
    pub corp_id: i64,
    pub employee_id: i64,
    pub session_id: i64,
    pub is_super_admin: bool,
    pub permissions: Arc<HashSet<String>>,
    pub scope: Scope,
}

impl Auth {
    pub fn has(&self, permission: &str) -> bool {
        self.is_super_admin || self.permissions.contains(permission)
    }
}

/// An employee as they stand now: their row, their roles and the data scope
/// those roles give.
pub struct Standing {
    pub employee: employee::Model,
    pub roles: Vec<role::Model>,
    pub scope: Scope,
}

/// The roles an employee holds.
pub async fn roles_of(db: &impl ConnectionTrait, corp_id: i64, employee_id: i64) -> AppResult<Vec<role::Model>> {
    let corp = Scope::system(corp_id);
    let held = corp
        .subquery::<employee_role::Entity>(employee_role::Column::RoleId)
        .and_where(employee_role::Column::EmployeeId.eq(employee_id))
        .to_owned();
    Ok(corp.select::<role::Entity>().filter(role::Column::Id.in_subquery(held)).all(db).await?)
}

/// The employee, roles and scope of `employee_id` in `corp_id`; `None` when
/// no such employee exists there.
pub async fn standing_of(db: &impl ConnectionTrait, corp_id: i64, employee_id: i64) -> AppResult<Option<Standing>> {
    let system = Scope::system(corp_id);
    let Some(employee) = system.select::<employee::Entity>().filter(employee::Column::Id.eq(employee_id)).one(db).await? else {
        return Ok(None);
    };
    let roles = roles_of(db, corp_id, employee_id).await?;
    let visibility = resolve_visibility(db, corp_id, employee_id, employee.is_super_admin, &roles).await?;
    let scope = Scope::of_employee(corp_id, employee_id, visibility);
    Ok(Some(Standing { employee, roles, scope }))
}

/// The data scope `employee_id` has now; `None` when no such employee exists.
pub async fn scope_of(db: &impl ConnectionTrait, corp_id: i64, employee_id: i64) -> AppResult<Option<Scope>> {
    Ok(standing_of(db, corp_id, employee_id).await?.map(|s| s.scope))
}
