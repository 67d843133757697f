//! Configuration: defaults that let `cargo run` work with nothing set, an
//! optional TOML file (`WECRM_CONFIG`, or `./wecrm.toml` when present), and
//! environment variables, which win over the file.

use std::{net::SocketAddr, path::PathBuf};

use anyhow::Context;
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub database_url: String,
    pub redis_url: Option<String>,
    pub bind: SocketAddr,
    /// Base64 of 32 bytes; encrypts secrets at rest. Generated under `data_dir` when unset.
    pub master_key: Option<String>,
    pub data_dir: PathBuf,
    pub log_json: bool,
    pub log_filter: String,
    pub auto_migrate: bool,
    pub body_limit_bytes: usize,
    pub max_query_depth: usize,
    pub max_query_complexity: usize,
    pub access_token_ttl_secs: i64,
    pub refresh_token_ttl_secs: i64,
    pub login_max_failures: i64,
    pub login_lock_secs: i64,
    pub job_workers: usize,
    pub job_poll_ms: u64,
    pub job_lease_secs: i64,
    /// Whether this instance fires scheduled jobs (nightly sync, sweeps, maintenance).
    pub job_schedules: bool,
    /// Prefix for every Redis key, so several deployments can share one Redis.
    pub redis_prefix: String,
    /// WeCom API host: the real one in production, the sandbox elsewhere.
    pub wecom_base_url: String,
    /// Outbound proxy for WeCom calls (WeCom only accepts a corp's trusted IPs).
    pub wecom_proxy: Option<String>,
    pub wecom_timeout_secs: u64,
    /// First wait after a WeCom frequency-limit answer; doubles per retry.
    pub wecom_rate_backoff_ms: u64,
    pub wecom_rate_retries: u32,
    /// Callbacks whose timestamp is further than this from now are refused.
    pub callback_window_secs: i64,
    /// This server's public base URL, shown as the callback URL to give WeCom.
    pub public_url: Option<String>,
    /// Where archived chats are pulled from: `sandbox` (the sandbox at
    /// `wecom_base_url`) or none (only the ingest endpoint feeds the archive).
    pub archive_source: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database_url: "sqlite://data/wecrm.db?mode=rwc".into(),
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
            access_token_ttl_secs: 2 * 3600,
            refresh_token_ttl_secs: 30 * 24 * 3600,
            login_max_failures: 5,
            login_lock_secs: 15 * 60,
            job_workers: 2,
            job_poll_ms: 1000,
            job_lease_secs: 120,
            job_schedules: true,
            redis_prefix: "wecrm:".into(),
            wecom_base_url: "https://qyapi.weixin.qq.com".into(),
            wecom_proxy: None,
            wecom_timeout_secs: 10,
            wecom_rate_backoff_ms: 500,
            wecom_rate_retries: 3,
            callback_window_secs: 300,
            public_url: None,
            archive_source: None,
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
            self.database_url = v;
        }
        if let Some(v) = env("REDIS_URL") {
            self.redis_url = Some(v);
        }
        if let Some(v) = env("WECRM_MASTER_KEY") {
            self.master_key = Some(v);
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
        if let Some(v) = env("WECRM_WECOM_PROXY") {
            self.wecom_proxy = Some(v);
        }
        if let Some(v) = env("WECRM_PUBLIC_URL") {
            self.public_url = Some(v);
        }
        if let Some(v) = env("WECRM_ARCHIVE_SOURCE") {
            self.archive_source = Some(v).filter(|v| v != "none");
        }
        parse("WECRM_WECOM_TIMEOUT_SECS", &mut self.wecom_timeout_secs)?;
        parse("WECRM_WECOM_RATE_BACKOFF_MS", &mut self.wecom_rate_backoff_ms)?;
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
        parse("WECRM_ACCESS_TOKEN_TTL_SECS", &mut self.access_token_ttl_secs)?;
        parse("WECRM_REFRESH_TOKEN_TTL_SECS", &mut self.refresh_token_ttl_secs)?;
        parse("WECRM_LOGIN_MAX_FAILURES", &mut self.login_max_failures)?;
        parse("WECRM_LOGIN_LOCK_SECS", &mut self.login_lock_secs)?;
        parse("WECRM_JOB_WORKERS", &mut self.job_workers)?;
        parse("WECRM_JOB_POLL_MS", &mut self.job_poll_ms)?;
        parse("WECRM_JOB_LEASE_SECS", &mut self.job_lease_secs)?;
        parse("WECRM_JOB_SCHEDULES", &mut self.job_schedules)?;
        Ok(())
    }
}
