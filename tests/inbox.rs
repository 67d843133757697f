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
