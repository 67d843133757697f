//! Companies and industry types over GraphQL (CRM-9, CFG-11).

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};

use super::service::{self, Draft, Filter, STAFF_SIZES};
use crate::{
    customers::graphql::{kit::employee, Customer},
    graphql::{
        connection::{connection, fetch_page, id, parse_id, Conn, Page},
        context::CtxExt,
        guard::{LoggedIn, Perm},
        loader::{rows, RowById},
        DeletePayload,
    },
    org::{graphql::employee::Employee, permissions as perm},
};
use entity::{company, industry};

#[derive(SimpleObject)]
pub struct Industry {
    pub id: ID,
    pub name: String,
    /// One of CFG-11's presets: never renamed.
    pub preset: bool,
}

fn industry(i: industry::Model) -> Industry {
    Industry { id: id(i.id), name: i.name, preset: i.preset }
}

pub struct Company(pub company::Model);

#[Object]
impl Company {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// The full name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn short_name(&self) -> Option<&str> {
        self.0.short_name.as_deref()
    }
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }
    async fn website(&self) -> Option<&str> {
        self.0.website.as_deref()
    }
    async fn province(&self) -> Option<&str> {
        self.0.province.as_deref()
    }
    async fn city(&self) -> Option<&str> {
        self.0.city.as_deref()
    }
    async fn address(&self) -> Option<&str> {
        self.0.address.as_deref()
    }
    async fn industry(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Industry>> {
        let Some(i) = self.0.industry_id else { return Ok(None) };
        Ok(rows(ctx).load_one(RowById::<industry::Entity>::new(i)).await?.map(industry))
    }
    /// One of `companyStaffSizes`.
    async fn staff_size(&self) -> Option<&str> {
        self.0.staff_size.as_deref()
    }
    async fn level(&self) -> Option<&str> {
        self.0.level.as_deref()
    }
    async fn created_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Employee>> {
        employee(ctx, self.0.created_by).await
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// Its customers the caller may see (with the customer list's permission), newest first.
    #[graphql(guard = "Perm(perm::CUSTOMER_VIEW)", complexity = "crate::graphql::connection::page_cost(first, child_complexity)")]
    async fn customers(&self, ctx: &Context<'_>, first: Option<i32>, after: Option<String>) -> async_graphql::Result<Conn<Customer>> {
        let page = Page::new(first, after)?;
        let (rows, total) = fetch_page(ctx.db(), service::customers(ctx.scope()?, self.0.id), page).await?;
        Ok(connection(page, total, rows.into_iter().map(Customer).collect()))
    }
}

#[derive(InputObject)]
pub struct CompanyInput {
    /// The full name: required, unique in the corp.
    pub name: String,
    pub short_name: Option<String>,
    pub phone: Option<String>,
    /// http(s).
    pub website: Option<String>,
    pub province: Option<String>,
    pub city: Option<String>,
    pub address: Option<String>,
    pub industry_id: Option<ID>,
    /// One of `companyStaffSizes`.
    pub staff_size: Option<String>,
    pub level: Option<String>,
}

impl CompanyInput {
    fn draft(self) -> async_graphql::Result<Draft> {
        Ok(Draft {
            name: self.name,
            short_name: self.short_name,
            phone: self.phone,
            website: self.website,
            province: self.province,
            city: self.city,
            address: self.address,
            industry_id: self.industry_id.as_ref().map(|i| parse_id(i, "input.industryId")).transpose()?,
            staff_size: self.staff_size,
            level: self.level,
        })
    }
}

#[derive(InputObject, Default)]
pub struct CompanyFilter {
    /// Substring of the full or short name.
    pub name: Option<String>,
    pub address: Option<String>,
    pub industry_id: Option<ID>,
}

#[derive(Default)]
pub struct CompanyQuery;

#[Object]
impl CompanyQuery {
    /// The corp's companies, newest first.
    #[graphql(guard = "Perm(perm::COMPANY_VIEW)", complexity = "crate::graphql::connection::page_cost(first, child_complexity)")]
    async fn companies(
        &self,
        ctx: &Context<'_>,
        filter: Option<CompanyFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<Company>> {
        let page = Page::new(first, after)?;
        let f = filter.unwrap_or_default();
        let parsed = Filter {
            name: f.name,
            address: f.address,
            industry_id: f.industry_id.as_ref().map(|i| parse_id(i, "filter.industryId")).transpose()?,
        };
        let (rows, total) = fetch_page(ctx.db(), service::list(ctx.scope()?, &parsed), page).await?;
        Ok(connection(page, total, rows.into_iter().map(Company).collect()))
    }

    #[graphql(guard = "Perm(perm::COMPANY_VIEW)")]
    async fn company(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Company> {
        Ok(Company(ctx.scope()?.get::<company::Entity>(ctx.db(), parse_id(&id, "id")?).await?))
    }

    /// Industry types (CFG-11): the presets, then the corp's own.
    #[graphql(guard = "LoggedIn")]
    async fn industries(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Industry>> {
        Ok(service::industries(ctx.db(), ctx.scope()?).await?.into_iter().map(industry).collect())
    }

    /// The staff-size choices.
    async fn company_staff_sizes(&self) -> Vec<&'static str> {
        STAFF_SIZES.to_vec()
    }
}

#[derive(Default)]
pub struct CompanyMutation;

#[Object]
impl CompanyMutation {
    #[graphql(guard = "Perm(perm::COMPANY_MANAGE)")]
    async fn create_company(&self, ctx: &Context<'_>, input: CompanyInput) -> async_graphql::Result<Company> {
        Ok(Company(service::create(ctx.state(), ctx.scope()?, &input.draft()?).await?))
    }

    /// Replaces a company's details.
    #[graphql(guard = "Perm(perm::COMPANY_MANAGE)")]
    async fn update_company(&self, ctx: &Context<'_>, id: ID, input: CompanyInput) -> async_graphql::Result<Company> {
        Ok(Company(service::update(ctx.state(), ctx.scope()?, parse_id(&id, "id")?, &input.draft()?).await?))
    }

    /// Deletes a company; its customers are unlinked.
    #[graphql(guard = "Perm(perm::COMPANY_MANAGE)")]
    async fn delete_company(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<DeletePayload> {
        service::delete(ctx.db(), ctx.scope()?, parse_id(&id, "id")?).await?;
        Ok(DeletePayload { id })
    }

    /// Links a customer the caller may see to a company (`companyId` null: unlinks).
    #[graphql(guard = "Perm(perm::CUSTOMER_EDIT)")]
    async fn set_customer_company(&self, ctx: &Context<'_>, customer_id: ID, company_id: Option<ID>) -> async_graphql::Result<Customer> {
        let company = company_id.as_ref().map(|c| parse_id(c, "companyId")).transpose()?;
        Ok(Customer(service::set_customer_company(ctx.db(), ctx.scope()?, parse_id(&customer_id, "customerId")?, company).await?))
    }

    #[graphql(guard = "Perm(perm::CFG_INDUSTRY_MANAGE)")]
    async fn create_industry(&self, ctx: &Context<'_>, name: String) -> async_graphql::Result<Industry> {
        Ok(industry(service::create_industry(ctx.db(), ctx.scope()?, &name).await?))
    }

    /// Renames a custom industry type (presets are fixed).
    #[graphql(guard = "Perm(perm::CFG_INDUSTRY_MANAGE)")]
    async fn rename_industry(&self, ctx: &Context<'_>, id: ID, name: String) -> async_graphql::Result<Industry> {
        Ok(industry(service::rename_industry(ctx.db(), ctx.scope()?, parse_id(&id, "id")?, &name).await?))
    }
}
