//! Smart tags (TAG-5) on customers synced from the sandbox (see
//! `tests/customers.rs` for who carries what): every tag goes through WeCom's
//! `mark_tag`, on save, on changes, and never twice at one version of a rule's tags.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

use crate::{
    customers::{customer_id, tag_ids},
    leads::refused,
    support::Client,
    wecom::{sync, world_with_customers, World},
};

const CREATE: &str = "mutation($i:SmartTagRuleInput!){createSmartTagRule(input:$i){id name tags{name} coveredCount}}";
const UPDATE: &str = "mutation($id:ID!,$i:SmartTagRuleInput!){updateSmartTagRule(id:$id,input:$i){id tags{name}}}";
const MARK: &str = "/cgi-bin/externalcontact/mark_tag";

async fn synced(customers: usize) -> World {
    let w = world_with_customers(2, 3, customers).await;
    assert_eq!(sync(&w).await["status"], "SUCCEEDED");
    w
}

/// Waits until no smart tag job is due or running (30 s at most).
async fn settle(w: &World) {
    for _ in 0..600 {
        let now = w.app.state.clock.now();
        let busy = entity::job::Entity::find()
            .filter(entity::job::Column::Kind.starts_with("smart_tags."))
            .filter(entity::job::Column::Status.is_in(["QUEUED", "RUNNING"]))
            .filter(entity::job::Column::RunAt.lte(now))
            .all(&w.app.state.db)
            .await
            .unwrap();
        if busy.is_empty() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("smart tag jobs did not finish");
}

/// Runs the minutely check of noted customers now, and waits for it.
async fn checked(w: &World) {
    let state = &w.app.state;
    state.jobs.enqueue::<wecrm::smart_tags::pending::CheckChanged>(&state.db, wecrm::jobs::NewJob::system(), &json!({})).await.unwrap();
    settle(w).await;
}

async fn named_with(c: &Client, tag: &str) -> Vec<String> {
    let v = c.data("query($t:ID!){customers(first:100,filter:{tagsAny:[$t]},){edges{node{name}}}}", json!({"t": tag})).await;
    crate::support::names(&v["customers"])
}

/// (customers it matches now, customers it has tagged)
fn covered(v: &Value) -> (i64, i64) {
    (v["smartTagRule"]["coveredCount"].as_i64().unwrap(), v["smartTagRule"]["taggedCount"].as_i64().unwrap())
}

async fn rule(c: &Client, id: &Value) -> Value {
    c.data("query($id:ID!){smartTagRule(id:$id){name coveredCount taggedCount tags{name} conditions}}", json!({"id": id})).await
}

#[tokio::test]
async fn a_rule_tags_its_matches_once_per_tags_version_and_never_untags() {
    let w = synced(12).await;
    let a = &w.admin;
    let t = tag_ids(a).await;
    let wecom = json!({"join": "ALL", "items": [{"condition": {"field": "kind", "op": "EQ", "value": "WECOM"}}]});
    let before = w.sandbox.calls_to(MARK).len();
    let r =
        a.data(CREATE, json!({"i": {"name": "企微客户", "tagIds": [t["官网"]], "conditions": wecom}})).await["createSmartTagRule"].clone();
    assert_eq!(r["tags"], json!([{"name": "官网"}]));
    settle(&w).await;

    // 客户0 (two adders) and 客户10 are WeCom users: three relations, three calls.
    let calls = w.sandbox.calls_to(MARK);
    assert_eq!(calls.len() - before, 3, "{calls:?}");
    let official = calls.last().unwrap().body.clone().unwrap()["add_tag"].clone();
    assert_eq!(official.as_array().unwrap().len(), 1);
    assert_eq!(named_with(a, &t["官网"]).await, ["客户0", "客户10", "客户3", "客户4", "客户5"]);
    assert_eq!(covered(&rule(a, &r["id"]).await), (2, 2));

    // Taken off by hand, it stays off: the rule tagged 客户10 at this version.
    let c10 = customer_id(a, "客户10").await;
    let untag = "mutation($i:TagCustomersInput!){tagCustomers(input:$i){ok}}";
    a.data(untag, json!({"i": {"customerIds": [c10], "removeTagIds": [t["官网"]]}})).await;
    checked(&w).await;
    assert!(!named_with(a, &t["官网"]).await.contains(&"客户10".to_string()));

    // New tags: every current match gets them, the removed one included; old tags stay.
    a.data(UPDATE, json!({"id": r["id"], "i": {"name": "企微客户", "tagIds": [t["官网"], t["转介绍"]], "conditions": wecom}})).await;
    settle(&w).await;
    assert!(named_with(a, &t["官网"]).await.contains(&"客户10".to_string()));
    let referred = named_with(a, &t["转介绍"]).await;
    assert!(referred.contains(&"客户0".to_string()) && referred.contains(&"客户10".to_string()), "{referred:?}");

    // New conditions: their new matches are tagged, earlier ones keep their tags.
    let five = json!({"join": "ALL", "items": [{"condition": {"field": "name", "op": "EQ", "value": "客户5"}}]});
    let calls_before = w.sandbox.calls_to(MARK).len();
    a.data(UPDATE, json!({"id": r["id"], "i": {"name": "客户5", "tagIds": [t["官网"], t["转介绍"]], "conditions": five}})).await;
    settle(&w).await;
    let new_calls = &w.sandbox.calls_to(MARK)[calls_before..];
    assert_eq!(new_calls.len(), 1, "only 客户5's one relation: {new_calls:?}");
    let referred = named_with(a, &t["转介绍"]).await;
    for name in ["客户0", "客户5", "客户10"] {
        assert!(referred.contains(&name.to_string()), "{name}: {referred:?}");
    }
    let v = rule(a, &r["id"]).await;
    assert_eq!((covered(&v), v["smartTagRule"]["name"].as_str()), ((1, 3), Some("客户5")), "matching now, tagged so far");
    let listed = a.data("{smartTagRules(filter:{name:\"客户\"}){totalCount edges{node{name createdBy{userid}}}}}", json!({})).await;
    assert_eq!(listed["smartTagRules"]["totalCount"], 1);

    // Deleting the rule keeps what it put on.
    a.data("mutation($id:ID!){deleteSmartTagRule(id:$id){id}}", json!({"id": r["id"]})).await;
    assert!(named_with(a, &t["转介绍"]).await.contains(&"客户5".to_string()));
    assert_eq!(refused(a, "query($id:ID!){smartTagRule(id:$id){name}}", json!({"id": r["id"]})).await.0, "NOT_FOUND");
}

#[tokio::test]
async fn changed_customers_are_checked_each_minute_and_rules_chain() {
    let w = synced(6).await;
    let a = &w.admin;
    let t = tag_ids(a).await;
    let by_channel = json!({"join": "ALL", "items": [{"condition": {"field": "channel", "op": "EQ", "value": "抖音"}}]});
    let r = a.data(CREATE, json!({"i": {"name": "抖音来的", "tagIds": [t["重要"]], "conditions": by_channel}})).await["createSmartTagRule"]
        .clone();
    // A second rule selects on the first one's tag.
    let chained = json!({"join": "ANY", "items": [{"group": {"join": "ALL", "conditions": [
        {"field": "tags", "op": "HAS_ALL", "value": [t["重要"]]}, {"field": "channel", "op": "IS_NOT_EMPTY"}]}}]});
    let r2 = a.data(CREATE, json!({"i": {"name": "重要且有渠道", "tagIds": [t["转介绍"]], "conditions": chained}})).await
        ["createSmartTagRule"]
        .clone();
    // A third rule's two tags become exclusive after it was saved: it fails alone.
    let both = json!({"join": "ALL", "items": [{"condition": {"field": "channel", "op": "EQ", "value": "抖音"}}]});
    let r3 = a.data(CREATE, json!({"i": {"name": "两个来源", "tagIds": [t["展会"], t["官网"]], "conditions": both}})).await
        ["createSmartTagRule"]
        .clone();
    a.data("mutation($id:ID!){setCorpTagGroupExclusive(id:$id,exclusive:true){exclusive}}", json!({"id": t["来源"]})).await;
    settle(&w).await;
    assert_eq!(covered(&rule(a, &r["id"]).await), (0, 0));
    assert_eq!(covered(&rule(a, &r2["id"]).await), (0, 0));

    // 客户4 (普通, one adder) gets the channel: the next check tags it, then the chained rule.
    let c4 = customer_id(a, "客户4").await;
    a.data("mutation($id:ID!){updateCustomer(input:{id:$id,channel:\"抖音\"}){id}}", json!({"id": c4})).await;
    assert!(!named_with(a, &t["重要"]).await.contains(&"客户4".to_string()), "not before the window closes");
    checked(&w).await;
    assert!(named_with(a, &t["重要"]).await.contains(&"客户4".to_string()));
    assert!(named_with(a, &t["转介绍"]).await.contains(&"客户4".to_string()));
    assert_eq!(covered(&rule(a, &r["id"]).await), (1, 1));
    assert_eq!(covered(&rule(a, &r2["id"]).await), (1, 1));
    assert_eq!(covered(&rule(a, &r3["id"]).await), (1, 0), "matches, cannot tag");
    let pending = entity::smart_tag_pending::Entity::find().all(&w.app.state.db).await.unwrap();
    assert!(pending.is_empty(), "{pending:?}");

    // A change no event reported (here written straight to the table) is found by the hourly pass.
    use sea_orm::sea_query::Expr;
    entity::customer::Entity::update_many()
        .col_expr(entity::customer::Column::Channel, Expr::val("抖音"))
        .filter(entity::customer::Column::Name.eq("客户2"))
        .exec(&w.app.state.db)
        .await
        .unwrap();
    let (state, hourly) = (&w.app.state, wecrm::jobs::NewJob::system());
    state.jobs.enqueue::<wecrm::smart_tags::apply::HourlyPass>(&state.db, hourly, &json!({})).await.unwrap();
    settle(&w).await;
    assert!(named_with(a, &t["重要"]).await.contains(&"客户2".to_string()));
}

#[tokio::test]
async fn rules_are_checked_before_they_are_kept() {
    let w = synced(3).await;
    let a = &w.admin;
    let t = tag_ids(a).await;
    let ok = json!({"join": "ALL", "items": [{"condition": {"field": "gender", "op": "EQ", "value": "FEMALE"}}]});
    a.data(CREATE, json!({"i": {"name": "女性", "tagIds": [t["重要"]], "conditions": ok}})).await;
    a.data("mutation($id:ID!){setCorpTagGroupExclusive(id:$id,exclusive:true){exclusive}}", json!({"id": t["客户等级"]})).await;
    let unknown = json!({"join": "ALL", "items": [{"condition": {"field": "nope", "op": "EQ", "value": "x"}}]});
    for (input, code, reason, field) in [
        (json!({"name": " ", "tagIds": [t["重要"]], "conditions": ok}), "BAD_USER_INPUT", "SMART_TAG_RULE_NAME_INVALID", "input.name"),
        (json!({"name": "x", "tagIds": [], "conditions": ok}), "BAD_USER_INPUT", "SMART_TAG_RULE_TAGS_INVALID", "input.tagIds"),
        (
            json!({"name": "x", "tagIds": [t["重要"], t["普通"]], "conditions": ok}),
            "BAD_USER_INPUT",
            "SMART_TAG_RULE_EXCLUSIVE_TAGS",
            "input.tagIds",
        ),
        (
            json!({"name": "x", "tagIds": [t["重要"]], "conditions": {"items": []}}),
            "BAD_USER_INPUT",
            "SMART_TAG_RULE_CONDITIONS_REQUIRED",
            "input.conditions.items",
        ),
        (
            json!({"name": "x", "tagIds": [t["重要"]], "conditions": unknown}),
            "BAD_USER_INPUT",
            "CONDITION_UNKNOWN_FIELD",
            "input.conditions.items.0.condition.field",
        ),
        (json!({"name": "女性", "tagIds": [t["重要"]], "conditions": ok}), "CONFLICT", "SMART_TAG_RULE_NAME_TAKEN", "input.name"),
        (json!({"name": "x", "tagIds": ["999999"], "conditions": ok}), "NOT_FOUND", "NOT_FOUND", "input.tagIds"),
    ] {
        let (c, r, f) = refused(a, CREATE, json!({"i": input})).await;
        assert_eq!((c.as_str(), r.as_str(), f.as_deref()), (code, reason, Some(field)), "{input}");
    }
}

/// Runs the minutely pass of GROUP rules now, and waits for it.
async fn group_pass(w: &World) {
    let state = &w.app.state;
    state.jobs.enqueue::<wecrm::smart_tags::groups::GroupPass>(&state.db, wecrm::jobs::NewJob::system(), &json!({})).await.unwrap();
    settle(w).await;
}

async fn groups_with(c: &Client, tag: &Value) -> Vec<String> {
    let v = c.data("query($t:ID!){customerGroups(first:100,filter:{tagsAny:[$t]}){edges{node{name}}}}", json!({"t": tag})).await;
    crate::support::names(&v["customerGroups"])
}

#[tokio::test]
async fn group_rules_put_group_tags_on_matching_groups_new_ones_within_a_minute() {
    // 55 customers: 客户群0 holds 10 of them, 客户群1 the other 5.
    let w = synced(55).await;
    let a = &w.admin;
    let created =
        "mutation($n:String!,$t:[String!]!,$x:Boolean!){createGroupTagGroup(input:{name:$n,tags:$t,exclusive:$x}){tags{id name}}}";
    let size = a.data(created, json!({"n": "群规模", "t": ["大群", "小群"], "x": true})).await["createGroupTagGroup"]["tags"].clone();
    let (big, small) = (size[0]["id"].clone(), size[1]["id"].clone());
    let topic = a.data(created, json!({"n": "群主题", "t": ["售后"], "x": false})).await["createGroupTagGroup"]["tags"][0]["id"].clone();

    let many = json!({"items": [{"condition": {"field": "customerCount", "op": "GTE", "value": 8}}]});
    let q = "mutation($i:SmartTagRuleInput!){createSmartTagRule(input:$i){id tagType tags{name} groupTags{name} coveredCount}}";
    let r = a.data(q, json!({"i": {"name": "大群", "tagType": "GROUP", "tagIds": [big], "conditions": many}})).await["createSmartTagRule"]
        .clone();
    assert_eq!((&r["tagType"], &r["tags"], &r["groupTags"]), (&json!("GROUP"), &json!([]), &json!([{"name": "大群"}])));
    assert_eq!(r["coveredCount"], 1);
    settle(&w).await;
    assert_eq!(groups_with(a, &big).await, ["客户群0"]);
    let calls = w.sandbox.calls().len();

    // Two levels, OR at the top: small groups named so, or groups the activity rule calls active (none yet).
    let small_or_dept = json!({"join": "ANY", "items": [
        {"group": {"join": "ALL", "conditions": [
            {"field": "memberCount", "op": "LT", "value": 8}, {"field": "name", "op": "CONTAINS", "value": "客户群"}]}},
        {"condition": {"field": "activity", "op": "EQ", "value": "ACTIVE"}}]});
    let r2 = a.data(q, json!({"i": {"name": "售后", "tagType": "GROUP", "tagIds": [topic, small], "conditions": small_or_dept}})).await
        ["createSmartTagRule"]
        .clone();
    settle(&w).await;
    assert_eq!(groups_with(a, &small).await, ["客户群1"]);
    assert_eq!(w.sandbox.calls().len(), calls, "group tags are local: WeCom hears nothing");

    // A group tag taken off by hand stays off; a new group is tagged within a minute.
    let g0 = a.data("{customerGroups(filter:{name:\"客户群0\"}){edges{node{id}}}}", json!({})).await["customerGroups"]["edges"][0]["node"]
        ["id"]
        .clone();
    let untag = "mutation($i:TagCustomerGroupsInput!){tagCustomerGroups(input:$i){id}}";
    a.data(untag, json!({"i": {"groupIds": [g0], "removeTagIds": [big]}})).await;
    let externals: Vec<String> = w.sandbox.with_corp(crate::wecom::WECOM_CORP, |c| c.contacts.keys().take(9).cloned().collect()).unwrap();
    w.sandbox.with_corp(crate::wecom::WECOM_CORP, |c| {
        c.group_chats.insert(
            "wrBIG".into(),
            wecrm::integrations::wecom::types::GroupChat {
                chat_id: "wrBIG".into(),
                name: "新建大群".into(),
                owner: "user00001".into(),
                member_list: externals
                    .iter()
                    .map(|e| wecrm::integrations::wecom::types::GroupChatMember {
                        userid: e.clone(),
                        member_type: 2,
                        join_scene: 3,
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            },
        );
    });
    assert_eq!(sync(&w).await["status"], "SUCCEEDED");
    group_pass(&w).await;
    assert_eq!(groups_with(a, &big).await, ["新建大群"], "客户群0 stays untagged at this version");
    let v = a.data("query($id:ID!){smartTagRule(id:$id){coveredCount taggedCount}}", json!({"id": r["id"]})).await;
    assert_eq!((v["smartTagRule"]["coveredCount"].as_i64(), v["smartTagRule"]["taggedCount"].as_i64()), (Some(2), Some(2)));

    // The list filters by type; the catalogue of group fields ends with the group custom fields.
    let v = a.data("{smartTagRules(filter:{tagType:GROUP}){totalCount} all:smartTagRules{totalCount}}", json!({})).await;
    assert_eq!((v["smartTagRules"]["totalCount"].as_i64(), v["all"]["totalCount"].as_i64()), (Some(2), Some(2)));
    let field = a
        .data("mutation{createCustomField(input:{entity:GROUP,name:\"群类型\",fieldType:SELECT,options:[{label:\"内部\"},{label:\"外部\"}]}){id options{id}}}", json!({}))
        .await["createCustomField"]
        .clone();
    let g1 = a.data("{customerGroups(filter:{name:\"客户群1\"}){edges{node{id}}}}", json!({})).await["customerGroups"]["edges"][0]["node"]
        ["id"]
        .clone();
    let set = "mutation($i:UpdateCustomerGroupInput!){updateCustomerGroup(input:$i){id}}";
    a.data(set, json!({"i": {"id": g1, "customFields": [{"fieldId": field["id"], "value": field["options"][1]["id"]}]}})).await;
    let named = format!("custom:{}", field["id"].as_str().unwrap());
    let outside = json!({"items": [{"condition": {"field": named, "op": "EQ", "value": field["options"][1]["id"]}}]});
    let v = a.data(q, json!({"i": {"name": "外部群", "tagType": "GROUP", "tagIds": [topic], "conditions": outside}})).await;
    assert_eq!(v["createSmartTagRule"]["coveredCount"], 1);
    let v = a.data("{conditionCatalogue(subject:GROUP){name}}", json!({})).await;
    let mut fields: Vec<&str> = v["conditionCatalogue"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(fields.pop(), Some(named.as_str()));
    assert_eq!(
        fields,
        [
            "name",
            "owner",
            "ownerDepartment",
            "createdAt",
            "lastContactAt",
            "memberCount",
            "customerCount",
            "activeCustomerCount",
            "activity",
            "tags"
        ]
    );

    // Refusals: customer fields, corp tags, two exclusive tags, a changed type.
    let t = tag_ids(a).await;
    let gender = json!({"items": [{"condition": {"field": "gender", "op": "EQ", "value": "MALE"}}]});
    for (input, reason, field) in [
        (
            json!({"name": "x", "tagType": "GROUP", "tagIds": [big], "conditions": gender}),
            "CONDITION_UNKNOWN_FIELD",
            "input.conditions.items.0.condition.field",
        ),
        (json!({"name": "x", "tagType": "GROUP", "tagIds": ["999999"], "conditions": many}), "NOT_FOUND", "input.tagIds"),
        (
            json!({"name": "x", "tagType": "GROUP", "tagIds": [big, small], "conditions": many}),
            "SMART_TAG_RULE_EXCLUSIVE_TAGS",
            "input.tagIds",
        ),
    ] {
        let (_, r, f) = refused(a, CREATE, json!({"i": input})).await;
        assert_eq!((r.as_str(), f.as_deref()), (reason, Some(field)), "{input}");
    }
    let (_, reason, field) = refused(
        a,
        UPDATE,
        json!({"id": r2["id"], "i": {"name": "售后", "tagType": "CUSTOMER", "tagIds": [t["重要"]], "conditions": many}}),
    )
    .await;
    assert_eq!((reason.as_str(), field.as_deref()), ("SMART_TAG_RULE_TYPE_FIXED", Some("input.tagType")));
    // An edit that leaves the type out keeps it.
    let v = a.data(UPDATE, json!({"id": r2["id"], "i": {"name": "售后群", "tagIds": [topic], "conditions": small_or_dept}})).await;
    assert_eq!(v["updateSmartTagRule"]["tags"], json!([]));
}
