//! GraphQL surface of the organisation area: thin types over the services.

pub mod department;
pub mod employee;
pub mod employee_tag;
pub mod internal_group;
pub mod loaders;
pub mod role;

use async_graphql::{
    dataloader::{DataLoader, HashMapCache},
    Context,
};

use crate::graphql::context::CtxExt;
use loaders::{EmployeeById, OrgLoader};

/// The request's organisation loader (cached for the request only).
pub type OrgDataLoader = DataLoader<OrgLoader, HashMapCache>;

pub fn loader<'a>(ctx: &'a Context<'_>) -> &'a OrgDataLoader {
    ctx.data_unchecked::<OrgDataLoader>()
}

/// SPEC §0: the creator's name, or "管理员" when the super admin created it.
pub async fn creator_name(ctx: &Context<'_>, created_by: Option<i64>) -> async_graphql::Result<Option<String>> {
    let Some(id) = created_by else { return Ok(None) };
    let e = loader(ctx).load_one(EmployeeById(id)).await?;
    Ok(e.map(|e| {
        if e.is_super_admin {
            match ctx.lang() {
                crate::error::Lang::Zh => "管理员".to_string(),
                crate::error::Lang::En => "Admin".to_string(),
            }
        } else {
            e.name
        }
    }))
}
