//! Customer segments and crowd packs (OPS-9…11) on customers synced from the
//! sandbox (`tests/customers.rs`: 客户i is 重要 when i % 3 == 0, 展会 when
//! (i / 3) % 3 == 0, gender i % 3).

use serde_json::{json, Value};

use crate::{
    customers::{customer_id, tag_ids},
    leads::refused,
    support::names,
    wecom::{sync, world_with_customers},
};

const PACK: &str = "mutation($i:CrowdPackInput!){createCrowdPack(input:$i){id kind customerCount segment{name}}}";

fn tagged(tag: &str) -> Value {
    json!({"join": "ALL", "items": [{"condition": {"field": "tags", "op": "HAS_ANY", "value": [tag]}}]})
}

#[tokio::test]
async fn static_packs_freeze_dynamic_packs_follow_and_portraits_describe_them() {
    let w = world_with_customers(2, 3, 12).await;
    assert_eq!(sync(&w).await["status"], "SUCCEEDED");
    let a = &w.admin;
    let t = tag_ids(a).await;
    let seg = a.data("mutation{createCustomerSegment(name:\"高价值\"){id name}}", json!({})).await["createCustomerSegment"].clone();
    let (_, reason, field) = refused(a, "mutation{createCustomerSegment(name:\"高价值\"){id}}", json!({})).await;
    assert_eq!((reason.as_str(), field.as_deref()), ("SEGMENT_NAME_TAKEN", Some("name")));

    let frozen = a
        .data(PACK, json!({"i": {"segmentId": seg["id"], "name": "重要-冻结", "kind": "STATIC", "conditions": tagged(&t["重要"])}}))
        .await["createCrowdPack"]
        .clone();
    assert_eq!(frozen["customerCount"], 4, "counts are there right after creation: {frozen}");
    assert_eq!(frozen["segment"]["name"], "高价值");
    let live = a
        .data(PACK, json!({"i": {"segmentId": seg["id"], "name": "重要-实时", "kind": "DYNAMIC", "conditions": tagged(&t["重要"])}}))
        .await["createCrowdPack"]
        .clone();
    assert_eq!(live["customerCount"], 4);

    // 客户1 becomes 重要: the live pack follows, the frozen one does not.
    let c1 = customer_id(a, "客户1").await;
    let v = a
        .data("mutation($c:ID!,$t:ID!){tagCustomers(input:{customerIds:[$c],addTagIds:[$t]}){ok}}", json!({"c": c1, "t": t["重要"]}))
        .await;
    assert_eq!(v["tagCustomers"][0]["ok"], true);
    let list = a.data("{crowdPacks(first:10){totalCount edges{node{name kind customerCount}}}}", json!({})).await;
    assert_eq!(
        list["crowdPacks"]["edges"],
        json!([{"node": {"name": "重要-实时", "kind": "DYNAMIC", "customerCount": 5}}, {"node": {"name": "重要-冻结", "kind": "STATIC", "customerCount": 4}}])
    );
    let members = "query($id:ID!){crowdPack(id:$id){customers(first:20){totalCount edges{node{name}}}}}";
    let v = a.data(members, json!({"id": frozen["id"]})).await;
    assert_eq!(names(&v["crowdPack"]["customers"]), ["客户0", "客户3", "客户6", "客户9"]);
    let v = a.data(members, json!({"id": live["id"]})).await;
    assert_eq!(names(&v["crowdPack"]["customers"]), ["客户0", "客户1", "客户3", "客户6", "客户9"]);

    // The live pack's portrait: 客户0/3/6/9 have gender 0, 客户1 gender 1; 展会 on 客户0, 1 and 9.
    let q = "query($id:ID!,$tags:[ID!]!,$one:[ID!]!){crowdPack(id:$id){portrait{genders{gender count} \
             tagDistribution(tagIds:$tags){tag{name} count} tagCloud(limit:2){tag{name} count} tagTrend(tagIds:$one,days:3){tag{name} points{date count}}}}}";
    let v = a.data(q, json!({"id": live["id"], "tags": [t["重要"], t["展会"]], "one": [t["重要"]]})).await;
    let p = &v["crowdPack"]["portrait"];
    assert_eq!(p["genders"], json!([{"gender": "UNKNOWN", "count": 4}, {"gender": "MALE", "count": 1}]));
    assert_eq!(p["tagDistribution"], json!([{"tag": {"name": "重要"}, "count": 5}, {"tag": {"name": "展会"}, "count": 3}]));
    assert_eq!(p["tagCloud"][0], json!({"tag": {"name": "重要"}, "count": 5}));
    let points = p["tagTrend"][0]["points"].as_array().unwrap();
    assert_eq!(points.len(), 3);
    let today = chrono::Utc::now().with_timezone(&wecrm::clock::china()).date_naive().to_string();
    assert_eq!(points[2], json!({"date": today, "count": 5}), "tags put on today count from today: {points:?}");
    assert_eq!(points[0]["count"], 0);
    let (_, reason, _) = refused(a, q, json!({"id": live["id"], "tags": [t["重要"]], "one": []})).await;
    assert_eq!(reason, "TREND_TAGS_INVALID");

    // Frozen stays frozen; a segment holding packs stays; names are the corp's once.
    let edit = "mutation($id:ID!,$i:CrowdPackEditInput!){updateCrowdPack(id:$id,input:$i){name}}";
    let (_, reason, field) =
        refused(a, edit, json!({"id": frozen["id"], "i": {"segmentId": seg["id"], "name": "x", "conditions": tagged(&t["普通"])}})).await;
    assert_eq!((reason.as_str(), field.as_deref()), ("CROWD_PACK_STATIC_FROZEN", Some("input.conditions")));
    let v =
        a.data(edit, json!({"id": live["id"], "i": {"segmentId": seg["id"], "name": "普通-实时", "conditions": tagged(&t["普通"])}})).await;
    assert_eq!(v["updateCrowdPack"]["name"], "普通-实时");
    assert_eq!(
        a.data("query($id:ID!){crowdPack(id:$id){customerCount}}", json!({"id": live["id"]})).await["crowdPack"]["customerCount"],
        4
    );
    let (code, reason, _) = refused(a, "mutation($id:ID!){deleteCustomerSegment(id:$id){id}}", json!({"id": seg["id"]})).await;
    assert_eq!((code.as_str(), reason.as_str()), ("CONFLICT", "SEGMENT_NOT_EMPTY"));
    let (code, reason, _) =
        refused(a, PACK, json!({"i": {"segmentId": seg["id"], "name": "重要-冻结", "kind": "STATIC", "conditions": tagged(&t["重要"])}}))
            .await;
    assert_eq!((code.as_str(), reason.as_str()), ("CONFLICT", "CROWD_PACK_NAME_TAKEN"));
    let (_, reason, field) =
        refused(a, PACK, json!({"i": {"segmentId": seg["id"], "name": "空", "kind": "STATIC", "conditions": {"items": []}}})).await;
    assert_eq!((reason.as_str(), field.as_deref()), ("CROWD_PACK_CONDITIONS_REQUIRED", Some("input.conditions.items")));
    for p in [&frozen, &live] {
        a.data("mutation($id:ID!){deleteCrowdPack(id:$id){id}}", json!({"id": p["id"]})).await;
    }
    a.data("mutation($id:ID!){deleteCustomerSegment(id:$id){id}}", json!({"id": seg["id"]})).await;
    assert_eq!(a.data("{customerSegments{name}}", json!({})).await["customerSegments"], json!([]));
}

#[tokio::test]
async fn a_page_of_packs_counts_in_a_fixed_number_of_statements() {
    let app = crate::support::TestApp::spawn_with(|c| c.job_workers = 0).await;
    let a = app.admin().await;
    let scope = app.admin_scope();
    let v = a.data("mutation{createCorpTagGroup(input:{name:\"意向\",tags:[\"高\",\"低\"]}){tags{id}}}", json!({})).await;
    let tags: Vec<i64> =
        v["createCorpTagGroup"]["tags"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap().parse().unwrap()).collect();
    wecrm::customers::seed::customers(&app.state.db, &scope, 30, &[scope.employee_id().unwrap()], &tags).await.unwrap();
    let seg = a.data("mutation{createCustomerSegment(name:\"S\"){id}}", json!({})).await["createCustomerSegment"]["id"].clone();
    for i in 0..12 {
        let kind = if i % 2 == 0 { "STATIC" } else { "DYNAMIC" };
        let conditions = json!({"items": [{"condition": {"field": "tags", "op": "HAS_ANY", "value": [tags[i % 2]]}}]});
        a.data(PACK, json!({"i": {"segmentId": seg, "name": format!("P{i}"), "kind": kind, "conditions": conditions}})).await;
    }
    let page = "query($n:Int!){crowdPacks(first:$n){edges{node{name kind customerCount segment{name} createdBy{name}}}}}";
    let mut costs = Vec::new();
    for n in [2, 12] {
        a.data(page, json!({"n": n})).await;
        let before = app.state.statements.get();
        let v = a.data(page, json!({"n": n})).await;
        costs.push(app.state.statements.get() - before);
        assert_eq!(v["crowdPacks"]["edges"].as_array().unwrap().len(), n, "{v}");
    }
    assert_eq!(costs[0], costs[1], "{costs:?}");
}
