//! GraphQL surface of the WeCom link.

use async_graphql::{Context, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::{binding, inbox, link::link, sync};
use crate::{
    auth::graphql::{adopt, payload, LoginPayload},
    error::{msg, AppError, Code, Msg},
    graphql::{
        connection::{connection, fetch_page, parse_id, Conn, Page},
        context::CtxExt,
        guard::Perm,
    },
    jobs::graphql::{Job, JobError},
    org::{permissions as perm, wecom_consent},
    tenancy::Scope,
};
use entity::{corp, employee, wecom_inbox};

#[derive(async_graphql::Enum, Clone, Copy, PartialEq, Eq)]
pub enum WecomInboxStatus {
    /// Stored, waiting to be applied (or between tries).
    Pending,
    Applied,
    /// Verified and kept for a feature that does not apply it yet.
    Unhandled,
    /// Its tries are spent; `lastError` says why. `retryWecomInboxEvent` tries again.
    Failed,
}

impl WecomInboxStatus {
    fn stored(self) -> &'static str {
        match self {
            WecomInboxStatus::Pending => inbox::status::PENDING,
            WecomInboxStatus::Applied => inbox::status::APPLIED,
            WecomInboxStatus::Unhandled => inbox::status::UNHANDLED,
            WecomInboxStatus::Failed => inbox::status::FAILED,
        }
    }
}

/// A verified callback from WeCom.
pub struct WecomInboxEvent(wecom_inbox::Model);

#[Object]
impl WecomInboxEvent {
    async fn id(&self) -> async_graphql::ID {
        self.0.id.into()
    }
    /// WeCom's `Event` (or `MsgType`), e.g. `change_external_contact`.
    async fn event(&self) -> &str {
        &self.0.event
    }
    /// WeCom's `ChangeType`, e.g. `add_external_contact`.
    async fn change_type(&self) -> &str {
        &self.0.change_type
    }
    async fn status(&self) -> WecomInboxStatus {
        match self.0.status.as_str() {
            inbox::status::APPLIED => WecomInboxStatus::Applied,
            inbox::status::UNHANDLED => WecomInboxStatus::Unhandled,
            inbox::status::FAILED => WecomInboxStatus::Failed,
            _ => WecomInboxStatus::Pending,
        }
    }
    /// Failed tries so far.
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }
    /// Why the last try failed.
    async fn last_error(&self, ctx: &Context<'_>) -> Option<JobError> {
        JobError::from_stored(self.0.last_error.as_deref()?, ctx.lang())
    }
    async fn received_at(&self) -> DateTime<Utc> {
        self.0.received_at
    }
    async fn applied_at(&self) -> Option<DateTime<Utc>> {
        self.0.applied_at
    }
}

/// What is configured; secrets are never readable back, only whether they are set.
#[derive(SimpleObject)]
pub struct WecomBinding {
    pub corp_id: String,
    pub agent_id: Option<i64>,
    pub contact_secret_set: bool,
    pub external_contact_secret_set: bool,
    pub agent_secret_set: bool,
    pub callback_token_set: bool,
    pub encoding_aes_key_set: bool,
    /// The URL to enter as the callback URL in the WeCom admin console.
    pub callback_url: String,
    pub updated_at: DateTime<Utc>,
}

/// Omitted fields keep their stored value; an empty string clears one.
#[derive(InputObject)]
pub struct BindWecomInput {
    /// The WeCom corp id (企业ID).
    pub corp_id: String,
    /// 通讯录同步 secret.
    pub contact_secret: Option<String>,
    /// 客户联系 secret (or the self-built app's, when configured for customer contact).
    pub external_contact_secret: Option<String>,
    /// The self-built app's secret (messages, login).
    pub agent_secret: Option<String>,
    pub agent_id: Option<i64>,
    pub callback_token: Option<String>,
    /// 43 characters.
    pub encoding_aes_key: Option<String>,
}

fn present(b: entity::wecom_binding::Model, ctx: &Context<'_>, corp_code: &str) -> WecomBinding {
    let state = ctx.state();
    let base = state.config.public_base();
    WecomBinding {
        corp_id: b.wecom_corp_id,
        agent_id: b.agent_id,
        contact_secret_set: b.contact_secret.is_some(),
        external_contact_secret_set: b.external_secret.is_some(),
        agent_secret_set: b.agent_secret.is_some(),
        callback_token_set: b.callback_token.is_some(),
        encoding_aes_key_set: b.encoding_aes_key.is_some(),
        callback_url: format!("{}/callbacks/wecom/{corp_code}", base.trim_end_matches('/')),
        updated_at: b.updated_at,
    }
}

async fn corp_code(ctx: &Context<'_>, corp_id: i64) -> async_graphql::Result<String> {
    Ok(corp::Entity::find_by_id(corp_id).one(ctx.db()).await.map_err(AppError::from)?.map(|c| c.code).unwrap_or_default())
}

#[derive(Default)]
pub struct WecomQuery;

#[Object]
impl WecomQuery {
    /// The corp's WeCom binding, or null when not bound.
    #[graphql(guard = "Perm(perm::SYS_WECOM_MANAGE)")]
    async fn wecom_binding(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<WecomBinding>> {
        let scope = ctx.scope()?;
        let code = corp_code(ctx, scope.corp_id()).await?;
        Ok(binding::get(ctx.db(), scope).await?.map(|b| present(b, ctx, &code)))
    }

    /// Callbacks WeCom delivered, newest first; `status: FAILED` lists the
    /// events whose tries are spent.
    #[graphql(guard = "Perm(perm::SYS_WECOM_MANAGE)", complexity = "crate::graphql::connection::page_cost(first, child_complexity)")]
    async fn wecom_inbox(
        &self,
        ctx: &Context<'_>,
        status: Option<WecomInboxStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<WecomInboxEvent>> {
        let page = Page::new(first, after)?;
        let (rows, total) = fetch_page(ctx.db(), inbox::list(ctx.scope()?, status.map(WecomInboxStatus::stored)), page).await?;
        Ok(connection(page, total, rows.into_iter().map(WecomInboxEvent).collect()))
    }
}

#[derive(Default)]
pub struct WecomMutation;

#[Object]
impl WecomMutation {
    /// Stores the corp's WeCom credentials, encrypted with the master key.
    #[graphql(guard = "Perm(perm::SYS_WECOM_MANAGE)")]
    async fn bind_wecom(&self, ctx: &Context<'_>, input: BindWecomInput) -> async_graphql::Result<WecomBinding> {
        let scope = ctx.scope()?;
        let b = binding::bind(
            ctx.db(),
            scope,
            &ctx.state().master_key,
            &ctx.state().callback_keys,
            binding::BindInput {
                wecom_corp_id: input.corp_id,
                contact_secret: input.contact_secret,
                external_secret: input.external_contact_secret,
                agent_secret: input.agent_secret,
                agent_id: input.agent_id,
                callback_token: input.callback_token,
                encoding_aes_key: input.encoding_aes_key,
            },
        )
        .await?;
        let code = corp_code(ctx, scope.corp_id()).await?;
        Ok(present(b, ctx, &code))
    }

    /// Pulls departments and members from WeCom as a background job. At most
    /// twice a day per corp, at least 10 minutes apart (`RATE_LIMITED`).
    #[graphql(guard = "Perm(perm::SYS_WECOM_MANAGE)")]
    async fn sync_wecom(&self, ctx: &Context<'_>) -> async_graphql::Result<Job> {
        Ok(Job(sync::start_manual(ctx.db(), &ctx.state().jobs, ctx.auth()?).await?))
    }

    /// Gives a FAILED callback event fresh tries (`CONFLICT` for any other status).
    #[graphql(guard = "Perm(perm::SYS_WECOM_MANAGE)")]
    async fn retry_wecom_inbox_event(&self, ctx: &Context<'_>, id: async_graphql::ID) -> async_graphql::Result<WecomInboxEvent> {
        let row = inbox::retry(ctx.db(), &ctx.state().jobs, ctx.scope()?, parse_id(&id, "id")?).await?;
        Ok(WecomInboxEvent(row))
    }

    /// Login from a WeCom sidebar page or a QR scan: the OAuth `code` WeCom
    /// handed the page, for the corp `corpCode`.
    async fn login_with_wecom_code(&self, ctx: &Context<'_>, corp_code: String, code: String) -> async_graphql::Result<LoginPayload> {
        let state = ctx.state();
        let failed = || AppError::new(Code::Unauthenticated, Msg::new("WECOM_LOGIN_FAILED", "企业微信授权登录失败", "WeCom login failed"));
        let c = corp::Entity::find()
            .filter(corp::Column::Code.eq(corp_code.trim()))
            .one(ctx.db())
            .await
            .map_err(AppError::from)?
            .ok_or_else(failed)?;
        let l = link(state, c.id).await?.ok_or_else(failed)?;
        let info = match l.client.user_by_code(&l.creds, &code).await {
            Ok(i) => i,
            // An invalid or used code is the caller's problem, not WeCom's.
            Err(e) if e.errcode() == Some(40029) => return Err(failed().into()),
            Err(e) => return Err(AppError::from(e).into()),
        };
        let userid = info.userid.ok_or_else(failed)?;
        let scope = Scope::system(c.id);
        let e = scope
            .select::<employee::Entity>()
            .filter(employee::Column::Userid.eq(userid))
            .one(ctx.db())
            .await
            .map_err(AppError::from)?
            .ok_or_else(failed)?;
        if !e.system_enabled {
            return Err(AppError::new(Code::Forbidden, msg::SYSTEM_CLOSED).into());
        }
        // A `user_ticket` comes only when the member consented to share private details.
        let e = match info.user_ticket.as_deref() {
            Some(ticket) => wecom_consent::fill_from_wecom_consent(ctx.db(), &scope, &l, e, ticket).await,
            None => e,
        };
        let t = crate::auth::service::open_session(state, e).await?;
        adopt(ctx, &t).await?;
        Ok(payload(t, ctx.lang()))
    }
}
