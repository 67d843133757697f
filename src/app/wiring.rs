//! Wiring: the state's adapters, and the app built over it.

use std::{sync::Arc, time::Duration};

use tokio::sync::watch;

use super::{jobs, runner::Runner, schema};
use crate::{
    archive,
    bus::Bus,
    clock::Clock,
    config::Config,
    crypto::MasterKey,
    customers,
    db::{self, DbOptions},
    integrations::wecom::{ClientConfig, WecomClient},
    jobs::{JobQueue, NewJob},
    kv::Kv,
    ports::{archive_source::Source, file_store::ObjectFiles},
    state::AppState,
};

/// A built application: its state, the schema served over it and the runner
/// of its jobs.
#[derive(Clone)]
pub struct App {
    pub state: AppState,
    pub schema: schema::AppSchema,
    pub runner: Runner,
}

// Benchmarks and tools reach the state's handles (`app.db`) directly.
impl std::ops::Deref for App {
    type Target = AppState;
    fn deref(&self) -> &AppState {
        &self.state
    }
}

impl App {
    /// Connects storage (and Redis when configured), migrates if asked, and
    /// wires every area.
    pub async fn build(config: Config, pg_schema: Option<String>) -> anyhow::Result<App> {
        let state = AppState::build(config, pg_schema).await?;
        let runner = Runner::new(
            jobs::registry(),
            state.jobs.clone(),
            chrono::Duration::seconds(state.config.job_lease_secs),
            Duration::from_millis(state.config.job_poll_ms),
        );
        Ok(App { schema: schema::build_schema(&state.config), runner, state })
    }

    /// Starts job workers and the scheduler.
    pub fn start_background(&self, shutdown: watch::Receiver<bool>) {
        let config = &self.state.config;
        if config.job_schedules && config.job_workers > 0 {
            // Reply timers are durable jobs; after a restart this also sets any
            // that a restored database or a lost queue row would miss.
            let state = self.state.clone();
            tokio::spawn(async move {
                let new = NewJob::system().dedup(format!("reply-timer-rebuild:boot:{}", uuid::Uuid::new_v4().simple()));
                if let Err(e) = state.jobs.enqueue::<archive::reply::RebuildTimersJob>(&state.db, new, &serde_json::json!({})).await {
                    tracing::warn!(code = e.code.as_str(), "reply timer rebuild not queued");
                }
            });
        }
        self.runner.spawn(self.state.clone(), config.job_workers, config.job_schedules, shutdown);
    }
}

impl AppState {
    /// Connects storage (and Redis when configured), migrates if asked, and
    /// picks the adapter of every port.
    pub async fn build(config: Config, pg_schema: Option<String>) -> anyhow::Result<AppState> {
        let options = || DbOptions { url: config.database_url.expose(), pg_schema: pg_schema.clone() };
        let (mut db, mut statements) = db::connect(options()).await?;
        if config.auto_migrate && db::migrate_up(&db).await? {
            // SQLite reads planner statistics when a connection opens: the
            // pool's connections predate them, so open it afresh.
            db.close().await?;
            (db, statements) = db::connect(options()).await?;
        }
        let kv = match &config.redis_url {
            Some(url) => Kv::redis(url.expose(), config.redis_prefix.clone()).await?,
            None => Kv::memory(),
        };
        let master_key = MasterKey::from_config(&config)?;
        let client_config = |base_url: &str| ClientConfig {
            base_url: base_url.to_string(),
            proxy: config.wecom_proxy.as_ref().map(|p| p.expose().to_owned()),
            timeout: Duration::from_secs(config.wecom_timeout_secs),
            rate_backoff: Duration::from_millis(config.wecom_rate_backoff_ms),
            rate_retries: config.wecom_rate_retries,
        };
        let wecom = WecomClient::new(client_config(&config.wecom_base_url), kv.clone())?;
        let oa = crate::integrations::oa::OaClient::new(client_config(&config.oa_base_url), kv.clone())?;
        let bus = match &config.redis_url {
            Some(url) => Bus::redis(url.expose(), &config.redis_prefix).await?,
            None => Bus::memory(),
        };
        let archive_source: Option<Source> = match config.archive_source.as_deref() {
            Some("sandbox") => {
                Some(Arc::new(archive::source::SandboxSource { base_url: config.wecom_base_url.clone(), http: reqwest::Client::new() }))
            }
            Some(other) => anyhow::bail!("unknown WECRM_ARCHIVE_SOURCE {other:?} (sandbox or none)"),
            None => None,
        };
        let clock = Clock::default();
        Ok(AppState {
            activity: Arc::new(archive::activity::ArchiveActivity),
            bus,
            sensitive: Default::default(),
            archive_source,
            jobs: JobQueue::new(clock.clone()),
            clock,
            files: match &config.object_store_url {
                Some(url) => Arc::new(ObjectFiles::from_url(url)?),
                None => Arc::new(ObjectFiles::local_dir(&config.data_dir.join("files"))?),
            },
            wecom,
            oa,
            callback_keys: Default::default(),
            inbox_commits: crate::db::group_commit::GroupCommit::start(db.clone(), Arc::new(crate::wecom_sync::inbox::store_batch)),
            radar_page_events: crate::db::group_commit::GroupCommit::start(
                db.clone(),
                Arc::new(crate::materials::behaviour::record_page_events),
            ),
            radar_opens: {
                let page: Arc<str> = config.radar_page_template().into();
                crate::db::group_commit::GroupCommit::start(
                    db.clone(),
                    Arc::new(move |txn, opens| crate::materials::tracking::record_opens(txn, opens, page.clone())),
                )
            },
            db,
            kv,
            master_key,
            deletion_guards: Arc::new(vec![Arc::new(customers::service::OwnedCustomersGuard)]),
            statements,
            config: Arc::new(config),
        })
    }
}
