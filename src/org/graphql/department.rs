use async_graphql::{ComplexObject, Context, InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::department;

use super::loader;
use crate::{
    graphql::{
        connection::{connection, fetch_page, id, parse_id, Conn, Page},
        context::CtxExt,
        guard::Perm,
        DeletePayload,
    },
    org::{
        departments,
        graphql::loaders::{ChildrenOf, DepartmentById, DepartmentMemberCount},
        permissions as perm,
    },
};

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Department {
    #[graphql(skip)]
    pub model: department::Model,
    pub name: String,
    /// Position among siblings, ascending.
    pub sort: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<department::Model> for Department {
    fn from(m: department::Model) -> Self {
        Department { name: m.name.clone(), sort: m.sort, created_at: m.created_at, updated_at: m.updated_at, model: m }
    }
}

#[ComplexObject]
impl Department {
    async fn id(&self) -> ID {
        id(self.model.id)
    }
    async fn parent_id(&self) -> Option<ID> {
        self.model.parent_id.map(id)
    }
    /// WeCom's id for the department once bound to WeCom.
    async fn wecom_id(&self) -> Option<i64> {
        self.model.wecom_id
    }
    async fn parent(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Department>> {
        match self.model.parent_id {
            None => Ok(None),
            Some(p) => Ok(loader(ctx).load_one(DepartmentById(p)).await?.map(Into::into)),
        }
    }
    /// Child departments in sibling order.
    async fn children(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Department>> {
        Ok(loader(ctx).load_one(ChildrenOf(self.model.id)).await?.unwrap_or_default().into_iter().map(Into::into).collect())
    }
    /// Employees directly in this department.
    async fn member_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        Ok(loader(ctx).load_one(DepartmentMemberCount(self.model.id)).await?.unwrap_or(0))
    }
}

#[derive(InputObject, Default)]
pub struct DepartmentFilter {
    /// Substring of the name.
    pub keyword: Option<String>,
    pub parent_id: Option<ID>,
}

#[derive(InputObject)]
pub struct CreateDepartmentInput {
    /// 1–32 characters, none of \ : " < > |
    pub name: String,
    pub parent_id: ID,
}

#[derive(InputObject)]
pub struct MoveDepartmentInput {
    pub id: ID,
    /// New parent; omit to reorder among the current siblings.
    pub parent_id: Option<ID>,
    /// 0-based position among the new siblings (clamped to the end).
    pub position: i32,
}

#[derive(Default)]
pub struct DepartmentQuery;

#[Object]
impl DepartmentQuery {
    /// Departments of the corp (fuzzy name search), flat, by parent then sibling order.
    #[graphql(guard = "Perm(perm::ORG_DEPARTMENT_VIEW)", complexity = "crate::graphql::connection::page_cost(first, child_complexity)")]
    async fn departments(
        &self,
        ctx: &Context<'_>,
        filter: Option<DepartmentFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<Department>> {
        let scope = ctx.scope()?;
        let page = Page::new(first, after)?;
        let f = filter.unwrap_or_default();
        let filter = departments::DepartmentFilter {
            keyword: f.keyword,
            parent_id: f.parent_id.as_ref().map(|p| parse_id(p, "filter.parentId")).transpose()?,
        };
        let (rows, total) = fetch_page(ctx.db(), departments::list(scope, &filter), page).await?;
        Ok(connection(page, total, rows.into_iter().map(Department::from).collect()))
    }

    /// The tree's roots; walk down with `children`.
    #[graphql(guard = "Perm(perm::ORG_DEPARTMENT_VIEW)")]
    async fn department_tree(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Department>> {
        Ok(departments::roots(ctx.db(), ctx.scope()?).await?.into_iter().map(Into::into).collect())
    }

    #[graphql(guard = "Perm(perm::ORG_DEPARTMENT_VIEW)")]
    async fn department(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Department> {
        let scope = ctx.scope()?;
        Ok(scope.get::<department::Entity>(ctx.db(), parse_id(&id, "id")?).await?.into())
    }
}

#[derive(Default)]
pub struct DepartmentMutation;

#[Object]
impl DepartmentMutation {
    #[graphql(guard = "Perm(perm::ORG_DEPARTMENT_MANAGE)")]
    async fn create_department(&self, ctx: &Context<'_>, input: CreateDepartmentInput) -> async_graphql::Result<Department> {
        let parent = parse_id(&input.parent_id, "parentId")?;
        let scope = ctx.scope()?;
        let link = crate::wecom_sync::link::link(ctx.state(), scope.corp_id()).await?;
        Ok(departments::create(ctx.db(), scope, link.as_ref(), &input.name, Some(parent)).await?.into())
    }

    #[graphql(guard = "Perm(perm::ORG_DEPARTMENT_MANAGE)")]
    async fn rename_department(&self, ctx: &Context<'_>, id: ID, name: String) -> async_graphql::Result<Department> {
        let scope = ctx.scope()?;
        let link = crate::wecom_sync::link::link(ctx.state(), scope.corp_id()).await?;
        Ok(departments::rename(ctx.db(), scope, link.as_ref(), parse_id(&id, "id")?, &name).await?.into())
    }

    /// Reorders siblings or moves under another parent.
    #[graphql(guard = "Perm(perm::ORG_DEPARTMENT_MANAGE)")]
    async fn move_department(&self, ctx: &Context<'_>, input: MoveDepartmentInput) -> async_graphql::Result<Department> {
        let parent = input.parent_id.as_ref().map(|p| parse_id(p, "parentId")).transpose()?;
        let scope = ctx.scope()?;
        let link = crate::wecom_sync::link::link(ctx.state(), scope.corp_id()).await?;
        let d = departments::move_to(ctx.db(), scope, link.as_ref(), parse_id(&input.id, "id")?, parent, input.position.max(0) as usize)
            .await?;
        Ok(d.into())
    }

    /// Refused while the department has members or child departments.
    #[graphql(guard = "Perm(perm::ORG_DEPARTMENT_MANAGE)")]
    async fn delete_department(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<DeletePayload> {
        let scope = ctx.scope()?;
        let link = crate::wecom_sync::link::link(ctx.state(), scope.corp_id()).await?;
        departments::delete(ctx.db(), scope, link.as_ref(), parse_id(&id, "id")?).await?;
        Ok(DeletePayload { id })
    }
}
