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
