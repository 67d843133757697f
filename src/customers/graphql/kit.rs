//! What the customer area's resolvers share: its loader, page prefetching,
//! employee links and subject pages.

use async_graphql::{
    dataloader::{DataLoader, HashMapCache},
    Context,
};

use crate::customers::graphql::loaders::{CrmLoader, CustomerById, GroupById};
use crate::{
    graphql::{
        connection::{connection, fetch_page, Conn, Page},
        context::CtxExt,
    },
    org::{
        graphql::loaders::EmployeeById,
        graphql::{employee::Employee, loader as org_loader},
    },
};

pub type CrmDataLoader = DataLoader<CrmLoader, HashMapCache>;

pub fn crm_loader<'a>(ctx: &'a Context<'_>) -> &'a CrmDataLoader {
    ctx.data_unchecked::<CrmDataLoader>()
}

/// Loads the customers (and their owners) and groups a page links to in one
/// batch each, so the page's statements stay fixed however the executor
/// walks it. `node` is the look-ahead of one list item.
pub async fn prefetch_links(
    ctx: &Context<'_>,
    node: async_graphql::Lookahead<'_>,
    links: impl Iterator<Item = (Option<i64>, Option<i64>)>,
) -> async_graphql::Result<()> {
    let (cs, gs): (Vec<_>, Vec<_>) = links.unzip();
    let l = crm_loader(ctx);
    if node.field("customer").exists() {
        let found = l.load_many(cs.into_iter().flatten().map(CustomerById)).await?;
        if node.field("customer").field("owner").exists() {
            let owners = found.values().filter_map(|c| c.owner_id).map(EmployeeById);
            org_loader(ctx).load_many(owners).await?;
        }
    }
    if node.field("group").exists() {
        l.load_many(gs.into_iter().flatten().map(GroupById)).await?;
    }
    Ok(())
}

pub async fn employee(ctx: &Context<'_>, id: Option<i64>) -> async_graphql::Result<Option<Employee>> {
    let Some(id) = id else { return Ok(None) };
    Ok(org_loader(ctx).load_one(EmployeeById(id)).await?.map(Employee))
}

/// One page of a customer's or group's records, follow-ups or work orders.
pub async fn subject_page<E, T>(
    ctx: &Context<'_>,
    select: sea_orm::Select<E>,
    first: Option<i32>,
    after: Option<String>,
    wrap: impl Fn(E::Model) -> T,
) -> async_graphql::Result<Conn<T>>
where
    E: sea_orm::EntityTrait,
    E::Model: sea_orm::FromQueryResult + Sized + Send + Sync,
    T: async_graphql::OutputType,
{
    let page = Page::new(first, after)?;
    let (rows, total) = fetch_page(ctx.db(), select, page).await?;
    Ok(connection(page, total, rows.into_iter().map(wrap).collect()))
}
