//! Department channels (OA-8, 渠道分配): tenant admins assign accounts to
//! departments, and an employee works with the accounts of the departments
//! they are directly in; a parent's assignment does not reach its children.
//! Nothing is assigned by default, so until an admin assigns, only tenant
//! admins work in the Official Account module; everyone else is refused
//! with a message saying so.

use std::collections::BTreeSet;

use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, QueryFilter, QueryOrder, QuerySelect};

use crate::{
    error::{AppError, AppResult, Code, Msg},
    tenancy::{Auth, Scope},
};
use entity::{department, employee_department, oa_account, oa_account_department};

pub const ADMIN_ONLY: Msg = Msg::new(
    "OA_ADMIN_ONLY",
    "仅企业管理员可以绑定或解绑公众号，请联系企业管理员",
    "Only the corp's admins may bind or unbind Official Accounts",
);
pub const NO_CHANNEL: Msg = Msg::new(
    "OA_NO_CHANNEL",
    "您所在的部门未分配公众号，请联系企业管理员",
    "No Official Account is assigned to your department; ask the corp's admin",
);

/// The accounts the caller works with: `None` for all (tenant admins), else
/// those assigned to the caller's own departments (FORBIDDEN when none).
pub async fn accessible(db: &impl ConnectionTrait, auth: &Auth) -> AppResult<Option<Vec<i64>>> {
    if auth.is_super_admin {
        return Ok(None);
    }
    let ids = assigned_to_employee(db, &auth.scope, auth.employee_id).await?;
    if ids.is_empty() {
        return Err(AppError::new(Code::Forbidden, NO_CHANNEL));
    }
    Ok(Some(ids))
}

/// The accounts assigned to the departments the employee is directly in.
async fn assigned_to_employee(db: &impl ConnectionTrait, scope: &Scope, employee_id: i64) -> AppResult<Vec<i64>> {
    let departments = scope
        .subquery::<employee_department::Entity>(employee_department::Column::DepartmentId)
        .and_where(employee_department::Column::EmployeeId.eq(employee_id))
        .to_owned();
    let ids: BTreeSet<i64> = scope
        .select::<oa_account_department::Entity>()
        .filter(oa_account_department::Column::DepartmentId.in_subquery(departments))
        .select_only()
        .column(oa_account_department::Column::AccountId)
        .into_tuple::<i64>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    Ok(ids.into_iter().collect())
}

/// The caller may work with this account of their corp (NOT_FOUND for
/// another corp's, FORBIDDEN for one not assigned to their department).
pub async fn check(db: &impl ConnectionTrait, auth: &Auth, account_id: i64) -> AppResult<oa_account::Model> {
    let account = auth.scope.get::<oa_account::Entity>(db, account_id).await?;
    match accessible(db, auth).await? {
        Some(ids) if !ids.contains(&account_id) => Err(AppError::new(Code::Forbidden, NO_CHANNEL)),
        _ => Ok(account),
    }
}

/// The corp's accounts the caller works with (FORBIDDEN when none).
pub async fn visible_accounts(db: &impl ConnectionTrait, auth: &Auth) -> AppResult<Vec<oa_account::Model>> {
    let all = auth.scope.select::<oa_account::Entity>().order_by_asc(oa_account::Column::Id).all(db).await?;
    Ok(match accessible(db, auth).await? {
        None => all,
        Some(ids) => all.into_iter().filter(|a| ids.contains(&a.id)).collect(),
    })
}

/// The departments of each of these accounts.
pub async fn departments_of(db: &impl ConnectionTrait, scope: &Scope, account_ids: Vec<i64>) -> AppResult<Vec<(i64, department::Model)>> {
    let links =
        scope.select::<oa_account_department::Entity>().filter(oa_account_department::Column::AccountId.is_in(account_ids)).all(db).await?;
    let departments =
        scope.select::<department::Entity>().filter(department::Column::Id.is_in(links.iter().map(|l| l.department_id))).all(db).await?;
    Ok(links.iter().filter_map(|l| departments.iter().find(|d| d.id == l.department_id).map(|d| (l.account_id, d.clone()))).collect())
}

/// Replaces the account's departments (tenant admins only); every
/// department must be the corp's.
pub async fn set_departments(
    db: &DatabaseConnection,
    auth: &Auth,
    account_id: i64,
    department_ids: Vec<i64>,
) -> AppResult<oa_account::Model> {
    if !auth.is_super_admin {
        return Err(AppError::new(Code::Forbidden, ADMIN_ONLY));
    }
    let scope = &auth.scope;
    let account = scope.get::<oa_account::Entity>(db, account_id).await?;
    let wanted: BTreeSet<i64> = department_ids.into_iter().collect();
    let found = scope
        .select::<department::Entity>()
        .filter(department::Column::Id.is_in(wanted.iter().copied()))
        .select_only()
        .column(department::Column::Id)
        .into_tuple::<i64>()
        .all(db)
        .await?;
    if found.len() != wanted.len() {
        return Err(AppError::not_found().with_field("departmentIds"));
    }
    let txn = crate::db::write_txn(db).await?;
    scope.delete_many::<oa_account_department::Entity>().filter(oa_account_department::Column::AccountId.eq(account_id)).exec(&txn).await?;
    let rows = wanted.into_iter().map(|d| oa_account_department::ActiveModel {
        account_id: Set(account_id),
        department_id: Set(d),
        ..Default::default()
    });
    scope.insert_many(&txn, rows).await?;
    txn.commit().await?;
    Ok(account)
}

/// The fans the caller may list: the chosen accounts (all when None) within
/// those they work with.
pub async fn narrow(db: &impl ConnectionTrait, auth: &Auth, chosen: Option<Vec<i64>>) -> AppResult<Option<Vec<i64>>> {
    Ok(match (accessible(db, auth).await?, chosen) {
        (None, chosen) => chosen,
        (Some(mine), None) => Some(mine),
        (Some(mine), Some(chosen)) => Some(chosen.into_iter().filter(|c| mine.contains(c)).collect()),
    })
}
