//! Configuration: defaults that let `cargo run` work with nothing set, an
//! optional TOML file (`WECRM_CONFIG`, or `./wecrm.toml` when present), and
//! environment variables, which win over the file.

use std::{net::SocketAddr, path::PathBuf};

use anyhow::Context;
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// May carry a password, so a [`Secret`].
    pub database_url: Secret,
    pub redis_url: Option<Secret>,
    pub bind: SocketAddr,
    /// Base64 of 32 bytes; encrypts secrets at rest. Generated under `data_dir` when unset.
    pub master_key: Option<Secret>,
    pub data_dir: PathBuf,
    pub log_json: bool,
    pub log_filter: String,
    pub auto_migrate: bool,
    pub body_limit_bytes: usize,
    pub max_query_depth: usize,
    pub max_query_complexity: usize,
    /// Items in any one list argument or variable.
    pub max_list_items: usize,
    /// Aliased fields per operation.
    pub max_aliases: usize,
    /// GraphQL operations per corp per minute, all instances together (0: no budget).
    pub corp_requests_per_minute: i64,
    /// A WebSocket that sends no `connection_init` within this closes with 4408.
    pub ws_init_timeout_secs: u64,
    /// Largest WebSocket message accepted.
    pub ws_max_message_bytes: usize,
    /// Live operations (subscriptions) per WebSocket.
    pub ws_max_operations: usize,
    pub access_token_ttl_secs: i64,
    pub refresh_token_ttl_secs: i64,
    /// Failed password checks per account and client address per window.
    pub login_max_failures: i64,
    /// Failed password checks per account from all clients per window.
    pub login_account_max_failures: i64,
    /// Failed password checks per client address, any account, per window.
    pub login_ip_max_failures: i64,
    pub login_lock_secs: i64,
    /// Header holding the client address set by a trusted reverse proxy
    /// (`x-forwarded-for`: its last entry; `x-real-ip`); unset: the peer address.
    pub trusted_proxy_header: Option<String>,
    pub job_workers: usize,
    pub job_poll_ms: u64,
    pub job_lease_secs: i64,
    /// Whether this instance fires scheduled jobs (nightly sync, sweeps, maintenance).
    pub job_schedules: bool,
    /// Prefix for every Redis key, so several deployments can share one Redis.
    pub redis_prefix: String,
    /// WeCom API host: the real one in production, the sandbox elsewhere.
    pub wecom_base_url: String,
    /// Official Account API host (`api.weixin.qq.com`; the sandbox serves it under `/oa`).
    /// Calls share the WeCom proxy, timeout and backoff settings.
    pub oa_base_url: String,
    /// Outbound proxy for WeCom calls (WeCom only accepts a corp's trusted IPs).
    pub wecom_proxy: Option<Secret>,
    pub wecom_timeout_secs: u64,
    /// First wait after a WeCom frequency-limit answer; doubles per retry.
    pub wecom_rate_backoff_ms: u64,
    /// Wait before reading a group chat again when WeCom's answer predates
    /// the change event (its lag is not documented).
    pub wecom_group_reread_ms: u64,
    pub wecom_rate_retries: u32,
    /// Callbacks whose timestamp is further than this from now are refused.
    pub callback_window_secs: i64,
    /// This server's public base URL, shown as the callback URL to give WeCom.
    pub public_url: Option<String>,
    /// Where archived chats are pulled from: `sandbox` (the sandbox at
    /// `wecom_base_url`) or none (only the ingest endpoint feeds the archive).
    pub archive_source: Option<String>,
    /// The H5 page that shows a marketing material: a URL template whose
    /// `{visit}` becomes the visit key the page's tracking calls carry.
    /// Unset: `<public url>/h5/radar?visit={visit}`.
    pub radar_page_url: Option<String>,
    /// The key the H5 page's server signs a viewer's WeChat identity with
    /// (HMAC-SHA256, hex) after its OAuth code exchange; unset, viewers are
    /// not identified (a claimed openid proves nothing).
    pub radar_identity_key: Option<Secret>,
    /// Where uploaded files' bytes go: unset, `<data_dir>/files`; else an
    /// `object_store` URL (`s3://bucket/prefix` with the `AWS_*` variables,
    /// `file:///dir`, `memory:///`).
    pub object_store_url: Option<String>,
    /// How long a signed download link stays valid, in seconds.
    pub download_link_secs: i64,
}

/// A configured secret: readable through `expose`, never through `Debug`,
/// so a logged or printed `Config` does not carry it.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database_url: Secret::new("sqlite://data/wecrm.db?mode=rwc"),
            redis_url: None,
            bind: std::net::SocketAddr::from(([127, 0, 0, 1], 8000)),
            master_key: None,
            data_dir: PathBuf::from("data"),
            log_json: false,
            log_filter: "info,sqlx=warn,sea_orm=warn".into(),
            auto_migrate: true,
            body_limit_bytes: 1024 * 1024,
            max_query_depth: 15,
            max_query_complexity: 5000,
            max_list_items: 1000,
            max_aliases: 100,
            corp_requests_per_minute: 0,
            ws_init_timeout_secs: 10,
            ws_max_message_bytes: 64 * 1024,
            ws_max_operations: 32,
            access_token_ttl_secs: 2 * 3600,
            refresh_token_ttl_secs: 30 * 24 * 3600,
            login_max_failures: 5,
            login_account_max_failures: 50,
            login_ip_max_failures: 100,
            login_lock_secs: 15 * 60,
            trusted_proxy_header: None,
            job_workers: 2,
            job_poll_ms: 1000,
            job_lease_secs: 120,
            job_schedules: true,
            redis_prefix: "wecrm:".into(),
            wecom_base_url: "https://qyapi.weixin.qq.com".into(),
            oa_base_url: "https://api.weixin.qq.com".into(),
            wecom_proxy: None,
            wecom_timeout_secs: 10,
            wecom_rate_backoff_ms: 500,
            wecom_group_reread_ms: 2000,
            wecom_rate_retries: 3,
            callback_window_secs: 300,
            public_url: None,
            archive_source: None,
            radar_page_url: None,
            radar_identity_key: None,
            object_store_url: None,
            download_link_secs: 3600,
        }
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn parse<T: std::str::FromStr>(name: &str, target: &mut T) -> anyhow::Result<()>
where
    T::Err: std::fmt::Display,
{
    if let Some(v) = env(name) {
        *target = v.parse().map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    }
    Ok(())
}

impl Config {
    /// This server's public base URL, without a trailing slash.
    pub fn public_base(&self) -> String {
        self.public_url.clone().unwrap_or_else(|| format!("http://{}", self.bind)).trim_end_matches('/').to_string()
    }

    /// The template of the H5 page of marketing materials (`{visit}` inside).
    pub fn radar_page_template(&self) -> String {
        self.radar_page_url.clone().unwrap_or_else(|| format!("{}/h5/radar?visit={{visit}}", self.public_base()))
    }

    pub fn load() -> anyhow::Result<Config> {
        let file = env("WECRM_CONFIG").map(PathBuf::from).or_else(|| {
            let p = PathBuf::from("wecrm.toml");
            p.exists().then_some(p)
        });
        let mut c = match file {
            Some(path) => {
                let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
                toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?
            }
            None => Config::default(),
        };
        c.apply_env()?;
        Ok(c)
    }

    fn apply_env(&mut self) -> anyhow::Result<()> {
        if let Some(v) = env("DATABASE_URL") {
            self.database_url = Secret(v);
        }
        if let Some(v) = env("REDIS_URL") {
            self.redis_url = Some(Secret(v));
        }
        if let Some(v) = env("WECRM_MASTER_KEY") {
            self.master_key = Some(Secret(v));
        }
        if let Some(v) = env("WECRM_LOG") {
            self.log_filter = v;
        }
        if let Some(v) = env("WECRM_REDIS_PREFIX") {
            self.redis_prefix = v;
        }
        if let Some(v) = env("WECRM_WECOM_BASE_URL") {
            self.wecom_base_url = v;
        }
        if let Some(v) = env("WECRM_OA_BASE_URL") {
            self.oa_base_url = v;
        }
        if let Some(v) = env("WECRM_WECOM_PROXY") {
            self.wecom_proxy = Some(Secret(v));
        }
        if let Some(v) = env("WECRM_PUBLIC_URL") {
            self.public_url = Some(v);
        }
        if let Some(v) = env("WECRM_RADAR_PAGE_URL") {
            self.radar_page_url = Some(v);
        }
        if let Some(v) = env("WECRM_RADAR_IDENTITY_KEY") {
            self.radar_identity_key = Some(Secret(v));
        }
        if let Some(v) = env("WECRM_OBJECT_STORE_URL") {
            self.object_store_url = Some(v);
        }
        parse("WECRM_DOWNLOAD_LINK_SECS", &mut self.download_link_secs)?;
        if let Some(v) = env("WECRM_ARCHIVE_SOURCE") {
            self.archive_source = Some(v).filter(|v| v != "none");
        }
        parse("WECRM_WECOM_TIMEOUT_SECS", &mut self.wecom_timeout_secs)?;
        parse("WECRM_WECOM_RATE_BACKOFF_MS", &mut self.wecom_rate_backoff_ms)?;
        parse("WECRM_WECOM_GROUP_REREAD_MS", &mut self.wecom_group_reread_ms)?;
        parse("WECRM_WECOM_RATE_RETRIES", &mut self.wecom_rate_retries)?;
        parse("WECRM_CALLBACK_WINDOW_SECS", &mut self.callback_window_secs)?;
        if let Some(v) = env("WECRM_DATA_DIR") {
            self.data_dir = PathBuf::from(v);
        }
        parse("WECRM_BIND", &mut self.bind)?;
        parse("WECRM_LOG_JSON", &mut self.log_json)?;
        parse("WECRM_AUTO_MIGRATE", &mut self.auto_migrate)?;
        parse("WECRM_BODY_LIMIT_BYTES", &mut self.body_limit_bytes)?;
        parse("WECRM_MAX_QUERY_DEPTH", &mut self.max_query_depth)?;
        parse("WECRM_MAX_QUERY_COMPLEXITY", &mut self.max_query_complexity)?;
        parse("WECRM_MAX_LIST_ITEMS", &mut self.max_list_items)?;
        parse("WECRM_MAX_ALIASES", &mut self.max_aliases)?;
        parse("WECRM_CORP_REQUESTS_PER_MINUTE", &mut self.corp_requests_per_minute)?;
        parse("WECRM_WS_INIT_TIMEOUT_SECS", &mut self.ws_init_timeout_secs)?;
        parse("WECRM_WS_MAX_MESSAGE_BYTES", &mut self.ws_max_message_bytes)?;
        parse("WECRM_WS_MAX_OPERATIONS", &mut self.ws_max_operations)?;
        parse("WECRM_ACCESS_TOKEN_TTL_SECS", &mut self.access_token_ttl_secs)?;
        parse("WECRM_REFRESH_TOKEN_TTL_SECS", &mut self.refresh_token_ttl_secs)?;
        parse("WECRM_LOGIN_MAX_FAILURES", &mut self.login_max_failures)?;
        parse("WECRM_LOGIN_ACCOUNT_MAX_FAILURES", &mut self.login_account_max_failures)?;
        parse("WECRM_LOGIN_IP_MAX_FAILURES", &mut self.login_ip_max_failures)?;
        parse("WECRM_LOGIN_LOCK_SECS", &mut self.login_lock_secs)?;
        if let Some(v) = env("WECRM_TRUSTED_PROXY_HEADER") {
            self.trusted_proxy_header = Some(v.to_ascii_lowercase());
        }
        parse("WECRM_JOB_WORKERS", &mut self.job_workers)?;
        parse("WECRM_JOB_POLL_MS", &mut self.job_poll_ms)?;
        parse("WECRM_JOB_LEASE_SECS", &mut self.job_lease_secs)?;
        parse("WECRM_JOB_SCHEDULES", &mut self.job_schedules)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_secret_ever_prints() {
        let c = Config {
            master_key: Some(Secret::new("c2VjcmV0LWtleS1ieXRlcy0xMjM0NTY3ODkwMTIzNDU2")),
            database_url: Secret::new("postgres://app:db-pa55@db.internal/wecrm"),
            redis_url: Some(Secret::new("redis://:redis-pa55@cache.internal:6379")),
            wecom_proxy: Some(Secret::new("http://proxy:proxy-pa55@egress.internal:3128")),
            ..Config::default()
        };
        let printed = format!("{c:?}");
        for secret in ["c2VjcmV0", "db-pa55", "redis-pa55", "proxy-pa55"] {
            assert!(!printed.contains(secret), "{secret} printed: {printed}");
        }
        assert!(printed.contains("Secret(..)"));
    }
}
