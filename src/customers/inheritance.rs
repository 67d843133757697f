//! Inheritance (INH-1, INH-2): WeCom's list of a resigned member's customers
//! still waiting for an heir, handing them over through the resigned transfer
//! API, and every hand-over (on-job or resigned) tracked with WeCom's result.
//! All of it runs as durable jobs: a leaver may have thousands of customers.

use std::collections::{BTreeMap, HashMap};

use async_graphql::Enum;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::timeline::{self, EventKind, NewEvent};
use crate::{
    error::{AppError, AppResult, Code, Msg},
    integrations::wecom::types::{TransferCustomer, TransferResultRequest, UnassignedListRequest},
    jobs::{JobCtx, JobError, JobHandler, JobKind},
    tenancy::Scope,
    wecom_sync::link::WecomLink,
};
use entity::{customer, employee, inheritance, unassigned_customer};

const NOT_BOUND: Msg = Msg::new("WECOM_SETUP_REQUIRED", "请先完成企业微信配置", "Bind the corp to WeCom first");
const NOT_RESIGNED: Msg = Msg::new("NOT_RESIGNED", "该员工未离职", "This employee has not resigned");
const TAKEOVER_RESIGNED: Msg = Msg::new("TAKEOVER_RESIGNED", "接替成员已离职", "The receiver has resigned");

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Serialize, Deserialize)]
pub enum InheritanceKind {
    /// 在职继承 (INH-2).
    OnJob,
    /// 离职继承 (INH-1).
    Resigned,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Serialize, Deserialize)]
pub enum InheritanceStatus {
    /// WeCom started the flow; the customer is taken over within 24 h unless they refuse.
    Waiting,
    /// Taken over (接替完毕).
    Done,
    /// The customer refused.
    Refused,
    /// The receiver's customer limit was reached.
    LimitReached,
    /// WeCom has no record of the transfer.
    NoRecord,
    /// WeCom refused to start it (see `errcode`).
    Failed,
}

text_enum!(InheritanceKind { OnJob => "ON_JOB", Resigned => "RESIGNED" });
text_enum!(InheritanceStatus {
    Waiting => "WAITING", Done => "DONE", Refused => "REFUSED", LimitReached => "LIMIT_REACHED", NoRecord => "NO_RECORD", Failed => "FAILED",
});

/// WeCom's transfer_result status numbers.
fn status_of(wecom: i64) -> InheritanceStatus {
    match wecom {
        1 => InheritanceStatus::Done,
        2 => InheritanceStatus::Waiting,
        3 => InheritanceStatus::Refused,
        4 => InheritanceStatus::LimitReached,
        _ => InheritanceStatus::NoRecord,
    }
}

fn link_required(link: Option<WecomLink>) -> Result<WecomLink, JobError> {
    link.ok_or(JobError::Permanent { code: Code::BadUserInput, msg: NOT_BOUND })
}

/// Writes what a transfer call started: a row per customer (WAITING, or
/// FAILED with WeCom's errcode), the receiver as owner of those that started,
/// and their timeline entries. One transaction.
pub async fn record_started(
    db: &impl ConnectionTrait,
    scope: &Scope,
    kind: InheritanceKind,
    handover: i64,
    takeover: i64,
    answers: &[(&customer::Model, i64)],
) -> AppResult<()> {
    let now = Utc::now();
    scope
        .insert_many(
            db,
            answers.iter().map(|(c, errcode)| inheritance::ActiveModel {
                customer_id: Set(c.id),
                external_userid: Set(c.external_userid.clone()),
                handover_id: Set(handover),
                takeover_id: Set(takeover),
                kind: Set(kind.as_str().into()),
                status: Set(if *errcode == 0 { InheritanceStatus::Waiting } else { InheritanceStatus::Failed }.as_str().into()),
                errcode: Set((*errcode != 0).then_some(*errcode)),
                takeover_at: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }),
        )
        .await?;
    let started: Vec<i64> = answers.iter().filter(|(_, e)| *e == 0).map(|(c, _)| c.id).collect();
    if started.is_empty() {
        return Ok(());
    }
    scope
        .update_many::<customer::Entity>()
        .col_expr(customer::Column::OwnerId, Some(takeover).into())
        .col_expr(customer::Column::UpdatedAt, now.into())
        .filter(customer::Column::Id.is_in(started.clone()))
        // A customer in the public pool stays there, ownerless.
        .filter(customer::Column::PooledAt.is_null())
        .exec(db)
        .await?;
    timeline::append(
        db,
        scope,
        started
            .iter()
            .map(|c| {
                NewEvent::new(*c, EventKind::TransferStarted, now)
                    .by(scope.employee_id())
                    .with(json!({"from": handover, "to": takeover, "kind": kind.as_str()}))
            })
            .collect(),
    )
    .await
}

/// Replaces the corp's copy of WeCom's unassigned list and stamps the
/// leavers' resign time. Runs as a job (`SyncUnassignedJob`).
pub async fn sync_unassigned(db: &sea_orm::DatabaseConnection, scope: &Scope, link: &WecomLink) -> AppResult<usize> {
    let mut all = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = link.client.unassigned_list(&link.creds, &UnassignedListRequest { cursor: cursor.clone(), page_size: 1000 }).await?;
        all.extend(page.info);
        if page.is_last || page.next_cursor.is_empty() {
            break;
        }
        cursor = page.next_cursor;
    }
    let now = Utc::now();
    let txn = crate::db::write_txn(db).await?;
    scope.delete_many::<unassigned_customer::Entity>().exec(&txn).await?;
    let at = |ts: i64| DateTime::from_timestamp(ts, 0).unwrap_or(now);
    for chunk in all.chunks(500) {
        scope
            .insert_many(
                &txn,
                chunk.iter().map(|u| unassigned_customer::ActiveModel {
                    handover_userid: Set(u.handover_userid.clone()),
                    external_userid: Set(u.external_userid.clone()),
                    dimission_at: Set(at(u.dimission_time)),
                    synced_at: Set(now),
                    ..Default::default()
                }),
            )
            .await?;
    }
    let mut left: BTreeMap<&str, i64> = BTreeMap::new();
    for u in &all {
        let e = left.entry(u.handover_userid.as_str()).or_insert(u.dimission_time);
        *e = (*e).min(u.dimission_time);
    }
    for (userid, ts) in left {
        scope
            .update_many::<employee::Entity>()
            .col_expr(employee::Column::ResignedAt, Some(at(ts)).into())
            .filter(employee::Column::Userid.eq(userid))
            .filter(employee::Column::ResignedAt.is_null())
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(all.len())
}

/// Pulls WeCom's unassigned list for one corp.
pub struct SyncUnassignedJob;

impl JobKind for SyncUnassignedJob {
    const KIND: &'static str = "customers.sync_unassigned";
    type Payload = Value;
}

#[async_trait::async_trait]
impl JobHandler for SyncUnassignedJob {
    type Kind = Self;

    async fn run(&self, ctx: &JobCtx, _: Value) -> Result<Value, JobError> {
        let corp_id = ctx.job.corp_id.ok_or(JobError::Permanent { code: Code::Internal, msg: crate::error::msg::INTERNAL })?;
        let link = link_required(crate::wecom_sync::link::link(&ctx.state, corp_id).await.map_err(JobError::from_app)?)?;
        let n = sync_unassigned(&ctx.state.db, &Scope::system(corp_id), &link).await.map_err(JobError::from_app)?;
        Ok(json!({"unassigned": n}))
    }
}

#[derive(Serialize, Deserialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct ResignedInheritRequest {
    pub handover_id: i64,
    pub takeover_id: i64,
    /// Only these customers; all of the leaver's waiting customers when empty.
    #[serde(default)]
    pub customer_ids: Vec<i64>,
    /// Also hand over the customer groups the leaver owns.
    #[serde(default)]
    pub include_groups: bool,
}

/// Checks a resigned hand-over before it is queued, so a bad one fails the request.
pub async fn check_resigned_request(db: &impl ConnectionTrait, scope: &Scope, r: &ResignedInheritRequest) -> AppResult<()> {
    let handover = scope.get::<employee::Entity>(db, r.handover_id).await?;
    if handover.resigned_at.is_none() {
        return Err(AppError::bad_input("handoverEmployeeId", NOT_RESIGNED));
    }
    let takeover = scope.get::<employee::Entity>(db, r.takeover_id).await?;
    if takeover.resigned_at.is_some() {
        return Err(AppError::bad_input("takeoverEmployeeId", TAKEOVER_RESIGNED));
    }
    if !r.customer_ids.is_empty() {
        let found = scope.select_visible::<customer::Entity>().filter(customer::Column::Id.is_in(r.customer_ids.clone())).all(db).await?;
        if found.len() != r.customer_ids.len() {
            return Err(AppError::not_found().with_field("customerIds"));
        }
    }
    Ok(())
}

/// Hands a leaver's waiting customers to an heir through WeCom, 100 a call.
pub async fn inherit_resigned(
    db: &sea_orm::DatabaseConnection,
    scope: &Scope,
    link: &WecomLink,
    r: &ResignedInheritRequest,
) -> AppResult<Value> {
    check_resigned_request(db, scope, r).await?;
    let handover = scope.get::<employee::Entity>(db, r.handover_id).await?;
    let takeover = scope.get::<employee::Entity>(db, r.takeover_id).await?;
    let waiting: Vec<String> = scope
        .select::<unassigned_customer::Entity>()
        .filter(unassigned_customer::Column::HandoverUserid.eq(&handover.userid))
        .all(db)
        .await?
        .into_iter()
        .map(|u| u.external_userid)
        .collect();
    let mut q = scope.select_visible::<customer::Entity>().filter(customer::Column::ExternalUserid.is_in(waiting));
    if !r.customer_ids.is_empty() {
        q = q.filter(customer::Column::Id.is_in(r.customer_ids.clone()));
    }
    let customers = q.all(db).await?;
    let (mut started, mut failed) = (0, 0);
    for chunk in customers.chunks(100) {
        let body = TransferCustomer {
            handover_userid: handover.userid.clone(),
            takeover_userid: takeover.userid.clone(),
            external_userid: chunk.iter().map(|c| c.external_userid.clone()).collect(),
            transfer_success_msg: None,
        };
        let answer = link.client.resigned_transfer_customer(&link.creds, &body).await?;
        let codes: HashMap<&str, i64> = answer.iter().map(|a| (a.external_userid.as_str(), a.errcode)).collect();
        let answers: Vec<(&customer::Model, i64)> =
            chunk.iter().map(|c| (c, codes.get(c.external_userid.as_str()).copied().unwrap_or(-1))).collect();
        started += answers.iter().filter(|(_, e)| *e == 0).count();
        failed += answers.iter().filter(|(_, e)| *e != 0).count();
        let txn = crate::db::write_txn(db).await?;
        record_started(&txn, scope, InheritanceKind::Resigned, handover.id, takeover.id, &answers).await?;
        let moved: Vec<String> = answers.iter().filter(|(_, e)| *e == 0).map(|(c, _)| c.external_userid.clone()).collect();
        scope
            .delete_many::<unassigned_customer::Entity>()
            .filter(unassigned_customer::Column::HandoverUserid.eq(&handover.userid))
            .filter(unassigned_customer::Column::ExternalUserid.is_in(moved))
            .exec(&txn)
            .await?;
        txn.commit().await?;
    }
    let (groups_moved, groups_failed) =
        if r.include_groups { inherit_groups(db, scope, link, &handover, &takeover).await? } else { (0, 0) };
    Ok(json!({"started": started, "failed": failed, "groupsTransferred": groups_moved, "groupsFailed": groups_failed}))
}

/// Hands the leaver's live groups to the heir through `groupchat/transfer`
/// (100 a call); the groups WeCom accepted change owner here at once.
async fn inherit_groups(
    db: &sea_orm::DatabaseConnection,
    scope: &Scope,
    link: &WecomLink,
    handover: &employee::Model,
    takeover: &employee::Model,
) -> AppResult<(usize, usize)> {
    use entity::customer_group;
    let groups = scope
        .select::<customer_group::Entity>()
        .filter(customer_group::Column::OwnerId.eq(handover.id))
        .filter(customer_group::Column::DismissedAt.is_null())
        .all(db)
        .await?;
    let (mut moved, mut failed) = (0, 0);
    for chunk in groups.chunks(100) {
        let body = crate::integrations::wecom::types::GroupChatTransfer {
            chat_id_list: chunk.iter().map(|g| g.chat_id.clone()).collect(),
            new_owner: takeover.userid.clone(),
        };
        let refused = link.client.group_chat_transfer(&link.creds, true, &body).await?;
        let ok: Vec<i64> = chunk.iter().filter(|g| !refused.iter().any(|f| f.chat_id == g.chat_id)).map(|g| g.id).collect();
        failed += chunk.len() - ok.len();
        moved += ok.len();
        scope
            .update_many::<customer_group::Entity>()
            .col_expr(customer_group::Column::OwnerId, Some(takeover.id).into())
            .col_expr(customer_group::Column::OwnerUserid, takeover.userid.clone().into())
            .col_expr(customer_group::Column::UpdatedAt, Utc::now().into())
            .filter(customer_group::Column::Id.is_in(ok))
            .exec(db)
            .await?;
    }
    Ok((moved, failed))
}

pub struct ResignedInheritJob;

impl JobKind for ResignedInheritJob {
    const KIND: &'static str = "customers.inherit_resigned";
    type Payload = ResignedInheritRequest;
}

#[async_trait::async_trait]
impl JobHandler for ResignedInheritJob {
    type Kind = Self;

    async fn run(&self, ctx: &JobCtx, r: ResignedInheritRequest) -> Result<Value, JobError> {
        let scope = ctx.starter_scope().await?;
        let link = link_required(crate::wecom_sync::link::link(&ctx.state, scope.corp_id()).await.map_err(JobError::from_app)?)?;
        inherit_resigned(&ctx.state.db, &scope, &link, &r).await.map_err(JobError::from_app)
    }
}

/// Asks WeCom how waiting hand-overs went and records it; platform-wide
/// when scheduled, one corp when a user asks.
pub struct InheritanceStatusJob;

impl JobKind for InheritanceStatusJob {
    const KIND: &'static str = "customers.inheritance_status";
    type Payload = Value;
}

#[async_trait::async_trait]
impl JobHandler for InheritanceStatusJob {
    type Kind = Self;

    async fn run(&self, ctx: &JobCtx, _: Value) -> Result<Value, JobError> {
        let db = &ctx.state.db;
        // Platform-wide on purpose when scheduled: one sweep serves every corp.
        let mut q = crate::tenancy::across_corps::<inheritance::Entity>()
            .filter(inheritance::Column::Status.eq(InheritanceStatus::Waiting.as_str()));
        if let Some(corp) = ctx.job.corp_id {
            q = q.filter(inheritance::Column::CorpId.eq(corp));
        }
        let waiting = q.all(db).await.map_err(AppError::from)?;
        let mut groups: BTreeMap<(i64, String, i64, i64), Vec<inheritance::Model>> = BTreeMap::new();
        for w in waiting {
            groups.entry((w.corp_id, w.kind.clone(), w.handover_id, w.takeover_id)).or_default().push(w);
        }
        let mut updated = 0;
        for ((corp_id, kind, handover, takeover), rows) in groups {
            let scope = Scope::system(corp_id);
            let Some(link) = crate::wecom_sync::link::link(&ctx.state, corp_id).await.map_err(JobError::from_app)? else { continue };
            let people: HashMap<i64, String> = scope
                .select::<employee::Entity>()
                .filter(employee::Column::Id.is_in([handover, takeover]))
                .all(db)
                .await
                .map_err(AppError::from)?
                .into_iter()
                .map(|e| (e.id, e.userid))
                .collect();
            let (Some(h), Some(t)) = (people.get(&handover), people.get(&takeover)) else { continue };
            let mut cursor = String::new();
            let mut results = HashMap::new();
            loop {
                let body = TransferResultRequest { handover_userid: h.clone(), takeover_userid: t.clone(), cursor: cursor.clone() };
                let page = link
                    .client
                    .transfer_result(&link.creds, kind == InheritanceKind::Resigned.as_str(), &body)
                    .await
                    .map_err(|e| JobError::from_app(e.into()))?;
                for c in page.customer {
                    results.insert(c.external_userid.clone(), c);
                }
                if page.next_cursor.is_empty() {
                    break;
                }
                cursor = page.next_cursor;
            }
            let txn = crate::db::write_txn(db).await.map_err(AppError::from)?;
            for row in rows {
                let Some(r) = results.get(&row.external_userid) else { continue };
                let status = status_of(r.status);
                if status == InheritanceStatus::Waiting {
                    continue;
                }
                scope
                    .update_many::<inheritance::Entity>()
                    .col_expr(inheritance::Column::Status, status.as_str().into())
                    .col_expr(
                        inheritance::Column::TakeoverAt,
                        DateTime::from_timestamp(r.takeover_time, 0).filter(|_| r.takeover_time > 0).into(),
                    )
                    .col_expr(inheritance::Column::UpdatedAt, Utc::now().into())
                    .filter(inheritance::Column::Id.eq(row.id))
                    .exec(&txn)
                    .await
                    .map_err(AppError::from)?;
                updated += 1;
            }
            txn.commit().await.map_err(AppError::from)?;
        }
        Ok(json!({"updated": updated}))
    }
}
