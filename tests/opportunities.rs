//! Opportunities (CRM-10/11, CFG-13): exact amounts, stage moves by the
//! skip and restart flags, lose reasons, pinning, the change log and the
//! customer's timeline, stage configuration, and who sees them.

use serde_json::{json, Value};

use crate::leads::refused;
use crate::pool::{id_of, shop};

const CREATE: &str = "mutation($i:CreateOpportunityInput!){createOpportunity(input:$i){id name expectedAmount expectedCloseOn stage{name} owner{userid} pinned}}";
const MOVE: &str = "mutation($id:ID!,$s:ID!,$r:ID){changeOpportunityStage(id:$id,stageId:$s,loseReasonId:$r){stage{name outcome} loseReason{name} closedAt}}";

fn stage_id(stages: &Value, name: &str) -> Value {
    stages.as_array().unwrap().iter().find(|s| s["name"] == name).unwrap()["id"].clone()
}

#[tokio::test]
async fn stages_move_by_the_flags_and_every_move_is_logged() {
    let s = shop().await;
    let c0 = id_of(&s.app, "客户0").await;
    let stages = s.admin.data("{opportunityStages{id name outcome}}", json!({})).await["opportunityStages"].clone();
    let names: Vec<&str> = stages.as_array().unwrap().iter().map(|x| x["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["初步接洽", "需求确认", "方案报价", "谈判审核", "赢单", "输单"]);

    let input = |amount: &str, stage: &str| json!({"i": {"customerId": c0, "name": "年度采购", "stageId": stage_id(&stages, stage), "expectedAmount": amount, "expectedCloseOn": "2027-03-31"}});
    for bad in ["12.345", "-1", "1e3", "", "abc"] {
        let (_, reason, field) = refused(&s.a, CREATE, input(bad, "初步接洽")).await;
        assert_eq!((reason.as_str(), field.as_deref()), ("OPPORTUNITY_AMOUNT_INVALID", Some("input.expectedAmount")), "{bad}");
    }
    let (_, reason, _) = refused(&s.a, CREATE, input("1", "赢单")).await;
    assert_eq!(reason, "OPPORTUNITY_STAGE_NOT_OPEN");
    let o = s.a.data(CREATE, input("12800.5", "初步接洽")).await["createOpportunity"].clone();
    assert_eq!((o["expectedAmount"].as_str(), o["owner"]["userid"].as_str()), (Some("12800.50"), Some("seller-a")));
    let id = o["id"].clone();

    // Adjacent only: skipping refused; losing needs a reason and then is final.
    let (code, reason, _) = refused(&s.a, MOVE, json!({"id": id, "s": stage_id(&stages, "方案报价")})).await;
    assert_eq!((code.as_str(), reason.as_str()), ("CONFLICT", "OPPORTUNITY_STAGE_NOT_ADJACENT"));
    let (_, reason, _) = refused(&s.a, MOVE, json!({"id": id, "s": stage_id(&stages, "赢单")})).await;
    assert_eq!(reason, "OPPORTUNITY_STAGE_NOT_ADJACENT");
    s.a.data(MOVE, json!({"id": id, "s": stage_id(&stages, "需求确认")})).await;
    let (_, reason, field) = refused(&s.a, MOVE, json!({"id": id, "s": stage_id(&stages, "输单")})).await;
    assert_eq!((reason.as_str(), field.as_deref()), ("OPPORTUNITY_LOSE_REASON_REQUIRED", Some("loseReasonId")));
    let lose = s.admin.data("mutation{createLoseReason(name:\"价格太高\"){id}}", json!({})).await["createLoseReason"]["id"].clone();
    let v = s.a.data(MOVE, json!({"id": id, "s": stage_id(&stages, "输单"), "r": lose})).await;
    assert_eq!(v["changeOpportunityStage"]["stage"], json!({"name": "输单", "outcome": "LOST"}));
    assert_eq!(v["changeOpportunityStage"]["loseReason"]["name"], "价格太高");
    let (code, reason, _) = refused(&s.a, MOVE, json!({"id": id, "s": stage_id(&stages, "初步接洽")})).await;
    assert_eq!((code.as_str(), reason.as_str()), ("CONFLICT", "OPPORTUNITY_LOST_FINAL"));

    // With both flags on: restart, then jump straight to won.
    s.admin
        .data("mutation{setOpportunitySettings(input:{allowSkipStages:true,allowRestartAfterLoss:true}){allowSkipStages}}", json!({}))
        .await;
    s.a.data(MOVE, json!({"id": id, "s": stage_id(&stages, "初步接洽")})).await;
    let v = s.a.data(MOVE, json!({"id": id, "s": stage_id(&stages, "赢单")})).await;
    assert_eq!(v["changeOpportunityStage"]["stage"]["outcome"], "WON");
    assert!(v["changeOpportunityStage"]["closedAt"].is_string());
    // Won is final, even for losing.
    let (code, reason, _) = refused(&s.a, MOVE, json!({"id": id, "s": stage_id(&stages, "输单"), "r": lose})).await;
    assert_eq!((code.as_str(), reason.as_str()), ("CONFLICT", "OPPORTUNITY_WON_FINAL"));

    let log =
        s.a.data("query($id:ID!){opportunity(id:$id){log{edges{node{kind fromStage{name} toStage{name} detail}}}}}", json!({"id": id}))
            .await;
    let entries: Vec<(String, String)> = log["opportunity"]["log"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["node"]["kind"].as_str().unwrap().into(), e["node"]["toStage"]["name"].as_str().unwrap_or("").into()))
        .collect();
    assert_eq!(
        entries,
        [
            ("STAGE_CHANGED".into(), "赢单".into()),
            ("STAGE_CHANGED".into(), "初步接洽".into()),
            ("STAGE_CHANGED".into(), "输单".into()),
            ("STAGE_CHANGED".into(), "需求确认".into()),
            ("CREATED".into(), "初步接洽".into()),
        ]
    );
    let t = s
        .admin
        .data("query($id:ID!){customer(id:$id){timeline(kinds:[OPPORTUNITY]){totalCount edges{node{payload}}}}}", json!({"id": c0}))
        .await;
    assert_eq!(t["customer"]["timeline"]["totalCount"], 5);
    assert_eq!(t["customer"]["timeline"]["edges"][0]["node"]["payload"]["won"], true);
}

#[tokio::test]
async fn one_pinned_per_customer_stages_in_use_stay_and_others_see_only_their_scope() {
    let s = shop().await;
    let (c0, c1) = (id_of(&s.app, "客户2").await, id_of(&s.app, "客户1").await);
    let stages = s.admin.data("{opportunityStages{id name}}", json!({})).await["opportunityStages"].clone();
    let first = stage_id(&stages, "初步接洽");
    let make = |c: &str, n: &str| json!({"i": {"customerId": c, "name": n, "stageId": first, "expectedAmount": "100", "expectedCloseOn": "2027-01-01"}});
    let x = s.a.data(CREATE, make(&c0, "甲")).await["createOpportunity"]["id"].clone();
    let y = s.a.data(CREATE, make(&c0, "乙")).await["createOpportunity"]["id"].clone();
    // b cannot see a's customer (客户2 was added by a alone), so cannot open a deal on it or see a's deals.
    assert_eq!(refused(&s.b, CREATE, make(&c0, "丙")).await.0, "NOT_FOUND");
    s.b.data(CREATE, make(&c1, "丁")).await;
    let seen = |v: &Value| {
        v["opportunities"]["edges"].as_array().unwrap().iter().map(|e| e["node"]["name"].as_str().unwrap().to_string()).collect::<Vec<_>>()
    };
    assert_eq!(seen(&s.b.data("{opportunities{edges{node{name}}}}", json!({})).await), ["丁"]);
    assert_eq!(refused(&s.b, "query($id:ID!){opportunity(id:$id){id}}", json!({"id": x})).await.0, "NOT_FOUND");
    assert_eq!(refused(&s.b, "mutation($id:ID!){pinOpportunity(id:$id){id}}", json!({"id": x})).await.0, "NOT_FOUND");

    let pin = "mutation($id:ID!){pinOpportunity(id:$id){pinned}}";
    s.a.data(pin, json!({"id": x})).await;
    s.a.data(pin, json!({"id": y})).await;
    let v = s.a.data("query($c:ID!){opportunities(filter:{customerId:$c}){edges{node{name pinned}}}}", json!({"c": c0})).await;
    assert_eq!(v["opportunities"]["edges"], json!([{"node": {"name": "乙", "pinned": true}}, {"node": {"name": "甲", "pinned": false}}]));
    let v = s.a.data("{opportunities(filter:{name:\"甲\",closeFrom:\"2026-12-01\",closeTo:\"2027-01-31\"}){totalCount}}", json!({})).await;
    assert_eq!(v["opportunities"]["totalCount"], 1);

    // Stages: open ones are added, moved and deleted when empty; outcomes are fixed.
    let added = s.admin.data("mutation{createOpportunityStage(name:\"样品试用\",sortIndex:1.5){id}}", json!({})).await
        ["createOpportunityStage"]["id"]
        .clone();
    let names = s.admin.data("{opportunityStages{name}}", json!({})).await["opportunityStages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap().to_string())
        .collect::<Vec<_>>();
    assert_eq!(names, ["初步接洽", "样品试用", "需求确认", "方案报价", "谈判审核", "赢单", "输单"]);
    let (code, reason, _) = refused(&s.admin, "mutation($id:ID!){deleteOpportunityStage(id:$id){id}}", json!({"id": first})).await;
    assert_eq!((code.as_str(), reason.as_str()), ("CONFLICT", "OPPORTUNITY_STAGE_IN_USE"));
    let (_, reason, _) =
        refused(&s.admin, "mutation($id:ID!){deleteOpportunityStage(id:$id){id}}", json!({"id": stage_id(&stages, "赢单")})).await;
    assert_eq!(reason, "OPPORTUNITY_STAGE_FIXED");
    s.admin.data("mutation($id:ID!){deleteOpportunityStage(id:$id){id}}", json!({"id": added})).await;
    assert_eq!(refused(&s.a, "mutation{createOpportunityStage(name:\"x\"){id}}", json!({})).await.0, "FORBIDDEN");
    let _ = &s.a_id;
}
