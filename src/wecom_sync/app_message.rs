//! App messages: text sent to members through the corp's self-built app.

use serde_json::{json, Value};

use crate::{
    error::AppError,
    integrations::wecom::types::{AppMessage, TextContent},
    jobs::JobError,
    state::AppState,
};

/// Sends `text` to these members (WeCom userids) through the corp's app. A
/// corp without WeCom or without an app gets nothing sent, and the job's
/// result says why.
pub async fn send_text(state: &AppState, corp_id: i64, userids: &[String], text: String) -> Result<Value, JobError> {
    let Some(link) = super::link::link(state, corp_id).await.map_err(JobError::from_app)? else {
        return Ok(json!({"skipped": "not bound to WeCom"}));
    };
    let Some(agentid) = link.creds.agent_id else { return Ok(json!({"skipped": "no app (agent) configured"})) };
    if userids.is_empty() {
        return Ok(json!({"skipped": "no recipients"}));
    }
    let msg = AppMessage {
        touser: Some(userids.join("|")),
        msgtype: "text".into(),
        agentid,
        text: Some(TextContent { content: text }),
        ..Default::default()
    };
    link.client.message_send(&link.creds, &msg).await.map_err(|e| JobError::from_app(AppError::from(e)))?;
    Ok(json!({"sent": userids.len()}))
}
