//! Benchmark: tracked-link opens (radar events) recorded over real HTTP.
//!
//! Seeds a corp with N customers and one radar-enabled web link shared to
//! each of them, starts the server on a free port and has C concurrent
//! viewers open `/r/{token}` links for D seconds (each open counts a view,
//! appends the customer's timeline entry and queues the radar dispatch in
//! one transaction, then redirects). Prints recorded events/s and p50/p99
//! latency, then checks the item's view count equals the opens answered.
//!
//!   cargo run --release --example radar_events -- [customers=1000] [concurrency=32] [seconds=10]
//!
//! Uses a fresh SQLite file under the temp dir, or `DATABASE_URL` when set
//! (point it at an empty PostgreSQL database).

// Tests and benchmarks may unwrap: a failure there is the failure to see.
#![allow(clippy::unwrap_used, clippy::expect_used)]

// Uses the shared app set-up, not the GraphQL load helpers.
#[allow(dead_code)]
mod common;

use std::time::{Duration, Instant};

use rand::RngCore;
use sea_orm::{ActiveValue::Set, EntityTrait};
use wecrm::{materials::folder, tenancy::Scope};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let (n, concurrency, seconds) = (*args.first().unwrap_or(&1_000), *args.get(1).unwrap_or(&32), *args.get(2).unwrap_or(&10));

    let (state, p, dir) = common::bench_app(100).await?;
    let scope = Scope::system(p.corp.id);
    let db = &state.db;
    wecrm::customers::seed::customers(db, &scope, n, &[p.admin.id], &[]).await.map_err(common::err)?;
    let item = folder::create(
        db,
        &scope,
        folder::NewItem {
            kind: folder::WEB_LINK,
            title: "新品手册".into(),
            url: Some("https://example.com/brochure".into()),
            radar_enabled: true,
            ..Default::default()
        },
    )
    .await
    .map_err(common::err)?;
    let customers: Vec<i64> = entity::customer::Entity::find().all(db).await?.into_iter().map(|c| c.id).collect();
    let tokens: Vec<String> = customers
        .iter()
        .map(|_| {
            let mut b = [0u8; 24];
            rand::thread_rng().fill_bytes(&mut b);
            b.iter().map(|x| format!("{x:02x}")).collect()
        })
        .collect();
    for (chunk, toks) in customers.chunks(500).zip(tokens.chunks(500)) {
        scope
            .insert_many(
                db,
                chunk.iter().zip(toks).map(|(c, t)| entity::radar_share::ActiveModel {
                    token: Set(t.clone()),
                    material_key: Set(format!("folder:{}", item.id)),
                    folder_item_id: Set(Some(item.id)),
                    employee_id: Set(p.admin.id),
                    customer_id: Set(Some(*c)),
                    group_id: Set(None),
                    created_at: Set(chrono::Utc::now()),
                    ..Default::default()
                }),
            )
            .await
            .map_err(common::err)?;
    }
    println!("seeded {n} customers, each sent a tracked link");

    let (url, tx) = common::serve(&state).await?;
    let base = url.trim_end_matches("/graphql").to_string();
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let deadline = Instant::now() + Duration::from_secs(seconds as u64);
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let (http, base, tokens) = (http.clone(), base.clone(), tokens.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut i = worker;
            while Instant::now() < deadline {
                let t = Instant::now();
                let r = http.get(format!("{base}/r/{}", tokens[i % tokens.len()])).send().await.expect("request");
                assert_eq!(r.status(), 302, "an open is answered with the redirect");
                lat.push(t.elapsed());
                i += concurrency;
            }
            lat
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await?);
    }
    all.sort();
    let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)].as_secs_f64() * 1000.0;
    println!(
        "{} opens at concurrency {concurrency} in {seconds}s: {:.0} events/s, p50 {:.1} ms, p99 {:.1} ms",
        all.len(),
        all.len() as f64 / seconds as f64,
        pct(0.50),
        pct(0.99)
    );
    let counted = entity::folder_item::Entity::find_by_id(item.id).one(db).await?.map(|i| i.view_count).unwrap_or_default();
    anyhow::ensure!(counted == all.len() as i64, "{counted} views counted for {} opens answered", all.len());
    println!("every answered open was counted: {counted} views, {} viewers", n.min(all.len()));
    drop(tx);
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}
