//! The WeChat sandbox: a local stand-in for the WeCom and Official Account
//! endpoints wecrm uses,
//! with the same paths, JSON shapes and errcodes, token issue / expiry /
//! invalidation, injectable frequency limits and failures, a record of every
//! call (tests assert on it) and signed, encrypted callbacks sent on demand.
//! `wecrm sandbox` runs it alone; `serve --demo` starts it in-process.

mod admin;
pub mod events;
mod oa;
mod wecom;
mod world;

use axum::Router;

pub use oa::{OaCallbackTarget, OaFan, SandboxOa, SealedOaCallback};
pub use world::{Call, CallbackTarget, CorpSecrets, Sandbox, SandboxCorp, Strictness, Transfer};

impl Sandbox {
    /// WeCom's endpoints and the sandbox's own control endpoints; the
    /// Official Account API (another host at WeChat) under `/oa`.
    pub fn router(&self) -> Router {
        wecom::router(self.clone()).nest("/oa", oa::router(self.clone()))
    }
}

/// `wecrm sandbox`: the sandbox alone, seeded with `corp_id`.
pub async fn serve(
    bind: std::net::SocketAddr,
    corp_id: &str,
    departments: usize,
    users: usize,
    customers: usize,
    calls_per_minute: u32,
) -> anyhow::Result<()> {
    let sandbox = Sandbox::new(7200);
    if calls_per_minute > 0 {
        sandbox.limit_per_minute(calls_per_minute);
    }
    sandbox.add_corp(SandboxCorp::seeded(corp_id, departments, users).with_customers(customers).with_chats(customers.min(100), 24));
    let listener = tokio::net::TcpListener::bind(bind).await?;
    tracing::info!(%bind, corp_id, "WeChat sandbox listening");
    axum::serve(listener, sandbox.router()).await?;
    Ok(())
}
