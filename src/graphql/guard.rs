//! Function permissions (ORG-8) as resolver guards.

use async_graphql::{Context, Guard};

use super::context::CtxExt;
use crate::error::AppError;

/// `#[graphql(guard = "Perm(perm::X)")]`: the caller must be logged in and hold X.
pub struct Perm(pub &'static str);

impl Guard for Perm {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        let auth = ctx.auth()?;
        if auth.has(self.0) {
            Ok(())
        } else {
            Err(AppError::forbidden().with_extra("permission", self.0).into())
        }
    }
}

/// Any logged-in employee.
pub struct LoggedIn;

impl Guard for LoggedIn {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        ctx.auth()?;
        Ok(())
    }
}
