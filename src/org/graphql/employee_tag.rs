use async_graphql::{Context, InputObject, Object, ID};
use chrono::{DateTime, Utc};
use entity::{employee_tag, employee_tag_member};

use super::{creator_name, department::Department, employee::Employee, loader};
use crate::{
    graphql::{
        connection::{connection, fetch_page, id, parse_id, parse_ids, Conn, Page},
        context::CtxExt,
        guard::Perm,
        DeletePayload,
    },
    org::{
        employee_tags,
        graphql::loaders::{DepartmentById, EmployeeById, TagMembers},
        permissions as perm,
    },
};

pub struct EmployeeTag(pub employee_tag::Model);

#[Object]
impl EmployeeTag {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Employees and whole departments carrying the tag.
    async fn members(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<EmployeeTagMember>> {
        Ok(loader(ctx).load_one(TagMembers(self.0.id)).await?.unwrap_or_default().into_iter().map(EmployeeTagMember).collect())
    }
    /// WeCom's address-book tag id, once the tag is in WeCom.
    async fn wecom_id(&self) -> Option<i64> {
        self.0.wecom_tag_id
    }
    /// Made in the WeCom console or by another app: WeCom lets this server
    /// change it only with the contacts-sync secret
    /// (`CONFLICT EMPLOYEE_TAG_NOT_MADE_HERE` otherwise).
    async fn synced_from_wecom(&self) -> bool {
        self.0.wecom_tag_id.is_some() && self.0.wecom_owner.is_none()
    }
    async fn member_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        Ok(loader(ctx).load_one(TagMembers(self.0.id)).await?.map(|m| m.len() as i64).unwrap_or(0))
    }
    async fn creator_name(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        creator_name(ctx, self.0.created_by).await
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// One member: an employee or a whole department.
pub struct EmployeeTagMember(pub employee_tag_member::Model);

#[Object]
impl EmployeeTagMember {
    async fn employee(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Employee>> {
        match self.0.employee_id {
            None => Ok(None),
            Some(e) => Ok(loader(ctx).load_one(EmployeeById(e)).await?.map(Employee)),
        }
    }
    async fn department(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Department>> {
        match self.0.department_id {
            None => Ok(None),
            Some(d) => Ok(loader(ctx).load_one(DepartmentById(d)).await?.map(Into::into)),
        }
    }
}

#[derive(InputObject)]
pub struct CreateEmployeeTagInput {
    /// 1–32 characters, unique in the corp.
    pub name: String,
    #[graphql(default)]
    pub employee_ids: Vec<ID>,
    #[graphql(default)]
    pub department_ids: Vec<ID>,
}

#[derive(Default)]
pub struct EmployeeTagQuery;

#[Object]
impl EmployeeTagQuery {
    #[graphql(guard = "Perm(perm::ORG_EMPLOYEE_TAG_VIEW)", complexity = "crate::graphql::connection::page_cost(first, child_complexity)")]
    async fn employee_tags(
        &self,
        ctx: &Context<'_>,
        keyword: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<EmployeeTag>> {
        let page = Page::new(first, after)?;
        let (rows, total) = fetch_page(ctx.db(), employee_tags::list(ctx.scope()?, keyword.as_deref()), page).await?;
        Ok(connection(page, total, rows.into_iter().map(EmployeeTag).collect()))
    }

    #[graphql(guard = "Perm(perm::ORG_EMPLOYEE_TAG_VIEW)")]
    async fn employee_tag(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<EmployeeTag> {
        Ok(EmployeeTag(ctx.scope()?.get::<employee_tag::Entity>(ctx.db(), parse_id(&id, "id")?).await?))
    }
}

#[derive(Default)]
pub struct EmployeeTagMutation;

#[Object]
impl EmployeeTagMutation {
    #[graphql(guard = "Perm(perm::ORG_EMPLOYEE_TAG_MANAGE)")]
    async fn create_employee_tag(&self, ctx: &Context<'_>, input: CreateEmployeeTagInput) -> async_graphql::Result<EmployeeTag> {
        let scope = ctx.scope()?;
        let link = crate::wecom_sync::link::link(ctx.state(), scope.corp_id()).await?;
        let t = employee_tags::create(
            ctx.db(),
            scope,
            link.as_ref(),
            &input.name,
            &parse_ids(&input.employee_ids, "employeeIds")?,
            &parse_ids(&input.department_ids, "departmentIds")?,
        )
        .await?;
        Ok(EmployeeTag(t))
    }

    #[graphql(guard = "Perm(perm::ORG_EMPLOYEE_TAG_MANAGE)")]
    async fn rename_employee_tag(&self, ctx: &Context<'_>, id: ID, name: String) -> async_graphql::Result<EmployeeTag> {
        let scope = ctx.scope()?;
        let link = crate::wecom_sync::link::link(ctx.state(), scope.corp_id()).await?;
        Ok(EmployeeTag(employee_tags::rename(ctx.db(), scope, link.as_ref(), parse_id(&id, "id")?, &name).await?))
    }

    #[graphql(guard = "Perm(perm::ORG_EMPLOYEE_TAG_MANAGE)")]
    async fn delete_employee_tag(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<DeletePayload> {
        let scope = ctx.scope()?;
        let link = crate::wecom_sync::link::link(ctx.state(), scope.corp_id()).await?;
        employee_tags::delete(ctx.db(), scope, link.as_ref(), parse_id(&id, "id")?).await?;
        Ok(DeletePayload { id })
    }

    #[graphql(guard = "Perm(perm::ORG_EMPLOYEE_TAG_MANAGE)")]
    async fn add_employee_tag_members(
        &self,
        ctx: &Context<'_>,
        tag_id: ID,
        #[graphql(default)] employee_ids: Vec<ID>,
        #[graphql(default)] department_ids: Vec<ID>,
    ) -> async_graphql::Result<EmployeeTag> {
        let scope = ctx.scope()?;
        let link = crate::wecom_sync::link::link(ctx.state(), scope.corp_id()).await?;
        let t = employee_tags::add_members(
            ctx.db(),
            scope,
            link.as_ref(),
            parse_id(&tag_id, "tagId")?,
            &parse_ids(&employee_ids, "employeeIds")?,
            &parse_ids(&department_ids, "departmentIds")?,
        )
        .await?;
        Ok(EmployeeTag(t))
    }

    /// 剔除人员: removes one employee (or one department) from the tag.
    #[graphql(guard = "Perm(perm::ORG_EMPLOYEE_TAG_MANAGE)")]
    async fn remove_employee_tag_member(
        &self,
        ctx: &Context<'_>,
        tag_id: ID,
        employee_id: Option<ID>,
        department_id: Option<ID>,
    ) -> async_graphql::Result<EmployeeTag> {
        let e = employee_id.as_ref().map(|e| parse_id(e, "employeeId")).transpose()?;
        let d = department_id.as_ref().map(|d| parse_id(d, "departmentId")).transpose()?;
        let scope = ctx.scope()?;
        let link = crate::wecom_sync::link::link(ctx.state(), scope.corp_id()).await?;
        Ok(EmployeeTag(employee_tags::remove_member(ctx.db(), scope, link.as_ref(), parse_id(&tag_id, "tagId")?, e, d).await?))
    }
}
