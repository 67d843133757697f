//! Benchmark: an Official Account's fans sync of N followers from the sandbox.
//!
//! Starts the sandbox in-process with one service account of N followers
//! (WeChat's page of 10,000 openids, details 100 per `batchget`), binds a
//! fresh corp's account to it and runs the sync twice (the second refreshes
//! every row and must mark nobody as left). Prints elapsed times, rows,
//! WeChat calls and the process's peak memory.
//!
//!   cargo run --release --example oa_fans_sync -- [followers=100000]
//!
//! Uses a fresh SQLite file under the temp dir, or `DATABASE_URL` when set
//! (point it at an empty PostgreSQL database).

// Tests and benchmarks may unwrap: a failure there is the failure to see.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use sea_orm::{EntityTrait, PaginatorTrait};
use wecrm::{
    app::App,
    config::Config,
    crypto::MasterKey,
    official_accounts::{accounts, fans},
    platform,
    sandbox::{Sandbox, SandboxOa},
    tenancy::Scope,
};

const APPID: &str = "wxbe0c0ffee0000001";

/// A memory figure of this process (Linux `VmHWM`: peak, `VmRSS`: now), in MiB.
fn mib(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: Option<f64> = status.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)?.parse().ok());
    kb.map_or(f64::NAN, |kb| kb / 1024.0)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let followers: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);

    let sandbox = Sandbox::new(7200);
    let seed = Instant::now();
    sandbox.add_official_account(SandboxOa::new(APPID, "bench-secret", true).with_followers(followers));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let sandbox_url = format!("http://{}", listener.local_addr()?);
    let router = sandbox.router();
    tokio::spawn(async move { axum::serve(listener, router).await });
    println!("sandbox seeded with {followers} followers in {:.1}s; memory {:.0} MiB", seed.elapsed().as_secs_f64(), mib("VmRSS:"));

    let mut config = Config::default();
    let dir = std::env::temp_dir().join(format!("wecrm-oa-bench-{}", uuid::Uuid::new_v4().simple()));
    config.database_url = std::env::var("DATABASE_URL").unwrap_or_else(|_| format!("sqlite://{}/bench.db?mode=rwc", dir.display())).into();
    config.master_key = Some(MasterKey::generate().1.into());
    config.job_workers = 0;
    config.oa_base_url = format!("{sandbox_url}/oa");
    config.log_filter = "warn".into();
    let state = App::build(config, None).await?;
    let p = platform::create(
        &state.db,
        platform::NewTenant {
            code: "bench".into(),
            name: "Bench".into(),
            seat_quota: 10,
            admin_userid: "admin".into(),
            admin_name: "Admin".into(),
            admin_mobile: "13800000000".into(),
            admin_password: "bench-password".into(),
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let auth = wecrm::tenancy::Auth {
        corp_id: p.corp.id,
        employee_id: p.admin.id,
        session_id: 0,
        is_super_admin: true,
        permissions: Default::default(),
        scope: Scope::whole_corp_as(p.corp.id, p.admin.id),
    };
    let account = accounts::bind(
        &state.db,
        &auth,
        &state.master_key,
        &state.oa,
        &state.jobs,
        accounts::BindInput {
            appid: APPID.into(),
            name: "Bench".into(),
            kind: accounts::AccountKind::Service,
            secret: Some("bench-secret".into()),
            callback_token: None,
            encoding_aes_key: None,
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e:?}"))?;

    for run in ["first", "second"] {
        sandbox.clear_calls();
        let t = Instant::now();
        let out = fans::sync(&state, p.corp.id, account.id, None).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let secs = t.elapsed().as_secs_f64();
        let rows = entity::oa_follower::Entity::find().count(&state.db).await?;
        println!(
            "{run} sync: {secs:.1}s — {rows} fans ({:.0} fans/s), {} WeChat calls, result {out}",
            rows as f64 / secs,
            sandbox.calls().len(),
        );
        // The sandbox records every request body (1,000 batchgets of 100 openids): drop it before reading memory.
        sandbox.clear_calls();
        println!("  memory after the sync, the sandbox's call record dropped: {:.0} MiB", mib("VmRSS:"));
    }
    println!("peak memory (whole process, sandbox and its call record included): {:.0} MiB", mib("VmHWM:"));
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}
