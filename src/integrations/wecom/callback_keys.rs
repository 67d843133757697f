//! Each corp's callback crypto, kept in memory: a callback would otherwise
//! cost two lookups and two master-key decryptions before its signature is
//! even checked, on every one of thousands of events a second.
//!
//! Entries live [`TTL`]; binding on this instance forgets them at once, and
//! another instance sees a new token or key within the TTL. An absent binding
//! is remembered too, so a flood aimed at an unbound corp costs no queries.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

use super::crypto::MsgCrypt;

/// How long a looked-up binding is trusted.
pub const TTL: Duration = Duration::from_secs(30);

/// The corp's id and its callback crypto; `None` when it is not bound for callbacks.
pub type CallbackKey = Option<(i64, MsgCrypt)>;

#[derive(Clone, Default)]
pub struct CallbackKeys {
    entries: Arc<Mutex<HashMap<String, (Instant, CallbackKey)>>>,
}

impl CallbackKeys {
    /// The cached key of the corp with this code, if looked up within the TTL.
    pub fn get(&self, corp_code: &str) -> Option<CallbackKey> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.get(corp_code).filter(|(at, _)| at.elapsed() < TTL).map(|(_, key)| key.clone())
    }

    pub fn put(&self, corp_code: &str, key: CallbackKey) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        // Codes are chosen by callers of a public route: drop stale entries
        // rather than let the map grow with every probed name.
        if entries.len() >= 10_000 {
            entries.retain(|_, (at, _)| at.elapsed() < TTL);
        }
        entries.insert(corp_code.to_string(), (Instant::now(), key));
    }

    /// Forgets every entry (a binding changed on this instance).
    pub fn forget_all(&self) {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }
}
