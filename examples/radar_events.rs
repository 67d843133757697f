//! Benchmark: radar events recorded over real HTTP.
//!
//! Seeds a corp with N customers, one radar-enabled web link and one
//! published article shared to each of them, and starts the server on a free port.
//! 1. Opens: C concurrent viewers open the links' `/r/{token}` for D seconds
//!    (each open counts a view, appends the customer's timeline entry and
//!    queues the radar dispatch in one transaction, then redirects).
//! 2. Page events: C concurrent viewers each open an article link (a new
//!    visit), then send two heartbeats and the reached-bottom call as its H5
//!    page would, for D seconds. Each viewer moves the app clock 5 s ahead
//!    before a heartbeat, so beats are due without waiting five real seconds.
//!
//! Prints recorded events/s and p50/p99 latency per phase, then checks the
//! counts equal the calls answered.
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
use wecrm::{
    materials::{folder, marketing},
    tenancy::Scope,
};

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
    let article = marketing::create(
        db,
        &scope,
        &marketing::Draft {
            kind: marketing::ARTICLE,
            article_type: Some("NORMAL".into()),
            title: "新品发布".into(),
            content: serde_json::json!({"body": "<p>正文</p>"}),
            visible_to_all: true,
            ..Default::default()
        },
    )
    .await
    .map_err(common::err)?;
    marketing::publish(db, &scope, article.clone()).await.map_err(common::err)?;
    let customers: Vec<i64> = entity::customer::Entity::find().all(db).await?.into_iter().map(|c| c.id).collect();
    let tokens = share_each(&state, &scope, &customers, p.admin.id, (Some(item.id), None)).await?;
    let article_tokens = share_each(&state, &scope, &customers, p.admin.id, (None, Some(article.id))).await?;
    println!("seeded {n} customers, each sent a tracked link and a tracked article");

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
    report(&format!("{} opens", all.len()), all.clone(), concurrency, seconds);
    let counted = entity::folder_item::Entity::find_by_id(item.id).one(db).await?.map(|i| i.view_count).unwrap_or_default();
    anyhow::ensure!(counted == all.len() as i64, "{counted} views counted for {} opens answered", all.len());
    println!("every answered open was counted: {counted} views, {} viewers", n.min(all.len()));

    let gql = url.clone();
    let deadline = Instant::now() + Duration::from_secs(seconds as u64);
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let (http, base, gql, tokens, clock) = (http.clone(), base.clone(), gql.clone(), article_tokens.clone(), state.clock.clone());
        tasks.push(tokio::spawn(async move {
            let (mut lat, mut opens, mut i) = (Vec::new(), 0usize, worker);
            while Instant::now() < deadline {
                let t = Instant::now();
                let r = http.get(format!("{base}/r/{}", tokens[i % tokens.len()])).send().await.expect("open");
                assert_eq!(r.status(), 302, "an open is answered with the redirect");
                lat.push(t.elapsed());
                opens += 1;
                let location = r.headers()["location"].to_str().expect("location").to_string();
                let visit = location.rsplit("visit=").next().expect("visit").to_string();
                let calls = ["mutation($v:String!){radarHeartbeat(visit:$v)}", "mutation($v:String!){radarReachedBottom(visit:$v)}"];
                for (k, q) in [calls[0], calls[0], calls[1]].into_iter().enumerate() {
                    if k < 2 {
                        // The page beats every 5 s: the app clock is moved that far instead of waiting.
                        clock.advance(chrono::Duration::seconds(5));
                    }
                    let t = Instant::now();
                    let body = serde_json::json!({"query": q, "variables": {"v": visit}});
                    let v: serde_json::Value = http.post(&gql).json(&body).send().await.expect("call").json().await.expect("json");
                    assert!(v.get("errors").is_none(), "{v}");
                    lat.push(t.elapsed());
                }
                i += concurrency;
            }
            (lat, opens)
        }));
    }
    let (mut all, mut opened) = (Vec::new(), 0);
    for t in tasks {
        let (lat, opens) = t.await?;
        all.extend(lat);
        opened += opens;
    }
    report(&format!("{} page events (open, 2 heartbeats, bottom)", all.len()), all, concurrency, seconds);
    let counted = entity::marketing_material::Entity::find_by_id(article.id).one(db).await?.map(|m| m.view_count).unwrap_or_default();
    anyhow::ensure!(counted == opened as i64, "{counted} views counted for {opened} opens answered");
    drop(tx);
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}

/// One tracked share per customer of a folder item or a marketing material; their tokens.
async fn share_each(
    state: &wecrm::state::AppState,
    scope: &Scope,
    customers: &[i64],
    employee_id: i64,
    (folder_item_id, marketing_material_id): (Option<i64>, Option<i64>),
) -> anyhow::Result<Vec<String>> {
    let tokens: Vec<String> = customers
        .iter()
        .map(|_| {
            let mut b = [0u8; 24];
            rand::thread_rng().fill_bytes(&mut b);
            b.iter().map(|x| format!("{x:02x}")).collect()
        })
        .collect();
    let key = match (folder_item_id, marketing_material_id) {
        (Some(f), _) => format!("folder:{f}"),
        (_, m) => format!("marketing:{}", m.unwrap_or_default()),
    };
    for (chunk, toks) in customers.chunks(500).zip(tokens.chunks(500)) {
        scope
            .insert_many(
                &state.db,
                chunk.iter().zip(toks).map(|(c, t)| entity::radar_share::ActiveModel {
                    token: Set(t.clone()),
                    material_key: Set(key.clone()),
                    folder_item_id: Set(folder_item_id),
                    marketing_material_id: Set(marketing_material_id),
                    employee_id: Set(employee_id),
                    customer_id: Set(Some(*c)),
                    group_id: Set(None),
                    created_at: Set(chrono::Utc::now()),
                    ..Default::default()
                }),
            )
            .await
            .map_err(common::err)?;
    }
    Ok(tokens)
}

/// Prints a phase's events/s and latency percentiles.
fn report(what: &str, mut latencies: Vec<Duration>, concurrency: usize, seconds: usize) {
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)].as_secs_f64() * 1000.0;
    println!(
        "{what} at concurrency {concurrency} in {seconds}s: {:.0} events/s, p50 {:.1} ms, p99 {:.1} ms",
        latencies.len() as f64 / seconds as f64,
        pct(0.50),
        pct(0.99)
    );
}
