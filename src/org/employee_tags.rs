//! Employee tags (ORG-10): labels whose members are employees or whole departments.

use chrono::Utc;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, PaginatorTrait, QueryFilter, QueryOrder, Select};

use crate::{
    error::{msg, AppError, AppResult, Msg},
    tenancy::Scope,
};
use entity::{employee, employee_tag, employee_tag_member};

const NAME_INVALID: Msg = Msg::new("EMPLOYEE_TAG_NAME_INVALID", "标签名称为1-32个字", "Tag name must be 1-32 characters");

fn validate_name(name: &str) -> AppResult<String> {
    let n = name.trim();
    let len = n.chars().count();
    if len == 0 || len > 32 {
        return Err(AppError::bad_input("name", NAME_INVALID));
    }
    Ok(n.to_string())
}

pub fn list(scope: &Scope, keyword: Option<&str>) -> Select<employee_tag::Entity> {
    let mut q = scope.select::<employee_tag::Entity>().order_by_desc(employee_tag::Column::Id);
    if let Some(k) = keyword.map(str::trim).filter(|k| !k.is_empty()) {
        q = q.filter(employee_tag::Column::Name.contains(k));
    }
    q
}

async fn ensure_unique(db: &impl ConnectionTrait, scope: &Scope, name: &str, except: Option<i64>) -> AppResult<()> {
    let mut q = scope.select::<employee_tag::Entity>().filter(employee_tag::Column::Name.eq(name));
    if let Some(id) = except {
        q = q.filter(employee_tag::Column::Id.ne(id));
    }
    if q.count(db).await? > 0 {
        return Err(AppError::conflict(msg::DUPLICATE_NAME).with_field("name"));
    }
    Ok(())
}

pub async fn create(
    db: &DatabaseConnection,
    scope: &Scope,
    name: &str,
    employee_ids: &[i64],
    department_ids: &[i64],
) -> AppResult<employee_tag::Model> {
    let name = validate_name(name)?;
    let txn = crate::db::write_txn(db).await?;
    ensure_unique(&txn, scope, &name, None).await?;
    let now = Utc::now();
    let tag = scope
        .insert(
            &txn,
            employee_tag::ActiveModel {
                name: Set(name),
                wecom_tag_id: Set(None),
                created_by: Set(scope.employee_id()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            },
        )
        .await?;
    add_members_in(&txn, scope, tag.id, employee_ids, department_ids).await?;
    txn.commit().await?;
    Ok(tag)
}

pub async fn rename(db: &DatabaseConnection, scope: &Scope, id: i64, name: &str) -> AppResult<employee_tag::Model> {
    let name = validate_name(name)?;
    let txn = crate::db::write_txn(db).await?;
    let tag = scope.get::<employee_tag::Entity>(&txn, id).await?;
    ensure_unique(&txn, scope, &name, Some(id)).await?;
    let mut am: employee_tag::ActiveModel = tag.into();
    am.name = Set(name);
    am.updated_at = Set(Utc::now());
    let tag = scope.update(&txn, am).await?;
    txn.commit().await?;
    Ok(tag)
}

pub async fn delete(db: &DatabaseConnection, scope: &Scope, id: i64) -> AppResult<()> {
    let txn = crate::db::write_txn(db).await?;
    scope.get::<employee_tag::Entity>(&txn, id).await?;
    scope.delete_many::<employee_tag_member::Entity>().filter(employee_tag_member::Column::TagId.eq(id)).exec(&txn).await?;
    scope.delete_many::<employee_tag::Entity>().filter(employee_tag::Column::Id.eq(id)).exec(&txn).await?;
    txn.commit().await?;
    Ok(())
}

async fn add_members_in(
    db: &impl ConnectionTrait,
    scope: &Scope,
    tag_id: i64,
    employee_ids: &[i64],
    department_ids: &[i64],
) -> AppResult<()> {
    let existing = scope.select::<employee_tag_member::Entity>().filter(employee_tag_member::Column::TagId.eq(tag_id)).all(db).await?;
    let mut emps: Vec<i64> = employee_ids.iter().copied().filter(|e| !existing.iter().any(|m| m.employee_id == Some(*e))).collect();
    emps.sort_unstable();
    emps.dedup();
    let mut depts: Vec<i64> = department_ids.iter().copied().filter(|d| !existing.iter().any(|m| m.department_id == Some(*d))).collect();
    depts.sort_unstable();
    depts.dedup();
    if !emps.is_empty() {
        let n = scope.select::<employee::Entity>().filter(employee::Column::Id.is_in(emps.clone())).count(db).await?;
        if n != emps.len() as u64 {
            return Err(AppError::not_found().with_field("employeeIds"));
        }
    }
    if !depts.is_empty() {
        let n = scope.select::<entity::department::Entity>().filter(entity::department::Column::Id.is_in(depts.clone())).count(db).await?;
        if n != depts.len() as u64 {
            return Err(AppError::not_found().with_field("departmentIds"));
        }
    }
    let rows = emps
        .into_iter()
        .map(|e| employee_tag_member::ActiveModel {
            tag_id: Set(tag_id),
            employee_id: Set(Some(e)),
            department_id: Set(None),
            ..Default::default()
        })
        .chain(depts.into_iter().map(|d| employee_tag_member::ActiveModel {
            tag_id: Set(tag_id),
            employee_id: Set(None),
            department_id: Set(Some(d)),
            ..Default::default()
        }));
    scope.insert_many(db, rows).await
}

pub async fn add_members(
    db: &DatabaseConnection,
    scope: &Scope,
    tag_id: i64,
    employee_ids: &[i64],
    department_ids: &[i64],
) -> AppResult<employee_tag::Model> {
    let txn = crate::db::write_txn(db).await?;
    let tag = scope.get::<employee_tag::Entity>(&txn, tag_id).await?;
    add_members_in(&txn, scope, tag_id, employee_ids, department_ids).await?;
    txn.commit().await?;
    Ok(tag)
}

/// 剔除人员: removes one employee, or one department, from the tag.
pub async fn remove_member(
    db: &DatabaseConnection,
    scope: &Scope,
    tag_id: i64,
    employee_id: Option<i64>,
    department_id: Option<i64>,
) -> AppResult<employee_tag::Model> {
    let tag = scope.get::<employee_tag::Entity>(db, tag_id).await?;
    let mut q = scope.delete_many::<employee_tag_member::Entity>().filter(employee_tag_member::Column::TagId.eq(tag_id));
    q = match (employee_id, department_id) {
        (Some(e), None) => q.filter(employee_tag_member::Column::EmployeeId.eq(e)),
        (None, Some(d)) => q.filter(employee_tag_member::Column::DepartmentId.eq(d)),
        _ => {
            return Err(AppError::bad_input(
                "employeeId",
                Msg::new("EMPLOYEE_OR_DEPARTMENT_REQUIRED", "请指定一名员工或一个部门", "Name one employee or one department"),
            ))
        }
    };
    let res = q.exec(db).await?;
    if res.rows_affected == 0 {
        return Err(AppError::not_found());
    }
    Ok(tag)
}
