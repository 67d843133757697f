//! What the page benchmarks share: serve the app on a free port, log in, and
//! fire one query from concurrent clients for a while.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::sync::watch;
use wecrm::{
    app::{self, App},
    config::Config,
    crypto::MasterKey,
    platform::{self, Provisioned},
    state::AppState,
};

/// The bench corp's login.
pub const CORP: &str = "bench";
pub const PASSWORD: &str = "bench-password";

/// Service errors as anyhow errors (`AppError` has no `Display` on purpose).
pub fn err(e: wecrm::error::AppError) -> anyhow::Error {
    anyhow::anyhow!("{e:?}")
}

/// A fresh app (SQLite under the temp dir, or `DATABASE_URL`; Redis when `REDIS_URL` is set) with no job
/// workers, and the bench corp with `seats` seats. Remove the directory after.
pub async fn bench_app(seats: i32) -> anyhow::Result<(App, Provisioned, std::path::PathBuf)> {
    bench_app_with(seats, |_| {}).await
}

/// [`bench_app`] with the config changed by `tweak` (job workers, say).
pub async fn bench_app_with(seats: i32, tweak: impl FnOnce(&mut Config)) -> anyhow::Result<(App, Provisioned, std::path::PathBuf)> {
    let mut config = Config::default();
    let dir = std::env::temp_dir().join(format!("wecrm-bench-{}", uuid::Uuid::new_v4().simple()));
    config.database_url = std::env::var("DATABASE_URL").unwrap_or_else(|_| format!("sqlite://{}/bench.db?mode=rwc", dir.display())).into();
    config.data_dir = dir.join("data");
    config.redis_url = std::env::var("REDIS_URL").ok().filter(|u| !u.is_empty()).map(Into::into);
    config.redis_prefix = format!("wecrm-bench:{}:", uuid::Uuid::new_v4().simple());
    config.master_key = Some(MasterKey::generate().1.into());
    config.job_workers = 0;
    config.log_filter = "warn".into();
    tweak(&mut config);
    let state = App::build(config, None).await?;
    let p = platform::create(
        &state.db,
        platform::NewTenant {
            code: CORP.into(),
            name: "Bench".into(),
            seat_quota: seats,
            admin_userid: "admin".into(),
            admin_name: "Admin".into(),
            admin_mobile: "13800000000".into(),
            admin_password: PASSWORD.into(),
        },
    )
    .await
    .map_err(err)?;
    Ok((state, p, dir))
}

/// The server on 127.0.0.1:0; dropping the sender stops it.
pub async fn serve(app: &App) -> anyhow::Result<(String, watch::Sender<bool>)> {
    let (tx, rx) = watch::channel(false);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    app::spawn_server(listener, app, rx);
    Ok((format!("http://{addr}/graphql"), tx))
}

pub async fn login(http: &reqwest::Client, url: &str, corp: &str, password: &str) -> anyhow::Result<String> {
    let q = format!("mutation{{login(corpCode:\"{corp}\",account:\"admin\",password:\"{password}\"){{accessToken}}}}");
    let login: Value = http.post(url).json(&json!({"query": q})).send().await?.json().await?;
    Ok(login["data"]["login"]["accessToken"].as_str().ok_or_else(|| anyhow::anyhow!("login failed: {login}"))?.to_string())
}

/// SQL statements one request of `query` costs (it must succeed).
pub async fn statements_per_request(
    state: &AppState,
    http: &reqwest::Client,
    url: &str,
    token: &str,
    query: &Value,
) -> anyhow::Result<u64> {
    let before = state.statements.get();
    let probe: Value = http.post(url).bearer_auth(token).json(query).send().await?.json().await?;
    anyhow::ensure!(probe.get("errors").is_none(), "query failed: {probe}");
    Ok(state.statements.get() - before)
}

/// `concurrency` clients posting `query` for `seconds`: requests/s, p50 and p99 in ms.
pub async fn load(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    query: &Value,
    concurrency: usize,
    seconds: usize,
) -> anyhow::Result<(f64, f64, f64)> {
    let deadline = Instant::now() + Duration::from_secs(seconds as u64);
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (http, url, token, query) = (http.clone(), url.to_string(), token.to_string(), query.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            while Instant::now() < deadline {
                let t = Instant::now();
                let r = http.post(&url).bearer_auth(&token).json(&query).send().await.expect("request");
                assert!(r.status().is_success());
                let _ = r.bytes().await;
                lat.push(t.elapsed());
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
    Ok((all.len() as f64 / seconds as f64, pct(0.50), pct(0.99)))
}
