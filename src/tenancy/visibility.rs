//! Data scope (ORG-9): which employees' rows a caller may see.

use std::{collections::HashSet, sync::Arc};

use sea_orm::{
    sea_query::{IntoCondition, Query},
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
};

use crate::error::AppResult;
use entity::{department, employee_department, role, role_department};

/// The resolved data scope of a request.
#[derive(Clone, Debug)]
pub enum Visibility {
    /// Every row of the corp.
    All,
    /// Rows of the caller, and of employees in these departments.
    Departments { me: i64, departments: Arc<Vec<i64>> },
    /// Only the caller's own rows.
    SelfOnly(i64),
}

impl Visibility {
    /// Condition over a column that holds an employee id.
    pub fn condition(&self, corp_id: i64, column: impl ColumnTrait) -> Condition {
        match self {
            Visibility::All => Condition::all(),
            Visibility::SelfOnly(me) => column.eq(*me).into_condition(),
            Visibility::Departments { me, departments } => {
                let members = Query::select()
                    .column(employee_department::Column::EmployeeId)
                    .from(employee_department::Entity)
                    .and_where(employee_department::Column::CorpId.eq(corp_id))
                    .and_where(employee_department::Column::DepartmentId.is_in(departments.iter().copied()))
                    .to_owned();
                Condition::any().add(column.eq(*me)).add(column.in_subquery(members))
            }
        }
    }
}

/// Data scope names as stored on roles.
pub mod scope_kind {
    pub const SELF: &str = "SELF";
    pub const DEPARTMENT: &str = "DEPARTMENT";
    pub const DEPARTMENT_AND_BELOW: &str = "DEPARTMENT_AND_BELOW";
    pub const CUSTOM: &str = "CUSTOM";
    pub const ALL: &str = "ALL";
}

/// Several roles: the widest scope wins, and department sets are united.
pub async fn resolve_visibility(
    db: &impl ConnectionTrait,
    corp_id: i64,
    employee_id: i64,
    is_super_admin: bool,
    roles: &[role::Model],
) -> AppResult<Visibility> {
    if is_super_admin || roles.iter().any(|r| r.is_super || r.data_scope == scope_kind::ALL) {
        return Ok(Visibility::All);
    }
    let wants = |k: &str| roles.iter().any(|r| r.data_scope == k);
    let (own, below) = (wants(scope_kind::DEPARTMENT), wants(scope_kind::DEPARTMENT_AND_BELOW));
    let custom_roles: Vec<i64> = roles.iter().filter(|r| r.data_scope == scope_kind::CUSTOM).map(|r| r.id).collect();
    if !own && !below && custom_roles.is_empty() {
        return Ok(Visibility::SelfOnly(employee_id));
    }

    let mut set: HashSet<i64> = HashSet::new();
    if own || below {
        let mine: Vec<i64> = employee_department::Entity::find()
            .select_only()
            .column(employee_department::Column::DepartmentId)
            .filter(employee_department::Column::CorpId.eq(corp_id))
            .filter(employee_department::Column::EmployeeId.eq(employee_id))
            .into_tuple()
            .all(db)
            .await?;
        if below {
            let tree: Vec<(i64, Option<i64>)> = department::Entity::find()
                .select_only()
                .column(department::Column::Id)
                .column(department::Column::ParentId)
                .filter(department::Column::CorpId.eq(corp_id))
                .into_tuple()
                .all(db)
                .await?;
            set.extend(subtree_of(&tree, &mine));
        } else {
            set.extend(mine);
        }
    }
    if !custom_roles.is_empty() {
        let chosen: Vec<i64> = role_department::Entity::find()
            .select_only()
            .column(role_department::Column::DepartmentId)
            .filter(role_department::Column::CorpId.eq(corp_id))
            .filter(role_department::Column::RoleId.is_in(custom_roles))
            .into_tuple()
            .all(db)
            .await?;
        set.extend(chosen);
    }
    let mut departments: Vec<i64> = set.into_iter().collect();
    departments.sort_unstable();
    Ok(Visibility::Departments { me: employee_id, departments: Arc::new(departments) })
}

/// The given departments and all their descendants (a cycle-safe walk over `(id, parent)` pairs).
pub fn subtree_of(tree: &[(i64, Option<i64>)], roots: &[i64]) -> Vec<i64> {
    let mut children: std::collections::HashMap<i64, Vec<i64>> = std::collections::HashMap::new();
    for (id, parent) in tree {
        if let Some(p) = parent {
            children.entry(*p).or_default().push(*id);
        }
    }
    let mut seen: HashSet<i64> = roots.iter().copied().collect();
    let mut out: Vec<i64> = roots.to_vec();
    let mut i = 0;
    while i < out.len() {
        if let Some(kids) = children.get(&out[i]) {
            for k in kids {
                if seen.insert(*k) {
                    out.push(*k);
                }
            }
        }
        i += 1;
    }
    out
}
