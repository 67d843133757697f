//! The chat archive: pulled from the sandbox's chat data or fed through the
//! ingest endpoint, stored once per msgid, read within the caller's data
//! scope; conversations, sensitive words and the behaviour review queue.

use serde_json::{json, Value};

use crate::{
    alerts::{external_id, ingest, ingest_key, next_alert, open_member, scoped_role, subscribe, text},
    wecom::{sync, world_configured, World, WECOM_CORP},
};

async fn world() -> World {
    let w = world_configured(2, 3, 12, |c| c.archive_source = Some("sandbox".into())).await;
    assert_eq!(sync(&w).await["status"], "SUCCEEDED");
    w
}

async fn pull(w: &World) -> Value {
    let j = w.admin.data("mutation{pullArchive{id}}", json!({})).await["pullArchive"]["id"].as_str().unwrap().to_string();
    let done = w.app.wait_job(&w.admin, &j).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    done
}

#[tokio::test]
async fn the_sandbox_archive_is_pulled_once_and_read_within_the_callers_scope() {
    let w = world().await;
    let (c1, c2) = (external_id(&w, "客户1").await, external_id(&w, "客户2").await);
    let now = chrono::Utc::now().timestamp_millis();
    for m in [
        text("s1", &c1, "user00001", now - 60_000, "你好，想了解一下套餐"),
        text("s2", "user00001", &c1, now - 50_000, "您好，这是价目表"),
        text("s3", &c2, "user00002", now - 40_000, "发票怎么开"),
        json!({"msgid": "s4", "action": "send", "from": &c1, "tolist": ["user00001"], "roomid": "", "msgtime": now - 30_000,
               "msgtype": "voice", "voice": {"voice_size": 4000, "play_length": 6, "sdkfileid": "file-1"}}),
    ] {
        w.sandbox.chat(WECOM_CORP, m);
    }
    let first = pull(&w).await;
    assert_eq!(first["result"][w.app.corp.corp.id.to_string()], 4, "{first}");
    let second = pull(&w).await;
    assert_eq!(second["result"][w.app.corp.corp.id.to_string()], 0, "the cursor moved on");

    let role = scoped_role(&w).await;
    let (u1, one) = open_member(&w, "user00001", &role).await;
    let (_, two) = open_member(&w, "user00002", &role).await;
    let q = "query($e:ID){archiveChats(employeeId:$e){totalCount edges{node{chatKey chatKind messageCount lastContent customer{name}}}}}";
    let v = one.data(q, json!({"e": u1})).await;
    assert_eq!(v["archiveChats"]["totalCount"], 1);
    let chat = &v["archiveChats"]["edges"][0]["node"];
    assert_eq!((chat["chatKind"].as_str(), chat["messageCount"].as_i64()), (Some("SINGLE"), Some(3)));
    assert_eq!(chat["customer"]["name"], "客户1");
    let (code, _, _) = two.error(q, json!({"e": u1})).await;
    assert_eq!(code, "NOT_FOUND", "another department's employee");

    let key = chat["chatKey"].as_str().unwrap();
    let msgs = one
        .data("query($k:String!){archiveMessages(chatKey:$k){totalCount edges{node{msgid content fromCustomer}}}}", json!({"k": key}))
        .await;
    let ids: Vec<&str> =
        msgs["archiveMessages"]["edges"].as_array().unwrap().iter().map(|e| e["node"]["msgid"].as_str().unwrap()).collect();
    assert_eq!(ids, vec!["s4", "s2", "s1"], "newest first");
    let hidden = two.data("query($k:String!){archiveMessages(chatKey:$k){totalCount}}", json!({"k": key})).await;
    assert_eq!(hidden["archiveMessages"]["totalCount"], 0);

    let found = w.admin.data("{archiveSearch(keyword:\"发票\"){totalCount edges{node{msgid}}}}", json!({})).await;
    assert_eq!(found["archiveSearch"]["totalCount"], 1);
    let mine = one.data("{archiveSearch(keyword:\"发票\"){totalCount}}", json!({})).await;
    assert_eq!(mine["archiveSearch"]["totalCount"], 0, "search respects the data scope");
    let media = w.admin.data("{archiveMedia{totalCount edges{node{msgid mediaKind body}}}}", json!({})).await;
    assert_eq!(media["archiveMedia"]["totalCount"], 1);
    assert_eq!(media["archiveMedia"]["edges"][0]["node"]["body"]["voice"]["sdkfileid"], "file-1");
    // Conversations follow the same scope: each member sees their own chat's.
    let q = "{chatConversations{totalCount}}";
    assert_eq!(w.admin.data(q, json!({})).await["chatConversations"]["totalCount"], 2);
    assert_eq!(one.data(q, json!({})).await["chatConversations"]["totalCount"], 1);
    assert_eq!(two.data(q, json!({})).await["chatConversations"]["totalCount"], 1);
    let agreed = w.admin.data("{archiveCustomers{totalCount edges{node{name lastContactAt}}}}", json!({})).await;
    assert_eq!(agreed["archiveCustomers"]["totalCount"], 2);
    assert_eq!(agreed["archiveCustomers"]["edges"][0]["node"]["name"], "客户1", "last contact first");

    // The chats' facts land on the customers, for conditions (TAG-5's interaction fields).
    let facts = "query($n:JSON!){customers(filter:{conditions:[{systemField:\"NAME\",op:EQ,value:$n}]}){edges{node{customerMessageCount lastCustomerMessageAt lastEmployeeMessageAt}}}}";
    let at = |ms: i64| chrono::DateTime::from_timestamp_millis(ms).unwrap();
    let time = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap().with_timezone(&chrono::Utc);
    let one_facts = w.admin.data(facts, json!({"n": "客户1"})).await["customers"]["edges"][0]["node"].clone();
    assert_eq!(one_facts["customerMessageCount"], 2, "s1 and s4: {one_facts}");
    assert_eq!(time(&one_facts["lastCustomerMessageAt"]), at(now - 30_000));
    assert_eq!(time(&one_facts["lastEmployeeMessageAt"]), at(now - 50_000));
    let two_facts = w.admin.data(facts, json!({"n": "客户2"})).await["customers"]["edges"][0]["node"].clone();
    assert_eq!((two_facts["customerMessageCount"].as_i64(), two_facts["lastEmployeeMessageAt"].is_null()), (Some(1), true));
    let count = |tree: Value| {
        let admin = w.admin.clone();
        async move {
            admin.data("query($t:ConditionTreeInput!){customers(filter:{tree:$t}){totalCount}}", json!({"t": tree})).await["customers"]
                ["totalCount"]
                .as_i64()
                .unwrap()
        }
    };
    let one = |field: &str, op: &str, value: Value| json!({"items": [{"condition": {"field": field, "op": op, "value": value}}]});
    assert_eq!(count(one("silenceDays", "LT", json!(1))).await, 2, "客户1 and 客户2 wrote today");
    assert_eq!(count(one("silenceDays", "GT", json!(30))).await, 10, "the rest never wrote and were added long ago");
    assert_eq!(count(one("customerMessageCount", "GTE", json!(2))).await, 1);
    assert_eq!(count(one("lastEmployeeMessageAt", "WITHIN_DAYS", json!(1))).await, 1);
}

#[tokio::test]
async fn the_ingest_endpoint_needs_the_corps_key_and_caps_a_batch() {
    let w = world().await;
    let url = w.app.url("/archive/acme/messages");
    let no = w.app.http.post(&url).json(&json!({"messages": []})).send().await.unwrap();
    assert_eq!(no.status(), 401);
    let k = ingest_key(&w.admin).await;
    let wrong = w.app.http.post(&url).bearer_auth("ak_wrong").json(&json!({"messages": []})).send().await.unwrap();
    assert_eq!(wrong.status(), 401);
    let big: Vec<Value> = (0..1001).map(|i| text(&format!("b{i}"), "user00001", "wmX", 1_700_000_000_000 + i, "x")).collect();
    let res = w.app.http.post(&url).bearer_auth(&k).json(&json!({"messages": big})).send().await.unwrap();
    assert_eq!(res.status(), 400);
    let out = ingest(&w.app, &k, json!([{"msgid": "", "msgtime": 1}, text("ok1", "user00001", "wmX", 1_700_000_000_000, "hi")])).await;
    assert_eq!((out["stored"].as_i64(), out["rejected"][0]["index"].as_i64()), (Some(1), Some(0)), "{out}");
    // A rotated key replaces the old one.
    ingest_key(&w.admin).await;
    let old = w.app.http.post(&url).bearer_auth(&k).json(&json!({"messages": []})).send().await.unwrap();
    assert_eq!(old.status(), 401);
}

#[tokio::test]
async fn a_closing_phrase_or_the_idle_limit_ends_a_conversation() {
    let w = world().await;
    w.admin
        .data(
            "mutation{setConversationRules(input:{singleIdleMinutes:30,groupIdleMinutes:30,closingPhrases:[{text:\"谢谢\",enabled:true}]}){singleIdleMinutes}}",
            json!({}),
        )
        .await;
    let k = ingest_key(&w.admin).await;
    let c1 = external_id(&w, "客户1").await;
    let t = 1_764_000_000_000i64;
    ingest(
        &w.app,
        &k,
        json!([
            text("c1", &c1, "user00001", t, "在吗"),
            text("c2", "user00001", &c1, t + 60_000, "在的"),
            text("c3", &c1, "user00001", t + 120_000, "好的，谢谢！"),
            text("c4", &c1, "user00001", t + 180_000, "还有一个问题"),
            // More than 30 minutes later: a third conversation.
            text("c5", &c1, "user00001", t + 180_000 + 31 * 60_000, "你好"),
        ]),
    )
    .await;
    let v = w.admin.data("{chatConversations{totalCount edges{node{messageCount endReason durationSeconds}}}}", json!({})).await;
    let rows: Vec<(i64, Option<String>)> = v["chatConversations"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["node"]["messageCount"].as_i64().unwrap(), e["node"]["endReason"].as_str().map(str::to_string)))
        .collect();
    // Newest first: the open one ("你好" ended by now as idle too, it is long past), the idle one, the phrase one.
    assert_eq!(rows.len(), 3, "{v}");
    assert_eq!(rows[2], (3, Some("CLOSING_PHRASE".into())));
    assert_eq!(rows[1], (1, Some("IDLE".into())));
    assert_eq!(v["chatConversations"]["edges"][2]["node"]["durationSeconds"], 120);
}

#[tokio::test]
async fn sensitive_words_hit_through_one_automaton_and_behaviours_wait_for_review() {
    let w = world().await;
    let a = &w.admin;
    let (code, _, field) =
        a.error("mutation{createSensitiveRule(input:{name:\"一二三四五六七八九十一\",words:\"返现\"}){id}}", json!({})).await;
    assert_eq!((code.as_str(), field.as_deref()), ("BAD_USER_INPUT", Some("name")));
    let rule =
        a.data("mutation{createSensitiveRule(input:{name:\"违规承诺\",words:\"返现，保本\"}){id enabled category words}}", json!({})).await;
    let rule = &rule["createSensitiveRule"];
    assert_eq!((rule["enabled"].as_bool(), rule["category"].as_str()), (Some(false), Some("NEGATIVE")), "new rules start off");
    assert_eq!(rule["words"], json!(["返现", "保本"]));
    let rid = rule["id"].as_str().unwrap().to_string();
    let admin_id = w.app.corp.admin.id.to_string();
    a.data(
        "mutation($i:SensitiveMonitoringInput!){setSensitiveMonitoring(input:$i){sensitiveMessage}}",
        json!({"i": {"sendRedPacket": true, "sendBusinessCard": false, "sensitiveMessage": true, "deleteFriend": false, "auditedEmployeeIds": [],
                     "auditCustomerMessages": false, "notifyGroupOwner": false, "notifyTriggeringEmployee": false, "notifyDepartmentLeaders": false,
                     "employeeIds": [admin_id], "appMessage": false}}),
    )
    .await;
    let mut ws = subscribe(&w.app, a, "sensitiveAlerts").await;
    let k = ingest_key(a).await;
    let c1 = external_id(&w, "客户1").await;
    let t = chrono::Utc::now().timestamp_millis();
    ingest(&w.app, &k, json!([text("w1", "user00001", &c1, t, "下单就返现")])).await;
    let hits = a.data("{sensitiveRules{edges{node{hitCount}}}}", json!({})).await;
    assert_eq!(hits["sensitiveRules"]["edges"][0]["node"]["hitCount"], 0, "an OFF rule hits nothing");

    a.data("mutation($id:ID!){setSensitiveRuleEnabled(id:$id,enabled:true){enabled}}", json!({"id": rid})).await;
    ingest(
        &w.app,
        &k,
        json!([
            text("w2", "user00001", &c1, t + 1000, "保证保本，还能返现"),
            text("w3", &c1, "user00001", t + 2000, "返现多少？"),
            {"msgid": "w4", "action": "send", "from": "user00001", "tolist": [&c1], "roomid": "", "msgtime": t + 3000,
             "msgtype": "redpacket", "redpacket": {"type": 1, "wish": "恭喜发财", "totalcnt": 1, "totalamount": 100}},
        ]),
    )
    .await;
    let hits = a.data("{sensitiveRules(order:HITS_DESC){edges{node{hitCount}}}}", json!({})).await;
    assert_eq!(hits["sensitiveRules"]["edges"][0]["node"]["hitCount"], 2, "both messages, each once");
    let mut kinds = Vec::new();
    for _ in 0..2 {
        let alert = next_alert(&mut ws, "sensitiveAlerts", 10).await.expect("a sensitive alert");
        kinds.push(alert["kind"].as_str().unwrap().to_string());
    }
    kinds.sort();
    assert_eq!(kinds, vec!["SEND_RED_PACKET", "SENSITIVE_MESSAGE"], "customer messages are not audited");
    let queue = a
        .data(
            "{sensitiveBehaviors(filter:{status:PENDING}){totalCount edges{node{id kind detail contextMessages(around:1){msgid}}}}}",
            json!({}),
        )
        .await;
    assert_eq!(queue["sensitiveBehaviors"]["totalCount"], 2);
    let item = queue["sensitiveBehaviors"]["edges"].as_array().unwrap().iter().find(|e| e["node"]["kind"] == "SENSITIVE_MESSAGE").unwrap();
    assert_eq!(item["node"]["detail"], "保本", "the first word found");
    let ctx: Vec<&str> = item["node"]["contextMessages"].as_array().unwrap().iter().map(|m| m["msgid"].as_str().unwrap()).collect();
    assert_eq!(ctx, vec!["w1", "w2", "w3"]);
    let id = item["node"]["id"].as_str().unwrap();
    let reviewed = a
        .data(
            "mutation($id:ID!){reviewSensitiveBehavior(id:$id,verdict:VIOLATION,remark:\"已提醒\"){status verdict reviewerId}}",
            json!({"id": id}),
        )
        .await;
    assert_eq!(reviewed["reviewSensitiveBehavior"]["status"], "REVIEWED");
    let again = a.data("mutation($id:ID!){reviewSensitiveBehavior(id:$id,verdict:FALSE_ALARM){verdict}}", json!({"id": id})).await;
    assert_eq!(again["reviewSensitiveBehavior"]["verdict"], "FALSE_ALARM", "re-review is allowed");

    // The export runs in the download centre and writes a CSV of what the filter selects.
    let transfer = a.data("mutation{exportSensitiveBehaviors(filter:{kind:SENSITIVE_MESSAGE}){id module direction}}", json!({})).await
        ["exportSensitiveBehaviors"]
        .clone();
    assert_eq!((transfer["module"].as_str(), transfer["direction"].as_str()), (Some("SENSITIVE_BEHAVIORS"), Some("EXPORT")));
    let done = crate::lead_import::finished(a, &transfer["id"]).await;
    assert_eq!((done["status"].as_str(), done["totalRows"].as_i64()), (Some("COMPLETED"), Some(1)), "{done}");
    let link = crate::uploads::local(&w.app, done["resultFile"]["downloadUrl"].as_str().unwrap());
    let file = w.app.http.get(link).send().await.unwrap().text().await.unwrap();
    let lines: Vec<&str> = file.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines.len(), 2, "{file}");
    assert!(lines[0].starts_with("触发时间,类型,员工"));
    assert!(lines[1].contains("SENSITIVE_MESSAGE") && lines[1].contains("误报") && lines[1].contains("保本"), "{}", lines[1]);
}

#[tokio::test]
async fn archived_group_messages_make_a_group_active() {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let w = world().await;
    let db = &w.app.state.db;
    let g = entity::customer_group::Entity::find()
        .filter(entity::customer_group::Column::ChatId.eq("wrchat000000"))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let members = entity::group_member::Entity::find()
        .filter(entity::group_member::Column::GroupId.eq(g.id))
        .filter(entity::group_member::Column::MemberType.eq(2))
        .all(db)
        .await
        .unwrap();
    let k = ingest_key(&w.admin).await;
    let now = chrono::Utc::now().timestamp_millis();
    // 6 of the 10 customers speak: 6 of 11 members is 54 % ≥ 50 %.
    let msgs: Vec<Value> = members
        .iter()
        .take(6)
        .enumerate()
        .map(|(i, m)| {
            json!({"msgid": format!("g{i}"), "action": "send", "from": m.userid, "tolist": [g.owner_userid], "roomid": "wrchat000000",
                   "msgtime": now - i as i64 * 1000, "msgtype": "text", "text": {"content": "大家好"}})
        })
        .collect();
    ingest(&w.app, &k, json!(msgs)).await;
    let set = "mutation($r:GroupActivityRuleInput!){setGroupActivityRule(input:$r){id}}";
    let job = w
        .admin
        .data(
            set,
            json!({"r": {"window": "LAST_7_DAYS", "conditions": [{"metric": "CUSTOMER_MESSAGES", "op": "GT", "value": 0}],
                          "activeRatio": {"op": "GTE", "value": 50}, "speechRatio": {"op": "GTE", "value": 0}}}),
        )
        .await;
    w.app.wait_job(&w.admin, job["setGroupActivityRule"]["id"].as_str().unwrap()).await;
    let v = w.admin.data("{customerGroups(filter:{activity:ACTIVE}){totalCount edges{node{name lastContactAt}}}}", json!({})).await;
    assert_eq!(v["customerGroups"]["totalCount"], 1, "{v}");
    assert!(v["customerGroups"]["edges"][0]["node"]["lastContactAt"].is_string());
    let chats = w.admin.data("{archiveSearch(keyword:\"大家好\",kind:GROUP){totalCount}}", json!({})).await;
    assert_eq!(chats["archiveSearch"]["totalCount"], 6);
}

#[tokio::test]
async fn an_employee_deleting_a_customer_is_a_delete_friend_behaviour_when_monitored() {
    let w = world().await;
    let a = &w.admin;
    let admin_id = w.app.corp.admin.id.to_string();
    a.data(
        "mutation($i:SensitiveMonitoringInput!){setSensitiveMonitoring(input:$i){deleteFriend}}",
        json!({"i": {"sendRedPacket": false, "sendBusinessCard": false, "sensitiveMessage": false, "deleteFriend": true, "auditedEmployeeIds": [],
                     "auditCustomerMessages": false, "notifyGroupOwner": false, "notifyTriggeringEmployee": false, "notifyDepartmentLeaders": false,
                     "employeeIds": [admin_id], "appMessage": false}}),
    )
    .await;
    let mut ws = subscribe(&w.app, a, "sensitiveAlerts").await;
    let ext = external_id(&w, "客户1").await;
    let del = crate::wecom::event(&format!(
        "<Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[del_external_contact]]></ChangeType><UserID><![CDATA[user00001]]></UserID><ExternalUserID><![CDATA[{ext}]]></ExternalUserID>"
    ));
    // WeCom retries: three deliveries are one behaviour.
    for _ in 0..3 {
        assert_eq!(w.sandbox.send_callback(WECOM_CORP, &del).await.unwrap().0, 200);
    }
    crate::wecom::wait_applied(&w, 1).await;
    let alert = next_alert(&mut ws, "sensitiveAlerts", 10).await.expect("a DELETE_FRIEND alert");
    assert_eq!(alert["kind"], "DELETE_FRIEND");
    assert!(alert["text"].as_str().unwrap().contains("客户1"));
    let v = a.data("{sensitiveBehaviors(filter:{kind:DELETE_FRIEND}){totalCount edges{node{detail status}}}}", json!({})).await;
    assert_eq!(v["sensitiveBehaviors"]["totalCount"], 1);
    assert_eq!(v["sensitiveBehaviors"]["edges"][0]["node"]["status"], "PENDING");
    assert!(next_alert(&mut ws, "sensitiveAlerts", 1).await.is_none());
}

#[tokio::test]
async fn wecoms_consent_callback_lists_the_customer_for_archive_search() {
    let w = world().await;
    let before = w.admin.data("{archiveCustomers{totalCount}}", json!({})).await;
    assert_eq!(before["archiveCustomers"]["totalCount"], 0);
    let ext = external_id(&w, "客户2").await;
    let approved = crate::wecom::event(&format!(
        "<Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[msg_audit_approved]]></ChangeType><UserID><![CDATA[user00002]]></UserID><ExternalUserID><![CDATA[{ext}]]></ExternalUserID><WelcomeCode><![CDATA[w]]></WelcomeCode>"
    ));
    assert_eq!(w.sandbox.send_callback(WECOM_CORP, &approved).await.unwrap().0, 200);
    crate::wecom::wait_applied(&w, 1).await;
    let after = w.admin.data("{archiveCustomers{totalCount edges{node{name}}}}", json!({})).await;
    assert_eq!(after["archiveCustomers"]["totalCount"], 1, "{after}");
    assert_eq!(after["archiveCustomers"]["edges"][0]["node"]["name"], "客户2");
}
