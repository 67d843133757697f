//! The one place where tenancy and data scope become SQL.
//!
//! Services never call `Entity::find()` / `update_many()` / `delete_many()` /
//! `insert()` on tenant tables directly: they go through a [`Scope`], which
//! adds `corp_id = ?` to every select, update and delete, stamps `corp_id` on
//! every insert, and (for rows attributed to employees) adds the caller's
//! data-scope condition. A resolver holds a `Scope` only through its request
//! context, so it cannot forget either filter.

mod principal;
mod scope;
mod visibility;

pub use principal::{roles_of, scope_of, standing_of, Auth, Standing};
pub use scope::{EmployeeScoped, Scope, TenantActiveModel, TenantEntity};

/// Rows of every corp: for the platform sweeps that serve all tenants at
/// once (scheduled jobs, the callback inbox). The one way code crosses
/// tenants, so `across_corps` finds every place that does.
pub fn across_corps<E: TenantEntity>() -> sea_orm::Select<E> {
    E::find()
}
pub use visibility::{resolve_visibility, scope_kind, subtree_of, Visibility};
