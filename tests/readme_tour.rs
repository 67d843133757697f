//! The README's GraphQL tour, run as written against the real binary started
//! with `serve --demo` (its own SQLite file and in-process WeChat sandbox).
//! Every ```graphql block of the tour must be a named operation; this test
//! runs each exactly as the README prints it, in the README's order, with the
//! variables its `# variables:` line describes taken from earlier answers.

use std::{
    collections::BTreeSet,
    process::Stdio,
    sync::{Arc, Mutex},
    time::Duration,
};

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio_tungstenite::tungstenite::{client::IntoClientRequest, Message};

use crate::subscriptions::next_json;

/// `(name, document)` of every graphql block between the tour's heading and the next `## ` section.
fn tour_operations() -> Vec<(String, String)> {
    let readme = include_str!("../README.md");
    let start = readme.find("## A GraphQL tour").expect("tour heading");
    let end = start + readme[start..].find("\n## Benchmarks").expect("section after the tour");
    let mut ops = Vec::new();
    let mut rest = &readme[start..end];
    while let Some(open) = rest.find("```graphql\n") {
        let body = &rest[open + "```graphql\n".len()..];
        let close = body.find("\n```").expect("closed block");
        let doc = &body[..close];
        let head = doc.lines().find(|l| !l.trim_start().starts_with('#')).unwrap_or_default();
        let mut words = head.split(|c: char| c.is_whitespace() || c == '(' || c == '{').filter(|w| !w.is_empty());
        let kind = words.next().unwrap_or_default();
        let name = words.next().unwrap_or_default();
        assert!(
            matches!(kind, "query" | "mutation" | "subscription") && name.starts_with(|c: char| c.is_ascii_uppercase()),
            "every tour operation is named (`query Name`, `mutation Name`, `subscription Name`): {doc}"
        );
        ops.push((name.to_string(), doc.to_string()));
        rest = &body[close + 4..];
    }
    ops
}

/// The `serve --demo` child; killed when dropped.
struct Demo {
    _child: tokio::process::Child,
    _dir: TempDir,
    addr: String,
    output: Arc<Mutex<Vec<String>>>,
}

struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn start_demo() -> (Demo, String) {
    let dir = std::env::temp_dir().join(format!("wecrm-tour-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let addr = format!("127.0.0.1:{port}");
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_wecrm"));
    // The demo as a newcomer runs it: nothing configured but where it listens and keeps data.
    for (key, _) in std::env::vars() {
        if key.starts_with("WECRM_") || key == "DATABASE_URL" || key == "REDIS_URL" {
            cmd.env_remove(key);
        }
    }
    let mut child = cmd
        .args(["serve", "--demo"])
        .current_dir(&dir)
        .env("WECRM_BIND", &addr)
        .env("WECRM_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let output = Arc::new(Mutex::new(Vec::new()));
    let (password_tx, password_rx) = tokio::sync::oneshot::channel();
    let mut password_tx = Some(password_tx);
    let out = output.clone();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    // Keep draining both pipes so the child never blocks on a full one.
    tokio::spawn(async move {
        while let Ok(Some(line)) = stdout.next_line().await {
            if let Some(p) = line.split("password: ").nth(1).and_then(|r| r.split_whitespace().next()) {
                if let Some(tx) = password_tx.take() {
                    let _ = tx.send(p.to_string());
                }
            }
            out.lock().unwrap().push(line);
        }
    });
    let out = output.clone();
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    tokio::spawn(async move {
        while let Ok(Some(line)) = stderr.next_line().await {
            out.lock().unwrap().push(line);
        }
    });
    let demo = Demo { _child: child, _dir: TempDir(dir), addr, output };
    let password = match tokio::time::timeout(Duration::from_secs(120), password_rx).await {
        Ok(Ok(p)) => p,
        _ => panic!("serve --demo printed no password:\n{}", demo.output.lock().unwrap().join("\n")),
    };
    let http = reqwest::Client::new();
    for _ in 0..600 {
        if http.get(format!("http://{}/healthz", demo.addr)).send().await.is_ok_and(|r| r.status().is_success()) {
            return (demo, password);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("serve --demo never answered /healthz:\n{}", demo.output.lock().unwrap().join("\n"));
}

/// Runs the README's operations by name, checking they come in the README's order.
struct Tour {
    ops: Vec<(String, String)>,
    ran: Vec<String>,
    demo: Demo,
    http: reqwest::Client,
    token: Option<String>,
}

impl Tour {
    fn doc(&self, name: &str) -> String {
        let (_, doc) = self.ops.iter().find(|(n, _)| n == name).unwrap_or_else(|| panic!("the README tour has no operation {name}"));
        doc.clone()
    }

    async fn run(&mut self, name: &str, variables: Value) -> Value {
        let doc = self.doc(name);
        let mut req = self.http.post(format!("http://{}/graphql", self.demo.addr)).json(&json!({"query": doc, "variables": variables}));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        let body: Value = req.send().await.unwrap().json().await.unwrap();
        assert!(
            body.get("errors").is_none(),
            "README operation {name} failed: {body}\nserver output:\n{}",
            self.demo.output.lock().unwrap().join("\n")
        );
        self.ran.push(name.to_string());
        body["data"].clone()
    }

    /// A helper query of the test's own (not part of the tour).
    async fn look_up(&self, query: &str) -> Value {
        let body: Value = self
            .http
            .post(format!("http://{}/graphql", self.demo.addr))
            .bearer_auth(self.token.as_deref().unwrap())
            .json(&json!({ "query": query }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(body.get("errors").is_none(), "{body}");
        body["data"].clone()
    }

    /// Subscribes over graphql-transport-ws and checks the server accepted it:
    /// a `ping` answered by `pong` with no `error` for the operation first.
    async fn subscribe(&mut self, name: &str) {
        let doc = self.doc(name);
        let mut req = format!("ws://{}/graphql/ws", self.demo.addr).into_client_request().unwrap();
        req.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
        let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
        let init = json!({"type": "connection_init", "payload": {"authorization": format!("Bearer {}", self.token.as_deref().unwrap())}});
        ws.send(Message::Text(init.to_string().into())).await.unwrap();
        assert_eq!(next_json(&mut ws).await.unwrap()["type"], "connection_ack");
        ws.send(Message::Text(json!({"id": "1", "type": "subscribe", "payload": {"query": doc}}).to_string().into())).await.unwrap();
        ws.send(Message::Text(json!({"type": "ping"}).to_string().into())).await.unwrap();
        loop {
            let m = next_json(&mut ws).await.unwrap_or_else(|| panic!("{name}: the socket closed"));
            assert_ne!(m["type"], "error", "README subscription {name} refused: {m}");
            if m["type"] == "pong" {
                break;
            }
        }
        // A refusal could trail the pong; give it a moment to arrive.
        if let Ok(Some(Ok(Message::Text(t)))) = tokio::time::timeout(Duration::from_millis(300), ws.next()).await {
            let m: Value = serde_json::from_str(&t).unwrap();
            assert_ne!(m["type"], "error", "README subscription {name} refused: {m}");
        }
        self.ran.push(name.to_string());
    }
}

fn find_department(nodes: &Value, name: &str) -> Option<String> {
    nodes.as_array()?.iter().find_map(|d| {
        if d["name"] == name {
            d["id"].as_str().map(String::from)
        } else {
            find_department(&d["children"], name)
        }
    })
}

#[tokio::test]
async fn the_readme_tour_runs_as_written_on_serve_demo() {
    let (demo, password) = start_demo().await;
    let mut tour = Tour { ops: tour_operations(), ran: Vec::new(), demo, http: reqwest::Client::new(), token: None };

    let login = tour.run("LogIn", json!({ "password": password })).await;
    tour.token = Some(login["login"]["accessToken"].as_str().expect("a token").to_string());
    let me = tour.run("WhoAmI", json!({})).await;
    assert_eq!(me["me"]["isSuperAdmin"], true);

    let tree = tour.run("DepartmentTree", json!({})).await;
    let sales = find_department(&tree["departmentTree"], "销售部").expect("the demo has 销售部");
    let shenzhen = tour.run("CreateDepartment", json!({ "parentId": sales })).await["createDepartment"]["id"].as_str().unwrap().to_string();
    let role = tour.run("CreateRole", json!({})).await["createRole"]["id"].as_str().unwrap().to_string();
    let created = tour.run("CreateEmployee", json!({ "departmentId": shenzhen, "roleId": role })).await;
    let zhaolei = created["createEmployee"]["id"].as_str().unwrap().to_string();
    let opened = tour.run("OpenSystemAccess", json!({ "id": zhaolei })).await;
    assert_eq!(opened["setEmployeeSystemAccess"]["systemEnabled"], true);
    let listed = tour.run("Employees", json!({})).await;
    assert!(listed["employees"]["edges"].as_array().unwrap().iter().any(|e| e["node"]["name"] == "赵磊"), "{listed}");
    let job =
        tour.run("EnableSales", json!({ "departmentId": sales })).await["runEmployeeBatchOperation"]["id"].as_str().unwrap().to_string();
    tour.run("JobProgress", json!({ "id": job })).await;

    let tags = tour.run("CorpTags", json!({})).await;
    let tag = tags["corpTagGroups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["tags"].as_array().cloned().unwrap_or_default())
        .find_map(|t| t["id"].as_str().map(String::from))
        .expect("the demo corp has WeCom tags");
    tour.run("Customers", json!({ "tagId": tag })).await;
    let found = tour.run("CustomersByConditions", json!({})).await;
    assert!(found["customers"]["totalCount"].as_i64().unwrap() > 0, "the demo has customers the tree selects: {found}");
    // Customers with two adders: one to edit, one to hand over to the other adder.
    let picked =
        tour.look_up("{ customers(first: 3, filter: { adderCountMin: 2 }) { edges { node { id adders { employee { id } } } } } }").await;
    let picked = picked["customers"]["edges"].as_array().unwrap().clone();
    assert!(picked.len() >= 3, "the demo has customers with two adders: {picked:?}");
    let customer = |i: usize| picked[i]["node"]["id"].as_str().unwrap().to_string();
    let adder = |i: usize, j: usize| picked[i]["node"]["adders"][j]["employee"]["id"].as_str().unwrap().to_string();
    tour.run("CustomerDetail", json!({ "id": customer(0) })).await;
    let edited = tour.run("EditCustomer", json!({ "id": customer(0), "ownerId": adder(0, 1) })).await;
    assert_eq!(edited["updateCustomer"]["mobile"], "13800001111");
    let tagged = tour.run("TagCustomers", json!({ "customerIds": [customer(0), customer(1)], "tagId": tag })).await;
    assert!(tagged["tagCustomers"].as_array().unwrap().iter().all(|r| r["ok"] == true), "{tagged}");
    tour.run("FollowUp", json!({ "customerId": customer(0), "colleagueId": adder(0, 0) })).await;
    let moved = tour.run("TransferCustomers", json!({ "customerIds": [customer(2)], "takeoverId": zhaolei })).await;
    assert!(moved["transferCustomers"].as_array().unwrap().iter().all(|r| r["ok"] == true), "{moved}");
    tour.run("LostCustomersAndGroups", json!({})).await;
    let field = tour.run("CreateQuoteField", json!({})).await["createCustomField"]["id"].as_str().unwrap().to_string();
    let quote = tour.run("SubmitQuote", json!({ "fieldId": field, "customerId": customer(1) })).await;
    assert_eq!(quote["submitBusinessRecord"]["values"][0]["value"], 30000);
    tour.run("OpenWorkOrder", json!({ "customerId": customer(1), "assigneeId": adder(1, 0) })).await;
    tour.run("RefreshResigned", json!({})).await;
    tour.run("ResignedAndInheritances", json!({})).await;

    tour.subscribe("RadarAlerts").await;
    tour.subscribe("TimeoutAlerts").await;
    let settings = tour.run("AlertSettings", json!({})).await;
    let calendar = settings["createWorkCalendar"]["id"].as_str().unwrap().to_string();
    tour.run("ReplyRules", json!({ "calendarId": calendar })).await;
    tour.run("Archive", json!({ "employeeId": adder(0, 0) })).await;
    tour.run("SensitiveSetup", json!({})).await;

    let script = tour.run("KnowledgeSetup", json!({})).await["createKnowledgeItem"]["id"].as_str().unwrap().to_string();
    let found = tour.run("SidebarScripts", json!({})).await;
    assert_eq!(found["knowledgeItems"]["edges"][0]["node"]["id"], script.as_str(), "{found}");
    let link = tour.run("FolderLink", json!({})).await;
    assert_eq!(link["createFolderItem"]["radarEnabled"], true);

    let article = tour.run("CreateArticle", json!({})).await["createMarketingMaterial"]["id"].as_str().unwrap().to_string();
    let shared = tour.run("PublishAndShare", json!({ "id": article, "customerId": customer(1) })).await;
    let url = shared["shareMarketingMaterial"]["url"].as_str().unwrap().to_string();
    // Opened as the customer's WeChat would: the redirect carries the visit key.
    let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let opened = no_redirects.get(&url).send().await.unwrap();
    assert_eq!(opened.status(), 302, "{url}");
    let page = opened.headers()["location"].to_str().unwrap().to_string();
    let visit = page.rsplit("visit=").next().unwrap().to_string();
    let events = tour.run("RadarPageEvents", json!({ "visit": visit })).await;
    assert!(events["radarShare"].as_str().unwrap().contains("/r/"), "{events}");
    let toolbox = tour.run("SidebarToolbox", json!({})).await;
    assert_eq!(toolbox["sidebarToolbox"]["marketingMaterials"][0]["viewCount"], 1, "{toolbox}");

    let lead = tour.run("LeadRuleAndLead", json!({ "sellerId": zhaolei })).await;
    assert_eq!(lead["createLead"]["owner"]["name"], "赵磊", "the rule assigned it: {lead}");
    tour.run("Leads", json!({})).await;
    let export = tour.run("ExportCustomers", json!({})).await;
    assert_eq!(export["exportCustomers"]["status"], "QUEUED");
    tour.run("MyTransfers", json!({})).await;
    let pool = tour.run("PoolSetup", json!({})).await;
    let (pool_id, reason_id) = (pool["createPoolGroup"]["id"].clone(), pool["createPoolReason"]["id"].clone());
    let claimed = tour.run("ReturnAndClaim", json!({ "customerIds": [customer(1)], "poolId": pool_id, "reasonId": reason_id })).await;
    assert_eq!(claimed["returnCustomersToPool"][0]["arrival"], "RETURNED", "{claimed}");
    let setup = tour.run("OpportunitySetup", json!({})).await;
    let stage = |i: usize| setup["opportunityStages"][i]["id"].clone();
    let deal = tour.run("Opportunity", json!({ "customerId": customer(1), "first": stage(0) })).await;
    assert_eq!(deal["createOpportunity"]["expectedAmount"], "128000.50");
    tour.run("AdvanceOpportunity", json!({ "id": deal["createOpportunity"]["id"], "second": stage(1) })).await;
    let company = tour.run("CreateCompany", json!({})).await["createCompany"]["id"].clone();
    let linked = tour.run("LinkCustomerCompany", json!({ "customerId": customer(1), "companyId": company })).await;
    assert_eq!(linked["setCustomerCompany"]["companyId"], company);

    let rule = tour.run("SmartTagRule", json!({ "tagIds": [tag] })).await;
    assert_eq!(rule["createSmartTagRule"]["tags"].as_array().unwrap().len(), 1, "{rule}");
    tour.run("SmartTagRules", json!({})).await;
    let segment = tour.run("CreateSegment", json!({})).await["createCustomerSegment"]["id"].clone();
    let packs = tour.run("CreateCrowdPacks", json!({ "segmentId": segment, "tagIds": [tag] })).await;
    assert!(packs["live"]["customerCount"].as_i64().unwrap() > 0, "the demo has customers with the tag: {packs}");
    // The smart tag rule above may still be tagging: the live pack grows with it, the frozen one does not.
    assert!(packs["frozen"]["customerCount"].as_i64().unwrap() <= packs["live"]["customerCount"].as_i64().unwrap(), "{packs}");
    let portrait = tour.run("CrowdPackPortrait", json!({ "id": packs["live"]["id"], "tagId": tag })).await;
    assert_eq!(portrait["crowdPack"]["portrait"]["tagTrend"][0]["points"].as_array().unwrap().len(), 7, "{portrait}");

    // The demo's account syncs its 200 followers in the background at start.
    for _ in 0..100 {
        if tour.look_up("{officialAccountFans(subscribed:true){totalCount}}").await["officialAccountFans"]["totalCount"] == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let accounts = tour.run("OfficialAccounts", json!({})).await;
    assert_eq!(accounts["officialAccountFans"]["totalCount"], 200, "{accounts}");
    let account = accounts["officialAccounts"][0]["id"].clone();
    let qr = tour.run("OfficialAccountQrCode", json!({ "accountId": account })).await;
    assert!(qr["createOfficialAccountQrCode"]["expiresAt"].is_string(), "{qr}");
    let on_wechat = tour.run("CustomersOnWeChat", json!({})).await;
    let linked = on_wechat["customers"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| !e["node"]["officialAccountFollows"].as_array().unwrap().is_empty())
        .count();
    assert!(linked > 0, "demo customers are also fans: {on_wechat}");

    let in_readme: Vec<String> = tour.ops.iter().map(|(n, _)| n.clone()).collect();
    assert_eq!(in_readme.iter().collect::<BTreeSet<_>>().len(), in_readme.len(), "tour operation names are unique");
    assert_eq!(tour.ran, in_readme, "the test runs every tour operation, in the README's order");
}
