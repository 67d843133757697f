use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::service;
use crate::{
    error::Lang,
    graphql::{context::CtxExt, guard::LoggedIn},
    org::graphql::employee::Employee,
};
use entity::employee;

#[derive(SimpleObject)]
pub struct LoginPayload {
    /// Send as `Authorization: Bearer <accessToken>` (and in `connection_init` on WebSockets).
    pub access_token: String,
    pub access_expires_at: DateTime<Utc>,
    /// Trade for a new pair with `refreshToken` before it expires.
    pub refresh_token: String,
    pub refresh_expires_at: DateTime<Utc>,
    /// "登录成功".
    pub message: String,
    pub employee: Employee,
}

/// Makes the rest of a login mutation's answer resolve as the new session.
pub async fn adopt(ctx: &Context<'_>, t: &service::Tokens) -> async_graphql::Result<()> {
    if let Some(auth) = service::authenticate(ctx.state(), &t.access_token).await? {
        let _ = ctx.data_unchecked::<crate::org::graphql::OrgDataLoader>().loader().scope.set(auth.scope.clone());
        let _ = ctx.request().fresh_login.set(auth);
    }
    Ok(())
}

pub fn payload(t: service::Tokens, lang: Lang) -> LoginPayload {
    LoginPayload {
        access_token: t.access_token,
        access_expires_at: t.session.access_expires_at,
        refresh_token: t.refresh_token,
        refresh_expires_at: t.session.refresh_expires_at,
        message: if lang == Lang::En { "Logged in".into() } else { "登录成功".into() },
        employee: Employee(t.employee),
    }
}

#[derive(Default)]
pub struct AuthQuery;

#[Object]
impl AuthQuery {
    /// The logged-in employee.
    #[graphql(guard = "LoggedIn")]
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<Employee> {
        let auth = ctx.auth()?;
        Ok(Employee(auth.scope.get::<employee::Entity>(ctx.db(), auth.employee_id).await?))
    }

    /// Permission codes the caller holds (all of them for the super admin).
    #[graphql(guard = "LoggedIn")]
    async fn my_permissions(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<String>> {
        let auth = ctx.auth()?;
        if auth.is_super_admin {
            return Ok(crate::org::permissions::all_codes().into_iter().map(String::from).collect());
        }
        let mut p: Vec<String> = auth.permissions.iter().cloned().collect();
        p.sort();
        Ok(p)
    }
}

#[derive(Default)]
pub struct AuthMutation;

#[Object]
impl AuthMutation {
    /// Account + password login. `corpCode` names the tenant. Repeated failures
    /// are throttled per account and client address (`RATE_LIMITED` with
    /// `retryAfter` seconds); closed system access is `FORBIDDEN`.
    async fn login(&self, ctx: &Context<'_>, corp_code: String, account: String, password: String) -> async_graphql::Result<LoginPayload> {
        let t = service::login(ctx.state(), &corp_code, &account, &password, ctx.request().client_ip).await?;
        adopt(ctx, &t).await?;
        Ok(payload(t, ctx.lang()))
    }

    /// A new token pair for a valid refresh token; the old pair stops working.
    async fn refresh_token(&self, ctx: &Context<'_>, refresh_token: String) -> async_graphql::Result<LoginPayload> {
        let t = service::refresh(ctx.state(), &refresh_token).await?;
        adopt(ctx, &t).await?;
        Ok(payload(t, ctx.lang()))
    }

    /// Ends the current session.
    #[graphql(guard = "LoggedIn")]
    async fn logout(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        service::logout(ctx.state(), ctx.auth()?).await?;
        Ok(true)
    }

    /// Other sessions of the caller end; this one stays.
    #[graphql(guard = "LoggedIn")]
    async fn change_my_password(&self, ctx: &Context<'_>, old_password: String, new_password: String) -> async_graphql::Result<bool> {
        service::change_password(ctx.state(), ctx.auth()?, &old_password, &new_password, ctx.request().client_ip).await?;
        Ok(true)
    }
}
