//! Benchmark: live-alert fan-out over real WebSockets.
//!
//! Starts the server with N employees, each holding a session, and a second
//! process (this example again, in `clients` mode) that opens N
//! graphql-transport-ws sockets and subscribes each to `radarAlerts`. The
//! server then publishes M alerts per second for D seconds on the event bus,
//! each addressed to one random employee, the way `alerts::raise` does after
//! recording an alert. The clients measure delivery latency (receipt time
//! minus the alert's `occurredAt`, stamped at publish; one machine, one
//! clock). Prints p50/p99/max latency, alerts received, and the server's
//! resident memory before and after the sockets opened.
//!
//!   cargo run --release --example alerts_fanout -- [subscribers=10000] [alerts_per_sec=1000] [seconds=10]
//!
//! Uses a fresh SQLite file under the temp dir, or `DATABASE_URL`; with
//! `REDIS_URL` the alerts go through Redis pub/sub as across instances.
//! Two processes because N sockets on each side would not fit one process's
//! file-descriptor limit.

// Tests and benchmarks may unwrap: a failure there is the failure to see.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(dead_code)]
mod common;

use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use rand::Rng;
use sea_orm::{ActiveValue::Set, EntityTrait};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::{client::IntoClientRequest, Message};
use wecrm::bus::{AlertEvent, BusMessage};

fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("clients") {
        return clients(&args[2], &args[3], args[4].parse()?).await;
    }
    let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let rate: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(1000);
    let seconds: u64 = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(10);

    let (state, p, dir) = common::bench_app(n as i32 + 10).await?;
    let corp = p.corp.id;
    let now = chrono::Utc::now();
    // Employees with system access and one session each, written directly (a login per employee would time argon2, not alerts).
    let mut tokens = Vec::with_capacity(n);
    for chunk in (0..n).collect::<Vec<_>>().chunks(500) {
        let rows = chunk.iter().map(|i| entity::employee::ActiveModel {
            corp_id: Set(corp),
            userid: Set(format!("sub{i:05}")),
            name: Set(format!("订阅{i}")),
            mobile: Set("13800000000".into()),
            activated: Set(true),
            system_enabled: Set(true),
            is_super_admin: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        });
        entity::employee::Entity::insert_many(rows).exec_without_returning(&state.db).await?;
    }
    let employees: Vec<i64> = {
        use sea_orm::{ColumnTrait, QueryFilter};
        entity::employee::Entity::find()
            .filter(entity::employee::Column::IsSuperAdmin.eq(false))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|e| e.id)
            .collect()
    };
    for chunk in employees.chunks(500) {
        let rows: Vec<entity::session::ActiveModel> = chunk
            .iter()
            .map(|e| {
                let token = format!("{corp}.{}", wecrm::crypto::new_token());
                let row = entity::session::ActiveModel {
                    corp_id: Set(corp),
                    employee_id: Set(*e),
                    access_hash: Set(wecrm::crypto::token_digest(&token)),
                    refresh_hash: Set(wecrm::crypto::token_digest(&format!("r{token}"))),
                    access_expires_at: Set(now + chrono::Duration::hours(2)),
                    refresh_expires_at: Set(now + chrono::Duration::days(1)),
                    created_at: Set(now),
                    ..Default::default()
                };
                tokens.push(token);
                row
            })
            .collect();
        entity::session::Entity::insert_many(rows).exec_without_returning(&state.db).await?;
    }
    let token_file = dir.join("tokens.txt");
    std::fs::write(&token_file, tokens.join("\n"))?;
    let (url, _stop) = common::serve(&state).await?;
    let ws_url = url.replace("http://", "ws://").replace("/graphql", "/graphql/ws");
    let idle_rss = rss_mb();

    let mut child = tokio::process::Command::new(std::env::current_exe()?)
        .args(["clients", &ws_url, &token_file.display().to_string(), &seconds.to_string()])
        .stdout(std::process::Stdio::piped())
        .stdin(std::process::Stdio::piped())
        .spawn()?;
    let mut lines = tokio::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
    let opened = Instant::now();
    while let Some(l) = lines.next_line().await? {
        if l.starts_with("ready") {
            println!("{l} in {:.1} s", opened.elapsed().as_secs_f64());
            break;
        }
    }
    // Let the last subscriptions register.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let subscribed_rss = rss_mb();
    println!(
        "server: {} subscriptions; RSS {idle_rss:.0} MB before sockets, {subscribed_rss:.0} MB with them ({:.1} KB per subscriber)",
        state.bus.subscriber_count(),
        (subscribed_rss - idle_rss) * 1024.0 / n as f64
    );

    let every = Duration::from_secs_f64(1.0 / rate as f64);
    let total = rate as u64 * seconds;
    let start = Instant::now();
    let mut ticker = tokio::time::interval(every.max(Duration::from_micros(50)));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    for i in 0..total {
        ticker.tick().await;
        let to = employees[rand::thread_rng().gen_range(0..employees.len())];
        let alert = AlertEvent {
            id: i as i64,
            corp_id: corp,
            category: "RADAR".into(),
            kind: "MATERIAL".into(),
            recipients: vec![to],
            customer_id: None,
            group_id: None,
            employee_id: None,
            text: "【雷达】客户查看了素材".into(),
            payload: json!({"behaviour": "MATERIAL"}),
            occurred_at: chrono::Utc::now(),
        };
        state.bus.publish(BusMessage::Alert(alert)).await?;
    }
    println!("published {total} alerts in {:.1} s", start.elapsed().as_secs_f64());
    child.stdin.take().expect("stdin").write_all(b"done\n").await?;
    while let Some(l) = lines.next_line().await? {
        println!("{l}");
    }
    child.wait().await?;
    println!("server RSS after the run: {:.0} MB", rss_mb());
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// The client side: one socket per token, each subscribed; latencies until told to stop.
async fn clients(ws_url: &str, token_file: &str, _seconds: u64) -> anyhow::Result<()> {
    let tokens: Vec<String> = std::fs::read_to_string(token_file)?.lines().map(str::to_string).collect();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<f64>();
    let ready = std::sync::Arc::new(tokio::sync::Semaphore::new(0));
    let sem = std::sync::Arc::new(tokio::sync::Semaphore::new(200));
    for token in tokens.clone() {
        let (tx, ready, url, sem) = (tx.clone(), ready.clone(), ws_url.to_string(), sem.clone());
        tokio::spawn(async move {
            let permit = sem.acquire_owned().await.expect("sem");
            let mut req = url.into_client_request().expect("url");
            req.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().expect("header"));
            let config =
                tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default().read_buffer_size(8 * 1024).write_buffer_size(8 * 1024);
            let (mut ws, _) = tokio_tungstenite::connect_async_with_config(req, Some(config), false).await.expect("connect");
            ws.send(Message::Text(
                json!({"type": "connection_init", "payload": {"authorization": format!("Bearer {token}")}}).to_string().into(),
            ))
            .await
            .expect("init");
            while let Some(Ok(m)) = ws.next().await {
                if let Message::Text(t) = m {
                    if t.contains("connection_ack") {
                        break;
                    }
                }
            }
            ws.send(Message::Text(
                json!({"id": "1", "type": "subscribe", "payload": {"query": "subscription{radarAlerts{id occurredAt}}"}})
                    .to_string()
                    .into(),
            ))
            .await
            .expect("subscribe");
            drop(permit);
            ready.add_permits(1);
            while let Some(Ok(m)) = ws.next().await {
                if let Message::Text(t) = m {
                    let v: serde_json::Value = serde_json::from_str(&t).unwrap_or_default();
                    if let Some(at) = v["payload"]["data"]["radarAlerts"]["occurredAt"].as_str() {
                        if let Ok(at) = chrono::DateTime::parse_from_rfc3339(at) {
                            let ms = (chrono::Utc::now() - at.with_timezone(&chrono::Utc)).num_microseconds().unwrap_or(0) as f64 / 1000.0;
                            let _ = tx.send(ms);
                        }
                    }
                }
            }
        });
    }
    drop(tx);
    let _ = ready.acquire_many(tokens.len() as u32).await?;
    println!("ready: {} sockets subscribed", tokens.len());
    let mut stdin = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    let mut lat = Vec::new();
    loop {
        tokio::select! {
            Some(ms) = rx.recv() => lat.push(ms),
            line = stdin.next_line() => {
                if line?.is_some() {
                    // Drain what is still in flight.
                    let until = Instant::now() + Duration::from_secs(2);
                    while let Ok(Some(ms)) = tokio::time::timeout_at(until.into(), rx.recv()).await {
                        lat.push(ms);
                    }
                    break;
                }
            }
        }
    }
    lat.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| if lat.is_empty() { 0.0 } else { lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)] };
    println!(
        "clients: received {} alerts; latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; client RSS {:.0} MB",
        lat.len(),
        pct(0.50),
        pct(0.99),
        lat.last().copied().unwrap_or(0.0),
        rss_mb()
    );
    Ok(())
}
