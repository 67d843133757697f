//! GraphQL over HTTP: status codes, media types, methods, limits, languages.

use serde_json::json;

use crate::support::TestApp;

#[tokio::test]
async fn mutations_over_get_are_refused_with_405() {
    let app = TestApp::spawn().await;
    let res = app.http.get(app.url("/graphql")).query(&[("query", "mutation{logout}")]).send().await.unwrap();
    assert_eq!(res.status(), 405);
    assert_eq!(res.headers()["allow"], "POST");
    let ok = app.http.get(app.url("/graphql")).query(&[("query", "{serverTime}")]).send().await.unwrap();
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn request_errors_are_400_under_graphql_response_json_and_200_under_json() {
    let app = TestApp::spawn().await;
    let body = json!({"query": "{ notAField }"});
    let new = app.http.post(app.url("/graphql")).header("accept", "application/graphql-response+json").json(&body).send().await.unwrap();
    assert_eq!(new.status(), 400);
    assert!(new.headers()["content-type"].to_str().unwrap().starts_with("application/graphql-response+json"));
    let v: serde_json::Value = new.json().await.unwrap();
    assert!(v.get("data").is_none());
    assert_eq!(v["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    let legacy = app.http.post(app.url("/graphql")).header("accept", "application/json").json(&body).send().await.unwrap();
    assert_eq!(legacy.status(), 200);
}

#[tokio::test]
async fn an_unacceptable_accept_header_is_406_and_a_wrong_content_type_is_415() {
    let app = TestApp::spawn().await;
    let r = app.http.post(app.url("/graphql")).header("accept", "text/plain").json(&json!({"query": "{serverTime}"})).send().await.unwrap();
    assert_eq!(r.status(), 406);
    let r = app.http.post(app.url("/graphql")).header("content-type", "text/plain").body("{serverTime}").send().await.unwrap();
    assert_eq!(r.status(), 415);
}

#[tokio::test]
async fn malformed_json_and_bad_parameters_are_400() {
    let app = TestApp::spawn().await;
    let r = app.http.post(app.url("/graphql")).header("content-type", "application/json").body("{not json").send().await.unwrap();
    assert_eq!(r.status(), 400);
    let r = app.http.post(app.url("/graphql")).json(&json!({"query": "{serverTime}", "variables": "nope"})).send().await.unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn bodies_over_the_limit_are_refused() {
    let app = TestApp::spawn_with(|c| c.body_limit_bytes = 1024).await;
    let big = "x".repeat(4096);
    let r = app.http.post(app.url("/graphql")).json(&json!({"query": format!("{{serverTime}} # {big}")})).send().await.unwrap();
    assert_eq!(r.status(), 413);
}

#[tokio::test]
async fn errors_speak_english_when_accept_language_prefers_it() {
    let app = TestApp::spawn().await;
    let (code, msg, _) = app.anonymous().english().error("{employees{totalCount}}", json!({})).await;
    assert_eq!(code, "UNAUTHENTICATED");
    assert_eq!(msg, "Please log in first");
}

#[tokio::test]
async fn a_page_larger_than_100_is_bad_user_input_on_first() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (code, msg, field) = admin.error("{employees(first:101){totalCount}}", json!({})).await;
    assert_eq!(code, "BAD_USER_INPUT");
    assert_eq!(msg, "每页最多100条");
    assert_eq!(field.as_deref(), Some("first"));
}

#[tokio::test]
async fn queries_deeper_than_the_limit_are_refused() {
    let app = TestApp::spawn_with(|c| c.max_query_depth = 4).await;
    let admin = app.admin().await;
    let deep = "{departmentTree{children{children{children{children{name}}}}}}";
    let (code, _, _) = admin.error(deep, json!({})).await;
    assert_eq!(code, "BAD_USER_INPUT");
}

#[tokio::test]
async fn health_and_readiness_answer_and_every_response_has_a_request_id() {
    let app = TestApp::spawn().await;
    let h = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(h.status(), 200);
    assert!(h.headers().contains_key("x-request-id"));
    let r = app.http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn graphiql_is_served_to_browsers() {
    let app = TestApp::spawn().await;
    let r = app.http.get(app.url("/graphql")).header("accept", "text/html").send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().to_lowercase().contains("graphiql"));
}
