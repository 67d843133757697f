//! Departments (ORG-2): a tree per corp, ordered among siblings.

use chrono::Utc;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::{
    error::{msg, AppError, AppResult, Msg},
    integrations::wecom::types::{CreateDepartment, UpdateDepartment},
    tenancy::Scope,
    wecom_sync::link::WecomLink,
};
use entity::{department, employee_department};

const ROOT_UNDELETABLE: Msg = Msg::new("ROOT_UNDELETABLE", "根部门不可删除", "The root department cannot be deleted");
const PARENT_REQUIRED: Msg = Msg::new("PARENT_REQUIRED", "请选择上级部门", "Choose a parent department");
const PARENT_NOT_IN_WECOM: Msg =
    Msg::new("PARENT_NOT_IN_WECOM", "上级部门尚未同步到企业微信，请先同步", "The parent department is not in WeCom yet; sync first");

/// WeCom orders siblings by `order`, larger first; ours by `sort`, smaller first.
fn wecom_order(sort: i32) -> i64 {
    100_000_000 - i64::from(sort) * 1000
}

/// 1–32 characters, none of `\ : " < > |`.
pub fn validate_name(name: &str) -> AppResult<String> {
    let name = name.trim();
    let n = name.chars().count();
    if n == 0 || n > 32 || name.chars().any(|c| matches!(c, '\\' | ':' | '"' | '<' | '>' | '|')) {
        return Err(AppError::bad_input("name", msg::DEPT_NAME_INVALID));
    }
    Ok(name.to_string())
}

pub struct DepartmentFilter {
    pub keyword: Option<String>,
    pub parent_id: Option<i64>,
}

pub fn list(scope: &Scope, filter: &DepartmentFilter) -> sea_orm::Select<department::Entity> {
    let mut q = scope.select::<department::Entity>();
    if let Some(k) = filter.keyword.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
        q = q.filter(department::Column::Name.contains(k));
    }
    if let Some(p) = filter.parent_id {
        q = q.filter(department::Column::ParentId.eq(p));
    }
    q.order_by_asc(department::Column::ParentId).order_by_asc(department::Column::Sort).order_by_asc(department::Column::Id)
}

pub async fn roots(db: &DatabaseConnection, scope: &Scope) -> AppResult<Vec<department::Model>> {
    Ok(scope
        .select::<department::Entity>()
        .filter(department::Column::ParentId.is_null())
        .order_by_asc(department::Column::Sort)
        .all(db)
        .await?)
}

async fn next_sort(db: &impl ConnectionTrait, scope: &Scope, parent_id: i64) -> AppResult<i32> {
    let max: Option<Option<i32>> = scope
        .select::<department::Entity>()
        .select_only()
        .column_as(department::Column::Sort.max(), "m")
        .filter(department::Column::ParentId.eq(parent_id))
        .into_tuple()
        .one(db)
        .await?;
    Ok(max.flatten().map(|m| m + 1).unwrap_or(0))
}

/// With a WeCom link, WeCom creates it first; if WeCom refuses, nothing changes here.
pub async fn create(
    db: &DatabaseConnection,
    scope: &Scope,
    wecom: Option<&WecomLink>,
    name: &str,
    parent_id: Option<i64>,
) -> AppResult<department::Model> {
    let name = validate_name(name)?;
    let parent_id = parent_id.ok_or_else(|| AppError::bad_input("parentId", PARENT_REQUIRED))?;
    let parent = scope.get::<department::Entity>(db, parent_id).await.map_err(|e| e.with_field("parentId"))?;
    let now = Utc::now();
    let sort = next_sort(db, scope, parent_id).await?;
    let wecom_id = match wecom {
        None => None,
        Some(l) => {
            let parentid = parent.wecom_id.ok_or_else(|| AppError::bad_input("parentId", PARENT_NOT_IN_WECOM))?;
            let body = CreateDepartment { name: name.clone(), parentid, order: Some(wecom_order(sort)), id: None };
            Some(l.client.department_create(&l.creds, &body).await?)
        }
    };
    scope
        .insert(
            db,
            department::ActiveModel {
                parent_id: Set(Some(parent_id)),
                name: Set(name),
                sort: Set(sort),
                wecom_id: Set(wecom_id),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            },
        )
        .await
}

pub async fn rename(
    db: &DatabaseConnection,
    scope: &Scope,
    wecom: Option<&WecomLink>,
    id: i64,
    name: &str,
) -> AppResult<department::Model> {
    let name = validate_name(name)?;
    let current = scope.get::<department::Entity>(db, id).await?;
    if let (Some(l), Some(wid)) = (wecom, current.wecom_id) {
        l.client.department_update(&l.creds, &UpdateDepartment { id: wid, name: Some(name.clone()), parentid: None, order: None }).await?;
    }
    let mut am: department::ActiveModel = current.into();
    am.name = Set(name);
    am.updated_at = Set(Utc::now());
    scope.update(db, am).await
}

/// Moves a department under `parent_id` (or keeps its parent) at `position`
/// among its new siblings, renumbering them in one transaction.
pub async fn move_to(
    db: &DatabaseConnection,
    scope: &Scope,
    wecom: Option<&WecomLink>,
    id: i64,
    parent_id: Option<i64>,
    position: usize,
) -> AppResult<department::Model> {
    let txn = crate::db::write_txn(db).await?;
    let current = scope.get::<department::Entity>(&txn, id).await?;
    let Some(old_parent) = current.parent_id else {
        return Err(AppError::bad_input("id", Msg::new("ROOT_DEPARTMENT_IMMOVABLE", "根部门不可移动", "The root department cannot move")));
    };
    let parent = parent_id.unwrap_or(old_parent);
    scope.get::<department::Entity>(&txn, parent).await.map_err(|e| e.with_field("parentId"))?;
    // Refuse moving under itself or a descendant.
    let tree: Vec<(i64, Option<i64>)> = scope
        .select::<department::Entity>()
        .select_only()
        .column(department::Column::Id)
        .column(department::Column::ParentId)
        .into_tuple()
        .all(&txn)
        .await?;
    if crate::tenancy::subtree_of(&tree, &[id]).contains(&parent) {
        return Err(AppError::bad_input("parentId", msg::DEPT_CYCLE));
    }
    let mut siblings: Vec<department::Model> = scope
        .select::<department::Entity>()
        .filter(department::Column::ParentId.eq(parent))
        .filter(department::Column::Id.ne(id))
        .order_by_asc(department::Column::Sort)
        .order_by_asc(department::Column::Id)
        .all(&txn)
        .await?;
    let now = Utc::now();
    let position = position.min(siblings.len());
    if let (Some(l), Some(wid)) = (wecom, current.wecom_id) {
        let parent_wecom = scope
            .get::<department::Entity>(&txn, parent)
            .await?
            .wecom_id
            .ok_or_else(|| AppError::bad_input("parentId", PARENT_NOT_IN_WECOM))?;
        let body = UpdateDepartment { id: wid, name: None, parentid: Some(parent_wecom), order: Some(wecom_order(position as i32)) };
        l.client.department_update(&l.creds, &body).await?;
    }
    let mut moved = current.clone();
    moved.parent_id = Some(parent);
    siblings.insert(position, moved);
    let mut result = None;
    for (i, d) in siblings.into_iter().enumerate() {
        let is_target = d.id == id;
        if !is_target && d.sort == i as i32 {
            continue;
        }
        let mut am: department::ActiveModel = d.into();
        am.sort = Set(i as i32);
        if is_target {
            am.parent_id = Set(Some(parent));
            am.updated_at = Set(now);
        }
        let saved = scope.update(&txn, am).await?;
        if is_target {
            result = Some(saved);
        }
    }
    txn.commit().await?;
    result.ok_or_else(AppError::not_found)
}

/// Refused while the department has child departments or members.
pub async fn delete(db: &DatabaseConnection, scope: &Scope, wecom: Option<&WecomLink>, id: i64) -> AppResult<()> {
    let txn = crate::db::write_txn(db).await?;
    let dept = scope.get::<department::Entity>(&txn, id).await?;
    if dept.parent_id.is_none() {
        return Err(AppError::conflict(ROOT_UNDELETABLE));
    }
    let children = scope.select::<department::Entity>().filter(department::Column::ParentId.eq(id)).count(&txn).await?;
    let members =
        scope.select::<employee_department::Entity>().filter(employee_department::Column::DepartmentId.eq(id)).count(&txn).await?;
    if children > 0 || members > 0 {
        return Err(AppError::conflict(msg::DEPT_HAS_DATA));
    }
    if let (Some(l), Some(wid)) = (wecom, dept.wecom_id) {
        l.client.department_delete(&l.creds, wid).await?;
    }
    scope.delete_by_id::<department::Entity>(&txn, id, msg::DEPT_HAS_DATA).await?;
    scope
        .delete_many::<entity::employee_tag_member::Entity>()
        .filter(entity::employee_tag_member::Column::DepartmentId.eq(id))
        .exec(&txn)
        .await?;
    scope.delete_many::<entity::role_department::Entity>().filter(entity::role_department::Column::DepartmentId.eq(id)).exec(&txn).await?;
    txn.commit().await?;
    Ok(())
}

/// Every department of the corp as `(id, parent)`: a corp has hundreds at most, read whole.
pub async fn parent_links(db: &impl ConnectionTrait, scope: &Scope) -> AppResult<Vec<(i64, Option<i64>)>> {
    Ok(scope
        .select::<department::Entity>()
        .select_only()
        .column(department::Column::Id)
        .column(department::Column::ParentId)
        .into_tuple()
        .all(db)
        .await?)
}

/// The departments and all their descendants.
pub async fn with_descendants(db: &impl ConnectionTrait, scope: &Scope, roots: &[i64]) -> AppResult<Vec<i64>> {
    if roots.is_empty() {
        return Ok(Vec::new());
    }
    Ok(crate::tenancy::subtree_of(&parent_links(db, scope).await?, roots))
}
