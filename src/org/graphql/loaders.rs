//! Batch loaders for organisation relations: each relation field of a page
//! costs one statement whatever the page size. Created per request (a shared
//! cache would leak across users and tenants).

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use sea_orm::{ColumnTrait, DatabaseConnection, QueryFilter, QueryOrder, QuerySelect};

use crate::{
    custom_fields::{service as fields, FieldEntity},
    graphql::loader::{group, id_keys, LoadResult},
    tenancy::Scope,
};
use entity::{
    custom_field, department, employee, employee_department, employee_role, employee_tag, employee_tag_member, role, role_department,
};

pub struct OrgLoader {
    pub db: DatabaseConnection,
    /// The caller's scope; unset for anonymous requests until a login sets it.
    pub scope: std::sync::OnceLock<Scope>,
}

id_keys!(
    DepartmentById,
    ChildrenOf,
    DepartmentsOfEmployee,
    RolesOfEmployee,
    EmployeeById,
    RoleEmployeeCount,
    RoleDepartments,
    TagMembers,
    TagsOfEmployee,
    DepartmentMemberCount,
    EmployeeCustomValues
);

impl OrgLoader {
    fn scope(&self) -> Option<&Scope> {
        self.scope.get()
    }
}

impl Loader<DepartmentById> for OrgLoader {
    type Value = department::Model;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[DepartmentById]) -> LoadResult<DepartmentById, Self::Value> {
        let Some(scope) = self.scope() else { return Ok(HashMap::new()) };
        let rows = scope
            .select::<department::Entity>()
            .filter(department::Column::Id.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await
            .map_err(crate::error::AppError::from)?;
        Ok(rows.into_iter().map(|d| (DepartmentById(d.id), d)).collect())
    }
}

impl Loader<ChildrenOf> for OrgLoader {
    type Value = Vec<department::Model>;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[ChildrenOf]) -> LoadResult<ChildrenOf, Self::Value> {
        let Some(scope) = self.scope() else { return Ok(HashMap::new()) };
        let rows = scope
            .select::<department::Entity>()
            .filter(department::Column::ParentId.is_in(keys.iter().map(|k| k.0)))
            .order_by_asc(department::Column::Sort)
            .order_by_asc(department::Column::Id)
            .all(&self.db)
            .await
            .map_err(crate::error::AppError::from)?;
        Ok(group(keys, rows.into_iter().map(|d| (ChildrenOf(d.parent_id.unwrap_or_default()), d))))
    }
}

impl Loader<DepartmentsOfEmployee> for OrgLoader {
    type Value = Vec<department::Model>;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[DepartmentsOfEmployee]) -> LoadResult<DepartmentsOfEmployee, Self::Value> {
        let Some(scope) = self.scope() else { return Ok(HashMap::new()) };
        let links: Vec<(i64, i64)> = scope
            .select::<employee_department::Entity>()
            .select_only()
            .column(employee_department::Column::EmployeeId)
            .column(employee_department::Column::DepartmentId)
            .filter(employee_department::Column::EmployeeId.is_in(keys.iter().map(|k| k.0)))
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(crate::error::AppError::from)?;
        let depts: HashMap<i64, department::Model> = scope
            .select::<department::Entity>()
            .filter(
                department::Column::Id.in_subquery(
                    scope
                        .subquery::<employee_department::Entity>(employee_department::Column::DepartmentId)
                        .and_where(employee_department::Column::EmployeeId.is_in(keys.iter().map(|k| k.0)))
                        .to_owned(),
                ),
            )
            .all(&self.db)
            .await
            .map_err(crate::error::AppError::from)?
            .into_iter()
            .map(|d| (d.id, d))
            .collect();
        Ok(group(keys, links.into_iter().filter_map(|(e, d)| depts.get(&d).map(|m| (DepartmentsOfEmployee(e), m.clone())))))
    }
}

impl Loader<RolesOfEmployee> for OrgLoader {
    type Value = Vec<role::Model>;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[RolesOfEmployee]) -> LoadResult<RolesOfEmployee, Self::Value> {
        let Some(scope) = self.scope() else { return Ok(HashMap::new()) };
        let links: Vec<(i64, i64)> = scope
            .select::<employee_role::Entity>()
            .select_only()
            .column(employee_role::Column::EmployeeId)
            .column(employee_role::Column::RoleId)
            .filter(employee_role::Column::EmployeeId.is_in(keys.iter().map(|k| k.0)))
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(crate::error::AppError::from)?;
        let mut role_ids: Vec<i64> = links.iter().map(|l| l.1).collect();
        role_ids.sort_unstable();
        role_ids.dedup();
        let roles: HashMap<i64, role::Model> = scope
            .select::<role::Entity>()
            .filter(role::Column::Id.is_in(role_ids))
            .all(&self.db)
            .await
            .map_err(crate::error::AppError::from)?
            .into_iter()
            .map(|r| (r.id, r))
            .collect();
        Ok(group(keys, links.into_iter().filter_map(|(e, r)| roles.get(&r).map(|m| (RolesOfEmployee(e), m.clone())))))
    }
}

impl Loader<EmployeeById> for OrgLoader {
    type Value = employee::Model;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[EmployeeById]) -> LoadResult<EmployeeById, Self::Value> {
        let Some(scope) = self.scope() else { return Ok(HashMap::new()) };
        let rows = scope
            .select::<employee::Entity>()
            .filter(employee::Column::Id.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await
            .map_err(crate::error::AppError::from)?;
        Ok(rows.into_iter().map(|e| (EmployeeById(e.id), e)).collect())
    }
}

impl Loader<RoleEmployeeCount> for OrgLoader {
    type Value = i64;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[RoleEmployeeCount]) -> LoadResult<RoleEmployeeCount, Self::Value> {
        let Some(scope) = self.scope() else { return Ok(HashMap::new()) };
        let rows: Vec<(i64, i64)> = scope
            .select::<employee_role::Entity>()
            .select_only()
            .column(employee_role::Column::RoleId)
            .column_as(employee_role::Column::Id.count(), "n")
            .filter(employee_role::Column::RoleId.is_in(keys.iter().map(|k| k.0)))
            .group_by(employee_role::Column::RoleId)
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(crate::error::AppError::from)?;
        let found: HashMap<i64, i64> = rows.into_iter().collect();
        Ok(keys.iter().map(|k| (*k, found.get(&k.0).copied().unwrap_or(0))).collect())
    }
}

impl Loader<DepartmentMemberCount> for OrgLoader {
    type Value = i64;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[DepartmentMemberCount]) -> LoadResult<DepartmentMemberCount, Self::Value> {
        let Some(scope) = self.scope() else { return Ok(HashMap::new()) };
        let rows: Vec<(i64, i64)> = scope
            .select::<employee_department::Entity>()
            .select_only()
            .column(employee_department::Column::DepartmentId)
            .column_as(employee_department::Column::Id.count(), "n")
            .filter(employee_department::Column::DepartmentId.is_in(keys.iter().map(|k| k.0)))
            .group_by(employee_department::Column::DepartmentId)
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(crate::error::AppError::from)?;
        let found: HashMap<i64, i64> = rows.into_iter().collect();
        Ok(keys.iter().map(|k| (*k, found.get(&k.0).copied().unwrap_or(0))).collect())
    }
}

impl Loader<RoleDepartments> for OrgLoader {
    type Value = Vec<department::Model>;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[RoleDepartments]) -> LoadResult<RoleDepartments, Self::Value> {
        let Some(scope) = self.scope() else { return Ok(HashMap::new()) };
        let links: Vec<(i64, i64)> = scope
            .select::<role_department::Entity>()
            .select_only()
            .column(role_department::Column::RoleId)
            .column(role_department::Column::DepartmentId)
            .filter(role_department::Column::RoleId.is_in(keys.iter().map(|k| k.0)))
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(crate::error::AppError::from)?;
        let ids: Vec<i64> = links.iter().map(|l| l.1).collect();
        let depts: HashMap<i64, department::Model> = scope
            .select::<department::Entity>()
            .filter(department::Column::Id.is_in(ids))
            .all(&self.db)
            .await
            .map_err(crate::error::AppError::from)?
            .into_iter()
            .map(|d| (d.id, d))
            .collect();
        Ok(group(keys, links.into_iter().filter_map(|(r, d)| depts.get(&d).map(|m| (RoleDepartments(r), m.clone())))))
    }
}

impl Loader<TagMembers> for OrgLoader {
    type Value = Vec<employee_tag_member::Model>;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[TagMembers]) -> LoadResult<TagMembers, Self::Value> {
        let Some(scope) = self.scope() else { return Ok(HashMap::new()) };
        let rows = scope
            .select::<employee_tag_member::Entity>()
            .filter(employee_tag_member::Column::TagId.is_in(keys.iter().map(|k| k.0)))
            .order_by_asc(employee_tag_member::Column::Id)
            .all(&self.db)
            .await
            .map_err(crate::error::AppError::from)?;
        Ok(group(keys, rows.into_iter().map(|m| (TagMembers(m.tag_id), m))))
    }
}

impl Loader<TagsOfEmployee> for OrgLoader {
    type Value = Vec<employee_tag::Model>;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[TagsOfEmployee]) -> LoadResult<TagsOfEmployee, Self::Value> {
        let Some(scope) = self.scope() else { return Ok(HashMap::new()) };
        let links: Vec<(Option<i64>, i64)> = scope
            .select::<employee_tag_member::Entity>()
            .select_only()
            .column(employee_tag_member::Column::EmployeeId)
            .column(employee_tag_member::Column::TagId)
            .filter(employee_tag_member::Column::EmployeeId.is_in(keys.iter().map(|k| k.0)))
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(crate::error::AppError::from)?;
        let ids: Vec<i64> = links.iter().map(|l| l.1).collect();
        let tags: HashMap<i64, employee_tag::Model> = scope
            .select::<employee_tag::Entity>()
            .filter(employee_tag::Column::Id.is_in(ids))
            .all(&self.db)
            .await
            .map_err(crate::error::AppError::from)?
            .into_iter()
            .map(|t| (t.id, t))
            .collect();
        Ok(group(keys, links.into_iter().filter_map(|(e, t)| Some((TagsOfEmployee(e?), tags.get(&t)?.clone())))))
    }
}

impl Loader<EmployeeCustomValues> for OrgLoader {
    type Value = Vec<(custom_field::Model, serde_json::Value)>;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[EmployeeCustomValues]) -> LoadResult<EmployeeCustomValues, Self::Value> {
        let Some(scope) = self.scope() else { return Ok(HashMap::new()) };
        let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        let mut values = fields::values_for(&self.db, scope, FieldEntity::Employee, &ids).await?;
        Ok(keys.iter().map(|k| (*k, values.remove(&k.0).unwrap_or_default())).collect())
    }
}
