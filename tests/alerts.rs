//! Live alerts over real WebSockets: radar hits from WeCom callbacks, reply
//! timeouts on a controllable clock (once per level, none after a reply in
//! time, exactly once across a restart), and fan-out across two instances.

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::{client::IntoClientRequest, Message};

use crate::{
    subscriptions::next_json,
    support::{Client, TestApp, PASSWORD},
    wecom::{sync, world_with_customers, World, WECOM_CORP},
};

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn ws_at(addr: std::net::SocketAddr, token: &str) -> Ws {
    let mut req = format!("ws://{addr}/graphql/ws").into_client_request().unwrap();
    req.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    ws.send(Message::Text(json!({"type": "connection_init", "payload": {"authorization": format!("Bearer {token}")}}).to_string().into()))
        .await
        .unwrap();
    assert_eq!(next_json(&mut ws).await.unwrap()["type"], "connection_ack");
    ws
}

/// Opens a socket for `client` and subscribes to `field` (radarAlerts,
/// timeoutAlerts…); returns once the server has registered the subscription.
pub async fn subscribe(app: &TestApp, client: &Client, field: &str) -> Ws {
    let mut ws = ws_at(app.addr, client.token.as_deref().unwrap()).await;
    let query = format!(
        "subscription{{{field}{{id category kind text occurredAt customer{{name}} radar{{behaviour groupName customerName}} \
         timeout{{level limitMinutes chatKind customerMessage timedOutEmployeeIds}}}}}}"
    );
    let before = app.state.bus.subscriber_count();
    ws.send(Message::Text(json!({"id": "1", "type": "subscribe", "payload": {"query": query}}).to_string().into())).await.unwrap();
    for _ in 0..200 {
        if app.state.bus.subscriber_count() > before {
            return ws;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the {field} subscription was not registered");
}

/// The next alert on the socket, or `None` within `secs`.
pub async fn next_alert(ws: &mut Ws, field: &str, secs: u64) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        let left = deadline.checked_duration_since(tokio::time::Instant::now())?;
        let msg = tokio::time::timeout(left, ws.next()).await.ok()??.ok()?;
        if let Message::Text(t) = msg {
            let v: Value = serde_json::from_str(&t).ok()?;
            if v["type"] == "next" {
                return Some(v["payload"]["data"][field].clone());
            }
            if v["type"] == "error" {
                panic!("subscription error: {v}");
            }
        }
    }
}

pub async fn employee_id(c: &Client, userid: &str) -> String {
    let v = c
        .data(
            "query($u:JSON!){employees(filter:{conditions:[{systemField:\"USERID\",op:EQ,value:$u}]}){edges{node{id}}}}",
            json!({"u": userid}),
        )
        .await;
    v["employees"]["edges"][0]["node"]["id"].as_str().unwrap().to_string()
}

/// Opens a synced member with a DEPARTMENT-scoped role and logs them in.
pub async fn open_member(w: &World, userid: &str, role: &str) -> (String, Client) {
    let a = &w.admin;
    let id = employee_id(a, userid).await;
    a.data("mutation($id:ID!,$r:[ID!]){updateEmployee(input:{id:$id,roleIds:$r}){id}}", json!({"id": id, "r": [role]})).await;
    a.data("mutation($id:ID!){setEmployeeSystemAccess(id:$id,enabled:true){id}}", json!({"id": id})).await;
    a.data("mutation($id:ID!,$p:String!){setEmployeePassword(id:$id,password:$p){id}}", json!({"id": id, "p": PASSWORD})).await;
    (id, w.app.login_as("acme", userid, PASSWORD).await)
}

pub async fn scoped_role(w: &World) -> String {
    w.app.role(&w.admin, "部门客户", &["customer", "customer.view", "group.view", "archive", "archive.view"], "DEPARTMENT", &[]).await
}

/// Has the sandbox fire a WeCom event over its own HTTP control endpoint.
pub async fn fire(w: &World, event: Value) -> Value {
    w.app.http.post(format!("{}/sandbox/corps/{WECOM_CORP}/events", w.sandbox_url)).json(&event).send().await.unwrap().json().await.unwrap()
}

/// A fresh archive ingest key for the corp.
pub async fn ingest_key(admin: &Client) -> String {
    admin.data("mutation{rotateArchiveIngestKey}", json!({})).await["rotateArchiveIngestKey"].as_str().unwrap().to_string()
}

pub async fn external_id(w: &World, name: &str) -> String {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    entity::customer::Entity::find()
        .filter(entity::customer::Column::Name.eq(name))
        .one(&w.app.state.db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no customer {name}"))
        .external_userid
}

#[tokio::test]
async fn a_customer_joining_a_group_reaches_the_owners_radar_and_no_one_outside_the_scope() {
    // 3 members: user00000 (root), user00001 (dept 2), user00002 (dept 3); 客户1 was added by user00001.
    let w = world_with_customers(2, 3, 12).await;
    w.sandbox.with_corp(WECOM_CORP, |c| {
        c.group_chats.insert(
            "wrRADAR".into(),
            wecrm::integrations::wecom::types::GroupChat {
                chat_id: "wrRADAR".into(),
                name: "新品体验群".into(),
                owner: "user00001".into(),
                member_list: vec![wecrm::integrations::wecom::types::GroupChatMember {
                    userid: "user00001".into(),
                    member_type: 1,
                    join_time: 1_700_000_000,
                    join_scene: 1,
                    ..Default::default()
                }],
                ..Default::default()
            },
        )
    });
    assert_eq!(sync(&w).await["status"], "SUCCEEDED");
    let role = scoped_role(&w).await;
    let (_, owner) = open_member(&w, "user00001", &role).await;
    let (colleague_id, colleague) = open_member(&w, "user00002", &role).await;
    // The colleague is a named recipient too, but 客户1 is outside their data scope.
    w.admin
        .data(
            "mutation($i:RadarSettingsInput!){setRadarSettings(input:$i){notifyOwner employeeIds}}",
            json!({"i": {"enabled": true, "behaviours": ["JOINED_GROUP", "ADDED_EMPLOYEE"], "windowStart": "00:00", "windowEnd": "24:00",
                         "notifyOwner": true, "employeeIds": [colleague_id], "frequency": "REALTIME", "batchMinutes": 30, "appMessage": true}}),
        )
        .await;
    let mut owner_ws = subscribe(&w.app, &owner, "radarAlerts").await;
    let mut colleague_ws = subscribe(&w.app, &colleague, "radarAlerts").await;

    // The sandbox fires the join, over its own HTTP control endpoint, as WeCom would.
    let ext = external_id(&w, "客户1").await;
    let fired = fire(&w, json!({"type": "add_group_member", "chat_id": "wrRADAR", "external_userid": ext, "join_scene": 3})).await;
    assert_eq!(fired["deliveredStatus"], 200, "{fired}");

    let alert = next_alert(&mut owner_ws, "radarAlerts", 10).await.expect("the owner is alerted");
    assert_eq!(alert["category"], "RADAR");
    assert_eq!(alert["kind"], "JOINED_GROUP");
    assert_eq!(alert["radar"]["groupName"], "新品体验群");
    assert_eq!(alert["customer"]["name"], "客户1");
    assert!(alert["text"].as_str().unwrap().contains("新品体验群"));
    assert!(next_alert(&mut colleague_ws, "radarAlerts", 2).await.is_none(), "outside the colleague's data scope");
    assert!(next_alert(&mut owner_ws, "radarAlerts", 1).await.is_none(), "one alert for one join");

    // The app message went out through the WeCom client, to the owner only.
    let sent = w.sandbox.calls_to("/cgi-bin/message/send");
    let last = sent.last().expect("an app message was sent");
    assert_eq!(last.body.as_ref().unwrap()["touser"], "user00001");
    assert!(last.body.as_ref().unwrap()["text"]["content"].as_str().unwrap().contains("新品体验群"));

    // The history answers the same alert to its recipient and nothing to the colleague.
    let mine = owner.data("{alerts(category:RADAR){totalCount edges{node{kind radar{groupName}}}}}", json!({})).await;
    assert_eq!(mine["alerts"]["totalCount"], 1);
    let theirs = colleague.data("{alerts{totalCount}}", json!({})).await;
    assert_eq!(theirs["alerts"]["totalCount"], 0);
}

#[tokio::test]
async fn radar_behaviours_left_out_of_the_settings_or_outside_the_window_alert_no_one() {
    let w = world_with_customers(2, 3, 12).await;
    assert_eq!(sync(&w).await["status"], "SUCCEEDED");
    let role = scoped_role(&w).await;
    let (_, owner) = open_member(&w, "user00001", &role).await;
    let (code, _, field) = w
        .admin
        .error("mutation{setRadarSettings(input:{enabled:true,behaviours:[],windowStart:\"25:00\",windowEnd:\"24:00\",notifyOwner:true,employeeIds:[],frequency:REALTIME,batchMinutes:1,appMessage:false}){enabled}}", json!({}))
        .await;
    assert_eq!((code.as_str(), field.as_deref()), ("BAD_USER_INPUT", Some("windowStart")));
    // Only materials alert: a new contact raises nothing.
    w.admin
        .data("mutation{setRadarSettings(input:{enabled:true,behaviours:[MATERIAL],windowStart:\"00:00\",windowEnd:\"24:00\",notifyOwner:true,employeeIds:[],frequency:REALTIME,batchMinutes:1,appMessage:false}){enabled}}", json!({}))
        .await;
    let mut ws = subscribe(&w.app, &owner, "radarAlerts").await;
    fire(&w, json!({"type": "add_external_contact", "userid": "user00001", "external_userid": "wmRADAR2", "name": "新客户"})).await;
    crate::wecom::wait_applied(&w, 1).await;
    assert!(next_alert(&mut ws, "radarAlerts", 2).await.is_none());
}

/// Reply rules with two single-chat levels (1 and 2 minutes) to the employee.
async fn two_levels(w: &World) {
    w.admin
        .data(
            "mutation($i:ReplyRulesInput!){setReplyRules(input:$i){enabled}}",
            json!({"i": {"enabled": true, "single": [{"minutes": 1, "notifyEmployee": true, "notifyDepartmentLeaders": false, "employeeIds": []},
                                                      {"minutes": 2, "notifyEmployee": true, "notifyDepartmentLeaders": false, "employeeIds": []}],
                         "group": [], "appMessage": true}}),
        )
        .await;
}

/// Feeds messages through the authenticated ingest endpoint.
pub async fn ingest(app: &TestApp, key: &str, messages: Value) -> Value {
    let res = app.http.post(app.url("/archive/acme/messages")).bearer_auth(key).json(&json!({"messages": messages})).send().await.unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

pub fn text(msgid: &str, from: &str, to: &str, at_ms: i64, content: &str) -> Value {
    json!({"msgid": msgid, "action": "send", "from": from, "tolist": [to], "roomid": "", "msgtime": at_ms, "msgtype": "text", "text": {"content": content}})
}

async fn wait_for_jobs(app: &TestApp) {
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    for _ in 0..200 {
        let now = app.state.clock.now();
        let due = entity::job::Entity::find()
            .filter(entity::job::Column::Status.is_in(["QUEUED", "RUNNING"]))
            .filter(entity::job::Column::RunAt.lte(now))
            .count(&app.state.db)
            .await
            .unwrap();
        if due == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("due jobs did not finish");
}

#[tokio::test]
async fn an_unanswered_message_alerts_once_per_level_and_a_reply_in_time_alerts_no_one() {
    let w = world_with_customers(2, 3, 12).await;
    assert_eq!(sync(&w).await["status"], "SUCCEEDED");
    two_levels(&w).await;
    let role = scoped_role(&w).await;
    let (owner_id, owner) = open_member(&w, "user00001", &role).await;
    let key = ingest_key(&w.admin).await;
    let mut ws = subscribe(&w.app, &owner, "timeoutAlerts").await;
    let (c1, c4) = (external_id(&w, "客户1").await, external_id(&w, "客户4").await);
    let t0 = w.app.state.clock.now().timestamp_millis();
    let out = ingest(
        &w.app,
        &key,
        json!([
            text("m1", &c1, "user00001", t0, "请问这个多少钱？"),
            text("m2", &c4, "user00001", t0, "在吗"),
            text("m3", "user00001", &c4, t0 + 10_000, "在的，您说"),
        ]),
    )
    .await;
    assert_eq!((out["stored"].as_i64(), out["duplicates"].as_i64()), (Some(3), Some(0)), "{out}");
    // The same batch again is all duplicates (a client may retry).
    let again = ingest(&w.app, &key, json!([text("m1", &c1, "user00001", t0, "请问这个多少钱？")])).await;
    assert_eq!((again["stored"].as_i64(), again["duplicates"].as_i64()), (Some(0), Some(1)));

    assert!(next_alert(&mut ws, "timeoutAlerts", 1).await.is_none(), "nothing before the first limit");
    w.app.state.clock.advance(chrono::Duration::seconds(61));
    let first = next_alert(&mut ws, "timeoutAlerts", 10).await.expect("level 1");
    assert_eq!((first["timeout"]["level"].as_i64(), first["timeout"]["limitMinutes"].as_i64()), (Some(1), Some(1)));
    assert_eq!(first["timeout"]["chatKind"], "SINGLE");
    assert_eq!(first["timeout"]["customerMessage"], "请问这个多少钱？");
    assert_eq!(first["timeout"]["timedOutEmployeeIds"], json!([owner_id]));
    assert_eq!(first["customer"]["name"], "客户1");
    assert!(next_alert(&mut ws, "timeoutAlerts", 1).await.is_none(), "level 2 waits for its own limit");
    w.app.state.clock.advance(chrono::Duration::seconds(60));
    let second = next_alert(&mut ws, "timeoutAlerts", 10).await.expect("level 2");
    assert_eq!(second["timeout"]["level"], 2);
    w.app.state.clock.advance(chrono::Duration::minutes(10));
    wait_for_jobs(&w.app).await;
    assert!(next_alert(&mut ws, "timeoutAlerts", 1).await.is_none(), "each level once; 客户4 was answered in time");
    let v = w.admin.data("{replyTimeouts{totalCount edges{node{level customerMessageId chatKind}}}}", json!({})).await;
    assert_eq!(v["replyTimeouts"]["totalCount"], 2, "{v}");
}

#[tokio::test]
async fn a_restart_between_the_message_and_its_deadline_still_alerts_exactly_once() {
    let w = world_with_customers(2, 3, 12).await;
    assert_eq!(sync(&w).await["status"], "SUCCEEDED");
    w.admin
        .data(
            "mutation{setReplyRules(input:{enabled:true,single:[{minutes:1,notifyEmployee:true,notifyDepartmentLeaders:false,employeeIds:[]}],group:[],appMessage:false}){enabled}}",
            json!({}),
        )
        .await;
    let role = scoped_role(&w).await;
    open_member(&w, "user00001", &role).await;
    let key = ingest_key(&w.admin).await;
    let c1 = external_id(&w, "客户1").await;
    let t0 = w.app.state.clock.now().timestamp_millis();
    ingest(&w.app, &key, json!([text("r1", &c1, "user00001", t0, "还在吗？")])).await;

    let World { app, admin: _, sandbox: _s, sandbox_url: _ } = w;
    let app = app.restart().await;
    let owner = app.login_as("acme", "user00001", PASSWORD).await;
    let mut ws = subscribe(&app, &owner, "timeoutAlerts").await;
    app.state.clock.advance(chrono::Duration::seconds(61));
    let alert = next_alert(&mut ws, "timeoutAlerts", 10).await.expect("the timer survived the restart");
    assert_eq!(alert["timeout"]["level"], 1);
    // The periodic rebuild sets no second timer for a recorded level.
    app.state
        .jobs
        .enqueue::<wecrm::archive::reply::RebuildTimersJob>(&app.state.db, wecrm::jobs::NewJob::system(), &json!({}))
        .await
        .map_err(|e| format!("{e:?}"))
        .unwrap();
    app.state.clock.advance(chrono::Duration::seconds(61));
    wait_for_jobs(&app).await;
    assert!(next_alert(&mut ws, "timeoutAlerts", 1).await.is_none(), "exactly once");
    use sea_orm::{EntityTrait, PaginatorTrait};
    assert_eq!(entity::reply_timeout::Entity::find().count(&app.state.db).await.unwrap(), 1);
}

#[tokio::test]
async fn with_redis_an_alert_raised_on_one_instance_reaches_a_subscriber_on_another_once() {
    if std::env::var("REDIS_URL").map(|u| u.is_empty()).unwrap_or(true) {
        eprintln!("REDIS_URL unset: the cross-instance bus needs Redis (CI runs this on PostgreSQL + Redis)");
        return;
    }
    // Instance A serves the subscriber and runs no jobs; instance B runs every job.
    let w = world_with_customers(2, 3, 12).await;
    assert_eq!(sync(&w).await["status"], "SUCCEEDED");
    two_levels(&w).await;
    let role = scoped_role(&w).await;
    let (_, owner) = open_member(&w, "user00001", &role).await;
    let key = ingest_key(&w.admin).await;
    let b = w.app.instance(|c| c.job_workers = 1).await;
    // A stops taking jobs: every timer now fires on B.
    let World { app, admin: _, sandbox: _s, sandbox_url: _ } = w;
    let a = app.restart_with(|c| c.job_workers = 0).await;
    let owner = Client { url: a.url("/graphql"), ..owner };
    let mut ws = subscribe(&a, &owner, "timeoutAlerts").await;
    let c1 = external_id_in(&a, "客户1").await;
    let t0 = b.state.clock.now().timestamp_millis();
    ingest(&a, &key, json!([text("x1", &c1, "user00001", t0, "你好")])).await;
    b.state.clock.advance(chrono::Duration::seconds(61));
    let alert = next_alert(&mut ws, "timeoutAlerts", 10).await.expect("B's alert reached A's subscriber");
    assert_eq!(alert["timeout"]["level"], 1);
    assert!(next_alert(&mut ws, "timeoutAlerts", 2).await.is_none(), "delivered once");
    drop(b);
}

async fn external_id_in(app: &TestApp, name: &str) -> String {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    entity::customer::Entity::find()
        .filter(entity::customer::Column::Name.eq(name))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .external_userid
}

async fn close_code(ws: &mut Ws) -> Option<u16> {
    tokio::time::timeout(std::time::Duration::from_secs(5), async {
        while let Some(m) = ws.next().await {
            if let Ok(Message::Close(frame)) = m {
                return frame.map(|f| u16::from(f.code));
            }
        }
        None
    })
    .await
    .expect("the socket closes")
}

#[tokio::test]
async fn closing_an_employees_system_access_closes_their_alert_sockets() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let id = app.employee(&admin, "closed-soon", &[app.root_id()], &[app.basic_role_id()]).await;
    let member = app.login_as("acme", "closed-soon", PASSWORD).await;
    let mut ws = subscribe(&app, &member, "timeoutAlerts").await;
    admin.data("mutation($id:ID!){setEmployeeSystemAccess(id:$id,enabled:false){id}}", json!({"id": id})).await;
    assert_eq!(close_code(&mut ws).await, Some(4403));
}

#[tokio::test]
async fn logging_out_closes_the_alert_socket_with_4403() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mut ws = subscribe(&app, &admin, "radarAlerts").await;
    admin.data("mutation{logout}", json!({})).await;
    assert_eq!(close_code(&mut ws).await, Some(4403));
}

#[tokio::test]
async fn batched_radar_alerts_wait_for_their_slot_and_go_out_as_one_digest() {
    let w = world_with_customers(2, 3, 12).await;
    // Start just after a 5-minute slot boundary, so the real clock cannot end
    // the slot while the test is still raising alerts.
    let into_slot = w.app.state.clock.now().timestamp().rem_euclid(300);
    w.app.state.clock.advance(chrono::Duration::seconds(300 - into_slot + 1));
    assert_eq!(sync(&w).await["status"], "SUCCEEDED");
    let role = scoped_role(&w).await;
    let (_, owner) = open_member(&w, "user00001", &role).await;
    w.admin
        .data("mutation{setRadarSettings(input:{enabled:true,behaviours:[ADDED_EMPLOYEE,CALL],windowStart:\"00:00\",windowEnd:\"24:00\",notifyOwner:true,employeeIds:[],frequency:BATCHED,batchMinutes:5,appMessage:true}){frequency}}", json!({}))
        .await;
    let mut ws = subscribe(&w.app, &owner, "radarAlerts").await;
    let sent_before = w.sandbox.calls_to("/cgi-bin/message/send").len();
    fire(&w, json!({"type": "add_external_contact", "userid": "user00001", "external_userid": "wmBATCH", "name": "批量客户"})).await;
    crate::wecom::wait_applied(&w, 1).await;
    // A voice call in the archive is a CALL behaviour.
    let key = ingest_key(&w.admin).await;
    let c1 = external_id(&w, "客户1").await;
    let now = chrono::Utc::now().timestamp_millis();
    ingest(
        &w.app,
        &key,
        json!([{"msgid": "call1", "action": "send", "from": "user00001", "tolist": [c1], "roomid": "", "msgtime": now,
                "msgtype": "meeting_voice_call", "meeting_voice_call": {"starttime": now / 1000 - 60, "endtime": now / 1000, "sdkfileid": "rec-1"}}]),
    )
    .await;
    wait_for_jobs(&w.app).await;
    assert!(next_alert(&mut ws, "radarAlerts", 1).await.is_none(), "batched: nothing before the slot ends");
    w.app.state.clock.advance(chrono::Duration::minutes(5));
    let mut kinds = Vec::new();
    for _ in 0..2 {
        kinds.push(next_alert(&mut ws, "radarAlerts", 10).await.expect("the batch is pushed")["kind"].as_str().unwrap().to_string());
    }
    kinds.sort();
    assert_eq!(kinds, vec!["ADDED_EMPLOYEE", "CALL"]);
    wait_for_jobs(&w.app).await;
    let digests: Vec<_> = w.sandbox.calls_to("/cgi-bin/message/send").into_iter().skip(sent_before).collect();
    assert_eq!(digests.len(), 1, "one digest for the owner: {digests:?}");
    assert!(digests[0].body.as_ref().unwrap()["text"]["content"].as_str().unwrap().starts_with("【雷达汇总】2条提醒"));
    // The call is on 客户1's timeline too.
    let id = w
        .admin
        .data(
            "query($n:JSON!){customers(filter:{conditions:[{systemField:\"NAME\",op:EQ,value:$n}]}){edges{node{id}}}}",
            json!({"n": "客户1"}),
        )
        .await["customers"]["edges"][0]["node"]["id"]
        .clone();
    let t = w.admin.data("query($id:ID!){customer(id:$id){timeline(kinds:[CALL]){totalCount}}}", json!({"id": id})).await;
    assert_eq!(t["customer"]["timeline"]["totalCount"], 1, "{t}");
}

#[tokio::test]
async fn a_group_message_nobody_answers_times_out_every_employee_in_the_group_and_tells_their_leader() {
    use wecrm::integrations::wecom::types::{GroupChat, GroupChatMember};
    let w = world_with_customers(2, 3, 12).await;
    let c1 = "wm-group-customer";
    w.sandbox.with_corp(WECOM_CORP, |c| {
        // user00001 sits in department 2, whose leader is user00000.
        c.departments.get_mut(&2).unwrap().department_leader = vec!["user00000".into()];
        c.add_contact(c1, "群客户", "user00001", 1_700_000_000, None);
        let member = |u: &str, t: i32| GroupChatMember {
            userid: u.into(),
            member_type: t,
            join_time: 1_700_000_000,
            join_scene: 1,
            ..Default::default()
        };
        c.group_chats.insert(
            "wrTIMEOUT".into(),
            GroupChat {
                chat_id: "wrTIMEOUT".into(),
                name: "售后群".into(),
                owner: "user00001".into(),
                member_list: vec![member("user00001", 1), member("user00002", 1), member(c1, 2)],
                ..Default::default()
            },
        );
    });
    assert_eq!(sync(&w).await["status"], "SUCCEEDED");
    let role = scoped_role(&w).await;
    let all = w.app.role(&w.admin, "主管", &["customer", "customer.view", "group.view"], "ALL", &[]).await;
    let (owner_id, owner) = open_member(&w, "user00001", &role).await;
    let (member_id, _) = open_member(&w, "user00002", &role).await;
    let (_, leader) = open_member(&w, "user00000", &all).await;
    w.admin
        .data(
            "mutation{setReplyRules(input:{enabled:true,single:[],group:[{minutes:1,notifyEmployee:true,notifyDepartmentLeaders:true,employeeIds:[]}],appMessage:false}){enabled}}",
            json!({}),
        )
        .await;
    let key = ingest_key(&w.admin).await;
    let mut owner_ws = subscribe(&w.app, &owner, "timeoutAlerts").await;
    let mut leader_ws = subscribe(&w.app, &leader, "timeoutAlerts").await;
    let now = w.app.state.clock.now().timestamp_millis();
    ingest(
        &w.app,
        &key,
        json!([{"msgid": "gq1", "action": "send", "from": c1, "tolist": ["user00001", "user00002"], "roomid": "wrTIMEOUT", "msgtime": now,
                "msgtype": "text", "text": {"content": "有人吗？"}}]),
    )
    .await;
    w.app.state.clock.advance(chrono::Duration::seconds(61));
    let alert = next_alert(&mut owner_ws, "timeoutAlerts", 10).await.expect("the owner is told");
    assert_eq!(alert["timeout"]["chatKind"], "GROUP");
    let mut late: Vec<String> =
        alert["timeout"]["timedOutEmployeeIds"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    late.sort();
    let mut expected = vec![owner_id, member_id];
    expected.sort();
    assert_eq!(late, expected, "every employee in the group timed out");
    let told = next_alert(&mut leader_ws, "timeoutAlerts", 10).await.expect("the department leader is told");
    assert_eq!(told["timeout"]["level"], 1);
}

#[tokio::test]
async fn a_timeout_counts_only_working_time_of_the_rules_calendar() {
    let w = world_with_customers(2, 3, 12).await;
    assert_eq!(sync(&w).await["status"], "SUCCEEDED");
    // Working all day, every day, but today and tomorrow (China time) are holidays,
    // so ten minutes on is still holiday whatever the hour.
    let china = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    let today = w.app.state.clock.now().with_timezone(&china).date_naive();
    let week: Vec<Value> = (0..7).map(|_| json!([{"start": "00:00", "end": "24:00"}])).collect();
    let cal = w
        .admin
        .data(
            "mutation($w:[[TimeSlotInput!]!]!,$h:[String!]!){createWorkCalendar(input:{name:\"节假日\",week:$w,holidays:$h}){id holidays}}",
            json!({"w": week, "h": [today.format("%Y-%m-%d").to_string(), today.succ_opt().unwrap().format("%Y-%m-%d").to_string()]}),
        )
        .await["createWorkCalendar"]["id"]
        .clone();
    w.admin
        .data(
            "mutation($c:ID!){setReplyRules(input:{enabled:true,calendarId:$c,single:[{minutes:1,notifyEmployee:true,notifyDepartmentLeaders:false,employeeIds:[]}],group:[],appMessage:false}){calendarId}}",
            json!({"c": cal}),
        )
        .await;
    let role = scoped_role(&w).await;
    let (_, owner) = open_member(&w, "user00001", &role).await;
    let key = ingest_key(&w.admin).await;
    let mut ws = subscribe(&w.app, &owner, "timeoutAlerts").await;
    let c1 = external_id(&w, "客户1").await;
    ingest(&w.app, &key, json!([text("h1", &c1, "user00001", w.app.state.clock.now().timestamp_millis(), "节日快乐")])).await;
    w.app.state.clock.advance(chrono::Duration::minutes(10));
    wait_for_jobs(&w.app).await;
    assert!(next_alert(&mut ws, "timeoutAlerts", 1).await.is_none(), "a holiday is not working time");
    // The day after tomorrow at 00:01 China time the one working minute has passed.
    let tomorrow = today
        .succ_opt()
        .unwrap()
        .succ_opt()
        .unwrap()
        .and_hms_opt(0, 1, 30)
        .unwrap()
        .and_local_timezone(china)
        .unwrap()
        .with_timezone(&chrono::Utc);
    w.app.state.clock.advance(tomorrow - w.app.state.clock.now());
    let alert = next_alert(&mut ws, "timeoutAlerts", 10).await.expect("the first working minute after the holidays");
    assert_eq!(alert["timeout"]["level"], 1);
}

#[tokio::test]
async fn a_follow_up_mention_reaches_the_mentioned_employees_notices_as_well_as_wecom() {
    let w = world_with_customers(2, 3, 12).await;
    assert_eq!(sync(&w).await["status"], "SUCCEEDED");
    let role = scoped_role(&w).await;
    let (owner_id, owner) = open_member(&w, "user00001", &role).await;
    let (colleague_id, colleague) = open_member(&w, "user00002", &role).await;
    let mut owner_ws = subscribe(&w.app, &owner, "notices").await;
    let mut colleague_ws = subscribe(&w.app, &colleague, "notices").await;
    let c1 = crate::customers::customer_id(&w.admin, "客户1").await;
    w.admin
        .data(
            "mutation($c:ID!,$m:[ID!]){createFollowUp(input:{customerId:$c,content:\"约了周五演示\",mentionEmployeeIds:$m}){id}}",
            json!({"c": c1, "m": [owner_id, colleague_id]}),
        )
        .await;
    let notice = next_alert(&mut owner_ws, "notices", 10).await.expect("the mention arrives live");
    assert_eq!((notice["category"].as_str(), notice["kind"].as_str()), (Some("NOTICE"), Some("REMINDER_MENTION")));
    assert!(notice["text"].as_str().unwrap().contains("约了周五演示"));
    assert!(next_alert(&mut colleague_ws, "notices", 1).await.is_none(), "客户1 is outside the colleague's scope");
    // Both were mentioned, so both get the WeCom app message.
    let sent = w.sandbox.calls_to("/cgi-bin/message/send");
    assert_eq!(sent.last().unwrap().body.as_ref().unwrap()["touser"], "user00001|user00002");
}
