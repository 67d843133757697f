use serde_json::json;

use crate::support::{names, TestApp};

#[tokio::test]
async fn a_tag_holds_employees_and_whole_departments_and_members_can_be_removed() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let sales = app.department(&admin, "Sales", &app.root_id()).await;
    let alone = app.employee(&admin, "alone", &[app.root_id()], &[app.basic_role_id()]).await;
    app.employee(&admin, "seller", &[sales.clone()], &[app.basic_role_id()]).await;
    let v = admin
        .data(
            "mutation($e:ID!,$d:ID!){createEmployeeTag(input:{name:\"VIP\",employeeIds:[$e],departmentIds:[$d]}){id memberCount members{employee{name} department{name}}}}",
            json!({"e": alone, "d": sales}),
        )
        .await;
    let tag = v["createEmployeeTag"]["id"].as_str().unwrap().to_string();
    assert_eq!(v["createEmployeeTag"]["memberCount"], 2);
    // Filtering by the tag finds direct members and members of tagged departments.
    let q = "query($t:ID!){employees(filter:{tagIds:[$t]}){edges{node{name}}}}";
    assert_eq!(names(&admin.data(q, json!({"t": tag})).await["employees"]), ["alone", "seller"]);
    let v = admin
        .data("mutation($t:ID!,$e:ID!){removeEmployeeTagMember(tagId:$t,employeeId:$e){memberCount}}", json!({"t": tag, "e": alone}))
        .await;
    assert_eq!(v["removeEmployeeTagMember"]["memberCount"], 1);
    assert_eq!(names(&admin.data(q, json!({"t": tag})).await["employees"]), ["seller"]);
    let (code, _, _) =
        admin.error("mutation($t:ID!,$e:ID!){removeEmployeeTagMember(tagId:$t,employeeId:$e){id}}", json!({"t": tag, "e": alone})).await;
    assert_eq!(code, "NOT_FOUND");
}

#[tokio::test]
async fn tags_are_searchable_renamable_unique_and_deletable() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mk = "mutation($n:String!){createEmployeeTag(input:{name:$n}){id}}";
    let a = admin.data(mk, json!({"n": "华东骨干"})).await["createEmployeeTag"]["id"].as_str().unwrap().to_string();
    admin.data(mk, json!({"n": "新人"})).await;
    assert_eq!(admin.error(mk, json!({"n": "新人"})).await.0, "CONFLICT");
    let v = admin.data("{employeeTags(keyword:\"骨干\"){totalCount edges{node{name}}}}", json!({})).await;
    assert_eq!(names(&v["employeeTags"]), ["华东骨干"]);
    admin.data("mutation($id:ID!){renameEmployeeTag(id:$id,name:\"华东核心\"){name}}", json!({"id": a})).await;
    admin.data("mutation($id:ID!){deleteEmployeeTag(id:$id){id}}", json!({"id": a})).await;
    assert_eq!(admin.data("{employeeTags{totalCount}}", json!({})).await["employeeTags"]["totalCount"], 1);
}
