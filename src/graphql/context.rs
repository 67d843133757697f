//! What every resolver knows about its request.

use std::sync::Arc;

use async_graphql::Context;
use sea_orm::DatabaseConnection;

use crate::{
    error::{AppError, Lang},
    state::AppState,
    tenancy::{Auth, Scope},
};

/// Per-request data, inserted by the HTTP and WebSocket layers.
#[derive(Clone, Debug)]
pub struct RequestCtx {
    pub request_id: String,
    pub lang: Lang,
    /// The client's address (the peer, or the trusted proxy's header).
    pub client_ip: Option<std::net::IpAddr>,
    pub auth: Option<Auth>,
    /// A token was sent but is unknown, expired or revoked.
    pub token_rejected: bool,
    /// Set by a login mutation, so the rest of its answer (the employee and
    /// its relations) resolves as the new session.
    pub fresh_login: Arc<std::sync::OnceLock<Auth>>,
}

/// Shorthands over `async_graphql::Context`.
pub trait CtxExt {
    fn state(&self) -> &AppState;
    fn db(&self) -> &DatabaseConnection {
        &self.state().db
    }
    fn request(&self) -> &RequestCtx;
    fn lang(&self) -> Lang {
        self.request().lang
    }
    /// The caller, or `UNAUTHENTICATED`.
    fn auth(&self) -> Result<&Auth, AppError> {
        let req = self.request();
        req.auth.as_ref().or(req.fresh_login.get()).ok_or_else(|| {
            if req.token_rejected {
                AppError::new(crate::error::Code::Unauthenticated, crate::error::msg::SESSION_INVALID)
            } else {
                AppError::unauthenticated()
            }
        })
    }
    /// The caller's tenant and data scope, or `UNAUTHENTICATED`.
    fn scope(&self) -> Result<&Scope, AppError> {
        self.auth().map(|a| &a.scope)
    }
}

impl CtxExt for Context<'_> {
    fn state(&self) -> &AppState {
        self.data_unchecked::<AppState>()
    }
    fn request(&self) -> &RequestCtx {
        self.data_unchecked::<RequestCtx>()
    }
}
