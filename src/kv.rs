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
    Memory(Arc<Mutex<HashMap<String, (i64, Instant)>>>),
    Redis { conn: ConnectionManager, prefix: String },
}

impl Kv {
    pub fn memory() -> Self {
        Kv::Memory(Arc::new(Mutex::new(HashMap::new())))
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
                let entry = map.entry(key.to_string()).or_insert((0, now + ttl));
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

    pub async fn get_count(&self, key: &str) -> anyhow::Result<i64> {
        match self {
            Kv::Memory(map) => {
                let map = map.lock().unwrap_or_else(PoisonError::into_inner);
                Ok(map.get(key).filter(|(_, exp)| *exp > Instant::now()).map(|(n, _)| *n).unwrap_or(0))
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

    pub async fn delete(&self, key: &str) -> anyhow::Result<()> {
        match self {
            Kv::Memory(map) => {
                map.lock().unwrap_or_else(PoisonError::into_inner).remove(key);
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
