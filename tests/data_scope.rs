//! ORG-9: which employees a caller sees, by the data scope of their roles.

use serde_json::json;

use crate::support::{names, Client, TestApp, PASSWORD};

struct Org {
    app: TestApp,
    admin: Client,
    sales: String,
    east: String,
    service: String,
}

/// Root ─ Sales (s-boss) ─ East (e-rep) ; Root ─ Service (c-rep)
async fn org() -> Org {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let sales = app.department(&admin, "Sales", &app.root_id()).await;
    let east = app.department(&admin, "East", &sales).await;
    let service = app.department(&admin, "Service", &app.root_id()).await;
    app.employee(&admin, "s-boss", &[sales.clone()], &[app.basic_role_id()]).await;
    app.employee(&admin, "e-rep", &[east.clone()], &[app.basic_role_id()]).await;
    app.employee(&admin, "c-rep", &[service.clone()], &[app.basic_role_id()]).await;
    Org { app, admin, sales, east, service }
}

async fn seen_by(o: &Org, scope: &str, departments: &[String], home: &str) -> Vec<String> {
    let role = o.app.role(&o.admin, &format!("{scope}-{home}"), &["org", "org.employee.view"], scope, departments).await;
    let user = format!("probe-{}", scope.to_lowercase());
    o.app.employee(&o.admin, &user, &[home.to_string()], &[role]).await;
    let c = o.app.login_as("acme", &user, PASSWORD).await;
    let v = c.data("{employees(first:100){edges{node{name}}}}", json!({})).await;
    names(&v["employees"])
}

#[tokio::test]
async fn self_sees_only_itself() {
    let o = org().await;
    assert_eq!(seen_by(&o, "SELF", &[], &o.sales.clone()).await, ["probe-self"]);
}

#[tokio::test]
async fn department_sees_its_own_departments_but_not_below() {
    let o = org().await;
    assert_eq!(seen_by(&o, "DEPARTMENT", &[], &o.sales.clone()).await, ["probe-department", "s-boss"]);
}

#[tokio::test]
async fn department_and_below_sees_the_whole_subtree() {
    let o = org().await;
    assert_eq!(seen_by(&o, "DEPARTMENT_AND_BELOW", &[], &o.sales.clone()).await, ["e-rep", "probe-department_and_below", "s-boss"]);
}

#[tokio::test]
async fn custom_sees_exactly_the_chosen_departments() {
    let o = org().await;
    let seen = seen_by(&o, "CUSTOM", &[o.east.clone(), o.service.clone()], &o.sales.clone()).await;
    assert_eq!(seen, ["c-rep", "e-rep", "probe-custom"]);
}

#[tokio::test]
async fn all_sees_everyone() {
    let o = org().await;
    let seen = seen_by(&o, "ALL", &[], &o.east.clone()).await;
    assert_eq!(seen, ["Admin", "c-rep", "e-rep", "probe-all", "s-boss"]);
}

#[tokio::test]
async fn an_employee_outside_the_scope_is_not_found_by_id_nor_editable() {
    let o = org().await;
    let role =
        o.app.role(&o.admin, "SelfEditor", &["org", "org.employee.view", "org.employee.manage", "org.employee.system"], "SELF", &[]).await;
    o.app.employee(&o.admin, "editor", &[o.sales.clone()], &[role]).await;
    let editor = o.app.login_as("acme", "editor", PASSWORD).await;
    let v = o.admin.data("{employees(filter:{keyword:\"c-rep\"}){edges{node{id}}}}", json!({})).await;
    let target = v["employees"]["edges"][0]["node"]["id"].as_str().unwrap().to_string();
    assert_eq!(editor.error("query($id:ID!){employee(id:$id){name}}", json!({"id": target})).await.0, "NOT_FOUND");
    assert_eq!(
        editor.error("mutation($id:ID!){updateEmployee(input:{id:$id,name:\"x\"}){id}}", json!({"id": target})).await.0,
        "NOT_FOUND"
    );
    assert_eq!(
        editor.error("mutation($id:ID!){setEmployeeSystemAccess(id:$id,enabled:false){id}}", json!({"id": target})).await.0,
        "NOT_FOUND"
    );
}

#[tokio::test]
async fn several_roles_take_the_widest_scope() {
    let o = org().await;
    let narrow = o.app.role(&o.admin, "Narrow", &["org", "org.employee.view"], "SELF", &[]).await;
    let wide = o.app.role(&o.admin, "Wide", &[], "DEPARTMENT_AND_BELOW", &[]).await;
    o.app.employee(&o.admin, "mixed", &[o.sales.clone()], &[narrow, wide]).await;
    let c = o.app.login_as("acme", "mixed", PASSWORD).await;
    let v = c.data("{employees{edges{node{name}}}}", json!({})).await;
    assert_eq!(names(&v["employees"]), ["e-rep", "mixed", "s-boss"]);
}
