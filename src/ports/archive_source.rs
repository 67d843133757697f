//! Where archived chat messages come from. WeCom hands the archive out only
//! through its finance SDK (a C library); an [`ArchiveSource`] is that boundary.

use serde_json::Value;

/// One page of the archive after `seq`: the messages and the highest seq seen.
pub struct ChatPage {
    pub messages: Vec<Value>,
    pub last_seq: i64,
}

#[async_trait::async_trait]
pub trait ArchiveSource: Send + Sync {
    /// Messages after `seq` (at most `limit`, ≤ 1000) of the WeCom corp.
    async fn fetch(&self, wecom_corp_id: &str, seq: i64, limit: usize) -> anyhow::Result<ChatPage>;
}

pub type Source = std::sync::Arc<dyn ArchiveSource>;
