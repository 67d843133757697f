//! Benchmark: WeCom callbacks at volume, over real HTTP.
//!
//! Starts the sandbox with a seeded corp, binds a fresh corp to it (with a
//! callback token and key), syncs its customers, then fires N distinct
//! signed, encrypted events at concurrency C, as WeCom delivers them: 90 %
//! contact edits (each makes the server read the contact back from WeCom),
//! 10 % archive consents. Then redelivers a twentieth of them (WeCom retries
//! when unsure). Waits until every event is applied and checks that none was
//! lost or doubled.
//!
//!   cargo run --release --example wecom_callbacks -- [events=20000] [concurrency=32] [customers=20000] [backlog]
//!
//! With `backlog`, the job workers start only after every event is accepted:
//! accepting is measured alone, then the drain of N waiting events (the job
//! claim with a long queue).
//!
//! Prints accepted/s with p50/p99 latency of the 200, and applied/s (from the
//! first send to the last event applied). Events are sealed before the clock
//! starts: encrypting is WeCom's work, not the server's.
//!
//! Uses a fresh SQLite file under the temp dir, or `DATABASE_URL` when set
//! (point it at an empty PostgreSQL database).

// Tests and benchmarks may unwrap: a failure there is the failure to see.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use tokio::sync::watch;
use wecrm::{
    app::{self, App},
    config::Config,
    crypto::MasterKey,
    integrations::wecom::crypto::MsgCrypt,
    platform,
    sandbox::{Sandbox, SandboxCorp},
    tenancy::Scope,
    wecom_sync::{binding, inbox::status, sync},
};

const WECOM_CORP: &str = "ww-bench";
const TOKEN: &str = "bench-callback-token";
const AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

/// One sealed delivery: the query string and the body WeCom posts.
struct Delivery {
    query: String,
    body: String,
}

fn seal(crypt: &MsgCrypt, xml: &str, i: usize) -> Delivery {
    let (timestamp, nonce) = (chrono::Utc::now().timestamp().to_string(), format!("n{i}"));
    let (encrypt, sig) = crypt.seal(xml, &timestamp, &nonce);
    Delivery {
        query: format!("msg_signature={sig}&timestamp={timestamp}&nonce={nonce}"),
        body: format!(
            "<xml><ToUserName><![CDATA[{WECOM_CORP}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt><AgentID><![CDATA[1000002]]></AgentID></xml>"
        ),
    }
}

fn event_xml(i: usize, created: i64, external_userid: &str, userid: &str) -> String {
    let change = if i % 10 == 9 { "msg_audit_approved" } else { "edit_external_contact" };
    format!(
        "<xml><ToUserName><![CDATA[{WECOM_CORP}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>{created}</CreateTime>\
         <MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[{change}]]></ChangeType>\
         <UserID><![CDATA[{userid}]]></UserID><ExternalUserID><![CDATA[{external_userid}]]></ExternalUserID></xml>"
    )
}

/// Posts `deliveries` from `concurrency` clients; every answer must be 200.
/// Returns the latency of each.
async fn fire(http: &reqwest::Client, url: &str, deliveries: Arc<Vec<Delivery>>, concurrency: usize) -> Vec<Duration> {
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (http, url, deliveries, next) = (http.clone(), url.to_string(), deliveries.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(d) = deliveries.get(i) else { break };
                let t = Instant::now();
                let res =
                    http.post(format!("{url}?{}", d.query)).header("content-type", "text/xml").body(d.body.clone()).send().await.unwrap();
                assert_eq!(res.status().as_u16(), 200, "delivery {i} refused");
                let _ = res.bytes().await;
                latencies.push(t.elapsed());
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort();
    all
}

fn pct(all: &[Duration], p: f64) -> f64 {
    all[((all.len() as f64 * p) as usize).min(all.len() - 1)].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let backlog = std::env::args().any(|a| a == "backlog");
    let events = *args.first().unwrap_or(&20_000);
    let concurrency = *args.get(1).unwrap_or(&32);
    let customers = *args.get(2).unwrap_or(&20_000);

    let sandbox = Sandbox::new(7200);
    sandbox.add_corp(SandboxCorp::seeded(WECOM_CORP, 10, 50).with_customers(customers));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let sandbox_url = format!("http://{}", listener.local_addr()?);
    let router = sandbox.router();
    tokio::spawn(async move { axum::serve(listener, router).await });

    let mut config = Config::default();
    let dir = std::env::temp_dir().join(format!("wecrm-callbacks-bench-{}", uuid::Uuid::new_v4().simple()));
    config.database_url = std::env::var("DATABASE_URL").unwrap_or_else(|_| format!("sqlite://{}/bench.db?mode=rwc", dir.display())).into();
    config.data_dir = dir.join("data");
    config.master_key = Some(MasterKey::generate().1.into());
    config.wecom_base_url = sandbox_url;
    config.log_filter = "warn".into();
    let app = App::build(config, None).await?;
    let p = platform::create(
        &app.db,
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
        &app.db,
        &Scope::system(p.corp.id),
        &app.master_key,
        &app.callback_keys,
        binding::BindInput {
            wecom_corp_id: WECOM_CORP.into(),
            contact_secret: Some(format!("{WECOM_CORP}-contacts-secret")),
            external_secret: Some(format!("{WECOM_CORP}-external-secret")),
            agent_secret: Some(format!("{WECOM_CORP}-agent-secret")),
            agent_id: Some(1000002),
            callback_token: Some(TOKEN.into()),
            encoding_aes_key: Some(AES_KEY.into()),
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let t = Instant::now();
    sync::run(&app, p.corp.id, None).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    println!("synced {customers} customers in {:.1}s", t.elapsed().as_secs_f64());

    let (stop, shutdown) = watch::channel(false);
    let server = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/callbacks/wecom/bench", server.local_addr()?);
    app::spawn_server(server, &app, shutdown.clone());
    // `backlog`: accept everything first, then start the workers (how fast a
    // queue of N waiting events drains); otherwise they apply while events arrive.
    if !backlog {
        app.start_background(shutdown.clone());
    }

    // Seal every event first: WeCom's side of the work.
    // One follow relation per customer: consecutive events name different
    // customers, so no batch gets to read a contact once for two events.
    let follows: Vec<(String, String)> = sandbox
        .with_corp(WECOM_CORP, |c| {
            let mut seen = std::collections::HashSet::new();
            c.follows.iter().filter(|(e, _)| seen.insert(e.clone())).map(|(e, f)| (e.clone(), f.userid.clone())).collect()
        })
        .unwrap();
    let crypt = MsgCrypt::new(TOKEN, AES_KEY, WECOM_CORP).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let base = chrono::Utc::now().timestamp();
    let deliveries: Vec<Delivery> = (0..events)
        .map(|i| {
            let (ext, userid) = &follows[i % follows.len()];
            seal(&crypt, &event_xml(i, base + i as i64, ext, userid), i)
        })
        .collect();
    let redeliveries: Vec<Delivery> = (0..events)
        .step_by(20)
        .map(|i| {
            let (ext, userid) = &follows[i % follows.len()];
            seal(&crypt, &event_xml(i, base + i as i64, ext, userid), events + i)
        })
        .collect();
    let http = reqwest::Client::builder().pool_max_idle_per_host(concurrency).build()?;
    let inbox = || entity::wecom_inbox::Entity::find().filter(entity::wecom_inbox::Column::CorpId.eq(p.corp.id));

    let started = Instant::now();
    let latencies = fire(&http, &url, Arc::new(deliveries), concurrency).await;
    let accepting = started.elapsed().as_secs_f64();
    println!(
        "accepted {events} events at concurrency {concurrency} in {accepting:.1}s: {:.0}/s, p50 {:.1} ms, p99 {:.1} ms",
        events as f64 / accepting,
        pct(&latencies, 0.50),
        pct(&latencies, 0.99)
    );
    let again = fire(&http, &url, Arc::new(redeliveries), concurrency).await;
    println!("redelivered {} of them: all answered 200", again.len());
    let draining = Instant::now();
    if backlog {
        app.start_background(shutdown);
    }

    let deadline = Instant::now() + Duration::from_secs(1800);
    loop {
        let pending = inbox().filter(entity::wecom_inbox::Column::Status.eq(status::PENDING)).count(&app.db).await?;
        if pending == 0 {
            break;
        }
        anyhow::ensure!(Instant::now() < deadline, "{pending} events still pending after 30 minutes");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let applying = started.elapsed().as_secs_f64();
    let stored = inbox().count(&app.db).await?;
    let applied = inbox().filter(entity::wecom_inbox::Column::Status.eq(status::APPLIED)).count(&app.db).await?;
    let reads = sandbox.calls_to("/cgi-bin/externalcontact/get").len();
    println!(
        "applied {applied} in {applying:.1}s from the first send: {:.0}/s ({reads} contact reads from WeCom)",
        applied as f64 / applying
    );
    if backlog {
        let drained = draining.elapsed().as_secs_f64();
        println!("backlog of {events} drained in {drained:.1}s: {:.0}/s", applied as f64 / drained);
    }
    anyhow::ensure!(stored == events as u64, "stored {stored} inbox rows for {events} distinct events (lost or doubled)");
    anyhow::ensure!(applied == events as u64, "{applied} of {events} applied");
    println!("none lost, none doubled: {stored} stored, {applied} applied");
    drop(stop);
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}
