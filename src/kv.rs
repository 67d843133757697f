//! Small shared counters with expiry (login throttling, later rate limits and
//! locks): Redis when `REDIS_URL` is set, so every instance sees the same
//! counts; an in-process map otherwise.

use std::sync::PoisonError;
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use redis::aio::ConnectionManager;

#[derive(Clone)]
pub enum Kv {
    Memory(Arc<Mutex<MemoryCounters>>),
    Redis { conn: ConnectionManager, prefix: String },
}

/// The in-process counters. Expired entries are swept once the map has
/// doubled since the last sweep, so keys an attacker invents (one per
/// failed login, say) do not live for the life of the process.
#[derive(Default)]
pub struct MemoryCounters {
    entries: HashMap<String, (i64, Instant)>,
    sweep_at: usize,
}

/// Below this many entries the map is never swept.
const SWEEP_FLOOR: usize = 1024;

impl MemoryCounters {
    fn sweep_if_due(&mut self, now: Instant) {
        if self.entries.len() < self.sweep_at.max(SWEEP_FLOOR) {
            return;
        }
        self.entries.retain(|_, (_, expires)| *expires > now);
        self.sweep_at = self.entries.len() * 2;
    }

    /// Live entries (tests and diagnostics).
    pub fn len(&self) -> usize {
        let now = Instant::now();
        self.entries.values().filter(|(_, expires)| *expires > now).count()
    }

    /// Entries held, expired or not.
    pub fn held(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Kv {
    pub fn memory() -> Self {
        Kv::Memory(Arc::new(Mutex::new(MemoryCounters::default())))
    }

    pub async fn redis(url: &str, prefix: String) -> anyhow::Result<Self> {
        let client = redis::Client::open(url)?;
        let conn = ConnectionManager::new(client).await?;
        Ok(Kv::Redis { conn, prefix })
    }

    pub fn is_shared(&self) -> bool {
        matches!(self, Kv::Redis { .. })
    }

    /// Adds one to `key`, starting a window of `ttl` on the first hit; returns the new count.
    pub async fn incr(&self, key: &str, ttl: Duration) -> anyhow::Result<i64> {
        match self {
            Kv::Memory(map) => {
                let mut map = map.lock().unwrap_or_else(PoisonError::into_inner);
                let now = Instant::now();
                map.sweep_if_due(now);
                let entry = map.entries.entry(key.to_string()).or_insert((0, now + ttl));
                if entry.1 <= now {
                    *entry = (0, now + ttl);
                }
                entry.0 += 1;
                Ok(entry.0)
            }
            Kv::Redis { conn, prefix } => {
                let mut conn = conn.clone();
                let key = format!("{prefix}{key}");
                let (count,): (i64,) = redis::pipe()
                    .atomic()
                    .incr(&key, 1)
                    .cmd("EXPIRE")
                    .arg(&key)
                    .arg(ttl.as_secs().max(1))
                    .arg("NX")
                    .ignore()
                    .query_async(&mut conn)
                    .await?;
                Ok(count)
            }
        }
    }

    /// Takes one back from `key` (an attempt that turned out fine), never below zero.
    pub async fn decr(&self, key: &str) -> anyhow::Result<()> {
        match self {
            Kv::Memory(map) => {
                let mut map = map.lock().unwrap_or_else(PoisonError::into_inner);
                if let Some(entry) = map.entries.get_mut(key) {
                    entry.0 = (entry.0 - 1).max(0);
                }
                Ok(())
            }
            Kv::Redis { conn, prefix } => {
                let mut conn = conn.clone();
                // Only an existing key: DECR on a missing one would create it without expiry.
                let _: i64 = redis::cmd("EVAL")
                    .arg("local n = tonumber(redis.call('GET', KEYS[1])) if n and n > 0 then return redis.call('DECR', KEYS[1]) end return 0")
                    .arg(1)
                    .arg(format!("{prefix}{key}"))
                    .query_async(&mut conn)
                    .await?;
                Ok(())
            }
        }
    }

    /// How long `key` has left, when it exists.
    pub async fn ttl(&self, key: &str) -> anyhow::Result<Option<Duration>> {
        match self {
            Kv::Memory(map) => {
                let map = map.lock().unwrap_or_else(PoisonError::into_inner);
                let now = Instant::now();
                Ok(map.entries.get(key).filter(|(_, exp)| *exp > now).map(|(_, exp)| *exp - now))
            }
            Kv::Redis { conn, prefix } => {
                let mut conn = conn.clone();
                let secs: i64 = redis::cmd("TTL").arg(format!("{prefix}{key}")).query_async(&mut conn).await?;
                Ok((secs > 0).then(|| Duration::from_secs(secs as u64)))
            }
        }
    }

    pub async fn get_count(&self, key: &str) -> anyhow::Result<i64> {
        match self {
            Kv::Memory(map) => {
                let map = map.lock().unwrap_or_else(PoisonError::into_inner);
                Ok(map.entries.get(key).filter(|(_, exp)| *exp > Instant::now()).map(|(n, _)| *n).unwrap_or(0))
            }
            Kv::Redis { conn, prefix } => {
                let mut conn = conn.clone();
                let v: Option<i64> = redis::cmd("GET").arg(format!("{prefix}{key}")).query_async(&mut conn).await?;
                Ok(v.unwrap_or(0))
            }
        }
    }

    /// A string value, when Redis is configured (the memory variant keeps none:
    /// its callers hold their own local copies).
    pub async fn get_string(&self, key: &str) -> anyhow::Result<Option<String>> {
        match self {
            Kv::Memory(_) => Ok(None),
            Kv::Redis { conn, prefix } => {
                let mut conn = conn.clone();
                Ok(redis::cmd("GET").arg(format!("{prefix}{key}")).query_async(&mut conn).await?)
            }
        }
    }

    pub async fn set_string(&self, key: &str, value: &str, ttl: Duration) -> anyhow::Result<()> {
        match self {
            Kv::Memory(_) => Ok(()),
            Kv::Redis { conn, prefix } => {
                let mut conn = conn.clone();
                let _: () = redis::cmd("SET")
                    .arg(format!("{prefix}{key}"))
                    .arg(value)
                    .arg("EX")
                    .arg(ttl.as_secs().max(1))
                    .query_async(&mut conn)
                    .await?;
                Ok(())
            }
        }
    }

    /// Claims `key` for `fingerprint` until `ttl` passes: `true` when the key
    /// was free or already holds this fingerprint, `false` when another
    /// fingerprint holds it (a signed request replayed with another body).
    pub async fn claim(&self, key: &str, fingerprint: i64, ttl: Duration) -> anyhow::Result<bool> {
        match self {
            Kv::Memory(map) => {
                let now = Instant::now();
                let mut map = map.lock().unwrap_or_else(PoisonError::into_inner);
                map.sweep_if_due(now);
                match map.entries.get(key) {
                    Some((held, expires)) if *expires > now => Ok(*held == fingerprint),
                    _ => {
                        map.entries.insert(key.to_string(), (fingerprint, now + ttl));
                        Ok(true)
                    }
                }
            }
            Kv::Redis { conn, prefix } => {
                let mut conn = conn.clone();
                let key = format!("{prefix}{key}");
                let set: Option<String> = redis::cmd("SET")
                    .arg(&key)
                    .arg(fingerprint)
                    .arg("NX")
                    .arg("EX")
                    .arg(ttl.as_secs().max(1))
                    .query_async(&mut conn)
                    .await?;
                if set.is_some() {
                    return Ok(true);
                }
                let held: Option<i64> = redis::cmd("GET").arg(&key).query_async(&mut conn).await?;
                Ok(held.is_none_or(|h| h == fingerprint))
            }
        }
    }

    pub async fn delete(&self, key: &str) -> anyhow::Result<()> {
        match self {
            Kv::Memory(map) => {
                map.lock().unwrap_or_else(PoisonError::into_inner).entries.remove(key);
                Ok(())
            }
            Kv::Redis { conn, prefix } => {
                let mut conn = conn.clone();
                let _: () = redis::cmd("DEL").arg(format!("{prefix}{key}")).query_async(&mut conn).await?;
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn expired_counters_are_swept_instead_of_kept_forever() {
        let kv = Kv::memory();
        for i in 0..SWEEP_FLOOR {
            kv.incr(&format!("k{i}"), Duration::from_millis(1)).await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
        kv.incr("fresh", Duration::from_secs(60)).await.unwrap();
        let Kv::Memory(map) = &kv else { unreachable!() };
        let map = map.lock().unwrap();
        assert_eq!(map.held(), 1, "the expired entries went with the sweep");
        assert_eq!(map.len(), 1);
    }

    #[tokio::test]
    async fn a_taken_back_attempt_never_goes_below_zero() {
        let kv = Kv::memory();
        kv.incr("a", Duration::from_secs(60)).await.unwrap();
        kv.decr("a").await.unwrap();
        kv.decr("a").await.unwrap();
        assert_eq!(kv.get_count("a").await.unwrap(), 0);
        kv.decr("missing").await.unwrap();
        assert_eq!(kv.get_count("missing").await.unwrap(), 0);
    }
}
