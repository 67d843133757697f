//! Benchmark: a full WeCom sync of N external contacts from the sandbox.
//!
//! Starts the sandbox in-process with a seeded corp (members, N customers with
//! their follow relations, tags, one group chat per 50 customers), binds a
//! fresh corp to it and runs one full sync, then a second (which must change
//! nothing). Prints elapsed times, rows landed and the process's peak memory.
//!
//!   cargo run --release --example wecom_sync -- [customers=100000] [members=200]
//!
//! Prints the time at each 10,000 customers landed: flat steps mean a page
//! costs the same however large the corp already is.
//!
//! Uses a fresh SQLite file under the temp dir, or `DATABASE_URL` when set
//! (point it at an empty PostgreSQL database).

// Tests and benchmarks may unwrap: a failure there is the failure to see.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QuerySelect};
use wecrm::{
    app::App,
    config::Config,
    crypto::MasterKey,
    platform,
    sandbox::{Sandbox, SandboxCorp},
    tenancy::Scope,
    wecom_sync::{binding, sync},
};

/// Peak resident set size (Linux), in MiB.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status.lines().find(|l| l.starts_with("VmHWM:"))?.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let (customers, members) = (*args.first().unwrap_or(&100_000), *args.get(1).unwrap_or(&200));

    let sandbox = Sandbox::new(7200);
    let seed = Instant::now();
    sandbox.add_corp(SandboxCorp::seeded("ww-bench", 10, members).with_customers(customers));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let sandbox_url = format!("http://{}", listener.local_addr()?);
    let router = sandbox.router();
    tokio::spawn(async move { axum::serve(listener, router).await });
    println!("sandbox seeded with {customers} customers, {members} members in {:.1}s", seed.elapsed().as_secs_f64());

    let mut config = Config::default();
    let dir = std::env::temp_dir().join(format!("wecrm-sync-bench-{}", uuid::Uuid::new_v4().simple()));
    config.database_url = std::env::var("DATABASE_URL").unwrap_or_else(|_| format!("sqlite://{}/bench.db?mode=rwc", dir.display())).into();
    config.master_key = Some(MasterKey::generate().1.into());
    config.job_workers = 0;
    config.wecom_base_url = sandbox_url;
    config.log_filter = "warn".into();
    let state = App::build(config, None).await?;
    let p = platform::create(
        &state.db,
        platform::NewTenant {
            code: "bench".into(),
            name: "Bench".into(),
            seat_quota: 10_000,
            admin_userid: "admin".into(),
            admin_name: "Admin".into(),
            admin_mobile: "13800000000".into(),
            admin_password: "bench-password".into(),
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    binding::bind(
        &state.db,
        &Scope::system(p.corp.id),
        &state.master_key,
        &state.callback_keys,
        binding::BindInput {
            wecom_corp_id: "ww-bench".into(),
            contact_secret: Some("ww-bench-contacts-secret".into()),
            external_secret: Some("ww-bench-external-secret".into()),
            agent_secret: Some("ww-bench-agent-secret".into()),
            agent_id: Some(1000002),
            ..Default::default()
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e:?}"))?;

    let t = Instant::now();
    // Time at each 10,000 customers landed, read beside the sync.
    let (db, started) = (state.db.clone(), t);
    let steps = tokio::spawn(async move {
        let mut next = 10_000u64;
        let mut last = 0.0f64;
        while next <= customers as u64 {
            // The highest id, not COUNT(*): ids start at 1 in the fresh
            // database, and a count would read the growing table 4× a second
            // on the cores the sync is measured on.
            let n = entity::customer::Entity::find()
                .select_only()
                .column_as(entity::customer::Column::Id.max(), "n")
                .into_tuple::<Option<i64>>()
                .one(&db)
                .await
                .ok()
                .flatten()
                .flatten()
                .unwrap_or(0) as u64;
            if n >= next {
                let now = started.elapsed().as_secs_f64();
                println!("  {next:>7} customers at {now:>6.1}s (+{:.1}s)", now - last);
                last = now;
                next += 10_000;
            } else {
                tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            }
        }
    });
    let out = sync::run(&state, p.corp.id, None).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let first = t.elapsed().as_secs_f64();
    steps.abort();
    let landed_customers = entity::customer::Entity::find().count(&state.db).await?;
    let landed_follows = entity::customer_follow::Entity::find().count(&state.db).await?;
    println!(
        "first sync: {first:.1}s — {} customers, {} follow relations, {} groups, {} members ({:.0} contacts/s)",
        landed_customers,
        landed_follows,
        out.groups_created,
        out.employees_created,
        landed_customers as f64 / first
    );
    let t = Instant::now();
    let again = sync::run(&state, p.corp.id, None).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    println!(
        "second sync: {:.1}s — changed: {} customers, {} follows",
        t.elapsed().as_secs_f64(),
        again.customers_created + again.customers_updated,
        again.follows_created + again.follows_updated
    );
    println!("peak memory (whole process, sandbox included): {:.0} MiB", peak_rss_mib().unwrap_or(f64::NAN));
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}
