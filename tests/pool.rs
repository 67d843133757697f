//! The public pool (CRM-6…8, CFG-14/15): recall by the rules on the app
//! clock with reminders and the won-opportunity exemption, claims with the
//! claim limit and without double owners, return, assign, delete, and the
//! pool's reach by department.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

use crate::leads::refused;
use crate::support::{Client, TestApp, PASSWORD};

pub struct Shop {
    pub app: TestApp,
    pub admin: Client,
    pub a: Client,
    pub b: Client,
    pub a_id: String,
    pub b_id: String,
    pub east: String,
}

/// Sellers a (East) and b (West) with the pool permissions and a SELF
/// scope; four seeded customers 客户0…3 owned a, b, a, b, added a year ago,
/// 客户0 and 客户2 followed up just now.
pub async fn shop() -> Shop {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let east = app.department(&admin, "华东", &app.root_id()).await;
    let west = app.department(&admin, "华西", &app.root_id()).await;
    let perms = [
        "customer",
        "customer.view",
        "customer.edit",
        "customer.return",
        "crm",
        "crm.pool.view",
        "crm.pool.claim",
        "crm.opportunity.view",
        "crm.opportunity.manage",
    ];
    let role = app.role(&admin, "销售", &perms, "SELF", &[]).await;
    let a_id = app.employee(&admin, "seller-a", &[east.clone()], &[role.clone()]).await;
    let b_id = app.employee(&admin, "seller-b", &[west], &[role]).await;
    let staff = [a_id.parse().unwrap(), b_id.parse().unwrap()];
    wecrm::customers::seed::customers(&app.state.db, &app.admin_scope(), 4, &staff, &[]).await.unwrap();
    let a = app.login_as("acme", "seller-a", PASSWORD).await;
    let b = app.login_as("acme", "seller-b", PASSWORD).await;
    Shop { app, admin, a, b, a_id, b_id, east }
}

pub async fn id_of(app: &TestApp, name: &str) -> String {
    entity::customer::Entity::find()
        .filter(entity::customer::Column::Name.eq(name))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .id
        .to_string()
}

async fn recall(app: &TestApp) -> Value {
    let job =
        app.state.jobs.enqueue::<wecrm::pool::recall::RecallJob>(&app.state.db, wecrm::jobs::NewJob::system(), &json!({})).await.unwrap();
    for _ in 0..200 {
        let j = entity::job::Entity::find_by_id(job.id).one(&app.state.db).await.unwrap().unwrap();
        if j.status == "SUCCEEDED" {
            return serde_json::from_str(j.result.as_deref().unwrap()).unwrap();
        }
        assert_ne!(j.status, "FAILED", "{:?}", j.last_error);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("recall did not run");
}

async fn pool_names(c: &Client, filter: Value) -> Vec<String> {
    let v =
        c.data("query($f:PoolCustomerFilter){poolCustomers(filter:$f,first:50){edges{node{customer{name}}}}}", json!({"f": filter})).await;
    let mut n: Vec<String> = v["poolCustomers"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["customer"]["name"].as_str().unwrap().to_string())
        .collect();
    n.sort();
    n
}

const DEFAULT_RULES: &str = "mutation($id:ID!,$i:PoolGroupInput!){updatePoolGroup(id:$id,input:$i){id recallMode}}";

#[tokio::test]
async fn recall_follows_the_rules_on_the_app_clock_reminds_first_and_spares_won_customers() {
    let s = shop().await;
    let groups = s.admin.data("{poolGroups{id name isDefault recallMode}}", json!({})).await;
    assert_eq!(groups["poolGroups"][0]["name"], "默认客户公海");
    let default = groups["poolGroups"][0]["id"].clone();
    let (_, reason, field) =
        refused(&s.admin, DEFAULT_RULES, json!({"id": default, "i": {"name": "默认客户公海", "recallMode": "AUTO"}})).await;
    assert_eq!((reason.as_str(), field.as_deref()), ("POOL_RECALL_CONDITION_REQUIRED", Some("input.recallMode")));
    let (_, reason, field) =
        refused(&s.admin, DEFAULT_RULES, json!({"id": default, "i": {"name": "x", "recallMode": "AUTO", "neverFollowedDays": 0}})).await;
    assert_eq!((reason.as_str(), field.as_deref()), ("POOL_DAYS_INVALID", Some("input.neverFollowedDays")));
    let rules = json!({"name": "默认客户公海", "recallMode": "AUTO", "neverFollowedDays": 30, "noNewFollowUpDays": 10, "remindDays": 3, "claimBlockDays": 5});
    s.admin.data(DEFAULT_RULES, json!({"id": default, "i": rules})).await;

    // Never followed for a year: 客户1 and 客户3 go now.
    assert_eq!(recall(&s.app).await[s.app.corp.corp.id.to_string()]["recalled"], 2);
    assert_eq!(pool_names(&s.admin, json!({})).await, ["客户1", "客户3"]);
    let listed = s.admin.data("{customers(first:10){totalCount}}", json!({})).await;
    assert_eq!(listed["customers"]["totalCount"], 2);
    let v = s.admin.data("{poolCustomers{edges{node{arrival previousOwner{userid} returnReason{name} pool{isDefault}}}}}", json!({})).await;
    assert_eq!(v["poolCustomers"]["edges"][0]["node"]["arrival"], "RECALLED");
    assert_eq!(v["poolCustomers"]["edges"][0]["node"]["pool"]["isDefault"], true);

    // 客户2 is won: never recalled. Stages are adjacent-only, so walk them.
    let c2 = id_of(&s.app, "客户2").await;
    let stages = s.admin.data("{opportunityStages{id outcome}}", json!({})).await["opportunityStages"].clone();
    let o = s
        .a
        .data(
            "mutation($i:CreateOpportunityInput!){createOpportunity(input:$i){id}}",
            json!({"i": {"customerId": c2, "name": "年度采购", "stageId": stages[0]["id"], "expectedAmount": "120000", "expectedCloseOn": "2027-01-31"}}),
        )
        .await["createOpportunity"]["id"]
        .clone();
    for st in stages.as_array().unwrap()[1..5].iter() {
        s.a.data("mutation($id:ID!,$s:ID!){changeOpportunityStage(id:$id,stageId:$s){id}}", json!({"id": o, "s": st["id"]})).await;
    }

    // Eight days on, 客户0 is three days from its recall: its owner hears, once a day.
    s.app.state.clock.advance(chrono::Duration::days(8));
    let r = recall(&s.app).await;
    assert_eq!(
        (r[s.app.corp.corp.id.to_string()]["recalled"].as_i64(), r[s.app.corp.corp.id.to_string()]["reminded"].as_i64()),
        (Some(0), Some(1))
    );
    assert_eq!(recall(&s.app).await[s.app.corp.corp.id.to_string()]["reminded"], 0);
    let notices = s.a.data("{alerts(category:NOTICE){edges{node{kind text}}}}", json!({})).await;
    assert_eq!(
        notices["alerts"]["edges"][0]["node"],
        json!({"kind": "POOL_RECALL_SOON", "text": "你有1位客户将在3天内被回收至「默认客户公海」，请及时跟进"})
    );

    // Eleven days after the last follow-up, 客户0 goes; won 客户2 stays.
    s.app.state.clock.advance(chrono::Duration::days(3));
    assert_eq!(recall(&s.app).await[s.app.corp.corp.id.to_string()]["recalled"], 1);
    assert_eq!(pool_names(&s.admin, json!({})).await, ["客户0", "客户1", "客户3"]);
    let timeline = s
        .admin
        .data("query($id:ID!){customer(id:$id){timeline{edges{node{kind payload}}}}}", json!({"id": id_of(&s.app, "客户0").await}))
        .await;
    let first = &timeline["customer"]["timeline"]["edges"][0]["node"];
    assert_eq!((first["kind"].as_str(), first["payload"]["action"].as_str()), (Some("PUBLIC_POOL"), Some("RECALLED")));
}

#[tokio::test]
async fn claims_respect_the_limit_and_two_claimers_get_one_owner() {
    let s = shop().await;
    let default = s.admin.data("{poolGroups{id}}", json!({})).await["poolGroups"][0]["id"].clone();
    let rules = json!({"name": "默认客户公海", "recallMode": "AUTO", "neverFollowedDays": 30, "claimBlockDays": 5});
    s.admin.data(DEFAULT_RULES, json!({"id": default, "i": rules})).await;
    recall(&s.app).await;
    let (c1, c3) = (id_of(&s.app, "客户1").await, id_of(&s.app, "客户3").await);

    // Read-only while pooled.
    let (code, reason, _) =
        refused(&s.admin, "mutation($i:UpdateCustomerInput!){updateCustomer(input:$i){id}}", json!({"i": {"id": c1, "channel": "x"}}))
            .await;
    assert_eq!((code.as_str(), reason.as_str()), ("CONFLICT", "CUSTOMER_IN_POOL"));
    // b owned both: blocked for five days.
    let claim = "mutation($ids:[ID!]!){claimPoolCustomers(customerIds:$ids){name owner{userid}}}";
    let (code, reason, _) = refused(&s.b, claim, json!({"ids": [c1]})).await;
    assert_eq!((code.as_str(), reason.as_str()), ("CONFLICT", "POOL_CLAIM_BLOCKED"));

    // a and the admin claim 客户3 at once: one owner, one CONFLICT.
    let (x, y) = tokio::join!(s.a.gql(claim, json!({"ids": [c3]})), s.admin.gql(claim, json!({"ids": [c3]})));
    let outcomes: Vec<&Value> = [&x, &y].into_iter().collect();
    let won: Vec<_> = outcomes.iter().filter(|v| v.get("errors").is_none()).collect();
    let lost: Vec<_> = outcomes.iter().filter(|v| v.get("errors").is_some()).collect();
    assert_eq!((won.len(), lost.len()), (1, 1), "{x} {y}");
    assert_eq!(lost[0]["errors"][0]["extensions"]["reason"], "POOL_ALREADY_CLAIMED");
    assert_eq!(pool_names(&s.admin, json!({})).await, ["客户1"]);

    // After the limit, b may claim 客户1; the claimer hears of it.
    s.app.state.clock.advance(chrono::Duration::days(5) + chrono::Duration::minutes(1));
    let v = s.b.data(claim, json!({"ids": [c1]})).await;
    assert_eq!(v["claimPoolCustomers"][0]["owner"]["userid"], "seller-b");
    let notices = s.b.data("{alerts(category:NOTICE){edges{node{kind text}}}}", json!({})).await;
    assert_eq!(notices["alerts"]["edges"][0]["node"]["kind"], "POOL_CLAIMED");
    assert_eq!(pool_names(&s.admin, json!({})).await, Vec::<String>::new());
}

#[tokio::test]
async fn owners_return_to_pools_they_may_use_and_managers_assign_or_delete() {
    let s = shop().await;
    let east = s
        .admin
        .data(
            "mutation($i:PoolGroupInput!){createPoolGroup(input:$i){id departmentIds}}",
            json!({"i": {"name": "华东公海", "departmentIds": [s.east]}}),
        )
        .await["createPoolGroup"]["id"]
        .clone();
    let reason = s.admin.data("mutation{createPoolReason(name:\"无意向\"){id name}}", json!({})).await["createPoolReason"]["id"].clone();
    let (_, r, _) = refused(&s.admin, "mutation{createPoolReason(name:\"无意向\"){id}}", json!({})).await;
    assert_eq!(r, "DUPLICATE");
    let (c0, c1) = (id_of(&s.app, "客户0").await, id_of(&s.app, "客户1").await);
    let ret = "mutation($ids:[ID!]!,$p:ID!,$r:ID!){returnCustomersToPool(customerIds:$ids,poolId:$p,reasonId:$r){customer{name} arrival returnReason{name} pool{name}}}";

    // b cannot use the East pool, nor return a's customer.
    let mine = s.b.data("{myPools{name}}", json!({})).await;
    assert_eq!(mine["myPools"], json!([{"name": "默认客户公海"}]));
    assert_eq!(refused(&s.b, ret, json!({"ids": [c1], "p": east, "r": reason})).await.0, "NOT_FOUND");
    assert_eq!(refused(&s.b, ret, json!({"ids": [c0], "p": "0", "r": reason})).await.0, "NOT_FOUND");

    let v = s.a.data(ret, json!({"ids": [c0], "p": east, "r": reason})).await;
    assert_eq!(
        v["returnCustomersToPool"][0],
        json!({"customer": {"name": "客户0"}, "arrival": "RETURNED", "returnReason": {"name": "无意向"}, "pool": {"name": "华东公海"}})
    );
    assert_eq!(pool_names(&s.a, json!({"poolId": east, "returnReasonId": reason})).await, ["客户0"]);
    assert_eq!(pool_names(&s.b, json!({})).await, Vec::<String>::new());
    // The pool's list exports with its pool and reason (CRM-6); b's holds nothing of East's.
    let export = "mutation($f:PoolCustomerFilter){exportPoolCustomers(filter:$f,columns:[NAME,OWNER],format:CSV){id module}}";
    let t = s.a.data(export, json!({"f": {"poolId": east}})).await["exportPoolCustomers"].clone();
    assert_eq!(t["module"], "POOL_CUSTOMERS");
    let done = crate::lead_import::finished(&s.a, &t["id"]).await;
    let rows = crate::lead_import::csv_rows(&crate::lead_import::download(&s.app, &done).await);
    assert_eq!(rows, [vec!["客户名称", "跟进人", "公海分组", "退回原因"], vec!["客户0", "", "华东公海", "无意向"]]);
    let t = s.b.data(export, json!({"f": {}})).await["exportPoolCustomers"].clone();
    assert_eq!(crate::lead_import::finished(&s.b, &t["id"]).await["totalRows"], 0);
    assert_eq!(refused(&s.b, export, json!({"f": {"poolId": east}})).await.0, "NOT_FOUND");
    assert_eq!(refused(&s.b, "query($p:ID!){poolCustomers(filter:{poolId:$p}){totalCount}}", json!({"p": east})).await.0, "NOT_FOUND");
    // A pool that customers follow cannot go.
    let (code, r, _) = refused(&s.admin, "mutation($id:ID!){deletePoolGroup(id:$id){id}}", json!({"id": east})).await;
    assert_eq!((code.as_str(), r.as_str()), ("CONFLICT", "POOL_GROUP_IN_USE"));

    // Assign to b; b hears of it.
    let v = s
        .admin
        .data(
            "mutation($i:AssignPoolCustomersInput!){assignPoolCustomers(input:$i){name owner{userid}}}",
            json!({"i": {"customerIds": [c0], "employeeIds": [s.b_id]}}),
        )
        .await;
    assert_eq!(v["assignPoolCustomers"][0]["owner"]["userid"], "seller-b");
    let notices = s.b.data("{alerts(category:NOTICE){edges{node{kind}}}}", json!({})).await;
    assert_eq!(notices["alerts"]["edges"][0]["node"]["kind"], "POOL_ASSIGNED");

    // Return again to the default pool, then delete for good.
    let default = s.admin.data("{poolGroups{id}}", json!({})).await["poolGroups"][0]["id"].clone();
    s.b.data(ret, json!({"ids": [c0], "p": default, "r": reason})).await;
    let (code, _, _) = refused(&s.a, "mutation($ids:[ID!]!){deletePoolCustomers(customerIds:$ids){id}}", json!({"ids": [c0]})).await;
    assert_eq!(code, "FORBIDDEN");
    s.admin.data("mutation($ids:[ID!]!){deletePoolCustomers(customerIds:$ids){id}}", json!({"ids": [c0]})).await;
    assert!(entity::customer::Entity::find_by_id(c0.parse::<i64>().unwrap()).one(&s.app.state.db).await.unwrap().is_none());
    let (code, r, _) = refused(&s.admin, "mutation($id:ID!){deletePoolGroup(id:$id){id}}", json!({"id": default})).await;
    assert_eq!((code.as_str(), r.as_str()), ("CONFLICT", "POOL_DEFAULT_FIXED"));
    s.admin.data("mutation($id:ID!){deletePoolGroup(id:$id){id}}", json!({"id": east})).await;
    let _ = &s.a_id;
}
