use serde_json::json;

use crate::support::{TestApp, PASSWORD};

#[tokio::test]
async fn role_names_are_required_and_at_most_30_characters() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let q = "mutation($n:String!){createRole(input:{name:$n,dataScope:SELF}){id}}";
    for bad in ["".to_string(), "角".repeat(31)] {
        let (code, msg, field) = admin.error(q, json!({"n": bad})).await;
        assert_eq!((code.as_str(), msg.as_str()), ("BAD_USER_INPUT", "角色名称不能为空，且不超过30个字"));
        assert_eq!(field.as_deref(), Some("name"));
    }
    admin.data(q, json!({"n": "角".repeat(30)})).await;
}

#[tokio::test]
async fn the_super_admin_role_is_listed_only_to_the_super_admin_and_is_immutable() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let list = "{roles{totalCount edges{node{id name isSuper employeeCount creatorName}}}}";
    let v = admin.data(list, json!({})).await;
    let edges = v["roles"]["edges"].as_array().unwrap();
    let sup = edges.iter().find(|e| e["node"]["isSuper"] == true).expect("super admin sees the super role");
    assert_eq!(sup["node"]["employeeCount"], 1);
    let super_id = sup["node"]["id"].as_str().unwrap();
    let (code, msg, _) = admin.error("mutation($id:ID!){updateRole(input:{id:$id,name:\"x\"}){id}}", json!({"id": super_id})).await;
    assert_eq!((code.as_str(), msg.as_str()), ("CONFLICT", "超级管理员角色不可编辑或删除"));
    assert_eq!(admin.error("mutation($id:ID!){deleteRole(id:$id){id}}", json!({"id": super_id})).await.0, "CONFLICT");

    let viewer = app.role(&admin, "Viewer", &["org", "org.role.view"], "ALL", &[]).await;
    app.employee(&admin, "viewer", &[app.root_id()], &[viewer]).await;
    let other = app.login_as("acme", "viewer", PASSWORD).await;
    let v = other.data(list, json!({})).await;
    assert!(v["roles"]["edges"].as_array().unwrap().iter().all(|e| e["node"]["isSuper"] == false));
    let mine = v["roles"]["edges"].as_array().unwrap().iter().find(|e| e["node"]["name"] == "Viewer").unwrap().clone();
    assert_eq!(mine["node"]["creatorName"], "管理员", "objects the super admin created show 管理员");
    assert_eq!(other.error("query($id:ID!){role(id:$id){id}}", json!({"id": super_id})).await.0, "NOT_FOUND");
}

#[tokio::test]
async fn a_missing_permission_is_forbidden_with_the_spec_message() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    app.employee(&admin, "basic", &[app.root_id()], &[app.basic_role_id()]).await;
    let basic = app.login_as("acme", "basic", PASSWORD).await;
    let (code, msg, _) =
        basic.error("mutation($p:ID!){createDepartment(input:{name:\"X\",parentId:$p}){id}}", json!({"p": app.root_id()})).await;
    assert_eq!((code.as_str(), msg.as_str()), ("FORBIDDEN", "您无此操作权限，请联系管理员"));
    assert_eq!(basic.error("{roles{totalCount}}", json!({})).await.0, "FORBIDDEN");
    // The basic role may look at the organisation.
    basic.data("{departmentTree{name}}", json!({})).await;
}

#[tokio::test]
async fn several_roles_unite_their_permissions() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let a = app.role(&admin, "TagsOnly", &["org.employee_tag.view"], "SELF", &[]).await;
    let b = app.role(&admin, "RolesOnly", &["org.role.view"], "SELF", &[]).await;
    app.employee(&admin, "both", &[app.root_id()], &[a, b]).await;
    let both = app.login_as("acme", "both", PASSWORD).await;
    both.data("{roles{totalCount} employeeTags{totalCount}}", json!({})).await;
    let perms = both.data("{myPermissions}", json!({})).await;
    let p: Vec<&str> = perms["myPermissions"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert!(p.contains(&"org.role.view") && p.contains(&"org.employee_tag.view"));
}

#[tokio::test]
async fn the_permission_catalogue_lists_modules_pages_and_actions() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let v = admin.data("{permissionCatalogue{code name children{code name children{code}}}}", json!({})).await;
    let org = v["permissionCatalogue"].as_array().unwrap().iter().find(|n| n["code"] == "org").unwrap().clone();
    assert_eq!(org["name"], "组织架构");
    let emp = org["children"].as_array().unwrap().iter().find(|n| n["code"] == "org.employee.view").unwrap().clone();
    assert!(emp["children"].as_array().unwrap().iter().any(|n| n["code"] == "org.employee.manage"));
    let (code, _, field) =
        admin.error("mutation{createRole(input:{name:\"Bad\",dataScope:SELF,permissions:[\"no.such\"]}){id}}", json!({})).await;
    assert_eq!((code.as_str(), field.as_deref()), ("BAD_USER_INPUT", Some("permissions")));
}

#[tokio::test]
async fn a_role_held_by_employees_cannot_be_deleted_and_a_custom_scope_needs_departments() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let r = app.role(&admin, "Held", &[], "SELF", &[]).await;
    app.employee(&admin, "holder", &[app.root_id()], &[r.clone()]).await;
    let (code, msg, _) = admin.error("mutation($id:ID!){deleteRole(id:$id){id}}", json!({"id": r})).await;
    assert_eq!((code.as_str(), msg.as_str()), ("CONFLICT", "该角色下还有员工，请先移除员工再删除"));
    let (code, _, field) = admin.error("mutation{createRole(input:{name:\"C\",dataScope:CUSTOM}){id}}", json!({})).await;
    assert_eq!((code.as_str(), field.as_deref()), ("BAD_USER_INPUT", Some("departmentIds")));
    let free = app.role(&admin, "Free", &[], "SELF", &[]).await;
    admin.data("mutation($id:ID!){deleteRole(id:$id){id}}", json!({"id": free})).await;
}
