use serde_json::json;

use crate::support::TestApp;

const CREATE: &str = "mutation($n:String!,$p:ID!){createDepartment(input:{name:$n,parentId:$p}){id name sort}}";

#[tokio::test]
async fn department_names_must_be_1_to_32_characters_without_forbidden_characters() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    for bad in ["", "   ", &"长".repeat(33), "a:b", "a\\b", "a\"b", "a<b", "a>b", "a|b"] {
        let (code, msg, field) = admin.error(CREATE, json!({"n": bad, "p": app.root_id()})).await;
        assert_eq!(code, "BAD_USER_INPUT", "{bad:?}");
        assert_eq!(msg, "部门名称为1-32个字符，且不能包含\\:\"<>|");
        assert_eq!(field.as_deref(), Some("name"));
    }
    admin.data(CREATE, json!({"n": "长".repeat(32), "p": app.root_id()})).await;
}

#[tokio::test]
async fn a_department_with_members_or_children_cannot_be_deleted() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let parent = app.department(&admin, "Sales", &app.root_id()).await;
    let child = app.department(&admin, "East", &parent).await;
    let del = "mutation($id:ID!){deleteDepartment(id:$id){id}}";
    let (code, msg, _) = admin.error(del, json!({"id": parent})).await;
    assert_eq!((code.as_str(), msg.as_str()), ("CONFLICT", "该部门下还有数据存在，请先清除数据再删除"));
    app.employee(&admin, "member", &[child.clone()], &[app.basic_role_id()]).await;
    let (_, msg, _) = admin.error(del, json!({"id": child})).await;
    assert_eq!(msg, "该部门下还有数据存在，请先清除数据再删除");
    let empty = app.department(&admin, "Empty", &app.root_id()).await;
    admin.data(del, json!({"id": empty})).await;
    let (code, _, _) = admin.error("query($id:ID!){department(id:$id){name}}", json!({"id": empty})).await;
    assert_eq!(code, "NOT_FOUND");
}

#[tokio::test]
async fn moving_a_department_reorders_its_siblings_and_never_under_itself() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let a = app.department(&admin, "A", &app.root_id()).await;
    let b = app.department(&admin, "B", &app.root_id()).await;
    let c = app.department(&admin, "C", &app.root_id()).await;
    let mv = "mutation($i:MoveDepartmentInput!){moveDepartment(input:$i){id parentId sort}}";
    admin.data(mv, json!({"i": {"id": c, "position": 0}})).await;
    let tree = admin.data("{departmentTree{children{name sort}}}", json!({})).await;
    let order: Vec<&str> = tree["departmentTree"][0]["children"].as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap()).collect();
    assert_eq!(order, ["C", "A", "B"]);
    let child = app.department(&admin, "A1", &a).await;
    let (code, msg, _) = admin.error(mv, json!({"i": {"id": a, "parentId": child, "position": 0}})).await;
    assert_eq!((code.as_str(), msg.as_str()), ("BAD_USER_INPUT", "不能移动到自身或其下级部门"));
    let moved = admin.data(mv, json!({"i": {"id": b, "parentId": a, "position": 5}})).await;
    assert_eq!(moved["moveDepartment"]["parentId"], a.as_str());
}

#[tokio::test]
async fn departments_are_searchable_by_a_fragment_of_the_name() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    app.department(&admin, "华东销售部", &app.root_id()).await;
    app.department(&admin, "华南销售部", &app.root_id()).await;
    app.department(&admin, "客服部", &app.root_id()).await;
    let v = admin.data("{departments(filter:{keyword:\"销售\"}){totalCount edges{node{name}}}}", json!({})).await;
    assert_eq!(v["departments"]["totalCount"], 2);
    assert_eq!(crate::support::names(&v["departments"]), ["华东销售部", "华南销售部"]);
}

#[tokio::test]
async fn renaming_validates_like_creating() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let d = app.department(&admin, "Old", &app.root_id()).await;
    let v = admin.data("mutation($id:ID!){renameDepartment(id:$id,name:\"New\"){name}}", json!({"id": d})).await;
    assert_eq!(v["renameDepartment"]["name"], "New");
    let (code, _, _) = admin.error("mutation($id:ID!){renameDepartment(id:$id,name:\"a|b\"){name}}", json!({"id": d})).await;
    assert_eq!(code, "BAD_USER_INPUT");
}
