//! Where archived messages come from. WeCom hands the archive out only
//! through its finance SDK (a C library that decrypts each message); an
//! [`ArchiveSource`] is that boundary. The sandbox implementation reads the
//! sandbox's chat data (already plaintext, in the SDK's JSON), so tests and
//! the demo pull realistic chats; a deployment with the SDK plugs its own
//! source in, or feeds the ingest endpoint (`POST /archive/{corp}/messages`).

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::ports::archive_source::{ArchiveSource, ChatPage};
use crate::{
    error::AppError,
    jobs::{JobCtx, JobError, JobHandler, JobKind},
    settings::Document,
    state::AppState,
    tenancy::Scope,
};

/// The sandbox's `GET /sandbox/finance/chatdata`, shaped like the SDK's GetChatData.
pub struct SandboxSource {
    pub base_url: String,
    pub http: reqwest::Client,
}

#[derive(Deserialize)]
struct ChatData {
    errcode: i64,
    #[serde(default)]
    errmsg: String,
    #[serde(default)]
    chatdata: Vec<ChatItem>,
}

#[derive(Deserialize)]
struct ChatItem {
    seq: i64,
    /// The decrypted message (the SDK's DecryptData output).
    message: Value,
}

#[async_trait::async_trait]
impl ArchiveSource for SandboxSource {
    async fn fetch(&self, wecom_corp_id: &str, seq: i64, limit: usize) -> anyhow::Result<ChatPage> {
        let url = format!("{}/sandbox/finance/chatdata", self.base_url.trim_end_matches('/'));
        let limit = limit.min(1000).to_string();
        let seq_s = seq.to_string();
        let res: ChatData = self
            .http
            .get(url)
            .query(&[("corpid", wecom_corp_id), ("seq", seq_s.as_str()), ("limit", limit.as_str())])
            .send()
            .await?
            .json()
            .await?;
        if res.errcode != 0 {
            anyhow::bail!("chatdata errcode {}: {}", res.errcode, res.errmsg);
        }
        let last_seq = res.chatdata.iter().map(|c| c.seq).max().unwrap_or(seq);
        Ok(ChatPage { messages: res.chatdata.into_iter().map(|c| c.message).collect(), last_seq })
    }
}

/// How far each corp's archive has been read.
#[derive(Serialize, Deserialize, Default)]
pub struct Cursor {
    pub seq: i64,
}

impl Document for Cursor {
    const KEY: &'static str = "archive_cursor";
}

/// Reads each bound corp's new messages from the source and ingests them.
pub struct ArchivePullJob;

impl JobKind for ArchivePullJob {
    const KIND: &'static str = "archive.pull";
    type Payload = Value;
}

#[async_trait::async_trait]
impl JobHandler for ArchivePullJob {
    type Kind = Self;

    async fn run(&self, ctx: &JobCtx, _: Value) -> Result<Value, JobError> {
        let state = &ctx.state;
        let Some(source) = state.archive_source.clone() else { return Ok(json!({"skipped": "no archive source configured"})) };
        let bindings: Vec<entity::wecom_binding::Model> = match ctx.job.corp_id {
            Some(c) => Scope::system(c).select::<entity::wecom_binding::Entity>().all(&state.db).await.map_err(AppError::from)?,
            // Platform-wide on purpose: one run serves every bound corp.
            None => <entity::wecom_binding::Entity as sea_orm::EntityTrait>::find().all(&state.db).await.map_err(AppError::from)?,
        };
        let mut out = serde_json::Map::new();
        for b in bindings {
            let stored = pull_corp(state, source.as_ref(), &Scope::system(b.corp_id), &b.wecom_corp_id).await?;
            out.insert(b.corp_id.to_string(), json!(stored));
        }
        Ok(Value::Object(out))
    }
}

/// Pulls one corp until the source has nothing newer (at most 10 pages a run).
pub async fn pull_corp(state: &AppState, source: &dyn ArchiveSource, scope: &Scope, wecom_corp_id: &str) -> Result<i64, JobError> {
    let mut stored = 0i64;
    for _ in 0..10 {
        let cursor: Cursor = crate::settings::get(&state.db, scope).await.map_err(JobError::from_app)?;
        let page = source.fetch(wecom_corp_id, cursor.seq, 1000).await.map_err(JobError::Retry)?;
        if page.messages.is_empty() {
            break;
        }
        let outcome = super::ingest::ingest(state, scope, page.messages).await.map_err(JobError::from_app)?;
        stored += outcome.stored as i64;
        crate::settings::put(&state.db, scope, &Cursor { seq: page.last_seq }).await.map_err(JobError::from_app)?;
    }
    Ok(stored)
}
