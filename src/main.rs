//! The `wecrm` command: serve, migrate, export-schema, tenant create.

use clap::{Parser, Subcommand};
use migration::{Migrator, MigratorTrait};
use tokio::sync::watch;
use wecrm::{
    app::{self, demo},
    config::Config,
    db, ops, platform,
};

#[derive(Parser)]
#[command(name = "wecrm", version, about = "Headless GraphQL back end for a WeCom social CRM")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default).
    Serve {
        /// Seed the demo corp into an empty database and print its login.
        #[arg(long)]
        demo: bool,
        /// Do not run migrations at start.
        #[arg(long)]
        no_migrate: bool,
    },
    /// Schema migrations.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Write the GraphQL SDL.
    ExportSchema {
        #[arg(long, default_value = "schema.graphql")]
        out: String,
    },
    /// Run the local WeChat sandbox alone (WeCom endpoints, seeded corp).
    Sandbox {
        #[arg(long, default_value = "127.0.0.1:8900")]
        bind: std::net::SocketAddr,
        #[arg(long, default_value = "ww-sandbox")]
        corp_id: String,
        #[arg(long, default_value_t = 4)]
        departments: usize,
        #[arg(long, default_value_t = 20)]
        users: usize,
        /// External contacts (with follow relations, tags and group chats); e.g. 100000 for benchmarks.
        #[arg(long, default_value_t = 200)]
        customers: usize,
        /// Answer 45009 past this many API calls per minute (0: no limit).
        #[arg(long, default_value_t = 0)]
        calls_per_minute: u32,
    },
    /// Platform operator commands.
    Tenant {
        #[command(subcommand)]
        action: TenantAction,
    },
}

#[derive(Subcommand)]
enum MigrateAction {
    Up,
    /// Roll back the last N migrations.
    Down {
        #[arg(long, default_value_t = 1)]
        steps: u32,
    },
    Status,
}

#[derive(Subcommand)]
enum TenantAction {
    /// Open a corp with its seat quota and first super admin.
    Create {
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        seats: i32,
        #[arg(long, default_value = "admin")]
        admin_account: String,
        #[arg(long, default_value = "管理员")]
        admin_name: String,
        #[arg(long)]
        admin_mobile: String,
        /// Read from WECRM_ADMIN_PASSWORD when omitted.
        #[arg(long, env = "WECRM_ADMIN_PASSWORD")]
        admin_password: String,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let mut config = Config::load()?;
    ops::init_tracing(&config);
    match cli.command.unwrap_or(Command::Serve { demo: false, no_migrate: false }) {
        Command::Sandbox { bind, corp_id, departments, users, customers, calls_per_minute } => {
            println!("WeChat sandbox on http://{bind} — corp {corp_id}, secrets {corp_id}-contacts-secret / {corp_id}-external-secret / {corp_id}-agent-secret");
            wecrm::sandbox::serve(bind, &corp_id, departments, users, customers, calls_per_minute).await?;
        }
        Command::ExportSchema { out } => {
            std::fs::write(&out, app::schema::sdl())?;
            println!("wrote {out}");
        }
        Command::Migrate { action } => {
            let (conn, _) = db::connect(db::DbOptions { url: config.database_url.expose(), pg_schema: None }).await?;
            match action {
                // With the planner statistics, like a start with auto-migrate.
                MigrateAction::Up => {
                    db::migrate_up(&conn).await?;
                }
                MigrateAction::Down { steps } => Migrator::down(&conn, Some(steps)).await?,
                MigrateAction::Status => Migrator::status(&conn).await?,
            }
        }
        Command::Tenant { action: TenantAction::Create { code, name, seats, admin_account, admin_name, admin_mobile, admin_password } } => {
            let state = app::App::build(config, None).await?;
            let p = platform::create(
                &state.db,
                platform::NewTenant {
                    code,
                    name,
                    seat_quota: seats,
                    admin_userid: admin_account,
                    admin_name,
                    admin_mobile,
                    admin_password,
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("{} ({})", e.msg.en, e.code.as_str()))?;
            println!("created corp {} (id {}), super admin account {}", p.corp.code, p.corp.id, p.admin.userid);
        }
        Command::Serve { demo: seed, no_migrate } => {
            if no_migrate {
                config.auto_migrate = false;
            }
            if !seed && config.master_key.is_none() {
                tracing::warn!(
                    data_dir = %config.data_dir.display(),
                    "WECRM_MASTER_KEY is unset: stored WeCom/Pay secrets are encrypted with a key kept in the data directory, so they are only as safe as that directory"
                );
            }
            let bind = config.bind;
            // The demo talks to an in-process WeChat sandbox unless a WeCom
            // host was configured explicitly.
            let sandbox = if seed && std::env::var("WECRM_WECOM_BASE_URL").is_err() {
                let sb = wecrm::sandbox::Sandbox::new(7200);
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
                config.wecom_base_url = format!("http://{}", listener.local_addr()?);
                if std::env::var("WECRM_OA_BASE_URL").is_err() {
                    config.oa_base_url = format!("{}/oa", config.wecom_base_url);
                }
                let router = sb.router();
                tokio::spawn(async move { axum::serve(listener, router).await });
                // The demo's chats come from the sandbox's archive.
                if config.archive_source.is_none() {
                    config.archive_source = Some("sandbox".into());
                }
                Some(sb)
            } else {
                None
            };
            let state = app::App::build(config, None).await?;
            if seed {
                let base = format!("http://{bind}");
                match demo::seed_if_empty(&state, sandbox.as_ref().map(|s| (s, base.as_str())))
                    .await
                    .map_err(|e| anyhow::anyhow!("demo seed: {:?}", e))?
                {
                    Some(login) => println!(
                        "demo corp ready — corpCode: {}  account: {}  password: {}  (printed once; four synced employees share it)",
                        login.corp_code, login.account, login.password
                    ),
                    None => {
                        println!("database already has a corp; demo seed skipped");
                        if let Some(sb) = &sandbox {
                            demo::restore_sandbox(&state, sb, &base).await.map_err(|e| anyhow::anyhow!("sandbox restore: {:?}", e))?;
                        }
                    }
                }
                if sandbox.is_some() {
                    println!(
                        "WeChat sandbox (in-process) at {} — WeCom corp {}, Official Account {}",
                        state.config.wecom_base_url,
                        demo::SANDBOX_CORP,
                        demo::SANDBOX_OA
                    );
                }
            }
            let (tx, rx) = watch::channel(false);
            state.start_background(rx);
            let listener = tokio::net::TcpListener::bind(bind).await?;
            tracing::info!(%bind, "wecrm listening; GraphiQL at http://{bind}/graphql");
            axum::serve(listener, app::make_service(&state))
                .with_graceful_shutdown(async move {
                    let _ = tokio::signal::ctrl_c().await;
                    let _ = tx.send(true);
                })
                .await?;
        }
    }
    Ok(())
}
