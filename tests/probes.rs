//! The hostile-client catalogue of the hardening issue, driven through the
//! real HTTP and WebSocket endpoints: each case asserts the code and reason
//! (or the WebSocket close code) a client gets, and the server stays healthy.

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::{client::IntoClientRequest, Message};

use crate::support::{Client, TestApp, PASSWORD};

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The first error's `(code, reason)` and the whole response.
async fn refusal(client: &Client, query: &str, variables: Value) -> (String, String, Value) {
    let v = client.gql(query, variables).await;
    let e = &v["errors"][0]["extensions"];
    assert!(!e.is_null(), "expected an error, got {v}");
    (e["code"].as_str().unwrap_or("").into(), e["reason"].as_str().unwrap_or("").into(), v)
}

async fn ws_connect(app: &TestApp, accept_language: Option<&str>) -> Ws {
    let mut req = format!("ws://{}/graphql/ws", app.addr).into_client_request().unwrap();
    req.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
    if let Some(l) = accept_language {
        req.headers_mut().insert("accept-language", l.parse().unwrap());
    }
    tokio_tungstenite::connect_async_with_config(req, Some(Default::default()), false).await.unwrap().0
}

async fn send(ws: &mut Ws, v: Value) {
    ws.send(Message::Text(v.to_string().into())).await.unwrap();
}

/// The next text message, or the close code (as `{"close": code}`).
async fn next(ws: &mut Ws, wait_secs: u64) -> Value {
    loop {
        match tokio::time::timeout(std::time::Duration::from_secs(wait_secs), ws.next()).await {
            Err(_) => return json!({"timeout": true}),
            Ok(None) => return json!({"close": null}),
            Ok(Some(Err(e))) => return json!({"error": e.to_string()}),
            Ok(Some(Ok(Message::Text(t)))) => return serde_json::from_str(&t).unwrap(),
            Ok(Some(Ok(Message::Close(frame)))) => return json!({"close": frame.map(|f| u16::from(f.code))}),
            Ok(Some(Ok(_))) => continue,
        }
    }
}

async fn ws_ready(app: &TestApp, token: &str, init_extra: Value) -> Ws {
    let mut ws = ws_connect(app, None).await;
    let mut payload = json!({"authorization": format!("Bearer {token}")});
    if let (Some(p), Some(extra)) = (payload.as_object_mut(), init_extra.as_object()) {
        p.extend(extra.clone());
    }
    send(&mut ws, json!({"type": "connection_init", "payload": payload})).await;
    assert_eq!(next(&mut ws, 5).await["type"], "connection_ack");
    ws
}

async fn healthy(app: &TestApp) {
    let h = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(h.status(), 200);
}

const LOGIN: &str = "mutation($c:String!,$a:String!,$p:String!){login(corpCode:$c,account:$a,password:$p){accessToken}}";

#[tokio::test]
async fn bad_input_over_http_is_refused_at_the_boundary_with_a_code_and_reason() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let anon = app.anonymous();
    let many_ids: Vec<String> = (1..=32_766).map(|i| i.to_string()).collect();
    let literal_ids = (1..=1001).map(|i| format!("\"{i}\"")).collect::<Vec<_>>().join(",");
    let aliases = (0..101).map(|i| format!("a{i}: me {{ name }}")).collect::<Vec<_>>().join(" ");
    let fragment_aliases = format!(
        "query {{ {} }} fragment F on Employee {{ {} }}",
        (0..11).map(|i| format!("m{i}: me {{ ...F }}")).collect::<Vec<_>>().join(" "),
        (0..10).map(|i| format!("n{i}: name")).collect::<Vec<_>>().join(" ")
    );
    let counts = (0..20_000).map(|i| format!("c{i}: customers(first: 0) {{ totalCount }}")).collect::<Vec<_>>().join(" ");
    let cases: Vec<(&str, &Client, String, Value, &str, &str)> = vec![
        (
            "NUL in a login variable",
            &anon,
            LOGIN.into(),
            json!({"c": "acme", "a": "admin\u{0}", "p": PASSWORD}),
            "BAD_USER_INPUT",
            "CONTROL_CHARACTER",
        ),
        (
            "NUL in a literal",
            &anon,
            r#"mutation{login(corpCode:"acme",account:"ad\u0000min",password:"x"){accessToken}}"#.into(),
            json!({}),
            "BAD_USER_INPUT",
            "CONTROL_CHARACTER",
        ),
        (
            "escape sequence in a name",
            &admin,
            "mutation($n:String!,$p:ID!){createDepartment(input:{name:$n,parentId:$p}){id}}".into(),
            json!({"n": "\u{1b}[31mred", "p": app.root_id()}),
            "BAD_USER_INPUT",
            "CONTROL_CHARACTER",
        ),
        (
            "32,766 ids in a variable",
            &admin,
            "query($d:[ID!]!){employees(filter:{departmentIds:$d}){totalCount}}".into(),
            json!({"d": many_ids}),
            "BAD_USER_INPUT",
            "LIST_TOO_LONG",
        ),
        (
            "1,001 ids in a literal",
            &admin,
            format!("{{employees(filter:{{departmentIds:[{literal_ids}]}}){{totalCount}}}}"),
            json!({}),
            "BAD_USER_INPUT",
            "LIST_TOO_LONG",
        ),
        ("101 aliases", &admin, format!("{{ {aliases} }}"), json!({}), "BAD_USER_INPUT", "TOO_MANY_ALIASES"),
        ("aliases multiplied by a fragment", &admin, fragment_aliases, json!({}), "BAD_USER_INPUT", "TOO_MANY_ALIASES"),
        ("20,000 aliased counts", &admin, format!("{{ {counts} }}"), json!({}), "BAD_USER_INPUT", "TOO_MANY_ALIASES"),
        ("an unknown field", &admin, "{ nope }".into(), json!({}), "BAD_USER_INPUT", "GRAPHQL_VALIDATION"),
        ("a wrong password", &anon, LOGIN.into(), json!({"c": "acme", "a": "admin", "p": "wrong"}), "UNAUTHENTICATED", "LOGIN_FAILED"),
        ("a protected field, anonymously", &anon, "{ me { name } }".into(), json!({}), "UNAUTHENTICATED", "LOGIN_REQUIRED"),
        ("a page over the cap", &admin, "{ employees(first: 101) { totalCount } }".into(), json!({}), "BAD_USER_INPUT", "PAGE_TOO_LARGE"),
    ];
    let n = cases.len();
    for (name, client, query, vars, code, reason) in cases {
        let (c, r, v) = refusal(client, &query, vars).await;
        assert_eq!((c.as_str(), r.as_str()), (code, reason), "{name}: {v}");
        assert!(!v.to_string().contains("SQL"), "{name} leaked database text: {v}");
    }
    assert_eq!(n, 12);
    healthy(&app).await;
}

#[tokio::test]
async fn every_counted_page_costs_complexity_even_with_first_zero() {
    // Aliases allowed, so only the complexity limit stands in the way.
    let app = TestApp::spawn_with(|c| c.max_aliases = 10_000).await;
    let admin = app.admin().await;
    let counts = (0..600).map(|i| format!("c{i}: customers(first: 0) {{ totalCount }}")).collect::<Vec<_>>().join(" ");
    let (code, reason, _) = refusal(&admin, &format!("{{ {counts} }}"), json!({})).await;
    assert_eq!((code.as_str(), reason.as_str()), ("BAD_USER_INPUT", "GRAPHQL_VALIDATION"));
    let few = (0..50).map(|i| format!("c{i}: customers(first: 0) {{ totalCount }}")).collect::<Vec<_>>().join(" ");
    admin.data(&format!("{{ {few} }}"), json!({})).await;
}

#[tokio::test]
async fn a_corp_past_its_request_budget_is_rate_limited_with_retry_after() {
    let app = TestApp::spawn_with(|c| c.corp_requests_per_minute = 5).await;
    let admin = app.admin().await;
    // The login above was anonymous; these count against the corp.
    let mut limited = None;
    for _ in 0..8 {
        let v = admin.gql("{ me { name } }", json!({})).await;
        if v.get("errors").is_some() {
            limited = Some(v);
            break;
        }
    }
    let v = limited.expect("the budget ran out");
    let e = &v["errors"][0]["extensions"];
    assert_eq!((e["code"].as_str(), e["reason"].as_str()), (Some("RATE_LIMITED"), Some("REQUEST_BUDGET_SPENT")), "{v}");
    assert!(e["retryAfter"].as_i64().is_some_and(|s| (1..=60).contains(&s)), "{v}");
    // Another corp has its own budget.
    app.provision("other", 5).await;
    let other = app.login_as("other", "admin", PASSWORD).await;
    other.data("{ me { name } }", json!({})).await;
    healthy(&app).await;
}

#[tokio::test]
async fn a_client_request_id_is_kept_only_in_a_safe_form() {
    let app = TestApp::spawn().await;
    let ask = |id: &'static str| {
        let http = app.http.clone();
        let url = app.url("/graphql");
        async move {
            let r = http.post(url).header("x-request-id", id).json(&json!({"query": "{ __typename }"})).send().await.unwrap();
            r.headers().get("x-request-id").unwrap().to_str().unwrap().to_string()
        }
    };
    assert_eq!(ask("req-42.a_b:c").await, "req-42.a_b:c");
    for unsafe_id in ["a b", "x\"}{\"admin\":true", "0123456789012345678901234567890123456789012345678901234567890123456789"] {
        let got = ask(unsafe_id).await;
        assert_ne!(got, unsafe_id);
        assert!(uuid::Uuid::parse_str(&got).is_ok(), "a fresh id instead: {got}");
    }
}

#[tokio::test]
async fn the_websocket_follows_graphql_transport_ws_close_codes() {
    let app = TestApp::spawn_with(|c| {
        c.ws_init_timeout_secs = 1;
        c.ws_max_operations = 2;
        c.ws_max_message_bytes = 16 * 1024;
    })
    .await;
    let admin = app.admin().await;
    let token = admin.token.clone().unwrap();
    let mut cases = 0;

    // subscribe before connection_init: 4401 Unauthorized.
    let mut ws = ws_connect(&app, None).await;
    send(&mut ws, json!({"id": "1", "type": "subscribe", "payload": {"query": "{ __typename }"}})).await;
    assert_eq!(next(&mut ws, 5).await["close"], 4401);
    cases += 1;

    // A forged token: 4403 Forbidden.
    let mut ws = ws_connect(&app, None).await;
    send(&mut ws, json!({"type": "connection_init", "payload": {"authorization": "Bearer 1.forged"}})).await;
    assert_eq!(next(&mut ws, 5).await["close"], 4403);
    cases += 1;

    // A frame that is not a protocol message: 4400.
    let mut ws = ws_connect(&app, None).await;
    ws.send(Message::Text("{not json".into())).await.unwrap();
    assert_eq!(next(&mut ws, 5).await["close"], 4400);
    cases += 1;

    // No connection_init within the timeout: 4408.
    let mut ws = ws_connect(&app, None).await;
    assert_eq!(next(&mut ws, 5).await["close"], 4408);
    cases += 1;

    // An oversized message: 1009.
    let mut ws = ws_connect(&app, None).await;
    send(&mut ws, json!({"type": "connection_init", "payload": {"pad": "x".repeat(64 * 1024)}})).await;
    let m = next(&mut ws, 5).await;
    assert!(m["close"] == 1009 || m.get("error").is_some(), "{m}");
    cases += 1;

    // A duplicate operation id: 4409.
    let mut ws = ws_ready(&app, &token, json!({})).await;
    let sub = json!({"id": "s", "type": "subscribe", "payload": {"query": "subscription{serverTime(intervalSecs:60)}"}});
    send(&mut ws, sub.clone()).await;
    send(&mut ws, sub).await;
    let mut m = next(&mut ws, 5).await;
    while m["type"] == "next" {
        m = next(&mut ws, 5).await;
    }
    assert_eq!(m["close"], 4409, "{m}");
    cases += 1;

    // More live operations than allowed: that operation is refused, the socket stays.
    let mut ws = ws_ready(&app, &token, json!({})).await;
    for id in ["a", "b", "c"] {
        send(&mut ws, json!({"id": id, "type": "subscribe", "payload": {"query": "subscription{serverTime(intervalSecs:60)}"}})).await;
    }
    let mut refused = None;
    for _ in 0..6 {
        let m = next(&mut ws, 5).await;
        if m["type"] == "error" {
            refused = Some(m);
            break;
        }
    }
    let m = refused.expect("the third operation is refused");
    assert_eq!(m["id"], "c");
    assert_eq!(m["payload"][0]["extensions"]["reason"], "TOO_MANY_OPERATIONS");
    send(&mut ws, json!({"id": "q", "type": "subscribe", "payload": {"query": "{ __typename }"}})).await;
    cases += 1;
    assert_eq!(cases, 7);
    healthy(&app).await;
}

/// Errors over the socket get what HTTP gives: code, reason, the caller's
/// language (here from the `connection_init` payload) and, for INTERNAL,
/// the request id without the database's text.
#[tokio::test]
async fn websocket_errors_carry_code_reason_language_and_request_id() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let token = admin.token.clone().unwrap();
    let mut ws = ws_ready(&app, &token, json!({"acceptLanguage": "en-US,en;q=0.9"})).await;

    send(&mut ws, json!({"id": "1", "type": "subscribe", "payload": {"query": "{ employees(first: 1000) { totalCount } }"}})).await;
    let m = next(&mut ws, 5).await;
    let e = &m["payload"]["errors"][0];
    assert_eq!(
        (e["extensions"]["code"].as_str(), e["extensions"]["reason"].as_str()),
        (Some("BAD_USER_INPUT"), Some("PAGE_TOO_LARGE")),
        "{m}"
    );
    assert_eq!(e["message"], "At most 100 items per page");

    send(&mut ws, json!({"id": "2", "type": "subscribe", "payload": {"query": "query($n:String!){ employees(filter:{keyword:$n}) { totalCount } }", "variables": {"n": "a\u{0}"}}})).await;
    let mut m = next(&mut ws, 5).await;
    while m["type"] == "complete" {
        m = next(&mut ws, 5).await;
    }
    assert_eq!(m["payload"]["errors"][0]["extensions"]["reason"], "CONTROL_CHARACTER", "{m}");

    // Break the storage under a field: an INTERNAL error, logged, not shown.
    use sea_orm::ConnectionTrait;
    app.state.db.execute_unprepared("DROP TABLE employee_tag_members").await.unwrap();
    app.state.db.execute_unprepared("DROP TABLE employee_tags").await.unwrap();
    for id in ["3", "4"] {
        send(&mut ws, json!({"id": id, "type": "subscribe", "payload": {"query": "{ employeeTags { totalCount } }"}})).await;
        let mut m = next(&mut ws, 5).await;
        while m["type"] == "complete" {
            m = next(&mut ws, 5).await;
        }
        let e = &m["payload"]["errors"][0];
        assert_eq!((e["extensions"]["code"].as_str(), e["extensions"]["reason"].as_str()), (Some("INTERNAL"), Some("INTERNAL")), "{m}");
        assert!(e["extensions"]["requestId"].as_str().is_some_and(|r| !r.is_empty()), "{m}");
        assert_eq!(e["message"], "Internal server error");
        assert!(!m.to_string().contains("employee_tags"), "database text leaked: {m}");
    }
    healthy(&app).await;
}
