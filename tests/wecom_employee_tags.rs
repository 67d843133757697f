//! Employee tags and WeCom's address-book tags, both ways (ORG-10): tags
//! made in WeCom arrive with their members and departments, tags made here
//! go to WeCom with the secret that will be allowed to change them, and a
//! tag WeCom would not let this server change is refused here first.

use serde_json::{json, Value};

use crate::{
    wecom::{sync, world_configured, World, WECOM_CORP},
    wecom_events::deliver,
};

const TAGS: &str = "{employeeTags(first:50){edges{node{id name wecomId syncedFromWecom members{employee{userid} department{name}}}}}}";

async fn tags(w: &World) -> Vec<Value> {
    w.admin.data(TAGS, json!({})).await["employeeTags"]["edges"].as_array().unwrap().iter().map(|e| e["node"].clone()).collect()
}

async fn tag(w: &World, name: &str) -> Option<Value> {
    tags(w).await.into_iter().find(|t| t["name"] == name)
}

fn userids(t: &Value) -> Vec<String> {
    let mut v: Vec<String> =
        t["members"].as_array().unwrap().iter().filter_map(|m| m["employee"]["userid"].as_str().map(str::to_string)).collect();
    v.sort();
    v
}

async fn employee_id(w: &World, userid: &str) -> String {
    let q = "query($u:String!){employees(filter:{conditions:[{systemField:\"USERID\",op:EQ,value:$u}]}){edges{node{id}}}}";
    w.admin.data(q, json!({"u": userid})).await["employees"]["edges"][0]["node"]["id"].as_str().unwrap().to_string()
}

fn sandbox_tag(w: &World, id: i64) -> Option<(String, String, Vec<String>)> {
    w.sandbox
        .with_corp(WECOM_CORP, |c| c.address_tags.get(&id).map(|t| (t.name.clone(), t.owner.clone(), t.users.iter().cloned().collect())))
        .unwrap()
}

async fn reason(w: &World, query: &str, vars: Value) -> (String, String) {
    let v = w.admin.gql(query, vars).await;
    let e = &v["errors"][0]["extensions"];
    (e["code"].as_str().unwrap_or_default().to_string(), e["reason"].as_str().unwrap_or_default().to_string())
}

#[tokio::test]
async fn address_book_tags_sync_both_ways() {
    let w = world_configured(2, 6, 0, |_| {}).await;
    let console = w.sandbox.with_corp(WECOM_CORP, |c| c.console_address_tag("销售精英", &["user00001", "user00002"], &[2])).unwrap();
    let done = sync(&w).await;
    assert_eq!(done["result"]["employeeTagsSynced"], 1, "{done}");

    // Made in the console: arrives with its members and its department.
    let t = tag(&w, "销售精英").await.expect("synced");
    assert_eq!((t["wecomId"].as_i64(), t["syncedFromWecom"].as_bool()), (Some(console), Some(true)));
    assert_eq!(userids(&t), ["user00001", "user00002"]);
    assert!(t["members"].as_array().unwrap().iter().any(|m| !m["department"].is_null()), "{t}");

    // Made here: WeCom first, with the contacts secret (it may also manage console tags).
    let u3 = employee_id(&w, "user00003").await;
    let made = w
        .admin
        .data(
            "mutation($e:[ID!]!){createEmployeeTag(input:{name:\"重点跟进\",employeeIds:$e}){id wecomId syncedFromWecom}}",
            json!({"e": [u3]}),
        )
        .await;
    let (id, wecom_id) =
        (made["createEmployeeTag"]["id"].as_str().unwrap().to_string(), made["createEmployeeTag"]["wecomId"].as_i64().unwrap());
    assert_eq!(made["createEmployeeTag"]["syncedFromWecom"], false);
    assert_eq!(sandbox_tag(&w, wecom_id), Some(("重点跟进".into(), "contacts".into(), vec!["user00003".into()])));
    w.admin.data("mutation($id:ID!){renameEmployeeTag(id:$id,name:\"重点客户跟进\"){id}}", json!({"id": id})).await;
    let u4 = employee_id(&w, "user00004").await;
    w.admin.data("mutation($id:ID!,$e:[ID!]!){addEmployeeTagMembers(tagId:$id,employeeIds:$e){id}}", json!({"id": id, "e": [u4]})).await;
    w.admin.data("mutation($id:ID!,$e:ID!){removeEmployeeTagMember(tagId:$id,employeeId:$e){id}}", json!({"id": id, "e": u3})).await;
    assert_eq!(sandbox_tag(&w, wecom_id), Some(("重点客户跟进".into(), "contacts".into(), vec!["user00004".into()])));
    assert_eq!(userids(&tag(&w, "重点客户跟进").await.unwrap()), ["user00004"]);

    // A member change in WeCom (`update_tag`) lands; the console tag can be renamed with the contacts secret.
    deliver(&w, json!({"type": "update_address_tag", "tag_id": console, "add_users": ["user00005"], "del_users": ["user00001"]})).await;
    assert_eq!(userids(&tag(&w, "销售精英").await.unwrap()), ["user00002", "user00005"]);
    let console_local = tag(&w, "销售精英").await.unwrap()["id"].as_str().unwrap().to_string();
    w.admin.data("mutation($id:ID!){renameEmployeeTag(id:$id,name:\"销冠\"){id}}", json!({"id": console_local})).await;
    assert_eq!(sandbox_tag(&w, console).unwrap().0, "销冠");

    // Deleted here: gone in WeCom. Deleted in WeCom: gone here at the next sync.
    w.admin.data("mutation($id:ID!){deleteEmployeeTag(id:$id){id}}", json!({"id": id})).await;
    assert_eq!(sandbox_tag(&w, wecom_id), None);
    w.sandbox.with_corp(WECOM_CORP, |c| c.address_tags.remove(&console));
    sync(&w).await;
    assert!(tags(&w).await.is_empty(), "{:?}", tags(&w).await);
}

#[tokio::test]
async fn without_the_contacts_secret_a_console_tag_is_refused_here_and_new_tags_belong_to_the_app() {
    let w = world_configured(2, 6, 0, |_| {}).await;
    w.admin
        .data(
            "mutation($i:BindWecomInput!){bindWecom(input:$i){corpId}}",
            json!({"i": {"corpId": WECOM_CORP, "contactSecret": "", "externalContactSecret": "ww-acme-external-secret", "agentSecret": "ww-acme-agent-secret", "agentId": 1000002}}),
        )
        .await;
    w.sandbox.with_corp(WECOM_CORP, |c| c.console_address_tag("销售精英", &["user00001"], &[]));
    sync(&w).await;
    let console_local = tag(&w, "销售精英").await.expect("read through the app")["id"].as_str().unwrap().to_string();
    let calls = w.sandbox.calls().len();
    let (code, why) = reason(&w, "mutation($id:ID!){renameEmployeeTag(id:$id,name:\"销冠\"){id}}", json!({"id": console_local})).await;
    assert_eq!((code.as_str(), why.as_str()), ("CONFLICT", "EMPLOYEE_TAG_NOT_MADE_HERE"));
    let u2 = employee_id(&w, "user00002").await;
    let (code, _) = reason(
        &w,
        "mutation($id:ID!,$e:[ID!]!){addEmployeeTagMembers(tagId:$id,employeeIds:$e){id}}",
        json!({"id": console_local, "e": [u2]}),
    )
    .await;
    assert_eq!(code, "CONFLICT");
    assert_eq!(w.sandbox.calls().len(), calls, "WeCom was not asked");
    // A new tag is the app's; the app may change it.
    let made = w.admin.data("mutation{createEmployeeTag(input:{name:\"新标签\"}){id wecomId}}", json!({})).await;
    let wecom_id = made["createEmployeeTag"]["wecomId"].as_i64().unwrap();
    assert_eq!(sandbox_tag(&w, wecom_id).unwrap().1, "agent");
    let id = made["createEmployeeTag"]["id"].as_str().unwrap();
    w.admin.data("mutation($id:ID!,$e:[ID!]!){addEmployeeTagMembers(tagId:$id,employeeIds:$e){id}}", json!({"id": id, "e": [u2]})).await;
    assert_eq!(sandbox_tag(&w, wecom_id).unwrap().2, ["user00002"]);
}
