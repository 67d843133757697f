//! Application state and the HTTP router.

use std::{sync::Arc, time::Duration};

use axum::{
    extract::DefaultBodyLimit,
    http::{HeaderName, Request},
    routing::get,
    Router,
};
use sea_orm::DatabaseConnection;
use tokio::sync::watch;
use tower_http::{
    cors::CorsLayer,
    limit::RequestBodyLimitLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::TraceLayer,
};

use crate::{
    config::Config,
    crypto::MasterKey,
    db::{self, DbOptions, StatementCounter},
    graphql::{self, http as gql_http, AppSchema},
    integrations::wecom::{ClientConfig, WecomClient},
    jobs::{Jobs, MaintenanceJob, Schedule},
    kv::Kv,
    ops,
    org::{employees::DeletionGuards, BatchJob},
    wecom,
};

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub kv: Kv,
    pub master_key: MasterKey,
    pub jobs: Jobs,
    pub schema: AppSchema,
    pub deletion_guards: DeletionGuards,
    /// SQL statements run so far on `db` (tests and benchmarks read it).
    pub statements: StatementCounter,
    pub wecom: WecomClient,
    /// Where uploaded files' bytes live.
    pub files: crate::files::Files,
    /// Where group activity metrics come from (GRP-3).
    pub activity: crate::customers::group_activity::Activity,
    /// Alerts and session ends, to subscribers on every instance.
    pub bus: crate::alerts::bus::Bus,
    /// The time every deadline is read from (tests move it).
    pub clock: crate::clock::Clock,
    /// Each corp's sensitive-word automaton.
    pub sensitive: crate::archive::sensitive::Matchers,
    /// Where archived chats are pulled from, when configured.
    pub archive_source: Option<crate::archive::source::Source>,
}

/// The job kinds and schedules of every area.
pub fn jobs(config: &Config, clock: crate::clock::Clock) -> Jobs {
    Jobs::builder()
        .register(BatchJob)
        .register(crate::org::internal_groups::CreateInternalGroupsJob)
        .register(MaintenanceJob)
        .register(wecom::sync::SyncJob)
        .register(wecom::sync::NightlySyncJob)
        .register(wecom::sync::HourlyReconcileJob)
        .schedule(Schedule {
            name: "wecom-hourly-reconcile",
            every: chrono::Duration::hours(1),
            offset: chrono::Duration::zero(),
            kind: <wecom::sync::HourlyReconcileJob as crate::jobs::JobHandler>::KIND,
            payload: serde_json::json!({}),
        })
        .register(wecom::callbacks::ApplyInboxJob)
        .register(crate::customers::follow_ups::SendReminderJob)
        .register(crate::customers::work_orders::WorkOrderClosedJob)
        .register(crate::customers::inheritance::SyncUnassignedJob)
        .register(crate::customers::inheritance::ResignedInheritJob)
        .register(crate::customers::inheritance::InheritanceStatusJob)
        .register(crate::customers::allocation::AutoAllocationJob)
        .register(crate::customers::group_activity::GroupActivityJob)
        // GRP-3: label groups daily at 03:00 China time (19:00 UTC).
        .schedule(Schedule {
            name: "group-activity",
            every: chrono::Duration::days(1),
            offset: chrono::Duration::hours(19),
            kind: <crate::customers::group_activity::GroupActivityJob as crate::jobs::JobHandler>::KIND,
            payload: serde_json::json!({}),
        })
        // INH-3: daily at 10:00 China time (02:00 UTC), for the previous day's leavers.
        .schedule(Schedule {
            name: "resigned-auto-allocation",
            every: chrono::Duration::days(1),
            offset: chrono::Duration::hours(2),
            kind: <crate::customers::allocation::AutoAllocationJob as crate::jobs::JobHandler>::KIND,
            payload: serde_json::json!({}),
        })
        .schedule(Schedule {
            name: "inheritance-status",
            every: chrono::Duration::minutes(30),
            offset: chrono::Duration::zero(),
            kind: <crate::customers::inheritance::InheritanceStatusJob as crate::jobs::JobHandler>::KIND,
            payload: serde_json::json!({}),
        })
        .register(crate::alerts::radar::RadarDispatchJob)
        .register(crate::alerts::radar::RadarFlushJob)
        .register(crate::archive::reply::ReplyTimeoutJob)
        .register(crate::archive::reply::RebuildTimersJob)
        .schedule(Schedule {
            name: "reply-timer-rebuild",
            every: chrono::Duration::minutes(10),
            offset: chrono::Duration::zero(),
            kind: <crate::archive::reply::RebuildTimersJob as crate::jobs::JobHandler>::KIND,
            payload: serde_json::json!({}),
        })
        .register(crate::archive::sensitive::SensitiveAlertJob)
        .register(crate::archive::source::ArchivePullJob)
        .register(crate::archive::graphql::ExportBehaviorsJob)
        .schedule(Schedule {
            name: "archive-pull",
            every: chrono::Duration::minutes(1),
            offset: chrono::Duration::zero(),
            kind: <crate::archive::source::ArchivePullJob as crate::jobs::JobHandler>::KIND,
            payload: serde_json::json!({}),
        })
        .register(wecom::callbacks::InboxSweepJob)
        .schedule(Schedule {
            name: "wecom-inbox-sweep",
            every: chrono::Duration::minutes(10),
            offset: chrono::Duration::zero(),
            kind: <wecom::callbacks::InboxSweepJob as crate::jobs::JobHandler>::KIND,
            payload: serde_json::json!({}),
        })
        .schedule(Schedule {
            name: "wecom-nightly-sync",
            every: chrono::Duration::days(1),
            offset: chrono::Duration::zero(),
            kind: <wecom::sync::NightlySyncJob as crate::jobs::JobHandler>::KIND,
            payload: serde_json::json!({}),
        })
        .schedule(Schedule {
            name: "maintenance",
            every: chrono::Duration::hours(1),
            offset: chrono::Duration::zero(),
            kind: <MaintenanceJob as crate::jobs::JobHandler>::KIND,
            payload: serde_json::json!({}),
        })
        .build(chrono::Duration::seconds(config.job_lease_secs), Duration::from_millis(config.job_poll_ms), clock)
}

impl AppState {
    /// Connects storage (and Redis when configured) and migrates if asked.
    pub async fn build(config: Config, pg_schema: Option<String>) -> anyhow::Result<AppState> {
        let (db, statements) = db::connect(DbOptions { url: &config.database_url, pg_schema }).await?;
        if config.auto_migrate {
            db::migrate_up(&db).await?;
        }
        let kv = match &config.redis_url {
            Some(url) => Kv::redis(url, config.redis_prefix.clone()).await?,
            None => Kv::memory(),
        };
        let master_key = MasterKey::from_config(&config)?;
        let wecom = WecomClient::new(
            ClientConfig {
                base_url: config.wecom_base_url.clone(),
                proxy: config.wecom_proxy.clone(),
                timeout: Duration::from_secs(config.wecom_timeout_secs),
                rate_backoff: Duration::from_millis(config.wecom_rate_backoff_ms),
                rate_retries: config.wecom_rate_retries,
            },
            kv.clone(),
        )?;
        let bus = match &config.redis_url {
            Some(url) => crate::alerts::bus::Bus::redis(url, &config.redis_prefix).await?,
            None => crate::alerts::bus::Bus::memory(),
        };
        let archive_source: Option<crate::archive::source::Source> = match config.archive_source.as_deref() {
            Some("sandbox") => Some(Arc::new(crate::archive::source::SandboxSource {
                base_url: config.wecom_base_url.clone(),
                http: reqwest::Client::new(),
            })),
            Some(other) => anyhow::bail!("unknown WECRM_ARCHIVE_SOURCE {other:?} (sandbox or none)"),
            None => None,
        };
        let clock = crate::clock::Clock::default();
        let files: crate::files::Files = Arc::new(crate::files::LocalDirStore::new(config.data_dir.join("files")));
        Ok(AppState {
            activity: Arc::new(crate::archive::ArchiveActivity),
            bus,
            sensitive: Default::default(),
            archive_source,
            jobs: jobs(&config, clock.clone()),
            clock,
            files,
            wecom,
            schema: graphql::build_schema(&config),
            db,
            kv,
            master_key,
            deletion_guards: Arc::new(vec![Arc::new(crate::customers::OwnedCustomersGuard)]),
            statements,
            config: Arc::new(config),
        })
    }

    /// Starts job workers and the scheduler.
    pub fn start_background(&self, shutdown: watch::Receiver<bool>) {
        if self.config.job_schedules && self.config.job_workers > 0 {
            // Reply timers are durable jobs; after a restart this also sets any
            // that a restored database or a lost queue row would miss.
            let state = self.clone();
            tokio::spawn(async move {
                let new = crate::jobs::NewJob::system().dedup(format!("reply-timer-rebuild:boot:{}", uuid::Uuid::new_v4().simple()));
                if let Err(e) = state.jobs.enqueue::<crate::archive::reply::RebuildTimersJob>(&state.db, new, &serde_json::json!({})).await
                {
                    tracing::warn!(code = e.code.as_str(), "reply timer rebuild not queued");
                }
            });
        }
        self.jobs.spawn(self.clone(), self.config.job_workers, self.config.job_schedules, shutdown);
    }
}

/// Serves the app on `listener` in the background until `shutdown` turns true.
pub fn spawn_server(listener: tokio::net::TcpListener, state: AppState, mut shutdown: watch::Receiver<bool>) {
    let router = router(state);
    tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = shutdown.wait_for(|v| *v).await;
            })
            .await
            .ok();
    });
}

pub fn router(state: AppState) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    let body_limit = state.config.body_limit_bytes;
    let api = Router::new()
        .route("/graphql", get(gql_http::graphql_get).post(gql_http::graphql_post))
        .route("/graphql/ws", get(gql_http::graphql_ws))
        .route("/graphiql", get(gql_http::graphiql))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/callbacks/wecom/{corp}", get(wecom::callbacks::verify_url).post(wecom::callbacks::receive))
        .route("/files/{id}", get(crate::files::download))
        .route("/archive/{corp}/messages", axum::routing::post(crate::archive::http::ingest))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(RequestBodyLimitLayer::new(body_limit));
    // Uploads carry their own, larger limit (an attachment may be 20 MB).
    let uploads = Router::new()
        .route("/files", axum::routing::post(crate::files::upload))
        .layer(DefaultBodyLimit::max(crate::files::MAX_FILE_BYTES + 1))
        .layer(RequestBodyLimitLayer::new(crate::files::MAX_FILE_BYTES + 1));
    api.merge(uploads)
        .layer(CorsLayer::permissive())
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path())
        }))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}
