//! A bound corp's client and credentials: how services write to WeCom.

use crate::{
    error::AppResult,
    integrations::wecom::{Credentials, WecomClient},
    state::AppState,
};

/// A bound corp's client and credentials, for services that write to WeCom.
#[derive(Clone)]
pub struct WecomLink {
    pub client: WecomClient,
    pub creds: Credentials,
}

/// The corp's link when it is bound to WeCom; `None` keeps writes local.
pub async fn link(state: &AppState, corp_id: i64) -> AppResult<Option<WecomLink>> {
    Ok(super::binding::credentials(&state.db, &state.master_key, corp_id)
        .await?
        .map(|creds| WecomLink { client: state.wecom.clone(), creds }))
}
