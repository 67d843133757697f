use serde_json::json;

use crate::support::TestApp;

const FIELD: &str =
    "mutation($i:CreateCustomFieldInput!){createCustomField(input:$i){id name fieldType options{id label isDefault children{id label}}}}";
const CREATE_EMP: &str = "mutation($i:CreateEmployeeInput!){createEmployee(input:$i){id customFields{field{name} value}}}";

fn emp(app: &TestApp, userid: &str, values: serde_json::Value) -> serde_json::Value {
    json!({"i": {"userid": userid, "name": userid, "mobile": "13800000000", "departmentIds": [app.root_id()], "roleIds": [app.basic_role_id()], "customFields": values}})
}

#[tokio::test]
async fn values_are_validated_by_type_on_every_write() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let int = admin.data(FIELD, json!({"i": {"entity": "EMPLOYEE", "name": "工龄", "fieldType": "INTEGER"}})).await["createCustomField"]
        ["id"]
        .as_str()
        .unwrap()
        .to_string();
    let phone = admin.data(FIELD, json!({"i": {"entity": "EMPLOYEE", "name": "紧急电话", "fieldType": "PHONE"}})).await
        ["createCustomField"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (code, msg, field) = admin.error(CREATE_EMP, emp(&app, "a", json!([{"fieldId": int, "value": "ten"}]))).await;
    assert_eq!(code, "BAD_USER_INPUT");
    assert_eq!(msg, "工龄：请输入整数");
    assert_eq!(field.as_deref(), Some("customFields.0"));
    let (code, _, _) = admin.error(CREATE_EMP, emp(&app, "a", json!([{"fieldId": phone, "value": "not a phone"}]))).await;
    assert_eq!(code, "BAD_USER_INPUT");
    let v = admin
        .data(CREATE_EMP, emp(&app, "a", json!([{"fieldId": int, "value": 3}, {"fieldId": phone, "value": "+86 138-0000-0000"}])))
        .await;
    let values = v["createEmployee"]["customFields"].as_array().unwrap();
    assert_eq!(values.len(), 2);
    let id = v["createEmployee"]["id"].as_str().unwrap();
    let (code, _, _) = admin
        .error(
            "mutation($i:UpdateEmployeeInput!){updateEmployee(input:$i){id}}",
            json!({"i": {"id": id, "customFields": [{"fieldId": int, "value": 1.5}]}}),
        )
        .await;
    assert_eq!(code, "BAD_USER_INPUT");
}

#[tokio::test]
async fn required_fields_must_be_given_and_select_fields_take_their_default() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let level = admin
        .data(FIELD, json!({"i": {"entity": "EMPLOYEE", "name": "级别", "fieldType": "SELECT", "options": [{"label": "初级", "isDefault": true}, {"label": "高级"}]}}))
        .await["createCustomField"]
        .clone();
    let req = admin
        .data(FIELD, json!({"i": {"entity": "EMPLOYEE", "name": "工号", "fieldType": "SINGLE_LINE_TEXT", "required": true}}))
        .await["createCustomField"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (code, msg, _) = admin.error(CREATE_EMP, emp(&app, "b", json!([]))).await;
    assert_eq!((code.as_str(), msg.as_str()), ("BAD_USER_INPUT", "工号为必填项"));
    let v = admin.data(CREATE_EMP, emp(&app, "b", json!([{"fieldId": req, "value": "E001"}]))).await;
    let default_id = level["options"][0]["id"].as_str().unwrap();
    let values = v["createEmployee"]["customFields"].as_array().unwrap();
    assert!(values.iter().any(|x| x["field"]["name"] == "级别" && x["value"] == default_id));
}

#[tokio::test]
async fn choice_fields_need_options_with_at_most_one_default_and_cascade_values_follow_the_tree() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (code, msg, _) = admin.error(FIELD, json!({"i": {"entity": "EMPLOYEE", "name": "空", "fieldType": "MULTI_SELECT"}})).await;
    assert_eq!((code.as_str(), msg.as_str()), ("BAD_USER_INPUT", "请至少添加一个选项"));
    let (_, msg, _) = admin
        .error(FIELD, json!({"i": {"entity": "EMPLOYEE", "name": "双", "fieldType": "SELECT", "options": [{"label": "a", "isDefault": true}, {"label": "b", "isDefault": true}]}}))
        .await;
    assert_eq!(msg, "只能设置一个默认选项");
    let f = admin
        .data(FIELD, json!({"i": {"entity": "EMPLOYEE", "name": "地区", "fieldType": "CASCADE", "options": [{"label": "浙江", "children": [{"label": "杭州"}]}, {"label": "江苏"}]}}))
        .await["createCustomField"]
        .clone();
    let zj = f["options"][0]["id"].as_str().unwrap();
    let hz = f["options"][0]["children"][0]["id"].as_str().unwrap();
    let js = f["options"][1]["id"].as_str().unwrap();
    let fid = f["id"].as_str().unwrap();
    admin.data(CREATE_EMP, emp(&app, "c", json!([{"fieldId": fid, "value": [zj, hz]}]))).await;
    let (code, _, _) = admin.error(CREATE_EMP, emp(&app, "d", json!([{"fieldId": fid, "value": [js, hz]}]))).await;
    assert_eq!(code, "BAD_USER_INPUT");
}

#[tokio::test]
async fn a_disabled_field_disappears_from_lists_and_values() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let fid = admin.data(FIELD, json!({"i": {"entity": "EMPLOYEE", "name": "爱好", "fieldType": "MULTI_LINE_TEXT"}})).await
        ["createCustomField"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let id = admin.data(CREATE_EMP, emp(&app, "e", json!([{"fieldId": fid, "value": "跑步\n读书"}]))).await["createEmployee"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    admin.data("mutation($id:ID!){updateCustomField(input:{id:$id,enabled:false}){enabled}}", json!({"id": fid})).await;
    let v =
        admin.data("query($id:ID!){employee(id:$id){customFields{value}} customFields(entity:EMPLOYEE){name}}", json!({"id": id})).await;
    assert_eq!(v["employee"]["customFields"], json!([]));
    assert_eq!(v["customFields"], json!([]));
    let all = admin.data("{customFields(entity:EMPLOYEE,includeDisabled:true){name enabled}}", json!({})).await;
    assert_eq!(all["customFields"], json!([{"name": "爱好", "enabled": false}]));
    // Writing to a disabled field is refused.
    let (code, _, _) = admin.error(CREATE_EMP, emp(&app, "f", json!([{"fieldId": fid, "value": "x"}]))).await;
    assert_eq!(code, "BAD_USER_INPUT");
}

#[tokio::test]
async fn employees_filter_by_custom_field_conditions() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let age = admin.data(FIELD, json!({"i": {"entity": "EMPLOYEE", "name": "年龄", "fieldType": "INTEGER"}})).await["createCustomField"]
        ["id"]
        .as_str()
        .unwrap()
        .to_string();
    let skills = admin
        .data(FIELD, json!({"i": {"entity": "EMPLOYEE", "name": "技能", "fieldType": "MULTI_SELECT", "options": [{"label": "销售"}, {"label": "客服"}]}}))
        .await["createCustomField"]
        .clone();
    let (sell, serve) = (skills["options"][0]["id"].as_str().unwrap(), skills["options"][1]["id"].as_str().unwrap());
    let sid = skills["id"].as_str().unwrap();
    admin.data(CREATE_EMP, emp(&app, "young", json!([{"fieldId": age, "value": 22}, {"fieldId": sid, "value": [sell]}]))).await;
    admin.data(CREATE_EMP, emp(&app, "old", json!([{"fieldId": age, "value": 45}, {"fieldId": sid, "value": [sell, serve]}]))).await;
    admin.data(CREATE_EMP, emp(&app, "none", json!([]))).await;
    let q = "query($c:[FieldCondition!]!){employees(filter:{conditions:$c}){edges{node{name}}}}";
    let run = |c: serde_json::Value| {
        let admin = admin.clone();
        async move { crate::support::names(&admin.data(q, json!({"c": c})).await["employees"]) }
    };
    assert_eq!(run(json!([{"customFieldId": age, "op": "GT", "value": 30}])).await, ["old"]);
    assert_eq!(run(json!([{"customFieldId": sid, "op": "CONTAINS", "value": serve}])).await, ["old"]);
    assert_eq!(
        run(json!([{"customFieldId": sid, "op": "CONTAINS", "value": sell}, {"customFieldId": age, "op": "LT", "value": 30}])).await,
        ["young"]
    );
    assert_eq!(
        run(json!([{"customFieldId": age, "op": "IS_EMPTY"}, {"systemField": "USERID", "op": "NE", "value": "admin"}])).await,
        ["none"]
    );
    assert_eq!(run(json!([{"systemField": "NAME", "op": "CONTAINS", "value": "oun"}])).await, ["young"]);
    let (code, _, field) = admin.error(q, json!({"c": [{"systemField": "SALARY", "op": "EQ", "value": 1}]})).await;
    assert_eq!((code.as_str(), field.as_deref()), ("BAD_USER_INPUT", Some("filter.conditions.0")));
}
