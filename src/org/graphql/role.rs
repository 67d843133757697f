use async_graphql::{Context, Enum, InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::role;

use super::{creator_name, department::Department, loader};
use crate::{
    graphql::{
        connection::{connection, fetch_page, id, parse_id, parse_ids, Conn, Page},
        context::CtxExt,
        guard::{LoggedIn, Perm},
        DeletePayload,
    },
    org::{
        graphql::loaders::{RoleDepartments, RoleEmployeeCount},
        permissions::{self as perm, Node, CATALOGUE},
        roles,
    },
    tenancy::scope_kind,
};

/// Row-level visibility of a role (ORG-9). With several roles the widest wins
/// and CUSTOM department sets are united.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum DataScope {
    /// Only the employee's own rows (只看本人).
    #[graphql(name = "SELF")]
    SelfOnly,
    /// Rows of employees in the employee's own departments, not below.
    Department,
    /// Own departments and every department below (本部门及以下).
    DepartmentAndBelow,
    /// Exactly the chosen departments (自定义); sub-departments are not implied.
    Custom,
    All,
}

impl DataScope {
    pub fn as_str(self) -> &'static str {
        match self {
            DataScope::SelfOnly => scope_kind::SELF,
            DataScope::Department => scope_kind::DEPARTMENT,
            DataScope::DepartmentAndBelow => scope_kind::DEPARTMENT_AND_BELOW,
            DataScope::Custom => scope_kind::CUSTOM,
            DataScope::All => scope_kind::ALL,
        }
    }
    pub fn parse(s: &str) -> DataScope {
        match s {
            scope_kind::DEPARTMENT => DataScope::Department,
            scope_kind::DEPARTMENT_AND_BELOW => DataScope::DepartmentAndBelow,
            scope_kind::CUSTOM => DataScope::Custom,
            scope_kind::ALL => DataScope::All,
            _ => DataScope::SelfOnly,
        }
    }
}

pub struct Role(pub role::Model);

#[Object]
impl Role {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The corp's super-admin role: all permissions, all data, immutable.
    async fn is_super(&self) -> bool {
        self.0.is_super
    }
    /// Permission codes from `permissionCatalogue`.
    async fn permissions(&self) -> Vec<String> {
        roles::parse_permissions(&self.0)
    }
    async fn data_scope(&self) -> DataScope {
        if self.0.is_super {
            DataScope::All
        } else {
            DataScope::parse(&self.0.data_scope)
        }
    }
    /// The chosen departments of a CUSTOM scope.
    async fn custom_departments(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Department>> {
        Ok(loader(ctx).load_one(RoleDepartments(self.0.id)).await?.unwrap_or_default().into_iter().map(Into::into).collect())
    }
    async fn employee_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        Ok(loader(ctx).load_one(RoleEmployeeCount(self.0.id)).await?.unwrap_or(0))
    }
    /// The creator's name; "管理员" when the super admin created it.
    async fn creator_name(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        creator_name(ctx, self.0.created_by).await
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A node of the permission catalogue: a module, a page or an action.
#[derive(SimpleObject)]
pub struct PermissionNode {
    pub code: String,
    pub name: String,
    pub children: Vec<PermissionNode>,
}

fn to_nodes(nodes: &[Node], lang: crate::error::Lang) -> Vec<PermissionNode> {
    nodes
        .iter()
        .map(|n| PermissionNode {
            code: n.code.to_string(),
            name: match lang {
                crate::error::Lang::Zh => n.zh,
                crate::error::Lang::En => n.en,
            }
            .to_string(),
            children: to_nodes(n.children, lang),
        })
        .collect()
}

#[derive(InputObject)]
pub struct CreateRoleInput {
    /// At most 30 characters, unique in the corp.
    pub name: String,
    #[graphql(default)]
    pub permissions: Vec<String>,
    pub data_scope: DataScope,
    /// Required for CUSTOM.
    #[graphql(default)]
    pub department_ids: Vec<ID>,
}

#[derive(InputObject)]
pub struct UpdateRoleInput {
    pub id: ID,
    pub name: Option<String>,
    pub permissions: Option<Vec<String>>,
    pub data_scope: Option<DataScope>,
    pub department_ids: Option<Vec<ID>>,
}

#[derive(Default)]
pub struct RoleQuery;

#[Object]
impl RoleQuery {
    /// Roles of the corp; the super-admin role is listed to the super admin only.
    #[graphql(guard = "Perm(perm::ORG_ROLE_VIEW)", complexity = "crate::graphql::connection::page_cost(first, child_complexity)")]
    async fn roles(
        &self,
        ctx: &Context<'_>,
        keyword: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<Role>> {
        let auth = ctx.auth()?;
        let page = Page::new(first, after)?;
        let (rows, total) = fetch_page(ctx.db(), roles::list(&auth.scope, auth.is_super_admin, keyword.as_deref()), page).await?;
        Ok(connection(page, total, rows.into_iter().map(Role).collect()))
    }

    #[graphql(guard = "Perm(perm::ORG_ROLE_VIEW)")]
    async fn role(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Role> {
        let auth = ctx.auth()?;
        Ok(Role(roles::get(ctx.db(), &auth.scope, auth.is_super_admin, parse_id(&id, "id")?).await?))
    }

    /// Every function permission, as modules → pages → actions, for role editors.
    #[graphql(guard = "LoggedIn")]
    async fn permission_catalogue(&self, ctx: &Context<'_>) -> Vec<PermissionNode> {
        to_nodes(CATALOGUE, ctx.lang())
    }
}

#[derive(Default)]
pub struct RoleMutation;

#[Object]
impl RoleMutation {
    #[graphql(guard = "Perm(perm::ORG_ROLE_MANAGE)")]
    async fn create_role(&self, ctx: &Context<'_>, input: CreateRoleInput) -> async_graphql::Result<Role> {
        let r = roles::create(
            ctx.db(),
            ctx.scope()?,
            roles::RoleInput {
                name: Some(input.name),
                permissions: Some(input.permissions),
                data_scope: Some(input.data_scope.as_str().to_string()),
                department_ids: Some(parse_ids(&input.department_ids, "departmentIds")?),
            },
        )
        .await?;
        Ok(Role(r))
    }

    /// The super-admin role cannot be edited.
    #[graphql(guard = "Perm(perm::ORG_ROLE_MANAGE)")]
    async fn update_role(&self, ctx: &Context<'_>, input: UpdateRoleInput) -> async_graphql::Result<Role> {
        let r = roles::update(
            ctx.db(),
            ctx.scope()?,
            parse_id(&input.id, "id")?,
            roles::RoleInput {
                name: input.name,
                permissions: input.permissions,
                data_scope: input.data_scope.map(|d| d.as_str().to_string()),
                department_ids: input.department_ids.as_deref().map(|d| parse_ids(d, "departmentIds")).transpose()?,
            },
        )
        .await?;
        Ok(Role(r))
    }

    /// Refused for the super-admin role and for roles still held by employees.
    #[graphql(guard = "Perm(perm::ORG_ROLE_MANAGE)")]
    async fn delete_role(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<DeletePayload> {
        roles::delete(ctx.db(), ctx.scope()?, parse_id(&id, "id")?).await?;
        Ok(DeletePayload { id })
    }
}
