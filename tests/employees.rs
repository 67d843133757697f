use serde_json::json;

use crate::support::{TestApp, PASSWORD};

const CREATE: &str =
    "mutation($i:CreateEmployeeInput!){createEmployee(input:$i){id userid name mobile systemEnabled departments{name} roles{name}}}";

#[tokio::test]
async fn creating_an_employee_needs_name_account_mobile_department_and_role() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let ok = json!({"userid": "zhang", "name": "张三", "mobile": "13800000009", "departmentIds": [app.root_id()], "roleIds": [app.basic_role_id()]});
    for (field, value, expected) in [
        ("name", json!(""), "name"),
        ("userid", json!("bad id!"), "userid"),
        ("mobile", json!("12"), "mobile"),
        ("departmentIds", json!([]), "departmentIds"),
        ("roleIds", json!([]), "roleIds"),
    ] {
        let mut input = ok.clone();
        input[field] = value;
        let (code, _, f) = admin.error(CREATE, json!({"i": input})).await;
        assert_eq!(code, "BAD_USER_INPUT", "{field}");
        assert_eq!(f.as_deref(), Some(expected));
    }
    let v = admin.data(CREATE, json!({"i": ok})).await;
    let e = &v["createEmployee"];
    assert_eq!(e["mobile"], "+86 13800000009");
    assert_eq!(e["systemEnabled"], false, "new employees start closed");
    assert_eq!(e["roles"][0]["name"], "基础角色");
    let (code, msg, _) = admin.error(CREATE, json!({"i": ok})).await;
    assert_eq!((code.as_str(), msg.as_str()), ("CONFLICT", "账号已存在"));
}

#[tokio::test]
async fn the_userid_cannot_be_changed_but_other_fields_can() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let id = app.employee(&admin, "li", &[app.root_id()], &[app.basic_role_id()]).await;
    let v = admin
        .data(
            "mutation($i:UpdateEmployeeInput!){updateEmployee(input:$i){userid name position email}}",
            json!({"i": {"id": id, "name": "李四", "position": "销售", "email": "li@example.com"}}),
        )
        .await;
    assert_eq!(v["updateEmployee"]["userid"], "li");
    assert_eq!(v["updateEmployee"]["name"], "李四");
    let v =
        admin.gql("mutation($i:UpdateEmployeeInput!){updateEmployee(input:$i){userid}}", json!({"i": {"id": id, "userid": "other"}})).await;
    assert_eq!(v["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    let v = admin
        .data("mutation($i:UpdateEmployeeInput!){updateEmployee(input:$i){position}}", json!({"i": {"id": id, "position": null}}))
        .await;
    assert!(v["updateEmployee"]["position"].is_null());
}

#[tokio::test]
async fn employees_are_found_by_a_fragment_of_name_or_mobile() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    for (u, n, m) in [("a", "王小明", "13811112222"), ("b", "王大明", "13833334444"), ("c", "李红", "13855556666")] {
        admin
            .data(
                CREATE,
                json!({"i": {"userid": u, "name": n, "mobile": m, "departmentIds": [app.root_id()], "roleIds": [app.basic_role_id()]}}),
            )
            .await;
    }
    let q = "query($k:String){employees(filter:{keyword:$k}){totalCount edges{node{name}}}}";
    assert_eq!(crate::support::names(&admin.data(q, json!({"k": "王"})).await["employees"]), ["王大明", "王小明"]);
    assert_eq!(crate::support::names(&admin.data(q, json!({"k": "5555"})).await["employees"]), ["李红"]);
}

#[tokio::test]
async fn enabling_system_access_beyond_the_seat_quota_is_refused() {
    let app = TestApp::spawn().await;
    let p = app.provision("tiny", 2).await;
    let admin = app.login_as("tiny", "admin", PASSWORD).await;
    let root = p.root_department.id.to_string();
    let basic = p.basic_role.id.to_string();
    let mk = |u: &str| json!({"i": {"userid": u, "name": u, "mobile": "13800000000", "departmentIds": [root], "roleIds": [basic]}});
    let a = admin.data(CREATE, mk("a")).await["createEmployee"]["id"].as_str().unwrap().to_string();
    let b = admin.data(CREATE, mk("b")).await["createEmployee"]["id"].as_str().unwrap().to_string();
    let set = "mutation($id:ID!,$e:Boolean!){setEmployeeSystemAccess(id:$id,enabled:$e){systemEnabled}}";
    // The super admin holds one of the two seats.
    admin.data(set, json!({"id": a, "e": true})).await;
    let (code, msg, _) = admin.error(set, json!({"id": b, "e": true})).await;
    assert_eq!((code.as_str(), msg.as_str()), ("CONFLICT", "可使用数量已用完，请联系商务"));
    admin.data(set, json!({"id": a, "e": false})).await;
    admin.data(set, json!({"id": b, "e": true})).await;
}

#[tokio::test]
async fn the_super_admin_cannot_be_deleted_or_closed() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let me = admin.data("{me{id}}", json!({})).await["me"]["id"].as_str().unwrap().to_string();
    let (code, _, _) = admin.error("mutation($id:ID!){deleteEmployee(id:$id){id}}", json!({"id": me})).await;
    assert_eq!(code, "CONFLICT");
    let (code, _, _) = admin.error("mutation($id:ID!){setEmployeeSystemAccess(id:$id,enabled:false){id}}", json!({"id": me})).await;
    assert_eq!(code, "CONFLICT");
}

#[tokio::test]
async fn deleting_an_employee_removes_them_and_their_memberships() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let d = app.department(&admin, "Temp", &app.root_id()).await;
    let id = app.employee(&admin, "gone", &[d.clone()], &[app.basic_role_id()]).await;
    admin.data("mutation($id:ID!){deleteEmployee(id:$id){id}}", json!({"id": id})).await;
    assert_eq!(admin.error("query($id:ID!){employee(id:$id){id}}", json!({"id": id})).await.0, "NOT_FOUND");
    // Its department is empty now, so it can go.
    admin.data("mutation($id:ID!){deleteDepartment(id:$id){id}}", json!({"id": d})).await;
}

#[tokio::test]
async fn a_bulk_operation_adds_roles_without_replacing_and_enables_within_the_quota() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let sales = app.department(&admin, "Sales", &app.root_id()).await;
    let other = app.department(&admin, "Other", &app.root_id()).await;
    let extra = app.role(&admin, "Extra", &["org.employee.view"], "SELF", &[]).await;
    for u in ["s1", "s2"] {
        admin
            .data(
                CREATE,
                json!({"i": {"userid": u, "name": u, "mobile": "13800000000", "departmentIds": [sales], "roleIds": [app.basic_role_id()]}}),
            )
            .await;
    }
    admin.data(CREATE, json!({"i": {"userid": "o1", "name": "o1", "mobile": "13800000000", "departmentIds": [other], "roleIds": [app.basic_role_id()]}})).await;
    let run = "mutation($i:EmployeeBatchInput!){runEmployeeBatchOperation(input:$i){id status}}";
    let job = admin.data(run, json!({"i": {"filter": {"departmentIds": [sales]}, "operation": "ADD_ROLES", "roleIds": [extra]}})).await;
    let done = app.wait_job(&admin, job["runEmployeeBatchOperation"]["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "SUCCEEDED");
    assert_eq!(done["result"], json!({"matched": 2, "changed": 2}));
    assert_eq!(done["progress"], 100);
    let v = admin.data("query($d:ID!){employees(filter:{departmentIds:[$d]}){edges{node{roles{name}}}}}", json!({"d": sales})).await;
    for e in v["employees"]["edges"].as_array().unwrap() {
        let mut r: Vec<&str> = e["node"]["roles"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
        r.sort();
        assert_eq!(r, ["Extra", "基础角色"]);
    }
    let job = admin.data(run, json!({"i": {"filter": {"departmentIds": [sales]}, "operation": "ENABLE_SYSTEM"}})).await;
    let done = app.wait_job(&admin, job["runEmployeeBatchOperation"]["id"].as_str().unwrap()).await;
    assert_eq!(done["result"], json!({"matched": 2, "changed": 2}));
    let v = admin.data("{employees(filter:{systemEnabled:true}){totalCount}}", json!({})).await;
    assert_eq!(v["employees"]["totalCount"], 3);
}

#[tokio::test]
async fn a_bulk_enable_that_exceeds_the_seats_fails_whole_with_the_quota_message() {
    let app = TestApp::spawn().await;
    let p = app.provision("small", 2).await;
    let admin = app.login_as("small", "admin", PASSWORD).await;
    for u in ["x1", "x2"] {
        admin.data(CREATE, json!({"i": {"userid": u, "name": u, "mobile": "13800000000", "departmentIds": [p.root_department.id.to_string()], "roleIds": [p.basic_role.id.to_string()]}})).await;
    }
    let job = admin
        .data(
            "mutation($i:EmployeeBatchInput!){runEmployeeBatchOperation(input:$i){id}}",
            json!({"i": {"filter": {"systemEnabled": false}, "operation": "ENABLE_SYSTEM"}}),
        )
        .await;
    let done = app.wait_job(&admin, job["runEmployeeBatchOperation"]["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "FAILED");
    assert_eq!(done["error"], json!({"code": "CONFLICT", "message": "可使用数量已用完，请联系商务"}));
    let v = admin.data("{employees(filter:{systemEnabled:true}){totalCount}}", json!({})).await;
    assert_eq!(v["employees"]["totalCount"], 1, "nothing was half-enabled");
}
