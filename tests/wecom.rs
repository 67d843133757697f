//! WeCom through the sandbox: binding, sync, two-way writes, callbacks, login.

use serde_json::json;
use wecrm::sandbox::{CallbackTarget, Sandbox, SandboxCorp};

use crate::support::{Client, TestApp, PASSWORD};

pub const WECOM_CORP: &str = "ww-acme";
const CB_TOKEN: &str = "callback-token";
const CB_KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";

pub struct World {
    pub app: TestApp,
    pub sandbox: Sandbox,
    pub sandbox_url: String,
    pub admin: Client,
}

pub async fn world(departments: usize, users: usize) -> World {
    world_with_customers(departments, users, 0).await
}

pub async fn world_with_customers(departments: usize, users: usize, customers: usize) -> World {
    world_configured(departments, users, customers, |_| {}).await
}

pub async fn world_configured(departments: usize, users: usize, customers: usize, tweak: impl FnOnce(&mut wecrm::config::Config)) -> World {
    let sandbox = Sandbox::new(7200);
    sandbox.add_corp(SandboxCorp::seeded(WECOM_CORP, departments, users).with_customers(customers));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let router = sandbox.router();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let sandbox_url = url.clone();
    let app = TestApp::spawn_with(|c| {
        c.oa_base_url = format!("{url}/oa");
        c.wecom_base_url = url;
        c.wecom_rate_backoff_ms = 10;
        tweak(c);
    })
    .await;
    sandbox.with_corp(WECOM_CORP, |c| {
        c.callback = Some(CallbackTarget { url: app.url("/callbacks/wecom/acme"), token: CB_TOKEN.into(), encoding_aes_key: CB_KEY.into() })
    });
    let admin = app.admin().await;
    admin
        .data(
            "mutation($i:BindWecomInput!){bindWecom(input:$i){corpId}}",
            json!({"i": {"corpId": WECOM_CORP, "contactSecret": "ww-acme-contacts-secret", "externalContactSecret": "ww-acme-external-secret",
                         "agentSecret": "ww-acme-agent-secret", "agentId": 1000002,
                         "callbackToken": CB_TOKEN, "encodingAesKey": CB_KEY}}),
        )
        .await;
    World { app, sandbox, sandbox_url, admin }
}

async fn start_sync(w: &World) -> entity::job::Model {
    // Straight through the queue: the manual-sync limits have their own test.
    w.app
        .state
        .jobs
        .enqueue::<wecrm::wecom_sync::sync::SyncJob>(
            &w.app.state.db,
            wecrm::jobs::NewJob { corp_id: Some(w.app.corp.corp.id), created_by: Some(w.app.corp.admin.id), ..Default::default() },
            &wecrm::wecom_sync::sync::SyncRequest { corp_id: w.app.corp.corp.id, org_only: false },
        )
        .await
        .map_err(|e| format!("{e:?}"))
        .unwrap()
}

/// In a real corp the super admin is a WeCom member too.
pub fn admin_is_a_member(w: &World) {
    w.sandbox.with_corp(WECOM_CORP, |c| {
        c.users.insert(
            "admin".into(),
            wecrm::integrations::wecom::types::User {
                userid: "admin".into(),
                name: "Admin".into(),
                department: vec![1],
                status: Some(1),
                ..Default::default()
            },
        )
    });
}

pub async fn sync(w: &World) -> serde_json::Value {
    let job = start_sync(w).await;
    w.app.wait_job(&w.admin, &job.id.to_string()).await
}

#[tokio::test]
async fn binding_keeps_secrets_encrypted_and_never_shows_them() {
    let w = world(1, 1).await;
    let v = w.admin.data("{wecomBinding{corpId contactSecretSet agentSecretSet externalContactSecretSet callbackUrl}}", json!({})).await;
    assert_eq!(v["wecomBinding"]["contactSecretSet"], true);
    assert_eq!(v["wecomBinding"]["externalContactSecretSet"], true);
    assert!(v["wecomBinding"]["callbackUrl"].as_str().unwrap().ends_with("/callbacks/wecom/acme"));
    use sea_orm::EntityTrait;
    let row = entity::wecom_binding::Entity::find().one(&w.app.state.db).await.unwrap().unwrap();
    let stored = row.contact_secret.unwrap();
    assert!(stored.starts_with("v1.") && !stored.contains("ww-acme-contacts-secret"));
    // No field of the schema can read a secret back.
    let sdl = wecrm::app::schema::sdl();
    let binding_type = sdl.split("type WecomBinding {").nth(1).unwrap().split('}').next().unwrap();
    assert!(!binding_type.contains("Secret:") && !binding_type.contains("encodingAesKey:"), "{binding_type}");
}

#[tokio::test]
async fn a_full_sync_lands_every_department_and_member_and_a_second_run_changes_nothing() {
    let w = world(4, 30).await;
    let first = sync(&w).await;
    assert_eq!(first["status"], "SUCCEEDED", "{first}");
    assert_eq!(first["result"]["departmentsCreated"], 4);
    assert_eq!(first["result"]["employeesCreated"], 30);
    let v = w.admin.data("{employees(first:100,filter:{conditions:[{systemField:\"USERID\",op:CONTAINS,value:\"user\"}]}){totalCount edges{node{systemEnabled roles{name} departments{name}}}}}", json!({})).await;
    assert_eq!(v["employees"]["totalCount"], 30);
    let e = &v["employees"]["edges"][0]["node"];
    assert_eq!(e["systemEnabled"], false, "synced members start closed");
    assert_eq!(e["roles"][0]["name"], "基础角色");
    assert_nothing_changed(&sync(&w).await);
}

#[tokio::test]
async fn a_token_invalidated_mid_sync_is_refreshed_and_the_sync_completes() {
    let w = world(2, 5).await;
    sync(&w).await;
    w.sandbox.invalidate_tokens();
    w.sandbox.with_corp(WECOM_CORP, |c| c.users.get_mut("user00001").unwrap().name = "改名".into());
    let again = sync(&w).await;
    assert_eq!(again["status"], "SUCCEEDED");
    assert_eq!(again["result"]["employeesUpdated"], 1);
    let rejected = w.sandbox.calls().iter().filter(|c| c.errcode == 40014).count();
    assert!(rejected >= 1, "the sandbox refused the stale token");
    // Three secrets (contacts sync, the app that reads details, customer
    // contact): one fetch each, then one refresh each.
    assert_eq!(w.sandbox.calls_to("/cgi-bin/gettoken").len(), 6, "one refresh per secret, not one per call");
}

#[tokio::test]
async fn a_frequency_limit_answer_slows_the_sync_without_failing_it() {
    let w = world(2, 5).await;
    w.sandbox.rate_limit_next(2);
    let done = sync(&w).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    assert_eq!(w.sandbox.calls().iter().filter(|c| c.errcode == 45009).count(), 2);
    assert_eq!(done["result"]["employeesCreated"], 5);
}

#[tokio::test]
async fn concurrent_callers_share_one_token_fetch() {
    let w = world(1, 1).await;
    let creds = wecrm::wecom_sync::binding::credentials(&w.app.state.db, &w.app.state.master_key, w.app.corp.corp.id)
        .await
        .map_err(|e| format!("{e:?}"))
        .unwrap()
        .unwrap();
    let mut handles = Vec::new();
    for _ in 0..10 {
        let (client, creds) = (w.app.state.wecom.clone(), creds.clone());
        handles.push(tokio::spawn(async move {
            client.department_list(&creds, wecrm::integrations::wecom::SecretKind::Agent, None).await.unwrap().len()
        }));
    }
    for h in handles {
        assert_eq!(h.await.unwrap(), 2);
    }
    assert_eq!(w.sandbox.calls_to("/cgi-bin/gettoken").len(), 1);
}

#[tokio::test]
async fn manual_sync_is_refused_within_10_minutes_of_the_last_one() {
    let w = world(1, 1).await;
    let first = w.admin.data("mutation{syncWecom{id}}", json!({})).await;
    w.app.wait_job(&w.admin, first["syncWecom"]["id"].as_str().unwrap()).await;
    let (code, msg, _) = w.admin.error("mutation{syncWecom{id}}", json!({})).await;
    assert_eq!((code.as_str(), msg.as_str()), ("RATE_LIMITED", "两次手动同步需间隔至少10分钟"));
}

#[tokio::test]
async fn a_department_created_in_graphql_is_created_in_wecom_first() {
    let w = world(2, 2).await;
    sync(&w).await;
    let root = w.app.root_id();
    let v = w.admin.data("mutation($p:ID!){createDepartment(input:{name:\"新部门\",parentId:$p}){id name}}", json!({"p": root})).await;
    let created = w.sandbox.calls_to("/cgi-bin/department/create");
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].body.as_ref().unwrap()["name"], "新部门");
    assert_eq!(created[0].body.as_ref().unwrap()["parentid"], 1);
    assert!(w.sandbox.with_corp(WECOM_CORP, |c| c.departments.values().any(|d| d.name == "新部门")).unwrap());
    let id = v["createDepartment"]["id"].as_str().unwrap().to_string();
    w.admin.data("mutation($id:ID!){renameDepartment(id:$id,name:\"改名部门\"){name}}", json!({"id": id})).await;
    assert!(w.sandbox.with_corp(WECOM_CORP, |c| c.departments.values().any(|d| d.name == "改名部门")).unwrap());

    // WeCom refuses: nothing changes here, and the caller sees UPSTREAM with the errcode.
    let before = w.admin.data("{departments{totalCount}}", json!({})).await["departments"]["totalCount"].clone();
    w.sandbox.fail_next("/cgi-bin/department/create", 60008, 1);
    let v = w.admin.gql("mutation($p:ID!){createDepartment(input:{name:\"被拒绝\",parentId:$p}){id}}", json!({"p": root})).await;
    assert_eq!(v["errors"][0]["extensions"]["code"], "UPSTREAM");
    assert_eq!(v["errors"][0]["extensions"]["errcode"], 60008);
    let after = w.admin.data("{departments{totalCount}}", json!({})).await["departments"]["totalCount"].clone();
    assert_eq!(before, after);
    w.admin.data("mutation($id:ID!){deleteDepartment(id:$id){id}}", json!({"id": id})).await;
    assert!(!w.sandbox.with_corp(WECOM_CORP, |c| c.departments.values().any(|d| d.name == "改名部门")).unwrap());
}

#[tokio::test]
async fn a_policy_refusal_says_what_the_admin_must_do() {
    let w = world(1, 1).await;
    sync(&w).await;
    w.sandbox.fail_next("/cgi-bin/department/create", 48002, 1);
    let v = w.admin.gql("mutation($p:ID!){createDepartment(input:{name:\"X\",parentId:$p}){id}}", json!({"p": w.app.root_id()})).await;
    assert_eq!(v["errors"][0]["extensions"]["code"], "UPSTREAM");
    assert_eq!(v["errors"][0]["extensions"]["reason"], "WECOM_API_NOT_PERMITTED");
    assert!(v["errors"][0]["message"].as_str().unwrap().contains("通讯录同步Secret"), "{v}");
    // 48009 is a different refusal with a different fix: the self-built app reads details.
    w.sandbox.fail_next("/cgi-bin/department/create", 48009, 1);
    let v = w.admin.gql("mutation($p:ID!){createDepartment(input:{name:\"X\",parentId:$p}){id}}", json!({"p": w.app.root_id()})).await;
    assert_eq!(v["errors"][0]["extensions"]["reason"], "WECOM_DIRECTORY_DETAILS_REFUSED");
    assert!(v["errors"][0]["message"].as_str().unwrap().contains("自建应用"), "{v}");
}

fn create_user_event(userid: &str, at: i64) -> String {
    format!(
        "<xml><ToUserName><![CDATA[{WECOM_CORP}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>{at}</CreateTime>\
         <MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_contact]]></Event><ChangeType>create_user</ChangeType>\
         <UserID><![CDATA[{userid}]]></UserID></xml>"
    )
}

#[tokio::test]
async fn a_callback_delivered_three_times_is_applied_once() {
    let w = world(1, 1).await;
    sync(&w).await;
    let newcomer = wecrm::integrations::wecom::types::User {
        userid: "newcomer".into(),
        name: "新同事".into(),
        department: vec![1],
        mobile: Some("13912345678".into()),
        status: Some(1),
        ..Default::default()
    };
    w.sandbox.with_corp(WECOM_CORP, |c| c.users.insert("newcomer".into(), newcomer));
    let event = create_user_event("newcomer", chrono::Utc::now().timestamp());
    for _ in 0..3 {
        let (status, body) = w.sandbox.send_callback(WECOM_CORP, &event).await.unwrap();
        assert_eq!((status, body.as_str()), (200, ""));
    }
    use sea_orm::{EntityTrait, PaginatorTrait};
    assert_eq!(entity::wecom_inbox::Entity::find().count(&w.app.state.db).await.unwrap(), 1);
    for _ in 0..100 {
        let v = w.admin.data("{employees(filter:{keyword:\"新同事\"}){totalCount}}", json!({})).await;
        if v["employees"]["totalCount"] == 1 {
            let row = entity::wecom_inbox::Entity::find().one(&w.app.state.db).await.unwrap().unwrap();
            if row.status == "APPLIED" {
                return;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the callback was not applied");
}

#[tokio::test]
async fn a_tampered_or_stale_callback_is_refused_and_nothing_is_stored() {
    let w = world(1, 1).await;
    let crypt = wecrm::integrations::wecom::crypto::MsgCrypt::new(CB_TOKEN, CB_KEY, WECOM_CORP).unwrap();
    let url = w.app.url("/callbacks/wecom/acme");
    let now = chrono::Utc::now().timestamp();
    let ts = now.to_string();
    let (enc, sig) = crypt.seal(&create_user_event("x", now), &ts, "n1");
    // Another last digit (one signature in 16 already ends in '0').
    let bad_sig = format!("{}{}", &sig[..39], if sig.ends_with('0') { '1' } else { '0' });
    let (status, _) = w.sandbox.post_callback(&url, WECOM_CORP, 1, &enc, &bad_sig, &ts, "n1").await.unwrap();
    assert_eq!(status, 403);
    // Sealed for another corp: the receive id does not match.
    let foreign = wecrm::integrations::wecom::crypto::MsgCrypt::new(CB_TOKEN, CB_KEY, "ww-other").unwrap();
    let (enc2, sig2) = foreign.seal(&create_user_event("x", now), &ts, "n2");
    assert_eq!(w.sandbox.post_callback(&url, WECOM_CORP, 1, &enc2, &sig2, &ts, "n2").await.unwrap().0, 403);
    // Replayed an hour later.
    let old = (now - 3600).to_string();
    let (enc3, sig3) = crypt.seal(&create_user_event("x", now - 3600), &old, "n3");
    assert_eq!(w.sandbox.post_callback(&url, WECOM_CORP, 1, &enc3, &sig3, &old, "n3").await.unwrap().0, 403);
    use sea_orm::{EntityTrait, PaginatorTrait};
    assert_eq!(entity::wecom_inbox::Entity::find().count(&w.app.state.db).await.unwrap(), 0);
}

#[tokio::test]
async fn the_callback_url_answers_wecoms_verification_with_the_decrypted_echo() {
    let w = world(1, 1).await;
    let crypt = wecrm::integrations::wecom::crypto::MsgCrypt::new(CB_TOKEN, CB_KEY, WECOM_CORP).unwrap();
    let verify = |ts: String| {
        let (echo, sig) = crypt.seal("1616140317555161061", &ts, "263014780");
        w.app
            .http
            .get(w.app.url("/callbacks/wecom/acme"))
            .query(&[("msg_signature", sig.as_str()), ("timestamp", ts.as_str()), ("nonce", "263014780"), ("echostr", echo.as_str())])
            .send()
    };
    let r = verify(chrono::Utc::now().timestamp().to_string()).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "1616140317555161061");
    // A captured verification replayed later is refused, as a delivery would be.
    let r = verify((chrono::Utc::now().timestamp() - 3600).to_string()).await.unwrap();
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn login_with_a_wecom_code_opens_a_session_for_enabled_members_only() {
    let w = world(1, 3).await;
    sync(&w).await;
    let q = "mutation($c:String!){loginWithWecomCode(corpCode:\"acme\",code:$c){accessToken employee{userid}}}";
    let code = w.sandbox.oauth_code(WECOM_CORP, "user00001");
    let (code_err, msg, _) = w.admin.error(q, json!({"c": code})).await;
    assert_eq!((code_err.as_str(), msg.as_str()), ("FORBIDDEN", "该账号未开启系统使用权限，请联系管理员"));
    let v = w
        .admin
        .data("{employees(filter:{conditions:[{systemField:\"USERID\",op:EQ,value:\"user00001\"}]}){edges{node{id}}}}", json!({}))
        .await;
    let id = v["employees"]["edges"][0]["node"]["id"].as_str().unwrap().to_string();
    w.admin.data("mutation($id:ID!){setEmployeeSystemAccess(id:$id,enabled:true){id}}", json!({"id": id})).await;
    let code = w.sandbox.oauth_code(WECOM_CORP, "user00001");
    let v = w.app.anonymous().data(q, json!({"c": code})).await;
    assert_eq!(v["loginWithWecomCode"]["employee"]["userid"], "user00001");
    // A code works once.
    let (c, _, _) = w.app.anonymous().error(q, json!({"c": code})).await;
    assert_eq!(c, "UNAUTHENTICATED");
    let _ = PASSWORD;
}

#[tokio::test]
async fn a_consented_wecom_login_fills_the_fields_wecom_hides_from_apps() {
    let w = world(1, 3).await;
    sync(&w).await;
    w.sandbox.with_corp(WECOM_CORP, |c| {
        let u = c.users.get_mut("user00001").unwrap();
        (u.email, u.avatar, u.address) = (Some("li@acme.cn".into()), Some("https://wework.qpic.cn/a/0".into()), Some("上海市".into()));
    });
    let v = w
        .admin
        .data("{employees(filter:{conditions:[{systemField:\"USERID\",op:EQ,value:\"user00001\"}]}){edges{node{id}}}}", json!({}))
        .await;
    let id = v["employees"]["edges"][0]["node"]["id"].as_str().unwrap().to_string();
    w.admin.data("mutation($id:ID!){setEmployeeSystemAccess(id:$id,enabled:true){id}}", json!({"id": id})).await;
    let fields = || async {
        let q = "query($id:ID!){employee(id:$id){mobile gender email avatar address}}";
        w.admin.data(q, json!({"id": id})).await["employee"].clone()
    };
    // The strict sandbox gives apps no mobile, gender, email, avatar or address.
    let synced = json!({"mobile": "", "gender": null, "email": null, "avatar": null, "address": null});
    assert_eq!(fields().await, synced);
    let login = "mutation($c:String!){loginWithWecomCode(corpCode:\"acme\",code:$c){accessToken}}";
    // Without consent there is no user_ticket: nothing more is asked or changed.
    w.app.anonymous().data(login, json!({"c": w.sandbox.oauth_code(WECOM_CORP, "user00001")})).await;
    assert_eq!(fields().await, synced);
    assert!(w.sandbox.calls_to("/cgi-bin/auth/getuserdetail").is_empty());
    // A getuserdetail refusal costs the fields, not the login.
    w.sandbox.fail_next("/cgi-bin/auth/getuserdetail", 40029, 1);
    w.app.anonymous().data(login, json!({"c": w.sandbox.oauth_code_with_consent(WECOM_CORP, "user00001")})).await;
    assert_eq!(fields().await, synced);
    w.app.anonymous().data(login, json!({"c": w.sandbox.oauth_code_with_consent(WECOM_CORP, "user00001")})).await;
    let filled = json!({"mobile": "+86 13900000001", "gender": "FEMALE", "email": "li@acme.cn",
                        "avatar": "https://wework.qpic.cn/a/0", "address": "上海市"});
    assert_eq!(fields().await, filled);
    let calls = w.sandbox.calls_to("/cgi-bin/auth/getuserdetail");
    assert_eq!(calls.iter().map(|c| c.errcode).collect::<Vec<_>>(), [40029, 0], "asked only for the consented logins");
    // What WeCom sends empty erases nothing.
    w.sandbox.with_corp(WECOM_CORP, |c| {
        let u = c.users.get_mut("user00001").unwrap();
        (u.email, u.address) = (Some(String::new()), None);
    });
    w.app.anonymous().data(login, json!({"c": w.sandbox.oauth_code_with_consent(WECOM_CORP, "user00001")})).await;
    assert_eq!(fields().await, filled);
}

#[tokio::test]
async fn a_mobile_shared_by_consent_that_another_employee_holds_is_skipped() {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
    let w = world(1, 3).await;
    sync(&w).await;
    let db = &w.app.state.db;
    let employee = |userid: &'static str| async move {
        entity::employee::Entity::find().filter(entity::employee::Column::Userid.eq(userid)).one(db).await.unwrap().unwrap()
    };
    let mut other: entity::employee::ActiveModel = employee("user00002").await.into();
    other.mobile = Set("+86 13900000001".into());
    other.update(db).await.unwrap();
    let mut me: entity::employee::ActiveModel = employee("user00001").await.into();
    me.system_enabled = Set(true);
    me.update(db).await.unwrap();
    let login = "mutation($c:String!){loginWithWecomCode(corpCode:\"acme\",code:$c){employee{userid}}}";
    let v = w.app.anonymous().data(login, json!({"c": w.sandbox.oauth_code_with_consent(WECOM_CORP, "user00001")})).await;
    assert_eq!(v["loginWithWecomCode"]["employee"]["userid"], "user00001");
    let me = employee("user00001").await;
    assert_eq!((me.mobile.as_str(), me.gender.as_deref()), ("", Some("FEMALE")), "the rest is still filled");
}

#[tokio::test]
async fn employees_created_edited_and_deleted_in_graphql_are_written_to_wecom_first() {
    let w = world(2, 2).await;
    sync(&w).await;
    let v = w.admin.data("{departments(filter:{keyword:\"销售部\"}){edges{node{id}}}}", json!({})).await;
    let sales = v["departments"]["edges"][0]["node"]["id"].as_str().unwrap().to_string();
    let create = "mutation($i:CreateEmployeeInput!){createEmployee(input:$i){id}}";
    let input = json!({"i": {"userid": "zhaolei", "name": "赵磊", "mobile": "13800000010", "departmentIds": [sales], "roleIds": [w.app.basic_role_id()], "gender": "MALE"}});
    let id = w.admin.data(create, input.clone()).await["createEmployee"]["id"].as_str().unwrap().to_string();
    let body = w.sandbox.calls_to("/cgi-bin/user/create")[0].body.clone().unwrap();
    assert_eq!(body["userid"], "zhaolei");
    assert_eq!(body["mobile"], "13800000010");
    assert_eq!(body["gender"], "1");
    assert_eq!(body["department"], json!([2]));
    w.admin.data("mutation($id:ID!){updateEmployee(input:{id:$id,position:\"主管\"}){id}}", json!({"id": id})).await;
    assert_eq!(w.sandbox.with_corp(WECOM_CORP, |c| c.users["zhaolei"].position.clone()).unwrap().as_deref(), Some("主管"));
    w.admin.data("mutation($id:ID!){deleteEmployee(id:$id){id}}", json!({"id": id})).await;
    assert!(!w.sandbox.with_corp(WECOM_CORP, |c| c.users.contains_key("zhaolei")).unwrap());

    // WeCom refuses (mobile already used): nothing is created here.
    w.sandbox.fail_next("/cgi-bin/user/create", 60104, 1);
    let v = w.admin.gql(create, input).await;
    assert_eq!(v["errors"][0]["extensions"]["errcode"], 60104);
    let n = w.admin.data("{employees(filter:{keyword:\"赵磊\"}){totalCount}}", json!({})).await;
    assert_eq!(n["employees"]["totalCount"], 0);
}

fn assert_nothing_changed(job: &serde_json::Value) {
    assert_eq!(job["status"], "SUCCEEDED", "{job}");
    for (k, v) in job["result"].as_object().unwrap() {
        assert_eq!(v, 0, "{k} changed on a second run: {job}");
    }
}

#[tokio::test]
async fn a_full_sync_of_10000_external_contacts_lands_every_contact_and_follow_relation() {
    let w = world_with_customers(3, 30, 10_000).await;
    let (contacts, follows, chats) = w.sandbox.with_corp(WECOM_CORP, |c| (c.contacts.len(), c.follows.len(), c.group_chats.len())).unwrap();
    let first = sync(&w).await;
    assert_eq!(first["status"], "SUCCEEDED", "{first}");
    assert_eq!(first["result"]["customersCreated"], contacts as u64);
    assert_eq!(first["result"]["followsCreated"], follows as u64);
    assert_eq!(first["result"]["groupsCreated"], chats as u64);
    assert_eq!(first["result"]["tagsCreated"], 8);

    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let db = &w.app.state.db;
    assert_eq!(entity::customer::Entity::find().count(db).await.unwrap(), 10_000);
    assert_eq!(entity::customer_follow::Entity::find().count(db).await.unwrap(), follows as u64);
    // A customer with two adders keeps both, with WeCom's fields, owned by the earliest.
    let first_id = w.sandbox.with_corp(WECOM_CORP, |c| c.follows[0].0.clone()).unwrap();
    let c = entity::customer::Entity::find().filter(entity::customer::Column::ExternalUserid.eq(&first_id)).one(db).await.unwrap().unwrap();
    let fs = entity::customer_follow::Entity::find().filter(entity::customer_follow::Column::CustomerId.eq(c.id)).all(db).await.unwrap();
    assert_eq!(fs.len(), 2);
    let earliest = fs.iter().min_by_key(|f| f.added_at).unwrap();
    assert_eq!(c.owner_id, Some(earliest.employee_id));
    assert_eq!(earliest.remark.as_deref(), Some("备注0"));
    assert_eq!(earliest.add_way, 1);
    assert_eq!(earliest.state.as_deref(), Some("livecode-1"));
    assert_eq!(earliest.wecom_tag_ids, r#"["ettag00","ettag10"]"#);
    let members = entity::group_member::Entity::find().count(db).await.unwrap();
    assert_eq!(members, chats as u64 * 11);

    assert_nothing_changed(&sync(&w).await);
}

pub fn event(body: &str) -> String {
    format!(
        "<xml><ToUserName><![CDATA[{WECOM_CORP}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>{}</CreateTime>\
         <MsgType><![CDATA[event]]></MsgType>{body}</xml>",
        chrono::Utc::now().timestamp()
    )
}

pub async fn wait_applied(w: &World, n: u64) {
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    for _ in 0..200 {
        let done = entity::wecom_inbox::Entity::find()
            .filter(entity::wecom_inbox::Column::Status.ne("PENDING"))
            .count(&w.app.state.db)
            .await
            .unwrap();
        if done >= n {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("inbox events were not applied");
}

#[tokio::test]
async fn customer_and_group_callbacks_update_customers_follows_and_groups() {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let w = world_with_customers(1, 2, 0).await;
    sync(&w).await;
    // "Customer X added employee Y with state S", as WeCom would tell us.
    w.sandbox.with_corp(WECOM_CORP, |c| c.add_contact("wmNEW", "新客户", "user00000", 1_700_000_000, Some("expo".into())));
    let add = event("<Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[add_external_contact]]></ChangeType><UserID><![CDATA[user00000]]></UserID><ExternalUserID><![CDATA[wmNEW]]></ExternalUserID><State><![CDATA[expo]]></State><WelcomeCode><![CDATA[WELCOME]]></WelcomeCode>");
    assert_eq!(w.sandbox.send_callback(WECOM_CORP, &add).await.unwrap().0, 200);
    wait_applied(&w, 1).await;
    let db = &w.app.state.db;
    let c = entity::customer::Entity::find()
        .filter(entity::customer::Column::ExternalUserid.eq("wmNEW"))
        .one(db)
        .await
        .unwrap()
        .expect("customer landed");
    let f = entity::customer_follow::Entity::find()
        .filter(entity::customer_follow::Column::CustomerId.eq(c.id))
        .one(db)
        .await
        .unwrap()
        .expect("follow landed");
    assert_eq!(f.state.as_deref(), Some("expo"));
    assert_eq!(c.owner_id, Some(f.employee_id));

    let del = event("<Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[del_follow_user]]></ChangeType><UserID><![CDATA[user00000]]></UserID><ExternalUserID><![CDATA[wmNEW]]></ExternalUserID>");
    w.sandbox.send_callback(WECOM_CORP, &del).await.unwrap();
    wait_applied(&w, 2).await;
    assert!(entity::customer_follow::Entity::find()
        .filter(entity::customer_follow::Column::CustomerId.eq(c.id))
        .one(db)
        .await
        .unwrap()
        .is_none());
    let c = entity::customer::Entity::find_by_id(c.id).one(db).await.unwrap().unwrap();
    assert_eq!(c.owner_id, None, "no adder left");

    // A group gained a member.
    w.sandbox.with_corp(WECOM_CORP, |c| {
        c.group_chats.insert(
            "wrNEW".into(),
            wecrm::integrations::wecom::types::GroupChat {
                chat_id: "wrNEW".into(),
                name: "新群".into(),
                owner: "user00001".into(),
                member_list: vec![wecrm::integrations::wecom::types::GroupChatMember {
                    userid: "wmNEW".into(),
                    member_type: 2,
                    join_scene: 3,
                    ..Default::default()
                }],
                ..Default::default()
            },
        )
    });
    let chat = event("<Event><![CDATA[change_external_chat]]></Event><ChatId><![CDATA[wrNEW]]></ChatId><ChangeType><![CDATA[update]]></ChangeType><UpdateDetail><![CDATA[add_member]]></UpdateDetail><JoinScene>3</JoinScene><MemChangeCnt>1</MemChangeCnt>");
    w.sandbox.send_callback(WECOM_CORP, &chat).await.unwrap();
    wait_applied(&w, 3).await;
    let g = entity::customer_group::Entity::find()
        .filter(entity::customer_group::Column::ChatId.eq("wrNEW"))
        .one(db)
        .await
        .unwrap()
        .expect("group landed");
    let m = entity::group_member::Entity::find().filter(entity::group_member::Column::GroupId.eq(g.id)).all(db).await.unwrap();
    assert_eq!((m.len(), m[0].join_scene), (1, 3));
    let rows = entity::wecom_inbox::Entity::find().all(db).await.unwrap();
    assert!(rows.iter().all(|r| r.status == "APPLIED"), "events are kept, applied: {rows:?}");
}

#[tokio::test]
async fn internal_groups_are_created_through_wecom_split_at_the_limit_and_listed() {
    let w = world(2, 7).await;
    admin_is_a_member(&w);
    sync(&w).await;
    let v = w.admin.data("{departments(filter:{keyword:\"销售部\"}){edges{node{id}}}}", json!({})).await;
    let sales = v["departments"]["edges"][0]["node"]["id"].as_str().unwrap().to_string();
    let create = "mutation($i:CreateInternalGroupsInput!){createInternalGroups(input:$i){id}}";
    // Refused before any WeCom call: no filter, a size out of range, a long message.
    let (code, msg, _) = w.admin.error(create, json!({"i": {"name": "群", "filter": {}, "entryMessage": {"text": "hi"}}})).await;
    assert_eq!((code.as_str(), msg.as_str()), ("BAD_USER_INPUT", "请至少选择部门、员工标签或字段条件中的一项"));
    let (_, msg, _) = w
        .admin
        .error(create, json!({"i": {"name": "群", "filter": {"departmentIds": [sales]}, "sizeLimit": 1, "entryMessage": {"text": "hi"}}}))
        .await;
    assert_eq!(msg, "群人数上限为2-2000");
    let (_, msg, _) = w
        .admin
        .error(create, json!({"i": {"name": "群", "filter": {"departmentIds": [sales]}, "entryMessage": {"text": "长".repeat(301)}}}))
        .await;
    assert_eq!(msg, "入群引导语不超过300字");

    let job = w
        .admin
        .data(create, json!({"i": {"name": "产品内部群", "filter": {"departmentIds": [w.app.root_id()], "includeSubDepartments": true}, "sizeLimit": 3, "autoSplit": true, "entryMessage": {"text": "欢迎加入", "imageMediaId": "MEDIA1"}}}))
        .await;
    let done = w.app.wait_job(&w.admin, job["createInternalGroups"]["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    let everyone: usize = 7 + 1; // synced members and the super admin
    let chats = w.sandbox.with_corp(WECOM_CORP, |c| c.app_chats.clone()).unwrap();
    let expected_groups = everyone.div_ceil(3);
    assert_eq!(chats.len(), expected_groups);
    let mut names: Vec<String> = chats.values().map(|(c, _)| c.name.clone()).collect();
    names.sort();
    assert_eq!(names[0], "产品内部群1");
    for (create, sent) in chats.values() {
        assert!((2..=3).contains(&create.userlist.len()));
        assert!(create.userlist.contains(&create.owner), "a random member owns it");
        assert_eq!(sent[0]["text"]["content"], "欢迎加入");
        assert_eq!(sent[1]["image"]["media_id"], "MEDIA1");
    }
    let v =
        w.admin.data("{internalGroups{totalCount edges{node{name chatId memberCount owner{userid} members{userid}}}}}", json!({})).await;
    assert_eq!(v["internalGroups"]["totalCount"], expected_groups as u64);
    let g = &v["internalGroups"]["edges"][0]["node"];
    assert_eq!(g["members"].as_array().unwrap().len() as i64, g["memberCount"].as_i64().unwrap());

    // Without auto-split the same selection is refused as a whole.
    let job = w
        .admin
        .data(create, json!({"i": {"name": "不拆分", "filter": {"departmentIds": [w.app.root_id()], "includeSubDepartments": true}, "sizeLimit": 3, "entryMessage": {"text": "hi"}}}))
        .await;
    let done = w.app.wait_job(&w.admin, job["createInternalGroups"]["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "FAILED");
    assert_eq!(done["error"]["code"], "BAD_USER_INPUT");
    assert_eq!(w.sandbox.with_corp(WECOM_CORP, |c| c.app_chats.len()).unwrap(), expected_groups);
}

#[tokio::test]
async fn the_sandbox_fires_a_customer_added_employee_event_on_demand_over_http() {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let w = world(1, 2).await;
    sync(&w).await;
    let r = w
        .app
        .http
        .post(format!("{}/sandbox/corps/{WECOM_CORP}/events", w.sandbox_url))
        .json(&json!({"type": "add_external_contact", "userid": "user00001", "external_userid": "wmHTTP", "name": "展会客户", "state": "expo-2026"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["deliveredStatus"], 200);
    wait_applied(&w, 1).await;
    let c = entity::customer::Entity::find()
        .filter(entity::customer::Column::ExternalUserid.eq("wmHTTP"))
        .one(&w.app.state.db)
        .await
        .unwrap()
        .expect("applied");
    assert_eq!(c.name, "展会客户");
    let calls: serde_json::Value = w.app.http.get(format!("{}/sandbox/calls", w.sandbox_url)).send().await.unwrap().json().await.unwrap();
    assert!(calls["calls"].as_array().unwrap().iter().any(|c| c["path"] == "/cgi-bin/externalcontact/get"));
}

#[tokio::test]
async fn the_client_lists_remarks_and_tags_customers_as_wecom_does() {
    use wecrm::integrations::wecom::types::{AddCorpTag, DelCorpTag, EditCorpTag, MarkTag, NewTag, RemarkRequest};
    let w = world_with_customers(1, 2, 4).await;
    let creds = wecrm::wecom_sync::binding::credentials(&w.app.state.db, &w.app.state.master_key, w.app.corp.corp.id)
        .await
        .map_err(|e| format!("{e:?}"))
        .unwrap()
        .unwrap();
    let client = &w.app.state.wecom;
    let ids = client.contact_list(&creds, "user00000").await.unwrap();
    assert!(!ids.is_empty());
    let ext = ids[0].clone();
    client
        .contact_remark(
            &creds,
            &RemarkRequest {
                userid: "user00000".into(),
                external_userid: ext.clone(),
                remark: Some("老客户".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let group = client
        .corp_tag_add(
            &creds,
            &AddCorpTag {
                group_name: Some("意向".into()),
                tag: vec![NewTag { name: "高".into(), order: None }, NewTag { name: "低".into(), order: None }],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(group.tag.len(), 2);
    let high = group.tag[0].id.clone();
    client
        .mark_tag(
            &creds,
            &MarkTag { userid: "user00000".into(), external_userid: ext.clone(), add_tag: vec![high.clone()], remove_tag: vec![] },
        )
        .await
        .unwrap();
    let detail = client.contact_get(&creds, &ext).await.unwrap();
    let mine = detail.follow_user.iter().find(|f| f.userid == "user00000").unwrap();
    assert_eq!(mine.remark, "老客户");
    assert!(mine.tags.iter().any(|t| t.tag_id.as_deref() == Some(high.as_str()) && t.tag_name == "高" && t.group_name == "意向"));
    // An unknown tag fails the whole mark (all or nothing), as UPSTREAM 40068.
    let e = client
        .mark_tag(&creds, &MarkTag { userid: "user00000".into(), external_userid: ext, add_tag: vec!["nope".into()], remove_tag: vec![] })
        .await
        .unwrap_err();
    assert_eq!(e.errcode(), Some(40068));
    client.corp_tag_edit(&creds, &EditCorpTag { id: high.clone(), name: Some("很高".into()), ..Default::default() }).await.unwrap();
    client.corp_tag_del(&creds, &DelCorpTag { group_id: vec![group.group_id.clone()], ..Default::default() }).await.unwrap();
    let left = client.corp_tag_list(&creds, &Default::default()).await.unwrap();
    assert!(left.iter().all(|g| g.group_id != group.group_id));
    let body = w.sandbox.calls_to("/cgi-bin/externalcontact/add_corp_tag")[0].body.clone().unwrap();
    assert_eq!(body["group_name"], "意向");
}

#[tokio::test]
async fn the_hourly_reconciliation_repairs_a_member_change_whose_callback_was_lost() {
    let w = world(1, 2).await;
    sync(&w).await;
    w.sandbox.with_corp(WECOM_CORP, |c| {
        c.users.insert(
            "quiet".into(),
            wecrm::integrations::wecom::types::User {
                userid: "quiet".into(),
                name: "无回调".into(),
                department: vec![1],
                status: Some(1),
                ..Default::default()
            },
        )
    });
    w.app
        .state
        .jobs
        .enqueue::<wecrm::wecom_sync::sync::HourlyReconcileJob>(&w.app.state.db, wecrm::jobs::NewJob::system(), &json!({}))
        .await
        .map_err(|e| format!("{e:?}"))
        .unwrap();
    for _ in 0..200 {
        let v = w.admin.data("{employees(filter:{keyword:\"无回调\"}){totalCount}}", json!({})).await;
        if v["employees"]["totalCount"] == 1 {
            // Org-only: the customer side was not re-read.
            assert!(w.sandbox.calls_to("/cgi-bin/externalcontact/batch/get_by_user").len() <= 1);
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the reconciliation did not land the member");
}

#[tokio::test]
async fn corp_tags_written_in_graphql_go_to_wecom_first_and_deletes_are_guarded() {
    let w = world_with_customers(1, 2, 6).await;
    sync(&w).await;
    let create = "mutation($i:CreateCorpTagGroupInput!){createCorpTagGroup(input:$i){id name wecomId tags{id name wecomId}}}";
    let (code, msg, _) = w.admin.error(create, json!({"i": {"name": "空组", "tags": []}})).await;
    assert_eq!((code.as_str(), msg.as_str()), ("BAD_USER_INPUT", "新建标签组至少需要一个标签"));
    let g = w.admin.data(create, json!({"i": {"name": "意向", "tags": ["高", "低"]}})).await["createCorpTagGroup"].clone();
    assert!(g["wecomId"].is_string() && g["tags"][0]["wecomId"].is_string());
    assert!(w.sandbox.with_corp(WECOM_CORP, |c| c.tag_groups.iter().any(|x| x.group_name == "意向" && x.tag.len() == 2)).unwrap());
    let high = g["tags"].as_array().unwrap().iter().find(|t| t["name"] == "高").unwrap()["id"].as_str().unwrap().to_string();
    w.admin.data("mutation($id:ID!){renameCorpTag(id:$id,name:\"很高\"){name}}", json!({"id": high})).await;
    assert!(w.sandbox.with_corp(WECOM_CORP, |c| c.tag_groups.iter().flat_map(|g| g.tag.iter()).any(|t| t.name == "很高")).unwrap());

    let (code, msg, _) = w.admin.error("mutation($id:ID!){deleteCorpTagGroup(id:$id){id}}", json!({"id": g["id"]})).await;
    assert_eq!((code.as_str(), msg.as_str()), ("CONFLICT", "请先移除标签组下标签再进行删除"));
    // A synced tag that customers carry.
    let groups = w.admin.data("{corpTagGroups{name tags{id name wecomId}}}", json!({})).await;
    let used = groups["corpTagGroups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["tags"].as_array().unwrap().clone())
        .find(|t| t["wecomId"] == "ettag00")
        .unwrap();
    let (code, msg, _) = w.admin.error("mutation($id:ID!){deleteCorpTag(id:$id){id}}", json!({"id": used["id"]})).await;
    assert_eq!((code.as_str(), msg.as_str()), ("CONFLICT", "该标签正在使用中，不支持删除"));
    w.admin.data("mutation($id:ID!){deleteCorpTag(id:$id){id}}", json!({"id": high})).await;
    assert_eq!(w.sandbox.calls_to("/cgi-bin/externalcontact/del_corp_tag").len(), 1);

    // WeCom refuses: nothing is created here.
    w.sandbox.fail_next("/cgi-bin/externalcontact/add_corp_tag", 40071, 1);
    let v = w.admin.gql(create, json!({"i": {"name": "重复", "tags": ["x"]}})).await;
    assert_eq!(v["errors"][0]["extensions"]["errcode"], 40071);
    let groups = w.admin.data("{corpTagGroups{name}}", json!({})).await;
    assert!(groups["corpTagGroups"].as_array().unwrap().iter().all(|g| g["name"] != "重复"));
}

#[tokio::test]
async fn a_full_sync_that_fails_mid_way_resumes_where_it_stopped() {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let w = world_with_customers(1, 30, 1_000).await;
    let path = "/cgi-bin/externalcontact/batch/get_by_user";
    // Five pages go through, then WeCom stays busy past the client's retries.
    w.sandbox.fail_after(path, -1, 5, 4);
    let job = start_sync(&w).await;
    let db = &w.app.state.db;
    // Wait for the failed first attempt, then skip its backoff.
    for _ in 0..400 {
        let j = entity::job::Entity::find_by_id(job.id).one(db).await.unwrap().unwrap();
        if j.status == "QUEUED" && j.attempts == 1 {
            assert!(j.checkpoint.as_deref().unwrap_or("").contains("\"customers\""), "{j:?}");
            entity::job::Entity::update_many()
                .col_expr(entity::job::Column::RunAt, chrono::Utc::now().into())
                .filter(entity::job::Column::Id.eq(job.id))
                .exec(db)
                .await
                .unwrap();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let done = w.app.wait_job(&w.admin, &job.id.to_string()).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    let pages_seen: Vec<i64> = w.sandbox.calls_to(path).iter().map(|c| c.errcode).collect();
    assert_eq!(done["result"]["customersCreated"], 1_000, "counts cover both attempts: {done} {pages_seen:?}");
    let pages = w.sandbox.calls_to(path).iter().filter(|c| c.errcode == 0).count();
    let follows = w.sandbox.with_corp(WECOM_CORP, |c| c.follows.len()).unwrap();
    assert_eq!(pages, follows.div_ceil(100), "no page was fetched twice");
}

#[tokio::test]
async fn without_address_book_access_the_sync_carries_on_with_customers() {
    let w = world_with_customers(1, 3, 10).await;
    sync(&w).await;
    w.sandbox.with_corp(WECOM_CORP, |c| c.add_contact("wmLATE", "后来的客户", "user00001", 1_700_000_000, None));
    // Neither the contacts secret nor the app may read details: ids still come.
    w.sandbox.fail_next("/cgi-bin/department/list", 60011, 2);
    let done = sync(&w).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    assert_eq!(done["result"]["skipped"], json!(["departments: 60011"]));
    assert_eq!(done["result"]["customersCreated"], 1);
}

/// WeCom blocks a server's IP for an hour after repeated wrong secrets, which
/// would stop every corp on it: a secret `gettoken` refused is not sent again
/// for ten minutes, and a corrected secret is tried at once.
#[tokio::test]
async fn a_refused_secret_is_not_sent_to_wecom_again() {
    use wecrm::integrations::wecom::{Credentials, SecretKind};
    let w = world(1, 1).await;
    let creds = |secret: &str| Credentials {
        corp_id: WECOM_CORP.into(),
        contact_secret: None,
        external_secret: Some(secret.into()),
        agent_secret: None,
        agent_id: None,
    };
    let client = &w.app.state.wecom;
    let refused = || w.sandbox.calls_to("/cgi-bin/gettoken").into_iter().filter(|c| c.errcode == 40001).count();
    for _ in 0..6 {
        let e = client.token(&creds("a-mistyped-secret"), SecretKind::ExternalContact).await.unwrap_err();
        assert!(matches!(e, wecrm::integrations::wecom::WecomError::Api { errcode: 40001, .. }), "{e:?}");
    }
    assert_eq!(refused(), 1, "asked WeCom once");
    assert!(client.token(&creds("ww-acme-external-secret"), SecretKind::ExternalContact).await.is_ok(), "the right secret at once");
}
