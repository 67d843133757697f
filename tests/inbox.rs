//! The WeCom callback inbox under failure: atomic storage, capped tries,
//! FAILED events admins can see and retry.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

use crate::wecom::{event, world, WECOM_CORP};

fn add_contact(ext: &str) -> String {
    event(&format!(
        "<Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[add_external_contact]]></ChangeType>\
         <UserID><![CDATA[user00001]]></UserID><ExternalUserID><![CDATA[{ext}]]></ExternalUserID>"
    ))
}

/// Makes every queued job due now, skipping backoff.
async fn skip_backoff(db: &sea_orm::DatabaseConnection) {
    entity::job::Entity::update_many()
        .col_expr(entity::job::Column::RunAt, chrono::Utc::now().into())
        .filter(entity::job::Column::Status.eq("QUEUED"))
        .exec(db)
        .await
        .unwrap();
}

async fn inbox_status(db: &sea_orm::DatabaseConnection) -> entity::wecom_inbox::Model {
    entity::wecom_inbox::Entity::find().one(db).await.unwrap().unwrap()
}

#[tokio::test]
async fn an_event_that_keeps_failing_ends_failed_visible_and_retryable() {
    let w = world(1, 1).await;
    // WeCom does not know this contact: every apply answers 84061.
    let (status, _) = w.sandbox.send_callback(WECOM_CORP, &add_contact("wm-unknown")).await.unwrap();
    assert_eq!(status, 200);
    let db = &w.app.state.db;
    let mut row = inbox_status(db).await;
    for _ in 0..400 {
        row = inbox_status(db).await;
        if row.status == "FAILED" {
            break;
        }
        skip_backoff(db).await;
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(row.status, "FAILED", "tries capped");
    assert_eq!(row.attempts, 5);
    let calls_then = w.sandbox.calls_to("/cgi-bin/externalcontact/get").len();
    // The sweep leaves a FAILED event alone.
    entity::wecom_inbox::Entity::update_many()
        .col_expr(entity::wecom_inbox::Column::ReceivedAt, (chrono::Utc::now() - chrono::Duration::hours(1)).into())
        .exec(db)
        .await
        .unwrap();
    let sweep = w.app.state.jobs.enqueue_raw(db, "wecom.inbox_sweep", "{}".into(), Default::default()).await.unwrap();
    let mut done = None;
    for _ in 0..200 {
        let j = entity::job::Entity::find_by_id(sweep.id).one(db).await.unwrap().unwrap();
        if j.status == "SUCCEEDED" {
            done = j.result;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(done.as_deref(), Some(r#"{"requeued":0}"#));
    assert_eq!(w.sandbox.calls_to("/cgi-bin/externalcontact/get").len(), calls_then);

    let v = w
        .admin
        .data("{wecomInbox(status: FAILED){totalCount edges{node{id changeType attempts lastError{code reason message}}}}}", json!({}))
        .await;
    assert_eq!(v["wecomInbox"]["totalCount"], 1);
    let node = &v["wecomInbox"]["edges"][0]["node"];
    assert_eq!(node["changeType"], "add_external_contact");
    assert_eq!(node["lastError"]["code"], "UPSTREAM");
    assert_eq!(node["lastError"]["reason"], "WECOM_ERROR");

    // Once WeCom knows the contact, an admin's retry applies it.
    w.sandbox.with_corp(WECOM_CORP, |c| c.add_contact("wm-unknown", "新客户", "user00001", chrono::Utc::now().timestamp(), None));
    let id = node["id"].as_str().unwrap().to_string();
    let v = w.admin.data("mutation($id:ID!){retryWecomInboxEvent(id:$id){status attempts}}", json!({"id": id})).await;
    assert_eq!(v["retryWecomInboxEvent"]["status"], "PENDING");
    for _ in 0..200 {
        if inbox_status(db).await.status == "APPLIED" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(inbox_status(db).await.status, "APPLIED");
    // Retrying what is not FAILED is a conflict.
    let (code, _, _) = w.admin.error("mutation($id:ID!){retryWecomInboxEvent(id:$id){status}}", json!({"id": id})).await;
    assert_eq!(code, "CONFLICT");
}

#[tokio::test]
async fn an_event_is_stored_with_its_apply_job_or_not_at_all() {
    let w = world(1, 1).await;
    let db = &w.app.state.db;
    // The job cannot be queued: the event must not be acknowledged either.
    db.execute_unprepared("ALTER TABLE jobs RENAME TO jobs_away").await.unwrap();
    let (status, _) = w.sandbox.send_callback(WECOM_CORP, &add_contact("wm-x")).await.unwrap();
    db.execute_unprepared("ALTER TABLE jobs_away RENAME TO jobs").await.unwrap();
    assert_eq!(status, 503, "WeCom redelivers what we did not store");
    assert_eq!(entity::wecom_inbox::Entity::find().count(db).await.unwrap(), 0);
    // Redelivered, it is stored with its job.
    let (status, _) = w.sandbox.send_callback(WECOM_CORP, &add_contact("wm-x")).await.unwrap();
    assert_eq!(status, 200);
    let row = inbox_status(db).await;
    let jobs =
        entity::job::Entity::find().filter(entity::job::Column::DedupKey.eq(format!("wecom-inbox:{}", row.id))).count(db).await.unwrap();
    assert_eq!(jobs, 1);
}

fn contact_event(change: &str, ext: &str, userid: &str, created: i64) -> String {
    format!(
        "<xml><ToUserName><![CDATA[{WECOM_CORP}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>{created}</CreateTime>\
         <MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[{change}]]></ChangeType>\
         <UserID><![CDATA[{userid}]]></UserID><ExternalUserID><![CDATA[{ext}]]></ExternalUserID></xml>"
    )
}

async fn inbox_count(db: &sea_orm::DatabaseConnection, status: Option<&str>) -> u64 {
    let q = entity::wecom_inbox::Entity::find();
    match status {
        Some(s) => q.filter(entity::wecom_inbox::Column::Status.eq(s)).count(db).await.unwrap(),
        None => q.count(db).await.unwrap(),
    }
}

/// Concurrent deliveries share commits (`GroupCommit`); each distinct event
/// is stored once with its job, however many times and how concurrently
/// WeCom delivers it.
#[tokio::test]
async fn concurrent_deliveries_are_each_stored_once_with_their_job() {
    let w = crate::wecom::world_configured(1, 1, 0, |c| c.job_workers = 0).await;
    let db = &w.app.state.db;
    let created = chrono::Utc::now().timestamp();
    let events: Vec<String> =
        (0..40).map(|i| contact_event("edit_external_contact", &format!("wm{i}"), "user00001", created + i)).collect();
    // Every event twice, all at once.
    let sends = events.iter().chain(events.iter()).map(|xml| w.sandbox.send_callback(WECOM_CORP, xml));
    let answers = futures_util::future::join_all(sends).await;
    assert!(answers.iter().all(|a| matches!(a, Ok((200, _)))), "{answers:?}");
    assert_eq!(inbox_count(db, None).await, 40);
    let rows = entity::wecom_inbox::Entity::find().all(db).await.unwrap();
    let keys: Vec<String> = rows.iter().map(|r| format!("wecom-inbox:{}", r.id)).collect();
    let jobs = entity::job::Entity::find().filter(entity::job::Column::DedupKey.is_in(keys)).count(db).await.unwrap();
    assert_eq!(jobs, 40, "one apply job per stored event");
}

/// One worker run applies the corp's waiting events together (the refreshes
/// read WeCom once per contact and land as one page); an event that fails
/// counts a try and waits for its retry alone while the others are applied.
#[tokio::test]
async fn one_run_applies_a_batch_and_a_failing_event_retries_alone() {
    let w = crate::wecom::world_configured(1, 2, 20, |c| c.job_workers = 0).await;
    let (state, corp_id) = (&w.app.state, w.app.corp.corp.id);
    wecrm::wecom_sync::sync::run(state, corp_id, None).await.map_err(|e| format!("{e:?}")).unwrap();
    let follows: Vec<(String, String)> =
        w.sandbox.with_corp(WECOM_CORP, |c| c.follows.iter().map(|(e, f)| (e.clone(), f.userid.clone())).collect()).unwrap();
    // A name changed in WeCom: the refreshes must bring it in.
    let renamed = follows[0].0.clone();
    w.sandbox.with_corp(WECOM_CORP, |c| c.contacts.get_mut(&renamed).unwrap().name = "改过的名字".into());
    let created = chrono::Utc::now().timestamp();
    let mut events: Vec<String> =
        follows.iter().enumerate().map(|(i, (e, u))| contact_event("edit_external_contact", e, u, created + i as i64)).collect();
    events.push(contact_event("edit_external_contact", "wm-unknown-to-wecom", "user00001", created));
    events.push(contact_event("msg_audit_approved", &follows[1].0, &follows[1].1, created));
    for xml in &events {
        assert_eq!(w.sandbox.send_callback(WECOM_CORP, xml).await.unwrap().0, 200);
    }
    let n = events.len() as u64;
    let reads_before = w.sandbox.calls_to("/cgi-bin/externalcontact/get").len();
    let statements_before = state.statements.get();

    let runner = wecrm::app::runner::Runner::new(
        wecrm::app::jobs::registry(),
        state.jobs.clone(),
        chrono::Duration::seconds(60),
        std::time::Duration::from_millis(50),
    );
    assert!(runner.run_once(state).await.unwrap());
    let statements = state.statements.get() - statements_before;

    let db = &state.db;
    assert_eq!(inbox_count(db, Some("APPLIED")).await, n - 1, "every event but the failing one, in one run");
    let failing =
        entity::wecom_inbox::Entity::find().filter(entity::wecom_inbox::Column::Status.eq("PENDING")).one(db).await.unwrap().unwrap();
    assert!(failing.payload.contains("wm-unknown-to-wecom"));
    assert_eq!(failing.attempts, 1);
    let its_job = entity::job::Entity::find()
        .filter(entity::job::Column::DedupKey.eq(format!("wecom-inbox:{}", failing.id)))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(its_job.status, "QUEUED");
    assert!(its_job.run_at > chrono::Utc::now(), "backed off");
    let succeeded = entity::job::Entity::find().filter(entity::job::Column::Status.eq("SUCCEEDED")).count(db).await.unwrap();
    assert_eq!(succeeded, n - 1);
    assert!(!runner.run_once(state).await.unwrap(), "nothing else due");
    // One read per contact, and the new name landed.
    let distinct_contacts = follows.iter().map(|(e, _)| e).collect::<std::collections::BTreeSet<_>>().len() + 1;
    assert_eq!(w.sandbox.calls_to("/cgi-bin/externalcontact/get").len() - reads_before, distinct_contacts);
    let customer = entity::customer::Entity::find()
        .filter(entity::customer::Column::ExternalUserid.eq(renamed.as_str()))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(customer.name, "改过的名字");
    let consented = entity::customer::Entity::find()
        .filter(entity::customer::Column::ExternalUserid.eq(follows[1].0.as_str()))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert!(consented.archive_agreed);
    // Per event, a batch costs a fraction of what one job per event did
    // (about 15 statements each).
    assert!(statements < 6 * n, "{statements} statements for {n} events");
}

/// Callback keys are cached; rebinding with a new token applies to the
/// next delivery on this instance.
#[tokio::test]
async fn a_new_callback_token_applies_at_once() {
    let w = world(1, 1).await;
    assert_eq!(w.sandbox.send_callback(WECOM_CORP, &add_contact("wm-a")).await.unwrap().0, 200);
    w.admin
        .data(
            "mutation($i:BindWecomInput!){bindWecom(input:$i){corpId}}",
            json!({"i": {"corpId": WECOM_CORP, "callbackToken": "a-new-token"}}),
        )
        .await;
    // WeCom still signs with the old token until the admin saves it there.
    assert_eq!(w.sandbox.send_callback(WECOM_CORP, &add_contact("wm-b")).await.unwrap().0, 403);
    w.sandbox.with_corp(WECOM_CORP, |c| c.callback.as_mut().unwrap().token = "a-new-token".into());
    assert_eq!(w.sandbox.send_callback(WECOM_CORP, &add_contact("wm-c")).await.unwrap().0, 200);
}

/// WeCom may answer `groupchat/get` with the group as it was before the
/// change event: the event's `LastMemVer` shows it, and the group is read
/// again after `wecom_group_reread_ms` instead of applying the old state.
#[tokio::test]
async fn a_group_read_older_than_its_event_is_read_again() {
    let w = crate::wecom::world_configured(1, 2, 60, |c| c.wecom_group_reread_ms = 300).await;
    let (state, corp_id) = (&w.app.state, w.app.corp.corp.id);
    wecrm::wecom_sync::sync::run(state, corp_id, None).await.map_err(|e| format!("{e:?}")).unwrap();
    let chat_id = w.sandbox.with_corp(WECOM_CORP, |c| c.group_chats.keys().next().cloned()).flatten().unwrap();
    let reads_by_sync = w.sandbox.calls_to("/cgi-bin/externalcontact/groupchat/get").len();
    let fired =
        crate::alerts::fire(&w, json!({"type": "add_group_member", "chat_id": chat_id, "external_userid": "wm-joined", "join_scene": 3}))
            .await;
    assert_eq!(fired["deliveredStatus"], 200, "{fired}");
    let db = &state.db;
    let mut row = inbox_status(db).await;
    for _ in 0..200 {
        row = inbox_status(db).await;
        if row.status != "PENDING" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(row.status, "APPLIED");
    assert_eq!(row.attempts, 0, "a read too early is no failure");
    let reads = w.sandbox.calls_to("/cgi-bin/externalcontact/groupchat/get");
    let of_chat = reads[reads_by_sync..].iter().filter(|c| c.body.as_ref().is_some_and(|b| b["chat_id"] == chat_id.as_str())).count();
    assert_eq!(of_chat, 2, "the stale answer, then the current one");
    let joined = entity::group_member::Entity::find().filter(entity::group_member::Column::Userid.eq("wm-joined")).count(db).await.unwrap();
    assert_eq!(joined, 1);
}
