//! Leads (CRM-1…5) and their auto-assignment rules (CFG-12): fields and
//! states, tags and the change log, manual and rule assignment, and the
//! conversion to a customer when WeCom reports the assignee's add.

use serde_json::{json, Value};

use crate::support::{Client, TestApp, PASSWORD};

const CREATE: &str = "mutation($i:LeadInput!){createLead(input:$i){id name mobile status owner{userid} tags{name}}}";

pub async fn lead(c: &Client, input: Value) -> Value {
    c.data(CREATE, json!({"i": input})).await["createLead"].clone()
}

/// The first error's code, reason and field.
pub async fn refused(c: &Client, query: &str, variables: Value) -> (String, String, Option<String>) {
    let v = c.gql(query, variables).await;
    let e = &v["errors"][0]["extensions"];
    assert!(!e.is_null(), "expected an error, got {v}");
    (e["code"].as_str().unwrap_or("").into(), e["reason"].as_str().unwrap_or("").into(), e["field"].as_str().map(str::to_string))
}

fn ids(v: &Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|l| l["id"].as_str().unwrap().to_string()).collect()
}

async fn list(c: &Client, filter: Value) -> Vec<String> {
    let v = c.data("query($f:LeadFilter){leads(filter:$f,first:100){totalCount edges{node{name}}}}", json!({"f": filter})).await;
    // In the list's order (newest first).
    v["leads"]["edges"].as_array().unwrap().iter().map(|e| e["node"]["name"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn leads_are_checked_listed_by_the_lists_filters_and_logged() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (code, reason, field) = refused(&admin, CREATE, json!({"i": {"name": "  "}})).await;
    assert_eq!((code.as_str(), reason.as_str(), field.as_deref()), ("BAD_USER_INPUT", "LEAD_NAME_INVALID", Some("input.name")));
    let (_, reason, field) = refused(&admin, CREATE, json!({"i": {"name": "张三", "mobile": "12ab"}})).await;
    assert_eq!((reason.as_str(), field.as_deref()), ("LEAD_MOBILE_INVALID", Some("input.mobile")));
    let (_, reason, _) = refused(&admin, CREATE, json!({"i": {"name": "张三", "email": "no-at"}})).await;
    assert_eq!(reason, "LEAD_EMAIL_INVALID");

    let a =
        lead(&admin, json!({"name": "张三", "mobile": "138 0000 0001", "company": "东方科技", "channel": "展会", "gender": "MALE"})).await;
    assert_eq!((a["mobile"].as_str(), a["status"].as_str(), &a["owner"]), (Some("13800000001"), Some("ACTIVE"), &Value::Null));
    lead(&admin, json!({"name": "李四", "mobile": "13800000002", "company": "西方贸易", "channel": "官网"})).await;
    lead(&admin, json!({"name": "王五"})).await;
    let (code, reason, field) = refused(&admin, CREATE, json!({"i": {"name": "重复", "mobile": "13800000001"}})).await;
    assert_eq!((code.as_str(), reason.as_str(), field.as_deref()), ("CONFLICT", "LEAD_MOBILE_TAKEN", Some("input.mobile")));

    assert_eq!(list(&admin, json!({})).await, ["王五", "李四", "张三"]);
    assert_eq!(list(&admin, json!({"name": "四"})).await, ["李四"]);
    assert_eq!(list(&admin, json!({"mobile": "0001"})).await, ["张三"]);
    assert_eq!(list(&admin, json!({"company": "科技"})).await, ["张三"]);
    assert_eq!(list(&admin, json!({"channel": "官网"})).await, ["李四"]);
    assert_eq!(
        list(&admin, json!({"createdFrom": "2000-01-01T00:00:00Z", "createdTo": "2001-01-01T00:00:00Z"})).await,
        Vec::<String>::new()
    );
    assert_eq!(list(&admin, json!({"unassigned": true})).await.len(), 3);

    // Days without follow-up count on the app's clock from creation.
    app.state.clock.advance(chrono::Duration::days(8));
    let v = admin.data("query($id:ID!){lead(id:$id){daysNotFollowed}}", json!({"id": a["id"]})).await;
    assert_eq!(v["lead"]["daysNotFollowed"], 8);
    assert_eq!(list(&admin, json!({"minDaysNotFollowed": 7})).await.len(), 3);
    assert_eq!(list(&admin, json!({"minDaysNotFollowed": 9})).await.len(), 0);

    let upd = "mutation($id:ID!,$i:LeadInput!){updateLead(id:$id,input:$i){name company position}}";
    let v = admin.data(upd, json!({"id": a["id"], "i": {"name": "张三", "mobile": "13800000001", "company": "东方科技", "position": "经理", "channel": "展会", "gender": "MALE"}})).await;
    assert_eq!(v["updateLead"]["position"], "经理");
    let (_, reason, _) = refused(&admin, upd, json!({"id": a["id"], "i": {"name": "张三", "mobile": "13800000002"}})).await;
    assert_eq!(reason, "LEAD_MOBILE_TAKEN");
    let log = admin.data("query($id:ID!){lead(id:$id){log{edges{node{kind detail actor{userid}}}}}}", json!({"id": a["id"]})).await;
    let kinds: Vec<&str> = log["lead"]["log"]["edges"].as_array().unwrap().iter().map(|e| e["node"]["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["INFO_UPDATED", "CREATED"]);
    assert_eq!(log["lead"]["log"]["edges"][0]["node"]["detail"]["fields"], json!(["position"]));

    // A follow-up restarts the count; a discarded lead takes none.
    let follow = "mutation($i:CreateLeadFollowUpInput!){createLeadFollowUp(input:$i){content}}";
    admin.data(follow, json!({"i": {"leadId": a["id"], "content": "电话沟通，下周拜访"}})).await;
    let v = admin
        .data(
            "query($id:ID!){lead(id:$id){daysNotFollowed lastFollowUpAt followUps{totalCount edges{node{content}}}}}",
            json!({"id": a["id"]}),
        )
        .await;
    assert_eq!((v["lead"]["daysNotFollowed"].as_i64(), v["lead"]["followUps"]["totalCount"].as_i64()), (Some(0), Some(1)));
    assert_eq!(list(&admin, json!({"minDaysNotFollowed": 7})).await, ["王五", "李四"]);
    admin.data("mutation($ids:[ID!]!){discardLeads(ids:$ids){id}}", json!({"ids": [a["id"]]})).await;
    let (code, reason, _) = refused(&admin, follow, json!({"i": {"leadId": a["id"], "content": "x"}})).await;
    assert_eq!((code.as_str(), reason.as_str()), ("CONFLICT", "LEAD_NOT_ACTIVE"));
}

#[tokio::test]
async fn discarded_leads_only_restore_or_delete_and_tags_change_in_both_states() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let a = lead(&admin, json!({"name": "甲"})).await;
    let b = lead(&admin, json!({"name": "乙"})).await;
    let groups = admin.data("mutation{createCorpTagGroup(input:{name:\"意向\",tags:[\"高\",\"低\"]}){tags{id name}}}", json!({})).await;
    let high = groups["createCorpTagGroup"]["tags"][0]["id"].clone();
    let low = groups["createCorpTagGroup"]["tags"][1]["id"].clone();

    let v = admin.data("mutation($ids:[ID!]!){discardLeads(ids:$ids){status}}", json!({"ids": [a["id"]]})).await;
    assert_eq!(v["discardLeads"][0]["status"], "DISCARDED");
    assert_eq!(list(&admin, json!({})).await, ["乙"]);
    assert_eq!(list(&admin, json!({"status": "DISCARDED"})).await, ["甲"]);
    let (code, reason, _) = refused(&admin, "mutation($id:ID!){updateLead(id:$id,input:{name:\"改\"}){id}}", json!({"id": a["id"]})).await;
    assert_eq!((code.as_str(), reason.as_str()), ("CONFLICT", "LEAD_NOT_ACTIVE"));
    let (_, reason, _) = refused(&admin, "mutation($ids:[ID!]!){discardLeads(ids:$ids){id}}", json!({"ids": [a["id"]]})).await;
    assert_eq!(reason, "LEAD_NOT_ACTIVE");
    let (_, reason, _) = refused(&admin, "mutation($ids:[ID!]!){restoreLeads(ids:$ids){id}}", json!({"ids": [b["id"]]})).await;
    assert_eq!(reason, "LEAD_NOT_DISCARDED");

    // Tagging works in both lists, and logs what changed.
    let tag = "mutation($ids:[ID!]!,$add:[ID!],$rm:[ID!]){tagLeads(ids:$ids,addTagIds:$add,removeTagIds:$rm){name tags{name}}}";
    let v = admin.data(tag, json!({"ids": [a["id"], b["id"]], "add": [high, low], "rm": []})).await;
    assert_eq!(v["tagLeads"][0]["tags"], json!([{"name": "高"}, {"name": "低"}]));
    let v = admin.data(tag, json!({"ids": [a["id"]], "add": [], "rm": [low]})).await;
    assert_eq!(v["tagLeads"][0]["tags"], json!([{"name": "高"}]));
    assert_eq!(list(&admin, json!({"status": "DISCARDED", "tagIds": [high]})).await, ["甲"]);
    let (code, _, _) = refused(&admin, tag, json!({"ids": [a["id"]], "add": ["999999"], "rm": []})).await;
    assert_eq!(code, "BAD_USER_INPUT");

    let v = admin.data("mutation($ids:[ID!]!){restoreLeads(ids:$ids){status}}", json!({"ids": [a["id"]]})).await;
    assert_eq!(v["restoreLeads"][0]["status"], "ACTIVE");
    let log = admin.data("query($id:ID!){lead(id:$id){log{edges{node{kind}}}}}", json!({"id": a["id"]})).await;
    let kinds: Vec<&str> = log["lead"]["log"]["edges"].as_array().unwrap().iter().map(|e| e["node"]["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["RESTORED", "TAGS_UPDATED", "TAGS_UPDATED", "DISCARDED", "CREATED"]);

    admin.data("mutation($ids:[ID!]!){discardLeads(ids:$ids){id}}", json!({"ids": [a["id"]]})).await;
    let v = admin.data("mutation($ids:[ID!]!){deleteLeads(ids:$ids){id}}", json!({"ids": [a["id"], b["id"]]})).await;
    assert_eq!(v["deleteLeads"].as_array().unwrap().len(), 2);
    let (code, _, _) = refused(&admin, "query($id:ID!){lead(id:$id){id}}", json!({"id": a["id"]})).await;
    assert_eq!(code, "NOT_FOUND");
}

/// Three sellers in one department; the admin assigns.
async fn sellers(app: &TestApp, admin: &Client) -> (String, Vec<String>) {
    let dept = app.department(admin, "销售部", &app.root_id()).await;
    let mut out = Vec::new();
    for u in ["seller-a", "seller-b", "seller-c"] {
        out.push(app.employee(admin, u, &[dept.clone()], &[app.basic_role_id()]).await);
    }
    (dept, out)
}

fn owners(v: &Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|l| l["owner"]["userid"].as_str().unwrap_or("-").to_string()).collect()
}

const ASSIGN: &str = "mutation($i:AssignLeadsInput!){assignLeads(input:$i){id owner{userid} log{edges{node{kind detail}}}}}";

#[tokio::test]
async fn manual_assignment_goes_in_turn_or_evens_out_the_loads() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (dept, people) = sellers(&app, &admin).await;
    let mut created = Vec::new();
    for i in 0..5 {
        created.push(lead(&admin, json!({"name": format!("L{i}")})).await);
    }
    let ids_of = |r: std::ops::Range<usize>| created[r].iter().map(|l| l["id"].clone()).collect::<Vec<_>>();

    // In turn over the chosen employees, in their order.
    let v = admin.data(ASSIGN, json!({"i": {"ids": ids_of(0..3), "employeeIds": [people[1], people[0]], "mode": "ROUND_ROBIN"}})).await;
    assert_eq!(owners(&v["assignLeads"]), ["seller-b", "seller-a", "seller-b"]);
    assert_eq!(v["assignLeads"][0]["log"]["edges"][0]["node"]["kind"], "ASSIGNED");
    assert_eq!(v["assignLeads"][0]["log"]["edges"][0]["node"]["detail"]["by"], "MANUAL");

    // AVERAGE over the department's members: b holds 2, a 1, c 0 → c, then a or c.
    let v = admin.data(ASSIGN, json!({"i": {"ids": ids_of(3..5), "departmentIds": [dept], "mode": "AVERAGE"}})).await;
    assert_eq!(owners(&v["assignLeads"]), ["seller-c", "seller-a"]);

    // Assignees hear of it.
    let b = app.login_as("acme", "seller-b", PASSWORD).await;
    let notices = b.data("{alerts(category:NOTICE){edges{node{kind text}}}}", json!({})).await;
    assert_eq!(notices["alerts"]["edges"][0]["node"], json!({"kind": "LEAD_ASSIGNED", "text": "你有2条新线索待跟进"}));

    // No target, a resigned or unknown employee, a discarded lead: refused.
    let (_, reason, _) = refused(&admin, ASSIGN, json!({"i": {"ids": ids_of(0..1)}})).await;
    assert_eq!(reason, "LEAD_TARGETS_REQUIRED");
    let (_, reason, field) = refused(&admin, ASSIGN, json!({"i": {"ids": ids_of(0..1), "employeeIds": ["999999"]}})).await;
    assert_eq!((reason.as_str(), field.as_deref()), ("LEAD_TARGET_INVALID", Some("input.employeeIds")));
    admin.data("mutation($ids:[ID!]!){discardLeads(ids:$ids){id}}", json!({"ids": ids_of(0..1)})).await;
    let (code, reason, _) = refused(&admin, ASSIGN, json!({"i": {"ids": ids_of(0..1), "employeeIds": [people[0]]}})).await;
    assert_eq!((code.as_str(), reason.as_str()), ("CONFLICT", "LEAD_NOT_ASSIGNABLE"));
}

const RULE: &str = "mutation($i:LeadRuleInput!){createLeadRule(input:$i){id name mode enabled conditions}}";

#[tokio::test]
async fn rules_assign_new_leads_by_their_conditions_and_keep_their_turn() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (_, people) = sellers(&app, &admin).await;
    let bad = json!({"name": "坏", "conditions": {"items": [{"condition": {"field": "nope", "op": "EQ", "value": "x"}}]}, "employeeIds": [people[0]]});
    let (code, reason, field) = refused(&admin, RULE, json!({"i": bad})).await;
    assert_eq!(
        (code.as_str(), reason.as_str(), field.as_deref()),
        ("BAD_USER_INPUT", "CONDITION_UNKNOWN_FIELD", Some("input.conditions.items.0.condition.field"))
    );
    let v = admin.data("{conditionCatalogue(subject:LEAD){name}}", json!({})).await;
    let fields: Vec<&str> = v["conditionCatalogue"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert!(fields.contains(&"channel") && fields.contains(&"lastFollowUpAt") && fields.contains(&"company"), "{fields:?}");

    // 展会 leads from 科技 companies go to a and b in turn; anything from 官网 at random to c.
    let expo = json!({"name": "展会线索", "mode": "ROUND_ROBIN", "employeeIds": [people[0], people[1]],
        "conditions": {"join": "ALL", "items": [{"condition": {"field": "channel", "op": "EQ", "value": "展会"}},
            {"group": {"join": "ANY", "conditions": [{"field": "company", "op": "CONTAINS", "value": "科技"}, {"field": "name", "op": "CONTAINS", "value": "VIP"}]}}]}});
    admin.data(RULE, json!({"i": expo})).await;
    let web = json!({"name": "官网线索", "mode": "RANDOM", "employeeIds": [people[2]],
        "conditions": {"items": [{"condition": {"field": "channel", "op": "EQ", "value": "官网"}}]}});
    admin.data(RULE, json!({"i": web})).await;

    let mut got = Vec::new();
    for (name, channel, company) in
        [("一", "展会", "甲科技"), ("二", "展会", "乙科技"), ("三", "展会", "丙贸易"), ("VIP四", "展会", ""), ("五", "官网", "")]
    {
        let l = lead(&admin, json!({"name": name, "channel": channel, "company": company})).await;
        got.push(l["owner"]["userid"].as_str().unwrap_or("-").to_string());
    }
    assert_eq!(got, ["seller-a", "seller-b", "-", "seller-a", "seller-c"]);
    let rules = admin.data("{leadRules{name mode employeeIds}}", json!({})).await;
    assert_eq!(rules["leadRules"][0]["name"], "展会线索");

    // A disabled rule takes nothing.
    let id = admin.data("{leadRules{id}}", json!({})).await["leadRules"][0]["id"].clone();
    let mut off = expo.clone();
    off["enabled"] = json!(false);
    admin.data("mutation($id:ID!,$i:LeadRuleInput!){updateLeadRule(id:$id,input:$i){enabled}}", json!({"id": id, "i": off})).await;
    let l = lead(&admin, json!({"name": "六", "channel": "展会", "company": "丁科技"})).await;
    assert_eq!(l["owner"], Value::Null);
}

#[tokio::test]
async fn an_assigned_lead_becomes_the_assignees_customer_when_wecom_reports_the_add() {
    use crate::alerts::fire;
    use crate::wecom::{sync, wait_applied, world_with_customers};
    let w = world_with_customers(2, 3, 0).await;
    assert_eq!(sync(&w).await["status"], "SUCCEEDED");
    let members = w.admin.data("{employees(first:10){edges{node{id userid}}}}", json!({})).await;
    let id_of = |userid: &str| {
        members["employees"]["edges"].as_array().unwrap().iter().find(|e| e["node"]["userid"] == userid).unwrap()["node"]["id"].clone()
    };
    let by_state = lead(&w.admin, json!({"name": "扫码线索"})).await;
    let by_mobile = lead(&w.admin, json!({"name": "电话线索", "mobile": "13900000009"})).await;
    w.admin.data(ASSIGN, json!({"i": {"ids": [by_state["id"], by_mobile["id"]], "employeeIds": [id_of("user00001")]}})).await;
    let state = w.admin.data("query($id:ID!){lead(id:$id){addState}}", json!({"id": by_state["id"]})).await["lead"]["addState"].clone();

    // A colleague adding the same number converts nothing.
    fire(&w, json!({"type": "add_external_contact", "userid": "user00002", "external_userid": "wmOTHER", "name": "别人的", "remark_mobiles": ["13900000009"]})).await;
    fire(
        &w,
        json!({"type": "add_external_contact", "userid": "user00001", "external_userid": "wmSTATE", "name": "扫码客户", "state": state}),
    )
    .await;
    fire(&w, json!({"type": "add_external_contact", "userid": "user00001", "external_userid": "wmPHONE", "name": "电话客户", "remark_mobiles": ["139-0000-0009"]})).await;
    wait_applied(&w, 3).await;

    let q = "query($id:ID!){lead(id:$id){status convertedAt customer{name owner{userid}} log{edges{node{kind detail}}}}}";
    let v = w.admin.data(q, json!({"id": by_state["id"]})).await;
    assert_eq!((v["lead"]["status"].as_str(), &v["lead"]["customer"]["name"]), (Some("CONVERTED"), &json!("扫码客户")));
    assert_eq!(v["lead"]["customer"]["owner"]["userid"], "user00001");
    assert_eq!(v["lead"]["log"]["edges"][0]["node"]["detail"]["matchedBy"], "STATE");
    let v = w.admin.data(q, json!({"id": by_mobile["id"]})).await;
    assert_eq!(v["lead"]["customer"]["name"], "电话客户");
    assert_eq!(v["lead"]["log"]["edges"][0]["node"]["detail"]["matchedBy"], "MOBILE");
    assert_eq!(list(&w.admin, json!({"status": "CONVERTED"})).await.len(), 2);
    // A converted lead is read-only.
    let (_, reason, _) =
        refused(&w.admin, "mutation($id:ID!){updateLead(id:$id,input:{name:\"改\"}){id}}", json!({"id": by_mobile["id"]})).await;
    assert_eq!(reason, "LEAD_NOT_ACTIVE");
}

#[tokio::test]
async fn an_employee_sees_the_leads_assigned_to_their_scope_and_their_own_unassigned_ones() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (dept, people) = sellers(&app, &admin).await;
    let role = app.role(&admin, "线索专员", &["crm", "crm.lead.view", "crm.lead.manage"], "SELF", &[]).await;
    let me = app.employee(&admin, "lead-rep", &[dept], &[role]).await;
    let rep = app.login_as("acme", "lead-rep", PASSWORD).await;
    let mine = lead(&rep, json!({"name": "我建的"})).await;
    let theirs = lead(&admin, json!({"name": "别人的"})).await;
    let given = lead(&admin, json!({"name": "分给我的"})).await;
    admin.data(ASSIGN, json!({"i": {"ids": [given["id"]], "employeeIds": [me]}})).await;
    admin.data(ASSIGN, json!({"i": {"ids": [mine["id"]], "employeeIds": [people[0]]}})).await;
    assert_eq!(list(&rep, json!({})).await, ["分给我的"]);
    let (code, _, _) = refused(&rep, "query($id:ID!){lead(id:$id){id}}", json!({"id": theirs["id"]})).await;
    assert_eq!(code, "NOT_FOUND");
    let (code, _, _) = refused(&rep, "mutation($ids:[ID!]!){discardLeads(ids:$ids){id}}", json!({"ids": [mine["id"]]})).await;
    assert_eq!(code, "NOT_FOUND");
    // Without the assign permission.
    let (code, _, _) = refused(&rep, ASSIGN, json!({"i": {"ids": [given["id"]], "employeeIds": [me]}})).await;
    assert_eq!(code, "FORBIDDEN");
    assert_eq!(ids(&json!([])).len(), 0);
}

#[tokio::test]
async fn leads_carry_their_own_custom_fields_which_rules_may_read() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (_, people) = sellers(&app, &admin).await;
    let field = admin
        .data(
            "mutation{createCustomField(input:{entity:LEAD,name:\"意向等级\",fieldType:SELECT,options:[{label:\"高\"},{label:\"低\"}]}){id options{id label}}}",
            json!({}),
        )
        .await["createCustomField"]
        .clone();
    let (fid, high, low) = (field["id"].clone(), field["options"][0]["id"].clone(), field["options"][1]["id"].clone());
    let v = admin.data("{conditionCatalogue(subject:LEAD){name} customer: conditionCatalogue{name}}", json!({})).await;
    let name = format!("custom:{}", fid.as_str().unwrap());
    assert!(v["conditionCatalogue"].as_array().unwrap().iter().any(|f| f["name"] == name.as_str()), "{v}");
    assert!(!v["customer"].as_array().unwrap().iter().any(|f| f["name"] == name.as_str()), "a lead field is not a customer's");

    let hot = json!({"name": "高意向", "employeeIds": [people[0]], "conditions": {"items": [{"condition": {"field": name, "op": "EQ", "value": high}}]}});
    admin.data(RULE, json!({"i": hot})).await;
    let q = "mutation($i:LeadInput!){createLead(input:$i){id owner{userid} customFields{field{name} value}}}";
    let a = admin.data(q, json!({"i": {"name": "甲", "customFields": [{"fieldId": fid, "value": high}]}})).await["createLead"].clone();
    assert_eq!(a["owner"]["userid"], "seller-a", "{a}");
    assert_eq!(a["customFields"], json!([{"field": {"name": "意向等级"}, "value": high}]));
    let b = admin.data(q, json!({"i": {"name": "乙", "customFields": [{"fieldId": fid, "value": low}]}})).await["createLead"].clone();
    assert_eq!(b["owner"], Value::Null);
    let (code, _, _) = refused(&admin, q, json!({"i": {"name": "丙", "customFields": [{"fieldId": fid, "value": "nope"}]}})).await;
    assert_eq!(code, "BAD_USER_INPUT");
    let v = admin
        .data(
            "mutation($id:ID!,$i:LeadInput!){updateLead(id:$id,input:$i){customFields{value}}}",
            json!({"id": b["id"], "i": {"name": "乙", "customFields": [{"fieldId": fid, "value": null}]}}),
        )
        .await;
    assert_eq!(v["updateLead"]["customFields"], json!([]));
    admin.data("mutation($ids:[ID!]!){deleteLeads(ids:$ids){id}}", json!({"ids": [a["id"]]})).await;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let left = entity::custom_field_value::Entity::find()
        .filter(entity::custom_field_value::Column::EntityKind.eq("LEAD"))
        .all(&app.state.db)
        .await
        .unwrap();
    assert!(left.is_empty(), "values go with their lead: {left:?}");
}
