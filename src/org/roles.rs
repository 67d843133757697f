//! Roles (ORG-8): function permissions plus one data scope.

use chrono::Utc;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};

use super::permissions;
pub use crate::tenancy::roles_of;
use crate::{
    error::{msg, AppError, AppResult, Msg},
    tenancy::{scope_kind, Scope},
};
use entity::{employee_role, role, role_department};

const UNKNOWN_PERMISSION: Msg = Msg::new("UNKNOWN_PERMISSION", "权限不存在", "Unknown permission");
const CUSTOM_NEEDS_DEPTS: Msg = Msg::new("CUSTOM_NEEDS_DEPTS", "自定义数据权限请选择部门", "A custom data scope needs departments");
const SUPER_ROLE_NOT_ASSIGNABLE: Msg =
    Msg::new("SUPER_ROLE_NOT_ASSIGNABLE", "超级管理员角色不可分配", "The super admin role cannot be assigned");

pub const SUPER_ROLE_NAME: &str = "超级管理员";
pub const BASIC_ROLE_NAME: &str = "基础角色";

pub struct RoleInput {
    pub name: Option<String>,
    pub permissions: Option<Vec<String>>,
    pub data_scope: Option<String>,
    pub department_ids: Option<Vec<i64>>,
}

fn validate_name(name: &str) -> AppResult<String> {
    let n = name.trim();
    let len = n.chars().count();
    if len == 0 || len > 30 {
        return Err(AppError::bad_input("name", msg::ROLE_NAME_INVALID));
    }
    Ok(n.to_string())
}

fn validate_permissions(codes: &[String]) -> AppResult<String> {
    let mut out: Vec<&str> = Vec::new();
    for c in codes {
        if !permissions::is_known(c) {
            return Err(AppError::bad_input("permissions", UNKNOWN_PERMISSION).with_extra("permission", c.clone()));
        }
        if !out.contains(&c.as_str()) {
            out.push(c);
        }
    }
    Ok(crate::json::text(&out))
}

pub fn parse_permissions(role: &role::Model) -> Vec<String> {
    if role.is_super {
        return permissions::all_codes().into_iter().map(String::from).collect();
    }
    serde_json::from_str(&role.permissions).unwrap_or_default()
}

/// Roles the caller may see: the super role only by the super admin.
pub fn list(scope: &Scope, caller_is_super: bool, keyword: Option<&str>) -> Select<role::Entity> {
    let mut q = scope.select::<role::Entity>().order_by_desc(role::Column::IsSuper).order_by_asc(role::Column::Id);
    if !caller_is_super {
        q = q.filter(role::Column::IsSuper.eq(false));
    }
    if let Some(k) = keyword.map(str::trim).filter(|k| !k.is_empty()) {
        q = q.filter(role::Column::Name.contains(k));
    }
    q
}

pub async fn get(db: &impl ConnectionTrait, scope: &Scope, caller_is_super: bool, id: i64) -> AppResult<role::Model> {
    let r = scope.get::<role::Entity>(db, id).await?;
    if r.is_super && !caller_is_super {
        return Err(AppError::not_found());
    }
    Ok(r)
}

async fn set_departments(db: &impl ConnectionTrait, scope: &Scope, role_id: i64, scope_name: &str, ids: &[i64]) -> AppResult<()> {
    scope.delete_many::<role_department::Entity>().filter(role_department::Column::RoleId.eq(role_id)).exec(db).await?;
    if scope_name != scope_kind::CUSTOM {
        return Ok(());
    }
    let mut unique = ids.to_vec();
    unique.sort_unstable();
    unique.dedup();
    if unique.is_empty() {
        return Err(AppError::bad_input("departmentIds", CUSTOM_NEEDS_DEPTS));
    }
    let found = scope.select::<entity::department::Entity>().filter(entity::department::Column::Id.is_in(unique.clone())).count(db).await?;
    if found != unique.len() as u64 {
        return Err(AppError::not_found().with_field("departmentIds"));
    }
    scope
        .insert_many(
            db,
            unique.into_iter().map(|d| role_department::ActiveModel { role_id: Set(role_id), department_id: Set(d), ..Default::default() }),
        )
        .await
}

async fn ensure_unique_name(db: &impl ConnectionTrait, scope: &Scope, name: &str, except: Option<i64>) -> AppResult<()> {
    let mut q = scope.select::<role::Entity>().filter(role::Column::Name.eq(name));
    if let Some(id) = except {
        q = q.filter(role::Column::Id.ne(id));
    }
    if q.count(db).await? > 0 {
        return Err(AppError::conflict(msg::DUPLICATE_NAME).with_field("name"));
    }
    Ok(())
}

pub async fn create(db: &DatabaseConnection, scope: &Scope, input: RoleInput) -> AppResult<role::Model> {
    let name = validate_name(input.name.as_deref().unwrap_or(""))?;
    let perms = validate_permissions(&input.permissions.unwrap_or_default())?;
    let data_scope = input.data_scope.unwrap_or_else(|| scope_kind::SELF.to_string());
    let txn = crate::db::write_txn(db).await?;
    ensure_unique_name(&txn, scope, &name, None).await?;
    let now = Utc::now();
    let r = scope
        .insert(
            &txn,
            role::ActiveModel {
                name: Set(name),
                is_super: Set(false),
                permissions: Set(perms),
                data_scope: Set(data_scope.clone()),
                created_by: Set(scope.employee_id()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            },
        )
        .await?;
    set_departments(&txn, scope, r.id, &data_scope, &input.department_ids.unwrap_or_default()).await?;
    txn.commit().await?;
    Ok(r)
}

pub async fn update(db: &DatabaseConnection, scope: &Scope, id: i64, input: RoleInput) -> AppResult<role::Model> {
    let txn = crate::db::write_txn(db).await?;
    let current = scope.get::<role::Entity>(&txn, id).await?;
    if current.is_super {
        return Err(AppError::conflict(msg::SUPER_ROLE_IMMUTABLE));
    }
    let mut am: role::ActiveModel = current.clone().into();
    if let Some(n) = &input.name {
        let n = validate_name(n)?;
        ensure_unique_name(&txn, scope, &n, Some(id)).await?;
        am.name = Set(n);
    }
    if let Some(p) = &input.permissions {
        am.permissions = Set(validate_permissions(p)?);
    }
    let new_scope = input.data_scope.clone().unwrap_or(current.data_scope.clone());
    am.data_scope = Set(new_scope.clone());
    am.updated_at = Set(Utc::now());
    let r = scope.update(&txn, am).await?;
    if input.data_scope.is_some() || input.department_ids.is_some() {
        let ids = match input.department_ids {
            Some(ids) => ids,
            None => role_department_ids(&txn, scope, id).await?,
        };
        set_departments(&txn, scope, id, &new_scope, &ids).await?;
    }
    txn.commit().await?;
    Ok(r)
}

/// Refused for the super role and for roles still held by employees
/// (SPEC leaves the latter open; refusing keeps nobody silently role-less).
pub async fn delete(db: &DatabaseConnection, scope: &Scope, id: i64) -> AppResult<()> {
    let txn = crate::db::write_txn(db).await?;
    let r = scope.get::<role::Entity>(&txn, id).await?;
    if r.is_super {
        return Err(AppError::conflict(msg::SUPER_ROLE_IMMUTABLE));
    }
    let holders = scope.select::<employee_role::Entity>().filter(employee_role::Column::RoleId.eq(id)).count(&txn).await?;
    if holders > 0 {
        return Err(AppError::conflict(msg::ROLE_IN_USE));
    }
    scope.delete_many::<role_department::Entity>().filter(role_department::Column::RoleId.eq(id)).exec(&txn).await?;
    scope.delete_by_id::<role::Entity>(&txn, id, msg::ROLE_IN_USE).await?;
    txn.commit().await?;
    Ok(())
}

/// Roles exist in this corp and none is the super role.
pub async fn ensure_assignable(db: &impl ConnectionTrait, scope: &Scope, ids: &[i64]) -> AppResult<()> {
    let found = scope.select::<role::Entity>().filter(role::Column::Id.is_in(ids.iter().copied())).all(db).await?;
    if found.len() != ids.len() {
        return Err(AppError::not_found().with_field("roleIds"));
    }
    if found.iter().any(|r| r.is_super) {
        return Err(AppError::bad_input("roleIds", SUPER_ROLE_NOT_ASSIGNABLE));
    }
    Ok(())
}

/// Department ids of a CUSTOM role (used when only the scope kind changes).
pub async fn role_department_ids(db: &impl ConnectionTrait, scope: &Scope, role_id: i64) -> AppResult<Vec<i64>> {
    Ok(scope
        .select::<role_department::Entity>()
        .select_only()
        .column(role_department::Column::DepartmentId)
        .filter(role_department::Column::RoleId.eq(role_id))
        .into_tuple()
        .all(db)
        .await?)
}
