//! Access tokens of WeChat's platforms, cached per key: in Redis when
//! configured, so instances share them, and in memory. A per-key lock makes
//! concurrent callers wait for one refresh instead of each fetching (WeChat
//! counts token fetches against a daily quota and a new token may retire
//! the old one). Tokens are refreshed `REFRESH_MARGIN` before `expires_in`.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use chrono::{DateTime, Utc};

use crate::kv::Kv;

const REFRESH_MARGIN: chrono::Duration = chrono::Duration::seconds(300);

#[derive(Clone)]
struct CachedToken {
    token: String,
    refresh_after: DateTime<Utc>,
}

#[derive(Clone)]
pub struct TokenCache {
    kv: Kv,
    local: Arc<Mutex<HashMap<String, CachedToken>>>,
    flights: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
}

impl TokenCache {
    pub fn new(kv: Kv) -> Self {
        TokenCache { kv, local: Arc::default(), flights: Arc::default() }
    }

    pub fn kv(&self) -> &Kv {
        &self.kv
    }

    /// The token under `key`, while it is not due for a refresh.
    pub async fn cached(&self, key: &str) -> Option<String> {
        let now = Utc::now();
        if let Some(t) = self.local.lock().unwrap_or_else(PoisonError::into_inner).get(key).filter(|t| t.refresh_after > now) {
            return Some(t.token.clone());
        }
        if self.kv.is_shared() {
            if let Ok(Some(token)) = self.kv.get_string(key).await {
                return Some(token);
            }
        }
        None
    }

    /// The lock one refresh of `key` holds; callers re-check `cached` once they hold it.
    pub fn flight(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        self.flights.lock().unwrap_or_else(PoisonError::into_inner).entry(key.to_string()).or_default().clone()
    }

    /// Keeps a fresh token for `expires_in` seconds less the margin (half its life at least).
    pub async fn store(&self, key: &str, token: &str, expires_in: i64) {
        let lifetime = chrono::Duration::seconds(expires_in.max(1));
        let refresh_after = Utc::now() + (lifetime - REFRESH_MARGIN).max(lifetime / 2);
        self.local
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key.to_string(), CachedToken { token: token.to_string(), refresh_after });
        if self.kv.is_shared() {
            let ttl = (refresh_after - Utc::now()).to_std().unwrap_or(Duration::from_secs(60));
            let _ = self.kv.set_string(key, token, ttl).await;
        }
    }

    /// Drops `token` after the platform rejected it, unless another caller
    /// already replaced it.
    pub async fn forget(&self, key: &str, token: &str) {
        {
            let mut local = self.local.lock().unwrap_or_else(PoisonError::into_inner);
            if local.get(key).is_some_and(|t| t.token == token) {
                local.remove(key);
            }
        }
        if self.kv.is_shared() {
            if let Ok(Some(shared)) = self.kv.get_string(key).await {
                if shared == token {
                    let _ = self.kv.delete(key).await;
                }
            }
        }
    }
}
