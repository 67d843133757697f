//! Directory sync as WeCom allows it in 2026 (see `src/wecom_sync/directory.rs`):
//! a deployment made today reads details through the self-built app, ids
//! through the contacts secret, and customer-contact members from their own
//! list; one trusted before the cut-off still reads everything the old way.

use serde_json::json;
use wecrm::sandbox::Strictness;

use crate::wecom::{sync, world_configured, World, WECOM_CORP};

async fn employees(w: &World) -> Vec<serde_json::Value> {
    let v = w
        .admin
        .data(
            "{employees(first:100,filter:{conditions:[{systemField:\"USERID\",op:CONTAINS,value:\"user\"}]}){edges{node{userid name mobile departments{name}}}}}",
            json!({}),
        )
        .await;
    v["employees"]["edges"].as_array().unwrap().iter().map(|e| e["node"].clone()).collect()
}

async fn counts(w: &World) -> (u64, u64) {
    let v = w.admin.data("{customers{totalCount} customerGroups{totalCount}}", json!({})).await;
    (v["customers"]["totalCount"].as_u64().unwrap(), v["customerGroups"]["totalCount"].as_u64().unwrap())
}

#[tokio::test]
async fn a_new_deployment_refused_directory_details_still_syncs_every_member_customer_and_group() {
    let w = world_configured(3, 12, 120, |_| {}).await;
    let (users, contacts, chats) = w.sandbox.with_corp(WECOM_CORP, |c| (c.users.len(), c.contacts.len(), c.group_chats.len())).unwrap();
    let done = sync(&w).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    assert!(done["result"].get("skipped").is_none(), "the app secret read what the contacts secret may not: {done}");
    let list = employees(&w).await;
    assert_eq!(list.len(), users);
    assert!(
        list.iter().all(|e| e["name"] != e["userid"] && !e["departments"].as_array().unwrap().is_empty()),
        "names and departments: {list:?}"
    );
    assert!(list.iter().all(|e| e["mobile"] == ""), "an app reads no mobiles: {list:?}");
    assert_eq!(counts(&w).await, (contacts as u64, chats as u64));
    // What WeCom refused, and what answered instead, per the call record.
    let refused: Vec<i64> = w.sandbox.calls_to("/cgi-bin/department/list").iter().map(|c| c.errcode).collect();
    assert_eq!(refused, [48009, 0], "contacts secret first (48009), then the app");
    assert!(w.sandbox.calls_to("/cgi-bin/user/list").iter().all(|c| c.errcode == 0 && !c.query.contains_key("fetch_child")));
    assert_eq!(w.sandbox.calls_to("/cgi-bin/user/list").len(), 4, "one call per department");
    let lists = w.sandbox.calls_to("/cgi-bin/externalcontact/groupchat/list");
    assert!(
        lists.iter().all(|c| c
            .body
            .as_ref()
            .and_then(|b| b["owner_filter"]["userid_list"].as_array())
            .is_some_and(|l| (1..=100).contains(&l.len()))),
        "group chats are listed by owner, at most 100 a call"
    );
}

#[tokio::test]
async fn without_an_app_secret_members_are_known_by_userid_and_customers_still_sync() {
    let w = world_configured(2, 6, 60, |_| {}).await;
    w.admin
        .data(
            "mutation($i:BindWecomInput!){bindWecom(input:$i){corpId}}",
            json!({"i": {"corpId": WECOM_CORP, "contactSecret": "ww-acme-contacts-secret", "externalContactSecret": "ww-acme-external-secret", "agentSecret": ""}}),
        )
        .await;
    let binding = w.admin.data("{wecomBinding{agentSecretSet}}", json!({})).await;
    assert_eq!(binding["wecomBinding"]["agentSecretSet"], false, "an empty secret removes it");
    let (users, contacts, chats) = w.sandbox.with_corp(WECOM_CORP, |c| (c.users.len(), c.contacts.len(), c.group_chats.len())).unwrap();
    let done = sync(&w).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    assert_eq!(done["result"]["skipped"], json!(["departments: 48009"]), "{done}");
    let list = employees(&w).await;
    assert_eq!(list.len(), users, "every member from user/list_id");
    assert!(list.iter().all(|e| e["name"] == e["userid"]), "named by userid until someone supplies more: {list:?}");
    assert!(list.iter().all(|e| !e["departments"].as_array().unwrap().is_empty()), "departments known by id: {list:?}");
    assert_eq!(counts(&w).await, (contacts as u64, chats as u64));
    // An admin's name for a member known only by id survives the next sync.
    let id = w
        .admin
        .data("{employees(filter:{conditions:[{systemField:\"USERID\",op:EQ,value:\"user00001\"}]}){edges{node{id}}}}", json!({}))
        .await["employees"]["edges"][0]["node"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    w.admin.data("mutation($i:UpdateEmployeeInput!){updateEmployee(input:$i){id}}", json!({"i": {"id": id, "name": "王小明"}})).await;
    let again = sync(&w).await;
    assert_eq!(again["result"]["employeesUpdated"], 0, "{again}");
    assert!(employees(&w).await.iter().any(|e| e["name"] == "王小明"));
}

#[tokio::test]
async fn where_wecom_allows_the_old_path_the_contacts_secret_reads_details_and_later_reads_keep_them() {
    let w = world_configured(2, 6, 0, |_| {}).await;
    w.sandbox.with_corp(WECOM_CORP, |c| c.strict = Strictness::legacy_directory());
    let done = sync(&w).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    assert!(w.sandbox.calls().iter().all(|c| c.errcode == 0), "nothing refused on a trusted old deployment");
    let list = employees(&w).await;
    assert!(list.iter().all(|e| e["mobile"].as_str().is_some_and(|m| m.contains("139"))), "{list:?}");
    // The IP is replaced: WeCom now refuses details to the contacts secret and
    // apps see no mobiles. What they do not send is unknown, not erased.
    w.sandbox.with_corp(WECOM_CORP, |c| c.strict = Strictness::default());
    let again = sync(&w).await;
    assert_eq!(again["result"]["employeesUpdated"], 0, "{again}");
    assert_eq!(employees(&w).await, list);
}
