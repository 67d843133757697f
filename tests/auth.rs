use serde_json::json;

use crate::support::{TestApp, PASSWORD};

const LOGIN: &str = "mutation($c:String!,$a:String!,$p:String!){login(corpCode:$c,account:$a,password:$p){accessToken refreshToken message employee{name}}}";

#[tokio::test]
async fn login_with_the_right_password_says_login_succeeded_and_opens_a_session() {
    let app = TestApp::spawn().await;
    let v = app.anonymous().data(LOGIN, json!({"c": "acme", "a": "admin", "p": PASSWORD})).await;
    assert_eq!(v["login"]["message"], "登录成功");
    let admin = app.admin().await;
    let me = admin.data("{me{name isSuperAdmin}}", json!({})).await;
    assert_eq!(me["me"]["name"], "Admin");
    assert_eq!(me["me"]["isSuperAdmin"], true);
}

#[tokio::test]
async fn a_wrong_password_is_unauthenticated_and_repeated_failures_are_throttled() {
    let app = TestApp::spawn_with(|c| c.login_max_failures = 3).await;
    let anon = app.anonymous();
    for _ in 0..3 {
        let (code, msg, _) = anon.error(LOGIN, json!({"c": "acme", "a": "admin", "p": "wrong-password"})).await;
        assert_eq!((code.as_str(), msg.as_str()), ("UNAUTHENTICATED", "账号或密码错误"));
    }
    // Even the right password is refused while throttled.
    let (code, _, _) = anon.error(LOGIN, json!({"c": "acme", "a": "admin", "p": PASSWORD})).await;
    assert_eq!(code, "RATE_LIMITED");
}

#[tokio::test]
async fn unknown_accounts_and_corps_get_the_same_answer_as_a_wrong_password() {
    let app = TestApp::spawn().await;
    let anon = app.anonymous();
    let a = anon.error(LOGIN, json!({"c": "acme", "a": "nobody", "p": PASSWORD})).await;
    let b = anon.error(LOGIN, json!({"c": "nocorp", "a": "admin", "p": PASSWORD})).await;
    assert_eq!(a, b);
    assert_eq!(a.0, "UNAUTHENTICATED");
}

#[tokio::test]
async fn an_employee_whose_system_access_is_closed_cannot_log_in() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let id = app.employee(&admin, "closed", &[app.root_id()], &[app.basic_role_id()]).await;
    admin.data("mutation($id:ID!){setEmployeeSystemAccess(id:$id,enabled:false){id}}", json!({"id": id})).await;
    let (code, msg, _) = app.anonymous().error(LOGIN, json!({"c": "acme", "a": "closed", "p": PASSWORD})).await;
    assert_eq!(code, "FORBIDDEN");
    assert_eq!(msg, "该账号未开启系统使用权限，请联系管理员");
}

#[tokio::test]
async fn closing_system_access_revokes_live_sessions_at_once() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let id = app.employee(&admin, "worker", &[app.root_id()], &[app.basic_role_id()]).await;
    let worker = app.login_as("acme", "worker", PASSWORD).await;
    worker.data("{me{name}}", json!({})).await;
    admin.data("mutation($id:ID!){setEmployeeSystemAccess(id:$id,enabled:false){id}}", json!({"id": id})).await;
    let (code, msg, _) = worker.error("{me{name}}", json!({})).await;
    assert_eq!(code, "UNAUTHENTICATED");
    assert_eq!(msg, "登录已失效，请重新登录");
}

#[tokio::test]
async fn logout_ends_the_session_and_refresh_rotates_the_token_pair() {
    let app = TestApp::spawn().await;
    let anon = app.anonymous();
    let v = anon.data(LOGIN, json!({"c": "acme", "a": "admin", "p": PASSWORD})).await;
    let refresh = v["login"]["refreshToken"].as_str().unwrap().to_string();
    let old_access = v["login"]["accessToken"].as_str().unwrap().to_string();
    let r = anon.data("mutation($r:String!){refreshToken(refreshToken:$r){accessToken refreshToken}}", json!({"r": refresh})).await;
    let fresh = crate::support::Client { token: Some(r["refreshToken"]["accessToken"].as_str().unwrap().into()), ..anon.clone() };
    fresh.data("{me{name}}", json!({})).await;
    let stale = crate::support::Client { token: Some(old_access), ..anon.clone() };
    assert_eq!(stale.error("{me{name}}", json!({})).await.0, "UNAUTHENTICATED");
    // The old refresh token was spent.
    assert_eq!(
        anon.error("mutation($r:String!){refreshToken(refreshToken:$r){accessToken}}", json!({"r": refresh})).await.0,
        "UNAUTHENTICATED"
    );
    fresh.data("mutation{logout}", json!({})).await;
    assert_eq!(fresh.error("{me{name}}", json!({})).await.0, "UNAUTHENTICATED");
}

#[tokio::test]
async fn tokens_are_stored_only_as_digests() {
    use sea_orm::EntityTrait;
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let token = admin.token.clone().unwrap();
    let rows = entity::session::Entity::find().all(&app.state.db).await.unwrap();
    assert!(!rows.is_empty());
    for s in rows {
        assert_ne!(s.access_hash, token);
        assert!(!s.access_hash.contains(&token) && !s.refresh_hash.contains(&token));
        assert_eq!(s.access_hash, wecrm::crypto::token_digest(&token));
    }
}

#[tokio::test]
async fn anonymous_callers_get_unauthenticated_from_protected_fields() {
    let app = TestApp::spawn().await;
    let (code, msg, _) = app.anonymous().error("{employees{totalCount}}", json!({})).await;
    assert_eq!((code.as_str(), msg.as_str()), ("UNAUTHENTICATED", "请先登录"));
}

#[tokio::test]
async fn the_login_answer_resolves_the_employee_as_the_new_session() {
    let app = TestApp::spawn().await;
    let v = app
        .anonymous()
        .data(
            "mutation($c:String!,$a:String!,$p:String!){login(corpCode:$c,account:$a,password:$p){employee{name departments{name} roles{name isSuper}}}}",
            json!({"c": "acme", "a": "admin", "p": PASSWORD}),
        )
        .await;
    let e = &v["login"]["employee"];
    assert_eq!(e["departments"][0]["name"], "Acme");
    assert_eq!(e["roles"][0]["isSuper"], true);
}

/// The first error's `extensions`.
async fn error_extensions(client: &crate::support::Client, query: &str, variables: serde_json::Value) -> serde_json::Value {
    let v = client.gql(query, variables).await;
    assert!(!v["errors"][0].is_null(), "expected an error, got {v}");
    v["errors"][0]["extensions"].clone()
}

#[tokio::test]
async fn spelling_the_account_differently_buys_no_extra_guesses() {
    let app = TestApp::spawn_with(|c| c.login_max_failures = 3).await;
    let anon = app.anonymous();
    for _ in 0..3 {
        let (code, _, _) = anon.error(LOGIN, json!({"c": "acme", "a": "admin", "p": "wrong-password"})).await;
        assert_eq!(code, "UNAUTHENTICATED");
    }
    // Whitespace, case, full-width letters and a padded corp code all name the same employee.
    for (corp, account) in
        [("acme", " admin"), ("acme", "admin\t"), ("acme", "ADMIN"), ("acme", "ａｄｍｉｎ"), (" acme", "admin"), ("ACME ", "admin")]
    {
        let ext = error_extensions(&anon, LOGIN, json!({"c": corp, "a": account, "p": PASSWORD})).await;
        assert_eq!(ext["code"], "RATE_LIMITED", "{corp:?}/{account:?}");
        assert!(ext["retryAfter"].as_u64().is_some_and(|s| (1..=900).contains(&s)), "{ext}");
    }
}

#[tokio::test]
async fn concurrent_wrong_guesses_cannot_overtake_the_count() {
    let app = TestApp::spawn_with(|c| c.login_max_failures = 5).await;
    let anon = app.anonymous();
    let guesses = (0..40).map(|i| {
        let anon = anon.clone();
        async move { anon.error(LOGIN, json!({"c": "acme", "a": "admin", "p": format!("wrong-{i}")})).await.0 }
    });
    let codes = futures::future::join_all(guesses).await;
    let evaluated = codes.iter().filter(|c| *c == "UNAUTHENTICATED").count();
    assert_eq!(evaluated, 5, "{codes:?}");
    assert_eq!(codes.iter().filter(|c| *c == "RATE_LIMITED").count(), 35);
}

#[tokio::test]
async fn a_locked_account_still_logs_in_from_a_client_that_has_not_failed() {
    let app = TestApp::spawn_with(|c| {
        c.login_max_failures = 3;
        c.trusted_proxy_header = Some("x-forwarded-for".into());
    })
    .await;
    let attacker = app.anonymous().behind_proxy_as("203.0.113.7");
    for _ in 0..3 {
        attacker.error(LOGIN, json!({"c": "acme", "a": "admin", "p": "wrong-password"})).await;
    }
    let (code, _, _) = attacker.error(LOGIN, json!({"c": "acme", "a": "admin", "p": PASSWORD})).await;
    assert_eq!(code, "RATE_LIMITED");
    // The proxy appends the address it saw; what the client claimed before it is not trusted.
    let owner = app.anonymous().behind_proxy_as("203.0.113.7, 198.51.100.20");
    let v = owner.data(LOGIN, json!({"c": "acme", "a": "admin", "p": PASSWORD})).await;
    assert_eq!(v["login"]["message"], "登录成功");
}

#[tokio::test]
async fn guesses_spread_over_many_addresses_still_lock_the_account() {
    let app = TestApp::spawn_with(|c| {
        c.login_max_failures = 3;
        c.login_account_max_failures = 6;
        c.trusted_proxy_header = Some("x-forwarded-for".into());
    })
    .await;
    for i in 0..6 {
        let from = app.anonymous().behind_proxy_as(&format!("203.0.113.{i}"));
        let (code, _, _) = from.error(LOGIN, json!({"c": "acme", "a": "admin", "p": "wrong-password"})).await;
        assert_eq!(code, "UNAUTHENTICATED");
    }
    let fresh = app.anonymous().behind_proxy_as("198.51.100.1");
    let (code, _, _) = fresh.error(LOGIN, json!({"c": "acme", "a": "admin", "p": PASSWORD})).await;
    assert_eq!(code, "RATE_LIMITED");
}

#[tokio::test]
async fn changing_the_password_is_throttled_like_login() {
    let app = TestApp::spawn_with(|c| c.login_max_failures = 3).await;
    let admin = app.admin().await;
    const CHANGE: &str = "mutation($o:String!,$n:String!){changeMyPassword(oldPassword:$o,newPassword:$n)}";
    for _ in 0..3 {
        let (code, _, field) = admin.error(CHANGE, json!({"o": "wrong-password", "n": "another-horse-1"})).await;
        assert_eq!((code.as_str(), field.as_deref()), ("BAD_USER_INPUT", Some("oldPassword")));
    }
    let (code, _, _) = admin.error(CHANGE, json!({"o": PASSWORD, "n": "another-horse-1"})).await;
    assert_eq!(code, "RATE_LIMITED");
}
