//! `TestApp`: the real server on 127.0.0.1:0 with its own database.

#![allow(dead_code)]

use std::net::SocketAddr;

use sea_orm::{ConnectionTrait, Database};
use serde_json::{json, Value};
use tokio::sync::watch;
use wecrm::{
    app::{self, App},
    config::Config,
    crypto::MasterKey,
    platform::{self, NewTenant, Provisioned},
    state::AppState,
    tenancy::Scope,
};

pub const PASSWORD: &str = "correct-horse-9";

pub struct TestApp {
    pub addr: SocketAddr,
    pub state: AppState,
    pub http: reqwest::Client,
    /// The corp every test starts with, and its super admin.
    pub corp: Provisioned,
    shutdown: watch::Sender<bool>,
    sqlite_dir: Option<std::path::PathBuf>,
    config: Config,
    pg_schema: Option<String>,
}

/// Another server instance on the same database (and Redis), with its own
/// HTTP listener, bus connection and job workers.
pub struct Instance {
    pub addr: SocketAddr,
    pub state: AppState,
    shutdown: watch::Sender<bool>,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

/// Builds the state, starts its workers and serves it on an ephemeral port.
async fn serve(config: Config, pg_schema: Option<String>) -> (SocketAddr, AppState, watch::Sender<bool>) {
    let app = App::build(config, pg_schema).await.expect("app state");
    let (tx, rx) = watch::channel(false);
    app.start_background(rx.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    app::spawn_server(listener, &app, rx);
    (addr, app.state, tx)
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(dir) = &self.sqlite_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

pub async fn test_config() -> (Config, Option<String>, Option<std::path::PathBuf>) {
    let mut c = Config::default();
    let unique = uuid::Uuid::new_v4().simple().to_string();
    let mut pg_schema = None;
    // Every app gets its own data directory (file uploads, the dev master key).
    let d = std::env::temp_dir().join(format!("wecrm-test-{unique}"));
    std::fs::create_dir_all(&d).unwrap();
    c.data_dir = d.join("data");
    let dir = Some(d.clone());
    match std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) {
        Some(url) => {
            let schema = format!("t_{}", &unique[..16]);
            let admin = Database::connect(&url).await.unwrap_or_else(|e| panic!("TEST_DATABASE_URL unreachable: {e}"));
            admin.execute_unprepared(&format!("CREATE SCHEMA {schema}")).await.expect("create schema");
            admin.close().await.ok();
            c.database_url = url.into();
            pg_schema = Some(schema);
        }
        None => {
            c.database_url = format!("sqlite://{}?mode=rwc", d.join("test.db").display()).into();
        }
    }
    if let Some(url) = std::env::var("REDIS_URL").ok().filter(|u| !u.is_empty()) {
        c.redis_url = Some(url.into());
        c.redis_prefix = format!("wecrm-test:{unique}:");
    } else if in_ci() && std::env::var("TEST_DATABASE_URL").is_ok() {
        panic!("CI=true with TEST_DATABASE_URL but no REDIS_URL");
    }
    c.master_key = Some(MasterKey::generate().1.into());
    c.job_poll_ms = 50;
    c.job_workers = 1;
    // Scheduled firings (nightly sync, sweeps) would race the tests' own steps.
    c.job_schedules = false;
    c.log_filter = "warn".into();
    (c, pg_schema, dir)
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
        let (mut config, pg_schema, sqlite_dir) = test_config().await;
        tweak(&mut config);
        // Migrate and provision before anything runs.
        let (setup, _) =
            wecrm::db::connect(wecrm::db::DbOptions { url: config.database_url.expose(), pg_schema: pg_schema.clone() }).await.expect("db");
        wecrm::db::migrate_up(&setup).await.expect("migrate");
        let corp = platform::create(
            &setup,
            NewTenant {
                code: "acme".into(),
                name: "Acme".into(),
                seat_quota: 10,
                admin_userid: "admin".into(),
                admin_name: "Admin".into(),
                admin_mobile: "13900000000".into(),
                admin_password: PASSWORD.into(),
            },
        )
        .await
        .map_err(|e| format!("{e:?}"))
        .expect("provision");
        setup.close().await.ok();
        let (addr, state, shutdown) = serve(config.clone(), pg_schema.clone()).await;
        TestApp { addr, state, http: reqwest::Client::new(), corp, shutdown, sqlite_dir, config, pg_schema }
    }

    /// Stops this server and starts a new one on the same database: jobs,
    /// timers and data survive, in-process state (bus, clock) starts afresh.
    pub async fn restart(self) -> TestApp {
        self.restart_with(|_| {}).await
    }

    /// [`TestApp::restart`] with a changed configuration.
    pub async fn restart_with(mut self, tweak: impl FnOnce(&mut Config)) -> TestApp {
        tweak(&mut self.config);
        let _ = self.shutdown.send(true);
        // Let the workers see the signal and finish what they hold.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let (config, pg_schema, corp, http) = (self.config.clone(), self.pg_schema.clone(), self.corp.clone(), self.http.clone());
        let sqlite_dir = self.sqlite_dir.take();
        drop(self);
        let (addr, state, shutdown) = serve(config.clone(), pg_schema.clone()).await;
        TestApp { addr, state, http, corp, shutdown, sqlite_dir, config, pg_schema }
    }

    /// A second instance beside this one (same database and Redis prefix).
    pub async fn instance(&self, tweak: impl FnOnce(&mut Config)) -> Instance {
        let mut config = self.config.clone();
        config.auto_migrate = false;
        tweak(&mut config);
        let (addr, state, shutdown) = serve(config, self.pg_schema.clone()).await;
        Instance { addr, state, shutdown }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// A second tenant, with its super admin.
    pub async fn provision(&self, code: &str, seats: i32) -> Provisioned {
        platform::create(
            &self.state.db,
            NewTenant {
                code: code.into(),
                name: code.to_uppercase(),
                seat_quota: seats,
                admin_userid: "admin".into(),
                admin_name: format!("{code} admin"),
                admin_mobile: "13900000001".into(),
                admin_password: PASSWORD.into(),
            },
        )
        .await
        .map_err(|e| format!("{e:?}"))
        .expect("provision")
    }

    pub fn admin_scope(&self) -> Scope {
        Scope::whole_corp_as(self.corp.corp.id, self.corp.admin.id)
    }

    pub async fn login_as(&self, corp_code: &str, account: &str, password: &str) -> Client {
        let anon = self.anonymous();
        let v = anon
            .data(
                "mutation($c:String!,$a:String!,$p:String!){login(corpCode:$c,account:$a,password:$p){accessToken refreshToken}}",
                json!({"c": corp_code, "a": account, "p": password}),
            )
            .await;
        Client { token: Some(v["login"]["accessToken"].as_str().unwrap().to_string()), ..anon }
    }

    /// The super admin of the test corp.
    pub async fn admin(&self) -> Client {
        self.login_as("acme", "admin", PASSWORD).await
    }

    pub fn anonymous(&self) -> Client {
        Client { http: self.http.clone(), url: self.url("/graphql"), token: None, lang: None, forwarded_for: None }
    }

    /// Creates an employee through the API with system access open and a password.
    pub async fn employee(&self, admin: &Client, userid: &str, department_ids: &[String], role_ids: &[String]) -> String {
        let v = admin
            .data(
                "mutation($i:CreateEmployeeInput!){createEmployee(input:$i){id}}",
                json!({"i": {"userid": userid, "name": userid, "mobile": "13700000000", "departmentIds": department_ids, "roleIds": role_ids}}),
            )
            .await;
        let id = v["createEmployee"]["id"].as_str().unwrap().to_string();
        admin.data("mutation($id:ID!){setEmployeeSystemAccess(id:$id,enabled:true){id}}", json!({"id": id})).await;
        admin.data("mutation($id:ID!,$p:String!){setEmployeePassword(id:$id,password:$p){id}}", json!({"id": id, "p": PASSWORD})).await;
        id
    }

    pub async fn department(&self, admin: &Client, name: &str, parent: &str) -> String {
        let v = admin
            .data("mutation($n:String!,$p:ID!){createDepartment(input:{name:$n,parentId:$p}){id}}", json!({"n": name, "p": parent}))
            .await;
        v["createDepartment"]["id"].as_str().unwrap().to_string()
    }

    pub async fn role(&self, admin: &Client, name: &str, permissions: &[&str], scope: &str, departments: &[String]) -> String {
        let v = admin
            .data(
                "mutation($i:CreateRoleInput!){createRole(input:$i){id}}",
                json!({"i": {"name": name, "permissions": permissions, "dataScope": scope, "departmentIds": departments}}),
            )
            .await;
        v["createRole"]["id"].as_str().unwrap().to_string()
    }

    pub fn root_id(&self) -> String {
        self.corp.root_department.id.to_string()
    }

    pub fn basic_role_id(&self) -> String {
        self.corp.basic_role.id.to_string()
    }

    /// Waits (up to 30 s: a 10,000-contact sync on PostgreSQL in a debug
    /// build) until a job leaves QUEUED/RUNNING.
    pub async fn wait_job(&self, client: &Client, id: &str) -> Value {
        for _ in 0..600 {
            let v = client.data("query($id:ID!){job(id:$id){id status progress result error{code message}}}", json!({"id": id})).await;
            let s = v["job"]["status"].as_str().unwrap().to_string();
            if s == "SUCCEEDED" || s == "FAILED" {
                return v["job"].clone();
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("job {id} did not finish");
    }
}

#[derive(Clone)]
pub struct Client {
    pub http: reqwest::Client,
    pub url: String,
    pub token: Option<String>,
    pub lang: Option<String>,
    /// Sent as `x-forwarded-for` (apps configured to trust that header see it as the client address).
    pub forwarded_for: Option<String>,
}

impl Client {
    pub fn english(mut self) -> Self {
        self.lang = Some("en-US,en;q=0.9,zh;q=0.5".into());
        self
    }

    /// The same caller, as if from another address behind the trusted proxy.
    pub fn behind_proxy_as(mut self, forwarded_for: &str) -> Self {
        self.forwarded_for = Some(forwarded_for.into());
        self
    }

    /// The whole GraphQL response.
    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        let mut req = self.http.post(&self.url).json(&json!({"query": query, "variables": variables}));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        if let Some(l) = &self.lang {
            req = req.header("accept-language", l);
        }
        if let Some(f) = &self.forwarded_for {
            req = req.header("x-forwarded-for", f);
        }
        let res = req.send().await.expect("request");
        res.json().await.expect("json body")
    }

    /// `data`, asserting there were no errors.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let v = self.gql(query, variables).await;
        assert!(v.get("errors").is_none(), "unexpected errors: {v}");
        v["data"].clone()
    }

    /// The first error's `(code, message, field)`.
    pub async fn error(&self, query: &str, variables: Value) -> (String, String, Option<String>) {
        let v = self.gql(query, variables).await;
        let e = &v["errors"][0];
        assert!(!e.is_null(), "expected an error, got {v}");
        (
            e["extensions"]["code"].as_str().unwrap_or("").to_string(),
            e["message"].as_str().unwrap_or("").to_string(),
            e["extensions"]["field"].as_str().map(str::to_string),
        )
    }
}

/// Node names of a connection.
pub fn names(conn: &Value) -> Vec<String> {
    let mut v: Vec<String> = conn["edges"].as_array().unwrap().iter().map(|e| e["node"]["name"].as_str().unwrap().to_string()).collect();
    v.sort();
    v
}
