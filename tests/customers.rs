//! Customers over GraphQL, on customers synced from the sandbox.
//!
//! `SandboxCorp::with_customers(12)` over three members gives customer i
//! (名 "客户i") the adder user(i % 3), plus user00001 when i % 3 == 0; tags
//! 客户等级/{重要,普通,潜在}[i % 3] and 来源/{展会,官网,转介绍}[(i / 3) % 3];
//! WeCom kind for i % 10 == 0; add time base + 60 s · i.

use std::collections::HashMap;

use sea_orm::EntityTrait as _;
use serde_json::{json, Value};

use crate::{
    alerts::employee_id,
    support::{Client, PASSWORD},
    wecom::{admin_is_a_member, event, sync, wait_applied, world_with_customers, World, WECOM_CORP},
};

const BASE: i64 = 1_700_000_000;

async fn synced(customers: usize) -> World {
    let w = world_with_customers(2, 3, customers).await;
    let job = sync(&w).await;
    assert_eq!(job["status"], "SUCCEEDED", "{job}");
    w
}

pub async fn tag_ids(c: &Client) -> HashMap<String, String> {
    let v = c.data("{corpTagGroups{id name tags{id name}}}", json!({})).await;
    let mut out = HashMap::new();
    for g in v["corpTagGroups"].as_array().unwrap() {
        out.insert(g["name"].as_str().unwrap().to_string(), g["id"].as_str().unwrap().to_string());
        for t in g["tags"].as_array().unwrap() {
            out.insert(t["name"].as_str().unwrap().to_string(), t["id"].as_str().unwrap().to_string());
        }
    }
    out
}

pub async fn customer_id(c: &Client, name: &str) -> String {
    let v = c
        .data(
            "query($n:JSON!){customers(filter:{conditions:[{systemField:\"NAME\",op:EQ,value:$n}]}){edges{node{id}}}}",
            json!({"n": name}),
        )
        .await;
    v["customers"]["edges"][0]["node"]["id"].as_str().unwrap_or_else(|| panic!("no customer {name}: {v}")).to_string()
}

async fn count(c: &Client, filter: Value) -> i64 {
    let v = c.data("query($f:CustomerFilter){customers(filter:$f){totalCount}}", json!({"f": filter})).await;
    v["customers"]["totalCount"].as_i64().unwrap()
}

fn at(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0).unwrap().to_rfc3339()
}

#[tokio::test]
async fn the_list_combines_every_filter_with_and_and_sorts_by_add_time() {
    let w = synced(12).await;
    let a = &w.admin;
    let t = tag_ids(a).await;
    let u2 = employee_id(a, "user00002").await;

    assert_eq!(count(a, json!({})).await, 12);
    assert_eq!(count(a, json!({"name": "客户1"})).await, 3, "客户1, 客户10, 客户11");
    assert_eq!(count(a, json!({"kind": "WECOM"})).await, 2);
    assert_eq!(count(a, json!({"adderCountMin": 2})).await, 4);
    assert_eq!(count(a, json!({"adderCountMax": 1})).await, 8);
    assert_eq!(count(a, json!({"adderIds": [u2]})).await, 4);
    assert_eq!(count(a, json!({"addedFrom": at(BASE + 240), "addedTo": at(BASE + 420)})).await, 4);
    assert_eq!(count(a, json!({"tagsAny": [t["重要"]]})).await, 4);
    assert_eq!(count(a, json!({"tagsAny": [t["重要"], t["普通"]]})).await, 8);
    assert_eq!(count(a, json!({"tagsAll": [t["重要"], t["展会"]]})).await, 2, "客户0 and 客户9");
    assert_eq!(count(a, json!({"tagsNone": [t["重要"]]})).await, 8);
    assert_eq!(count(a, json!({"tagsAny": [t["重要"]], "adderIds": [u2]})).await, 0);
    assert_eq!(count(a, json!({"tagsAny": [t["潜在"]], "adderIds": [u2], "addedFrom": at(BASE + 360)})).await, 2, "客户8 and 客户11");
    assert_eq!(count(a, json!({"status": "ACTIVE"})).await, 12);

    let v = a
        .data(
            "{customers(first:3){edges{node{name addedAt adderCount tags{name} owner{userid} adders{employee{userid} remark addWay}}}}}",
            json!({}),
        )
        .await;
    let first = &v["customers"]["edges"][0]["node"];
    assert_eq!(first["name"], "客户11", "newest add first: {v}");
    assert_eq!(first["adders"][0]["remark"], "备注11");
    let names: Vec<&str> = first["tags"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"潜在") && names.contains(&"展会"), "{names:?}");
    let v = a.data("{customers(first:1,orderBy:ADDED_AT_ASC){edges{node{name adderCount owner{userid}}}}}", json!({})).await;
    let oldest = &v["customers"]["edges"][0]["node"];
    assert_eq!((oldest["name"].as_str(), oldest["adderCount"].as_i64()), (Some("客户0"), Some(2)));
    assert_eq!(oldest["owner"]["userid"], "user00000", "the first adder owns");

    let (code, _, field) = a.error("{customers(first:101){totalCount}}", json!({})).await;
    assert_eq!((code.as_str(), field.as_deref()), ("BAD_USER_INPUT", Some("first")));
    let (code, _, _) = a.error("{customers(filter:{conditions:[{systemField:\"NOPE\",op:EQ,value:\"x\"}]}){totalCount}}", json!({})).await;
    assert_eq!(code, "BAD_USER_INPUT");
}

#[tokio::test]
async fn edits_keep_wecom_fields_and_the_owner_must_be_an_adder() {
    let w = synced(12).await;
    let a = &w.admin;
    let c0 = customer_id(a, "客户0").await; // WeCom customer, adders user00000 + user00001
    let c1 = customer_id(a, "客户1").await; // WeChat customer, adder user00001
    let (u1, u2) = (employee_id(a, "user00001").await, employee_id(a, "user00002").await);
    let field = a.data("mutation{createCustomField(input:{entity:CUSTOMER,name:\"预算\",fieldType:INTEGER}){id}}", json!({})).await
        ["createCustomField"]["id"]
        .clone();

    let q = "mutation($i:UpdateCustomerInput!){updateCustomer(input:$i){mobile channel companyName owner{userid} customFields{value}}}";
    let v = a
        .data(q, json!({"i": {"id": c1, "mobile": "13811112222", "channel": "展会", "companyName": "甲公司", "customFields": [{"fieldId": field, "value": 5000}]}}))
        .await;
    assert_eq!(v["updateCustomer"]["companyName"], "甲公司");
    assert_eq!(v["updateCustomer"]["customFields"][0]["value"], 5000);
    assert_eq!(count(a, json!({"mobile": "1111"})).await, 1);
    assert_eq!(count(a, json!({"channel": "展会"})).await, 1);
    assert_eq!(count(a, json!({"conditions": [{"customFieldId": field, "op": "GTE", "value": 4000}]})).await, 1);

    let (code, msg, field_name) = a.error(q, json!({"i": {"id": c0, "companyName": "乙公司"}})).await;
    assert_eq!((code.as_str(), field_name.as_deref()), ("BAD_USER_INPUT", Some("companyName")), "{msg}");
    let (code, msg, _) = a.error(q, json!({"i": {"id": c0, "ownerId": u2}})).await;
    assert_eq!((code.as_str(), msg.as_str()), ("BAD_USER_INPUT", "跟进人只能从添加人中选择"));
    let v = a.data(q, json!({"i": {"id": c0, "ownerId": u1}})).await;
    assert_eq!(v["updateCustomer"]["owner"]["userid"], "user00001");
    let v = a
        .data("query($id:ID!){customer(id:$id){timeline(kinds:[OWNER_CHANGED]){totalCount edges{node{payload}}}}}", json!({"id": c0}))
        .await;
    assert_eq!(v["customer"]["timeline"]["totalCount"], 1, "{v}");

    // An employee who still owns customers cannot be deleted.
    let (code, msg, _) = a.error("mutation($id:ID!){deleteEmployee(id:$id){id}}", json!({"id": u1})).await;
    assert_eq!((code.as_str(), msg.as_str()), ("CONFLICT", "该员工下有跟进的客户，请先分配客户至其他员工在进行删除"));
}

#[tokio::test]
async fn tagging_goes_through_mark_tag_per_relation_exclusive_groups_keep_the_newest_and_failures_undo() {
    let w = synced(12).await;
    let a = &w.admin;
    let t = tag_ids(a).await;
    a.data("mutation($id:ID!){setCorpTagGroupExclusive(id:$id,exclusive:true){exclusive}}", json!({"id": t["客户等级"]})).await;
    let (c1, c0, c3) = (customer_id(a, "客户1").await, customer_id(a, "客户0").await, customer_id(a, "客户3").await);
    let q = "mutation($i:TagCustomersInput!){tagCustomers(input:$i){customerId ok code errcode}}";

    // 客户1 is 普通; 重要 pushes it out (one relation, one call).
    let before = w.sandbox.calls_to("/cgi-bin/externalcontact/mark_tag").len();
    let v = a.data(q, json!({"i": {"customerIds": [c1], "addTagIds": [t["重要"]]}})).await;
    assert_eq!(v["tagCustomers"][0]["ok"], true, "{v}");
    let calls = w.sandbox.calls_to("/cgi-bin/externalcontact/mark_tag");
    assert_eq!(calls.len() - before, 1);
    let body = calls.last().unwrap().body.clone().unwrap();
    assert_eq!(body["userid"], "user00001");
    assert_eq!(body["add_tag"], json!(["ettag00"]));
    assert_eq!(body["remove_tag"], json!(["ettag01"]), "the exclusive sibling goes in the same call");
    let v = a.data("query($id:ID!){customer(id:$id){tags{name} timeline(kinds:[TAGS_CHANGED]){totalCount}}}", json!({"id": c1})).await;
    let names: Vec<&str> = v["customer"]["tags"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"重要") && !names.contains(&"普通"), "{names:?}");
    assert_eq!(v["customer"]["timeline"]["totalCount"], 1);
    let (code, msg, _) = a.error(q, json!({"i": {"customerIds": [c1], "addTagIds": [t["重要"], t["普通"]]}})).await;
    assert_eq!((code.as_str(), msg.as_str()), ("BAD_USER_INPUT", "互斥标签组内只能选择一个标签"));

    // 客户0 has two adders: its second relation is refused, so the first is
    // undone and nothing changes locally; 客户3 in the same batch goes through.
    w.sandbox.fail_after("/cgi-bin/externalcontact/mark_tag", 40068, 1, 1);
    let v = a.data(q, json!({"i": {"customerIds": [c0, c3], "addTagIds": [t["转介绍"]]}})).await;
    let by_id: HashMap<&str, &Value> =
        v["tagCustomers"].as_array().unwrap().iter().map(|r| (r["customerId"].as_str().unwrap(), r)).collect();
    assert_eq!(by_id[c0.as_str()]["ok"], false, "{v}");
    assert_eq!(by_id[c0.as_str()]["code"], "UPSTREAM");
    assert_eq!(by_id[c0.as_str()]["errcode"], 40068);
    assert_eq!(by_id[c3.as_str()]["ok"], true);
    let sandbox_tags = w
        .sandbox
        .with_corp(WECOM_CORP, |c| {
            let ext = c.contacts.values().find(|x| x.name == "客户0").unwrap().external_userid.clone();
            c.follows.iter().filter(|(e, _)| *e == ext).map(|(_, f)| f.tag_id.clone()).collect::<Vec<_>>()
        })
        .unwrap();
    assert!(sandbox_tags.iter().all(|tags| !tags.contains(&"ettag12".to_string())), "the partial change was undone: {sandbox_tags:?}");
    assert_eq!(count(a, json!({"tagsAny": [t["转介绍"]], "name": "客户0"})).await, 0);
    assert_eq!(count(a, json!({"tagsAny": [t["转介绍"]], "name": "客户3"})).await, 1);

    // WeCom and we agree, so a sync changes nothing; a used tag cannot go.
    let again = sync(&w).await;
    assert_eq!(again["result"]["followsUpdated"], 0, "{again}");
    let (code, msg, _) = a.error("mutation($id:ID!){deleteCorpTag(id:$id){id}}", json!({"id": t["转介绍"]})).await;
    assert_eq!((code.as_str(), msg.as_str()), ("CONFLICT", "该标签正在使用中，不支持删除"));
}

#[tokio::test]
async fn follow_ups_default_to_notes_notify_mentions_at_once_and_remind_at_their_time() {
    let w = synced(3).await;
    let a = &w.admin;
    let c = customer_id(a, "客户1").await;
    let u2 = employee_id(a, "user00002").await;
    let v = a.data("{followUpTypes{id name isDefault}}", json!({})).await;
    assert_eq!(v["followUpTypes"][0]["name"], "笔记");
    let call = a.data("mutation{createFollowUpType(name:\"电话\"){id}}", json!({})).await["createFollowUpType"]["id"].clone();

    let q = "mutation($i:CreateFollowUpInput!){createFollowUp(input:$i){id content followUpType{name} mentions{userid}}}";
    let (code, msg, field) = a.error(q, json!({"i": {"customerId": c, "content": "长".repeat(101)}})).await;
    assert_eq!((code.as_str(), msg.as_str(), field.as_deref()), ("BAD_USER_INPUT", "跟进内容为1-100个字", Some("content")));
    let v = a.data(q, json!({"i": {"customerId": c, "content": "初次沟通", "mentionEmployeeIds": [u2]}})).await;
    assert_eq!(v["createFollowUp"]["followUpType"]["name"], "笔记");
    assert_eq!(v["createFollowUp"]["mentions"][0]["userid"], "user00002");
    let remind_at = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    a.data(q, json!({"i": {"customerId": c, "content": "回电", "typeId": call, "remindAt": remind_at}})).await;

    let v = a
        .data(
            "query($id:ID!){customer(id:$id){lastFollowUp{content} followUps{totalCount edges{node{content}}} timeline(kinds:[FOLLOW_UP]){totalCount}}}",
            json!({"id": c}),
        )
        .await;
    assert_eq!(v["customer"]["lastFollowUp"]["content"], "回电");
    assert_eq!(v["customer"]["followUps"]["edges"][0]["node"]["content"], "回电", "newest first");
    assert_eq!(v["customer"]["timeline"]["totalCount"], 2);

    // The mention goes out at once, the reminder (to the author) at its time.
    let sent = |w: &World| w.sandbox.calls_to("/cgi-bin/message/send");
    for _ in 0..100 {
        if !sent(&w).is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let first = sent(&w);
    assert_eq!(first.len(), 1, "only the mention so far");
    let body = first[0].body.clone().unwrap();
    assert_eq!(body["touser"], "user00002");
    assert!(body["text"]["content"].as_str().unwrap().contains("初次沟通"), "{body}");
    for _ in 0..100 {
        if sent(&w).len() >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let all = sent(&w);
    assert_eq!(all.len(), 2, "the reminder fired once");
    assert!(all[1].body.as_ref().unwrap()["text"]["content"].as_str().unwrap().contains("回电"));

    let (code, msg, _) = a.error("mutation($id:ID!){deleteFollowUpType(id:$id){id}}", json!({"id": call})).await;
    assert_eq!((code.as_str(), msg.as_str()), ("CONFLICT", "该类型已被使用，不支持删除"));
}

#[tokio::test]
async fn callbacks_land_on_the_timeline_and_ended_relations_in_the_recycle_bin_once() {
    let w = synced(3).await;
    let a = &w.admin;
    let c1 = customer_id(a, "客户1").await;
    let v = a.data("query($id:ID!){customer(id:$id){externalUserId timeline(kinds:[ADDED_EMPLOYEE]){totalCount edges{node{employee{userid} payload}}}}}", json!({"id": c1})).await;
    assert_eq!(v["customer"]["timeline"]["totalCount"], 1, "the sync wrote the add: {v}");
    let ext = v["customer"]["externalUserId"].as_str().unwrap().to_string();

    // The customer joins a new group (the seeded one already holds them since the sync).
    w.sandbox.with_corp(WECOM_CORP, |c| {
        c.group_chats.insert(
            "wrNEW".into(),
            wecrm::integrations::wecom::types::GroupChat {
                chat_id: "wrNEW".into(),
                name: "新品群".into(),
                owner: "user00001".into(),
                member_list: vec![wecrm::integrations::wecom::types::GroupChatMember {
                    userid: ext.clone(),
                    member_type: 2,
                    join_time: chrono::Utc::now().timestamp(),
                    join_scene: 3,
                    ..Default::default()
                }],
                ..Default::default()
            },
        );
    });
    let joined = event(
        "<Event><![CDATA[change_external_chat]]></Event><ChatId><![CDATA[wrNEW]]></ChatId><ChangeType><![CDATA[create]]></ChangeType>",
    );
    w.sandbox.send_callback(WECOM_CORP, &joined).await.unwrap();
    wait_applied(&w, 1).await;

    // The customer deletes user00001, and WeCom retries the callback.
    let del = event(&format!("<Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[del_follow_user]]></ChangeType><UserID><![CDATA[user00001]]></UserID><ExternalUserID><![CDATA[{ext}]]></ExternalUserID>"));
    for _ in 0..3 {
        assert_eq!(w.sandbox.send_callback(WECOM_CORP, &del).await.unwrap().0, 200);
    }
    wait_applied(&w, 2).await;

    let v = a.data("query($id:ID!){customer(id:$id){status adderCount timeline{edges{node{kind payload}}}}}", json!({"id": c1})).await;
    let kinds: Vec<&str> =
        v["customer"]["timeline"]["edges"].as_array().unwrap().iter().map(|e| e["node"]["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds[..2], ["RELATION_ENDED", "JOINED_GROUP"], "newest first: {v}");
    assert_eq!(v["customer"]["timeline"]["edges"][1]["node"]["payload"]["groupName"], "新品群");
    assert_eq!(kinds.iter().filter(|k| **k == "JOINED_GROUP").count(), 2, "the synced group and the new one");
    assert_eq!(v["customer"]["status"], "LOST");
    let v = a
        .data(
            "{customerRecycleBin(filter:{lossTypes:[CUSTOMER_DELETED]}){totalCount edges{node{customerName lossType adder{userid} customer{name}}}}}",
            json!({}),
        )
        .await;
    assert_eq!(v["customerRecycleBin"]["totalCount"], 1, "three deliveries, one row: {v}");
    let row = &v["customerRecycleBin"]["edges"][0]["node"];
    assert_eq!((row["customerName"].as_str(), row["adder"]["userid"].as_str()), (Some("客户1"), Some("user00001")));
    let v = a.data("{customerRecycleBin(filter:{keyword:\"客户1\",lossTypes:[EMPLOYEE_DELETED]}){totalCount}}", json!({})).await;
    assert_eq!(v["customerRecycleBin"]["totalCount"], 0);
}

#[tokio::test]
async fn on_job_transfer_calls_wecom_with_the_message_and_hands_ownership_over() {
    let w = synced(3).await;
    let a = &w.admin;
    let (c1, c2) = (customer_id(a, "客户1").await, customer_id(a, "客户2").await);
    let u0 = employee_id(a, "user00000").await;
    // 客户2's owner is user00002; pretend WeCom no longer relates them, to see a refusal per customer.
    w.sandbox.with_corp(WECOM_CORP, |c| {
        let ext = c.contacts.values().find(|x| x.name == "客户2").unwrap().external_userid.clone();
        c.follows.retain(|(e, _)| *e != ext);
    });
    let v = a
        .data(
            "mutation($i:TransferCustomersInput!){transferCustomers(input:$i){customerId ok errcode}}",
            json!({"i": {"customerIds": [c1, c2], "takeoverEmployeeId": u0, "message": "您好，后续由我为您服务"}}),
        )
        .await;
    let by_id: HashMap<&str, &Value> =
        v["transferCustomers"].as_array().unwrap().iter().map(|r| (r["customerId"].as_str().unwrap(), r)).collect();
    assert_eq!(by_id[c1.as_str()]["ok"], true, "{v}");
    assert_eq!(
        (by_id[c2.as_str()]["ok"].as_bool(), by_id[c2.as_str()]["errcode"].as_i64()),
        (Some(false), Some(40131)),
        "WeCom: handover_userid is not the contact's follower"
    );
    let calls = w.sandbox.calls_to("/cgi-bin/externalcontact/transfer_customer");
    let bodies: Vec<Value> = calls.iter().map(|c| c.body.clone().unwrap()).collect();
    let to_c1 = bodies.iter().find(|b| b["handover_userid"] == "user00001").expect("one call per handover");
    assert_eq!(to_c1["takeover_userid"], "user00000");
    assert_eq!(to_c1["transfer_success_msg"], "您好，后续由我为您服务");
    let v =
        a.data("query($id:ID!){customer(id:$id){owner{userid} timeline(kinds:[TRANSFER_STARTED]){totalCount}}}", json!({"id": c1})).await;
    assert_eq!(v["customer"]["owner"]["userid"], "user00000");
    assert_eq!(v["customer"]["timeline"]["totalCount"], 1);
    let v = a.data("query($id:ID!){customer(id:$id){owner{userid}}}", json!({"id": c2})).await;
    assert_eq!(v["customer"]["owner"]["userid"], "user00002", "a refused transfer changes nothing");
    let v = a.data("{inheritances(filter:{kind:ON_JOB}){edges{node{status errcode customer{name}}}}}", json!({})).await;
    let rows: Vec<(String, String)> = v["inheritances"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["node"]["customer"]["name"].as_str().unwrap().to_string(), e["node"]["status"].as_str().unwrap().to_string()))
        .collect();
    assert!(rows.contains(&("客户1".into(), "WAITING".into())) && rows.contains(&("客户2".into(), "FAILED".into())), "{rows:?}");
    let (code, _, _) = a
        .error(
            "mutation($i:TransferCustomersInput!){transferCustomers(input:$i){ok}}",
            json!({"i": {"customerIds": [c1], "takeoverEmployeeId": u0, "message": "长".repeat(201)}}),
        )
        .await;
    assert_eq!(code, "BAD_USER_INPUT");
}

#[tokio::test]
async fn a_department_scoped_employee_sees_only_customers_added_or_owned_in_scope() {
    let w = synced(12).await;
    let a = &w.admin;
    let role = w.app.role(a, "部门客户", &["customer", "customer.view", "customer.edit", "group.view"], "DEPARTMENT", &[]).await;
    // Synced members start closed; open two in different departments.
    let mut clients = Vec::new();
    for userid in ["user00001", "user00002"] {
        let id = employee_id(a, userid).await;
        a.data("mutation($id:ID!,$r:[ID!]){updateEmployee(input:{id:$id,roleIds:$r}){id}}", json!({"id": id, "r": [role]})).await;
        a.data("mutation($id:ID!){setEmployeeSystemAccess(id:$id,enabled:true){id}}", json!({"id": id})).await;
        a.data("mutation($id:ID!,$p:String!){setEmployeePassword(id:$id,password:$p){id}}", json!({"id": id, "p": PASSWORD})).await;
        clients.push(w.app.login_as("acme", userid, PASSWORD).await);
    }
    let (one, two) = (&clients[0], &clients[1]);
    assert_eq!(count(one, json!({})).await, 8, "user00001 added i%3==0 and i%3==1");
    assert_eq!(count(two, json!({})).await, 4, "user00002 added i%3==2");
    let hidden = customer_id(a, "客户1").await;
    for q in [
        "query($id:ID!){customer(id:$id){name}}",
        "mutation($id:ID!){updateCustomer(input:{id:$id,mobile:\"1\"}){id}}",
        "mutation($id:ID!){createFollowUp(input:{customerId:$id,content:\"x\"}){id}}",
    ] {
        let (code, _, _) = two.error(q, json!({"id": hidden})).await;
        assert_eq!(code, "NOT_FOUND", "{q}");
    }
    let ext = a.data("query($id:ID!){customer(id:$id){externalUserId}}", json!({"id": hidden})).await["customer"]["externalUserId"].clone();
    let (code, _, _) = two.error("query($e:String!){sidebarCustomer(externalUserId:$e){name}}", json!({"e": ext})).await;
    assert_eq!(code, "NOT_FOUND");
    let v = one.data("query($e:String!){sidebarCustomer(externalUserId:$e){name tags{name}}}", json!({"e": ext})).await;
    assert_eq!(v["sidebarCustomer"]["name"], "客户1");
    // The one group is owned by user00000 (root department): neither sees it.
    for c in [one, two] {
        assert_eq!(c.data("{customerGroups{totalCount}}", json!({})).await["customerGroups"]["totalCount"], 0);
    }
    assert_eq!(a.data("{customerGroups{totalCount}}", json!({})).await["customerGroups"]["totalCount"], 1);
    // Without the tag permission the batch is refused outright.
    let (code, _, _) = two
        .error("mutation($i:TagCustomersInput!){tagCustomers(input:$i){ok}}", json!({"i": {"customerIds": [hidden], "addTagIds": ["1"]}}))
        .await;
    assert_eq!(code, "FORBIDDEN");
}

#[tokio::test]
async fn groups_list_their_members_and_keep_those_who_quit() {
    let w = synced(12).await;
    let a = &w.admin;
    let q = "query($f:CustomerGroupFilter){customerGroups(filter:$f){totalCount edges{node{id name chatId memberCount owner{userid} members(first:20){totalCount edges{node{kind joinScene customer{name}}}}}}}}";
    let v = a.data(q, json!({"f": {"name": "客户群"}})).await;
    assert_eq!(v["customerGroups"]["totalCount"], 1, "{v}");
    let g = v["customerGroups"]["edges"][0]["node"].clone();
    assert_eq!((g["memberCount"].as_i64(), g["owner"]["userid"].as_str()), (Some(11), Some("user00000")));
    let members = g["members"]["edges"].as_array().unwrap();
    assert!(members.iter().any(|m| m["node"]["kind"] == "CUSTOMER" && m["node"]["customer"]["name"].is_string()), "{g}");
    assert_eq!(a.data(q, json!({"f": {"name": "不存在"}})).await["customerGroups"]["totalCount"], 0);

    // A customer leaves: they stay listed as quit, and their timeline says so.
    let chat = g["chatId"].as_str().unwrap().to_string();
    let leaver = w
        .sandbox
        .with_corp(WECOM_CORP, |c| {
            let g = c.group_chats.get_mut(&chat).unwrap();
            let pos = g.member_list.iter().position(|m| m.member_type == 2).unwrap();
            g.member_list.remove(pos).userid
        })
        .unwrap();
    let left = event(&format!("<Event><![CDATA[change_external_chat]]></Event><ChatId><![CDATA[{chat}]]></ChatId><ChangeType><![CDATA[update]]></ChangeType><UpdateDetail><![CDATA[del_member]]></UpdateDetail><QuitScene>0</QuitScene><MemChangeCnt>1</MemChangeCnt>"));
    w.sandbox.send_callback(WECOM_CORP, &left).await.unwrap();
    wait_applied(&w, 1).await;
    let v = a
        .data(
            "query($id:ID!){customerGroup(id:$id){memberCount members(quit:true){totalCount edges{node{userid leftAt}}}}}",
            json!({"id": g["id"]}),
        )
        .await;
    assert_eq!(v["customerGroup"]["memberCount"], 10);
    assert_eq!(v["customerGroup"]["members"]["totalCount"], 1);
    assert_eq!(v["customerGroup"]["members"]["edges"][0]["node"]["userid"], leaver.as_str());
    let v = a
        .data("query($e:String!){sidebarCustomer(externalUserId:$e){timeline(kinds:[LEFT_GROUP]){totalCount}}}", json!({"e": leaver}))
        .await;
    assert_eq!(v["sidebarCustomer"]["timeline"]["totalCount"], 1);
}

async fn sent_messages(w: &World, n: usize) -> Vec<Value> {
    for _ in 0..200 {
        let calls = w.sandbox.calls_to("/cgi-bin/message/send");
        if calls.len() >= n {
            return calls.into_iter().map(|c| c.body.unwrap()).collect();
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("expected {n} app messages, saw {:?}", w.sandbox.calls_to("/cgi-bin/message/send"));
}

#[tokio::test]
async fn business_records_follow_their_template_which_locks_on_first_use() {
    let w = synced(3).await;
    let a = &w.admin;
    let c = customer_id(a, "客户1").await;
    let submit = "mutation($i:SubmitBusinessRecordInput!){submitBusinessRecord(input:$i){id template{name} submitter{name} values{field{name} value}}}";
    let (code, msg, _) = a.error(submit, json!({"i": {"subjectKind": "CUSTOMER", "subjectId": c}})).await;
    assert_eq!((code.as_str(), msg.as_str()), ("BAD_USER_INPUT", "暂无业务记录模板，请至业务记录模板处添加"));

    let field = |name: &str, ty: &str| {
        let q = format!("mutation{{createCustomField(input:{{entity:CUSTOMER,name:\"{name}\",fieldType:{ty}}}){{id}}}}");
        async move { a.data(&q, json!({})).await["createCustomField"]["id"].as_str().unwrap().to_string() }
    };
    let (budget, note) = (field("预算", "INTEGER").await, field("说明", "SINGLE_LINE_TEXT").await);
    let create = "mutation($i:RecordTemplateInput!){createRecordTemplate(input:$i){id used fields{field{name} required}}}";
    let t = a
        .data(create, json!({"i": {"name": "报价记录", "subjectKind": "CUSTOMER", "fields": [{"fieldId": budget, "required": true}, {"fieldId": note}]}}))
        .await["createRecordTemplate"]
        .clone();
    assert_eq!(t["fields"][0]["required"], true);
    let someone = employee_id(a, "user00002").await;
    a.data(create, json!({"i": {"name": "仅限他人", "subjectKind": "CUSTOMER", "fields": [{"fieldId": note}], "employeeIds": [someone]}}))
        .await;
    let v = a.data("{usableRecordTemplates(subjectKind:CUSTOMER){name}}", json!({})).await;
    assert_eq!(v["usableRecordTemplates"], json!([{"name": "报价记录"}]), "a template for others is not offered");

    let (code, msg, _) =
        a.error(submit, json!({"i": {"subjectKind": "CUSTOMER", "subjectId": c, "values": [{"fieldId": note, "value": "x"}]}})).await;
    assert_eq!((code.as_str(), msg.as_str()), ("BAD_USER_INPUT", "预算为必填项"));
    let (code, _, _) =
        a.error(submit, json!({"i": {"subjectKind": "CUSTOMER", "subjectId": c, "values": [{"fieldId": budget, "value": "很多"}]}})).await;
    assert_eq!(code, "BAD_USER_INPUT");
    let v = a
        .data(submit, json!({"i": {"subjectKind": "CUSTOMER", "subjectId": c, "values": [{"fieldId": budget, "value": 30000}, {"fieldId": note, "value": "年框"}]}}))
        .await;
    assert_eq!(v["submitBusinessRecord"]["template"]["name"], "报价记录", "the first template is the default");
    assert_eq!(v["submitBusinessRecord"]["values"][0]["value"], 30000);
    let v = a
        .data(
            "query($id:ID!){customer(id:$id){businessRecords{totalCount} timeline(kinds:[BUSINESS_RECORD]){totalCount}}}",
            json!({"id": c}),
        )
        .await;
    assert_eq!(
        (v["customer"]["businessRecords"]["totalCount"].as_i64(), v["customer"]["timeline"]["totalCount"].as_i64()),
        (Some(1), Some(1))
    );

    let update = "mutation($id:ID!,$i:RecordTemplateInput!){updateRecordTemplate(id:$id,input:$i){id}}";
    let (code, msg, _) =
        a.error(update, json!({"id": t["id"], "i": {"name": "改名", "subjectKind": "CUSTOMER", "fields": [{"fieldId": note}]}})).await;
    assert_eq!((code.as_str(), msg.as_str()), ("CONFLICT", "该模板已被使用，不支持编辑或删除"));
    let (code, _, _) = a.error("mutation($id:ID!){deleteRecordTemplate(id:$id){id}}", json!({"id": t["id"]})).await;
    assert_eq!(code, "CONFLICT");
}

#[tokio::test]
async fn closing_a_work_order_tells_the_customers_or_the_groups_owner() {
    let w = synced(3).await;
    let a = &w.admin;
    let c = customer_id(a, "客户1").await; // owner user00001
    let helper = employee_id(a, "user00002").await;
    let create = "mutation($i:CreateWorkOrderInput!){createWorkOrder(input:$i){id number status priority assignee{userid}}}";
    let wo = a
        .data(
            create,
            json!({"i": {"subjectKind": "CUSTOMER", "subjectId": c, "title": "发票重开", "priority": "HIGH", "assigneeId": helper}}),
        )
        .await["createWorkOrder"]
        .clone();
    assert!(wo["number"].as_str().unwrap().starts_with("GD"));
    assert_eq!((wo["status"].as_str(), wo["assignee"]["userid"].as_str()), (Some("OPEN"), Some("user00002")));
    let (code, _, field) = a.error(create, json!({"i": {"subjectKind": "CUSTOMER", "subjectId": c, "title": ""}})).await;
    assert_eq!((code.as_str(), field.as_deref()), ("BAD_USER_INPUT", Some("title")));

    let close = "mutation($id:ID!){updateWorkOrder(input:{id:$id,status:CLOSED}){status closedAt customer{name}}}";
    let v = a.data(close, json!({"id": wo["id"]})).await;
    assert_eq!(v["updateWorkOrder"]["customer"]["name"], "客户1");
    let msgs = sent_messages(&w, 1).await;
    assert_eq!(msgs[0]["touser"], "user00001");
    assert!(msgs[0]["text"]["content"].as_str().unwrap().contains("发票重开"), "{msgs:?}");
    let (code, _, _) = a.error(close, json!({"id": wo["id"]})).await;
    assert_eq!(code, "CONFLICT", "closed is final");
    let v = a.data("query($id:ID!){customer(id:$id){workOrders{totalCount edges{node{status}}}}}", json!({"id": c})).await;
    assert_eq!(v["customer"]["workOrders"]["edges"][0]["node"]["status"], "CLOSED");

    // A group's work order goes to the group owner; group follow-ups work the same way.
    let g = a.data("{customerGroups{edges{node{id owner{userid}}}}}", json!({})).await["customerGroups"]["edges"][0]["node"].clone();
    let gwo = a.data(create, json!({"i": {"subjectKind": "GROUP", "subjectId": g["id"], "title": "群公告更新"}})).await["createWorkOrder"]
        ["id"]
        .clone();
    a.data(close, json!({"id": gwo})).await;
    let msgs = sent_messages(&w, 2).await;
    assert_eq!(msgs[1]["touser"], g["owner"]["userid"]);
    a.data("mutation($g:ID!){createGroupFollowUp(input:{groupId:$g,content:\"群内答疑\"}){id}}", json!({"g": g["id"]})).await;
    let field = a.data("mutation{createCustomField(input:{entity:GROUP,name:\"群等级\",fieldType:SINGLE_LINE_TEXT}){id}}", json!({})).await
        ["createCustomField"]["id"]
        .clone();
    let v = a
        .data(
            "mutation($g:ID!,$f:ID!){updateCustomerGroup(input:{id:$g,customFields:[{fieldId:$f,value:\"A\"}]}){customFields{field{name} value}}}",
            json!({"g": g["id"], "f": field}),
        )
        .await;
    assert_eq!(v["updateCustomerGroup"]["customFields"][0]["value"], "A");
    let v = a.data("query($id:ID!){customerGroup(id:$id){followUps{totalCount} workOrders{totalCount}}}", json!({"id": g["id"]})).await;
    assert_eq!(
        (v["customerGroup"]["followUps"]["totalCount"].as_i64(), v["customerGroup"]["workOrders"]["totalCount"].as_i64()),
        (Some(1), Some(1))
    );
}

async fn run_job(w: &World, mutation: &str, vars: Value) -> Value {
    let v = w.admin.data(mutation, vars).await;
    let id = v.as_object().unwrap().values().next().unwrap()["id"].as_str().unwrap().to_string();
    let job = w.app.wait_job(&w.admin, &id).await;
    assert_eq!(job["status"], "SUCCEEDED", "{job}");
    job["result"].clone()
}

#[tokio::test]
async fn a_leavers_customers_are_listed_from_wecom_handed_over_and_tracked_to_completion() {
    let w = synced(3).await;
    let a = &w.admin;
    let (leaver, heir, other) = (employee_id(a, "user00002").await, employee_id(a, "user00000").await, employee_id(a, "user00001").await);
    // The leaver also owns a group chat.
    w.sandbox.with_corp(WECOM_CORP, |c| {
        c.group_chats.insert(
            "wrLEAVER".into(),
            wecrm::integrations::wecom::types::GroupChat {
                chat_id: "wrLEAVER".into(),
                name: "离职者的群".into(),
                owner: "user00002".into(),
                ..Default::default()
            },
        );
    });
    sync(&w).await;
    w.sandbox.with_corp(WECOM_CORP, |c| c.resign("user00002", BASE + 86_400));

    let result = run_job(&w, "mutation{refreshResignedCustomers{id}}", json!({})).await;
    assert_eq!(result["unassigned"], 1, "客户2 was added by user00002 alone");
    let v = a.data("{resignedEmployees{totalCount edges{node{employee{userid} resignedAt pendingCustomerCount}}}}", json!({})).await;
    let row = &v["resignedEmployees"]["edges"][0]["node"];
    assert_eq!((row["employee"]["userid"].as_str(), row["pendingCustomerCount"].as_i64()), (Some("user00002"), Some(1)), "{v}");
    let v = a.data("{resignedEmployees{edges{node{pendingGroupCount}}}}", json!({})).await;
    assert_eq!(v["resignedEmployees"]["edges"][0]["node"]["pendingGroupCount"], 1);
    let resigned = chrono::DateTime::parse_from_rfc3339(row["resignedAt"].as_str().unwrap()).unwrap();
    assert_eq!(resigned.timestamp(), BASE + 86_400, "WeCom's dimission time");
    let v = a.data("query($e:ID!){unassignedCustomers(handoverEmployeeId:$e){edges{node{name}}}}", json!({"e": leaver})).await;
    assert_eq!(v["unassignedCustomers"]["edges"][0]["node"]["name"], "客户2");

    let inherit = "mutation($i:InheritResignedInput!){inheritResignedCustomers(input:$i){id}}";
    let (code, msg, _) = a.error(inherit, json!({"i": {"handoverEmployeeId": other, "takeoverEmployeeId": heir}})).await;
    assert_eq!((code.as_str(), msg.as_str()), ("BAD_USER_INPUT", "该员工未离职"));
    let result =
        run_job(&w, inherit, json!({"i": {"handoverEmployeeId": leaver, "takeoverEmployeeId": heir, "includeGroups": true}})).await;
    assert_eq!((result["started"].as_i64(), result["failed"].as_i64()), (Some(1), Some(0)), "{result}");
    assert_eq!(result["groupsTransferred"], 1, "{result}");
    assert_eq!(w.sandbox.with_corp(WECOM_CORP, |c| c.group_chats["wrLEAVER"].owner.clone()).unwrap(), "user00000");
    let v = a.data("{customerGroups(filter:{name:\"离职者\"}){edges{node{owner{userid}}}}}", json!({})).await;
    assert_eq!(v["customerGroups"]["edges"][0]["node"]["owner"]["userid"], "user00000");
    let call = w.sandbox.calls_to("/cgi-bin/externalcontact/resigned/transfer_customer").pop().unwrap().body.unwrap();
    assert_eq!((call["handover_userid"].as_str(), call["takeover_userid"].as_str()), (Some("user00002"), Some("user00000")));
    let c2 = customer_id(a, "客户2").await;
    let v = a.data("query($id:ID!){customer(id:$id){owner{userid}}}", json!({"id": c2})).await;
    assert_eq!(v["customer"]["owner"]["userid"], "user00000");
    let v = a.data("{resignedEmployees(filter:{allocated:true}){totalCount edges{node{pendingCustomerCount}}}}", json!({})).await;
    assert_eq!(v["resignedEmployees"]["totalCount"], 1);
    let listed = "{inheritances(filter:{kind:RESIGNED}){totalCount edges{node{status takeoverAt customer{name} handover{userid} takeover{userid}}}}}";
    let v = a.data(listed, json!({})).await;
    assert_eq!(v["inheritances"]["edges"][0]["node"]["status"], "WAITING");

    // A day later WeCom reports the takeover done.
    w.sandbox.with_corp(WECOM_CORP, |c| c.complete_transfers(chrono::Utc::now().timestamp()));
    let result = run_job(&w, "mutation{refreshInheritanceStatus{id}}", json!({})).await;
    assert_eq!(result["updated"], 1);
    let v = a.data(listed, json!({})).await;
    let node = &v["inheritances"]["edges"][0]["node"];
    assert_eq!((node["status"].as_str(), node["customer"]["name"].as_str()), (Some("DONE"), Some("客户2")));
    assert!(node["takeoverAt"].is_string());
}

#[tokio::test]
async fn the_daily_auto_allocation_shares_a_leavers_customers_in_turn_or_gives_them_to_the_fallback() {
    let w = world_with_customers(2, 4, 12).await;
    admin_is_a_member(&w);
    sync(&w).await;
    let a = &w.admin;
    let dept_of = |userid: &'static str| async move {
        let v = a
            .data(
                "query($u:JSON!){employees(filter:{conditions:[{systemField:\"USERID\",op:EQ,value:$u}]}){edges{node{departments{id}}}}}",
                json!({"u": userid}),
            )
            .await;
        v["employees"]["edges"][0]["node"]["departments"][0]["id"].as_str().unwrap().to_string()
    };
    let (root, third) = (dept_of("user00003").await, dept_of("user00002").await);
    let fallback = employee_id(a, "user00001").await;
    a.data(
        "mutation($i:AllocationRuleInput!){createAllocationRule(input:$i){id mode}}",
        json!({"i": {"name": "离职自动分配", "departmentIds": [root, third], "mode": "ROUND_ROBIN", "fallbackEmployeeId": fallback}}),
    )
    .await;
    let (code, _, field) = a
        .error(
            "mutation($i:AllocationRuleInput!){createAllocationRule(input:$i){id}}",
            json!({"i": {"name": "x", "departmentIds": [], "mode": "AVERAGE"}}),
        )
        .await;
    assert_eq!((code.as_str(), field.as_deref()), ("BAD_USER_INPUT", Some("departmentIds")));

    // user00003 left on 20 Nov, user00002 on 21 Nov (China time).
    let day = |d: u32| chrono::NaiveDate::from_ymd_opt(2026, 11, d).unwrap().and_hms_opt(1, 0, 0).unwrap().and_utc().timestamp() - 8 * 3600;
    w.sandbox.with_corp(WECOM_CORP, |c| {
        c.resign("user00003", day(20));
        c.resign("user00002", day(21));
    });

    // Day one: user00003's four customers (客户3, 6, 7, 11) go in turn to the root department's members.
    let result = run_job(&w, "mutation{runResignedAllocation(day:\"2026-11-20\"){id}}", json!({})).await;
    let corp = result["corps"].as_object().unwrap().values().next().unwrap().clone();
    assert_eq!(corp["allocated"], 4, "{result}");
    let calls: Vec<Value> =
        w.sandbox.calls_to("/cgi-bin/externalcontact/resigned/transfer_customer").into_iter().map(|c| c.body.unwrap()).collect();
    let mut per_heir: HashMap<String, usize> = HashMap::new();
    for c in &calls {
        assert_eq!(c["handover_userid"], "user00003");
        *per_heir.entry(c["takeover_userid"].as_str().unwrap().to_string()).or_default() += c["external_userid"].as_array().unwrap().len();
    }
    assert_eq!(per_heir, HashMap::from([("admin".to_string(), 2), ("user00000".to_string(), 2)]), "in turn: {calls:?}");

    // Day two: user00002 has no colleague in its department, so the fallback takes them.
    let result = run_job(&w, "mutation{runResignedAllocation(day:\"2026-11-21\"){id}}", json!({})).await;
    let corp = result["corps"].as_object().unwrap().values().next().unwrap().clone();
    assert!(corp["allocated"].as_u64().unwrap() >= 3, "{result}");
    let last = w.sandbox.calls_to("/cgi-bin/externalcontact/resigned/transfer_customer").pop().unwrap().body.unwrap();
    assert_eq!((last["handover_userid"].as_str(), last["takeover_userid"].as_str()), (Some("user00002"), Some("user00001")));
    // 客户6 had both leavers as adders; WeCom refuses a second transfer while the first is under way.
    let v = a.data("{resignedEmployees{edges{node{employee{userid} pendingCustomerCount}}}}", json!({})).await;
    assert_eq!(v["resignedEmployees"]["edges"], json!([{"node": {"employee": {"userid": "user00002"}, "pendingCustomerCount": 1}}]), "{v}");
}

#[tokio::test]
async fn group_tags_are_local_exclusive_when_asked_and_guarded_on_delete() {
    let w = synced(3).await;
    let a = &w.admin;
    let calls_before = w.sandbox.calls().len();
    let g = a
        .data("mutation{createGroupTagGroup(input:{name:\"群类型\",tags:[\"交流群\",\"福利群\"],exclusive:true}){id exclusive tags{id name}}}", json!({}))
        .await["createGroupTagGroup"]
        .clone();
    let (chat, perk) = (g["tags"][0]["id"].clone(), g["tags"][1]["id"].clone());
    let group = a.data("{customerGroups{edges{node{id}}}}", json!({})).await["customerGroups"]["edges"][0]["node"]["id"].clone();
    let tag = "mutation($i:TagCustomerGroupsInput!){tagCustomerGroups(input:$i){tags{name}}}";
    a.data(tag, json!({"i": {"groupIds": [group], "addTagIds": [chat]}})).await;
    let v = a.data(tag, json!({"i": {"groupIds": [group], "addTagIds": [perk]}})).await;
    assert_eq!(v["tagCustomerGroups"][0]["tags"], json!([{"name": "福利群"}]), "the newest exclusive tag wins");
    let (code, msg, _) = a.error(tag, json!({"i": {"groupIds": [group], "addTagIds": [chat, perk]}})).await;
    assert_eq!((code.as_str(), msg.as_str()), ("BAD_USER_INPUT", "互斥标签组内只能选择一个标签"));
    let v = a.data("query($t:ID!){customerGroups(filter:{tagsAny:[$t]}){totalCount}}", json!({"t": perk})).await;
    assert_eq!(v["customerGroups"]["totalCount"], 1);
    assert_eq!(w.sandbox.calls().len(), calls_before, "group tags never reach WeCom");

    let (code, msg, _) = a.error("mutation($id:ID!){deleteGroupTag(id:$id){id}}", json!({"id": perk})).await;
    assert_eq!((code.as_str(), msg.as_str()), ("CONFLICT", "该标签正在使用中，不支持删除"));
    let (code, msg, _) = a.error("mutation($id:ID!){deleteGroupTagGroup(id:$id){id}}", json!({"id": g["id"]})).await;
    assert_eq!((code.as_str(), msg.as_str()), ("CONFLICT", "请先移除标签组下标签再进行删除"));
    a.data(tag, json!({"i": {"groupIds": [group], "removeTagIds": [perk]}})).await;
    a.data("mutation($id:ID!){deleteGroupTag(id:$id){id}}", json!({"id": perk})).await;
    a.data("mutation($id:ID!){deleteGroupTag(id:$id){id}}", json!({"id": chat})).await;
    a.data("mutation($id:ID!){deleteGroupTagGroup(id:$id){id}}", json!({"id": g["id"]})).await;
    assert_eq!(a.data("{groupTagGroups{id}}", json!({})).await["groupTagGroups"], json!([]));
}

#[tokio::test]
async fn the_sidebar_remembers_each_employees_event_types() {
    let w = synced(3).await;
    let a = &w.admin;
    let all = a.data("{sidebarEventKinds}", json!({})).await["sidebarEventKinds"].as_array().unwrap().len();
    assert!(all > 5, "every type until chosen");
    let v = a.data("mutation{setSidebarEventKinds(kinds:[FOLLOW_UP,JOINED_GROUP])}", json!({})).await;
    assert_eq!(v["setSidebarEventKinds"], json!(["FOLLOW_UP", "JOINED_GROUP"]));
    a.data("mutation{setSidebarEventKinds(kinds:[TAGS_CHANGED])}", json!({})).await;
    assert_eq!(a.data("{sidebarEventKinds}", json!({})).await["sidebarEventKinds"], json!(["TAGS_CHANGED"]));

    // Column settings per list, per employee.
    assert_eq!(a.data("{listColumns(list:\"customers\")}", json!({})).await["listColumns"], json!([]));
    let cols = json!(["name", "owner", "tags", "cf:12"]);
    a.data("mutation($c:[String!]!){setListColumns(list:\"customers\",columns:$c)}", json!({"c": cols})).await;
    assert_eq!(a.data("{listColumns(list:\"customers\")}", json!({})).await["listColumns"], cols);
    let (code, _, _) = a.error("{listColumns(list:\"no spaces\")}", json!({})).await;
    assert_eq!(code, "BAD_USER_INPUT");
}

#[tokio::test]
async fn corp_tags_are_added_to_groups_and_reordered_in_wecom() {
    let w = synced(3).await;
    let a = &w.admin;
    let t = tag_ids(a).await;
    let v = a
        .data(
            "mutation($g:ID!){createCorpTag(groupId:$g,name:\"战略\",color:\"#ff4d4f\"){id name wecomId color}}",
            json!({"g": t["客户等级"]}),
        )
        .await;
    assert_eq!(v["createCorpTag"]["color"], "#ff4d4f");
    let wecom_id = v["createCorpTag"]["wecomId"].as_str().expect("created in WeCom first").to_string();
    let add = w.sandbox.calls_to("/cgi-bin/externalcontact/add_corp_tag").pop().unwrap().body.unwrap();
    assert_eq!((add["group_id"].as_str(), add["tag"][0]["name"].as_str()), (Some("etgroup0"), Some("战略")));
    assert!(w.sandbox.with_corp(WECOM_CORP, |c| c.tag_groups[0].tag.iter().any(|x| x.id == wecom_id)).unwrap());

    let order = |v: &Value| v.as_array().unwrap().iter().map(|g| g["name"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    assert_eq!(order(&a.data("{corpTagGroups{name}}", json!({})).await["corpTagGroups"]), ["客户等级", "来源"]);
    // Groups made in the WeCom console are read-only here, as in WeCom: only
    // the app that made a tag may change it, its order included.
    let (code, msg, _) = a.error("mutation($id:ID!){moveCorpTagGroup(id:$id,position:0){name}}", json!({"id": t["来源"]})).await;
    assert_eq!(code, "CONFLICT");
    assert!(msg.contains("仅允许创建它的应用"), "{msg}");
    assert!(w.sandbox.calls_to("/cgi-bin/externalcontact/edit_corp_tag").is_empty(), "refused before WeCom was asked");
    let groups = a.data("{corpTagGroups{name editable tags{name editable}}}", json!({})).await;
    assert!(groups["corpTagGroups"].as_array().unwrap().iter().all(|g| g["editable"] == false), "{groups}");
    // One made here moves to the top: only its own order is written.
    let mine = a
        .data(
            "mutation($i:CreateCorpTagGroupInput!){createCorpTagGroup(input:$i){id wecomId editable tags{id name}}}",
            json!({"i": {"name": "意向", "tags": ["高", "低"]}}),
        )
        .await["createCorpTagGroup"]
        .clone();
    assert_eq!(mine["editable"], true);
    let v = a.data("mutation($id:ID!){moveCorpTagGroup(id:$id,position:0){name}}", json!({"id": mine["id"]})).await;
    assert_eq!(order(&v["moveCorpTagGroup"]), ["意向", "客户等级", "来源"]);
    let edits = w.sandbox.calls_to("/cgi-bin/externalcontact/edit_corp_tag");
    assert_eq!(edits.len(), 1, "{edits:?}");
    assert_eq!(edits[0].body.as_ref().unwrap()["id"], mine["wecomId"]);
    // WeCom lists larger orders first; a sync agrees with what we show.
    sync(&w).await;
    assert_eq!(order(&a.data("{corpTagGroups{name}}", json!({})).await["corpTagGroups"]), ["意向", "客户等级", "来源"]);

    let low = mine["tags"].as_array().unwrap().iter().find(|t| t["name"] == "低").unwrap()["id"].clone();
    let v = a.data("mutation($id:ID!){moveCorpTag(id:$id,position:0){tags{name}}}", json!({"id": low})).await;
    assert_eq!(v["moveCorpTag"]["tags"][0]["name"], "低");
}

#[tokio::test]
async fn follow_ups_carry_uploaded_attachments_of_up_to_20_mb() {
    let w = synced(3).await;
    let a = &w.admin;
    let c = customer_id(a, "客户1").await;
    let upload = |name: &str, bytes: Vec<u8>| {
        let (http, url, token) = (a.http.clone(), w.app.url(&format!("/files?name={name}")), a.token.clone().unwrap());
        async move { http.post(url).bearer_auth(token).header("content-type", "application/pdf").body(bytes).send().await.unwrap() }
    };
    let res = upload("quote.pdf", b"%PDF-1.4 quote".to_vec()).await;
    assert_eq!(res.status(), 201);
    let file: Value = res.json().await.unwrap();
    let too_big = upload("big.bin", vec![0u8; 20 * 1024 * 1024 + 1]).await;
    assert!(too_big.status() == 400 || too_big.status() == 413, "{}", too_big.status());
    let anon = a.http.post(w.app.url("/files?name=x")).body("x").send().await.unwrap();
    assert_eq!(anon.status(), 401);

    let v = a
        .data(
            "mutation($c:ID!,$f:ID!){createFollowUp(input:{customerId:$c,content:\"报价已发\",attachmentIds:[$f]}){attachments{name size contentType url}}}",
            json!({"c": c, "f": file["id"]}),
        )
        .await;
    let att = &v["createFollowUp"]["attachments"][0];
    assert_eq!((att["name"].as_str(), att["size"].as_i64()), (Some("quote.pdf"), Some(14)));
    let body = a.http.get(w.app.url(att["url"].as_str().unwrap())).bearer_auth(a.token.clone().unwrap()).send().await.unwrap();
    assert_eq!(body.bytes().await.unwrap().as_ref(), b"%PDF-1.4 quote");
    let (code, _, field) = a
        .error("mutation($c:ID!){createFollowUp(input:{customerId:$c,content:\"x\",attachmentIds:[\"999999\"]}){id}}", json!({"c": c}))
        .await;
    assert_eq!((code.as_str(), field.as_deref()), ("NOT_FOUND", Some("attachmentIds")));

    // Another corp cannot read it.
    w.app.provision("beta", 5).await;
    let b = w.app.login_as("beta", "admin", PASSWORD).await;
    let other = b.http.get(w.app.url(att["url"].as_str().unwrap())).bearer_auth(b.token.clone().unwrap()).send().await.unwrap();
    assert_eq!(other.status(), 404);
}

#[tokio::test]
async fn the_activity_rule_labels_every_group_when_it_changes() {
    let w = synced(12).await;
    let a = &w.admin;
    let v = a.data("{groupActivityRule{window conditions{metric op value} activeRatio{op value} speechRatio{op value}}}", json!({})).await;
    assert_eq!(v["groupActivityRule"]["conditions"][0], json!({"metric": "CUSTOMER_MESSAGES", "op": "GT", "value": 0.0}));
    assert_eq!(v["groupActivityRule"]["activeRatio"], json!({"op": "GTE", "value": 14.0}));
    let set = "mutation($r:GroupActivityRuleInput!){setGroupActivityRule(input:$r){id}}";
    let rule = |messages_op: &str, ratio: f64| {
        json!({"r": {"window": "LAST_7_DAYS", "conditions": [{"metric": "CUSTOMER_MESSAGES", "op": messages_op, "value": 0}],
                      "activeRatio": {"op": "GTE", "value": ratio}, "speechRatio": {"op": "GTE", "value": 0}}})
    };
    let (code, _, field) = a
        .error(set, json!({"r": {"window": "TODAY", "conditions": [], "activeRatio": {"op": "GTE", "value": 1}, "speechRatio": {"op": "GT", "value": 1}}}))
        .await;
    assert_eq!((code.as_str(), field.as_deref()), ("BAD_USER_INPUT", Some("conditions")));

    // Everyone counts as active (≥ 0 messages): 10 customers of 11 members is 91 % ≥ 50 %.
    run_job(&w, set, rule("GTE", 50.0)).await;
    let q = "{customerGroups(filter:{activity:ACTIVE}){totalCount edges{node{activity activityEvaluatedAt activeCustomerCount}}}}";
    let v = a.data(q, json!({})).await;
    assert_eq!(v["customerGroups"]["totalCount"], 1);
    assert_eq!(v["customerGroups"]["edges"][0]["node"]["activeCustomerCount"], 10, "what group conditions read");
    // Nobody has spoken in the archive: with "more than 0 messages" the group is inactive.
    run_job(&w, set, rule("GT", 50.0)).await;
    assert_eq!(a.data(q, json!({})).await["customerGroups"]["totalCount"], 0);
    let v = a.data("{customerGroups{edges{node{activity activeCustomerCount}}}}", json!({})).await;
    assert_eq!(v["customerGroups"]["edges"][0]["node"], json!({"activity": "INACTIVE", "activeCustomerCount": 0}));
}

#[tokio::test]
async fn the_sidebar_searches_corp_tags_by_name() {
    let w = synced(3).await;
    let v = w.admin.data("{corpTagGroups(keyword:\"展\"){name tags{name}}}", json!({})).await;
    assert_eq!(v["corpTagGroups"], json!([{"name": "来源", "tags": [{"name": "展会"}]}]));
}

/// WeCom moves an on-job member's customer at most twice in 90 days (40128)
/// and not while a transfer waits for its takeover (40129): we refuse both
/// from our own records, with the reason, before calling WeCom.
#[tokio::test]
async fn transfers_keep_to_wecoms_limits_before_calling_it() {
    let w = synced(3).await;
    let a = &w.admin;
    let c1 = customer_id(a, "客户1").await;
    let (u0, u1) = (employee_id(a, "user00000").await, employee_id(a, "user00001").await);
    let transfer = |to: &str| {
        let to = to.to_string();
        let c1 = c1.clone();
        async move {
            let v = a
                .data(
                    "mutation($i:TransferCustomersInput!){transferCustomers(input:$i){ok code reason errcode}}",
                    json!({"i": {"customerIds": [c1], "takeoverEmployeeId": to}}),
                )
                .await;
            v["transferCustomers"][0].clone()
        }
    };
    // WeCom completes a takeover within 24 hours: here, at once.
    let complete = || {
        w.sandbox.with_corp(WECOM_CORP, |c| c.complete_transfers(chrono::Utc::now().timestamp() + 86_400));
        entity::inheritance::Entity::update_many().col_expr(entity::inheritance::Column::Status, "DONE".into()).exec(&w.app.state.db)
    };
    let calls = || w.sandbox.calls_to("/cgi-bin/externalcontact/transfer_customer").len();

    assert_eq!(transfer(&u0).await["ok"], true);
    let waiting = transfer(&u1).await;
    assert_eq!((waiting["code"].as_str(), waiting["reason"].as_str()), (Some("CONFLICT"), Some("TRANSFER_IN_PROGRESS")), "{waiting}");
    assert_eq!(calls(), 1, "refused here, WeCom not asked");
    complete().await.unwrap();
    assert_eq!(transfer(&u1).await["ok"], true, "second transfer in 90 days");
    complete().await.unwrap();
    let third = transfer(&u0).await;
    assert_eq!((third["code"].as_str(), third["reason"].as_str()), (Some("CONFLICT"), Some("TRANSFER_TOO_FREQUENT")), "{third}");
    assert_eq!(calls(), 2);
    // WeCom itself refuses the same (the sandbox keeps its own record).
    entity::inheritance::Entity::delete_many().exec(&w.app.state.db).await.unwrap();
    let upstream = transfer(&u0).await;
    assert_eq!(upstream["errcode"], 40128, "{upstream}");
}
