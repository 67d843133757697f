//! Applying an Official Account's follow events (OA-2): `subscribe` makes
//! or refreshes the follower (details read from `user/info`, so the unionid
//! links the person, OA-6), `unsubscribe` clears the flag and keeps the row.
//! Other events and messages are only recorded (their row is the history).
//! Each event is applied once: the follower change and the event's APPLIED
//! mark commit together, and WeChat's own time orders a late event behind
//! a newer one already applied.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, QueryFilter, QuerySelect};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{accounts, fans};
use crate::{
    error::AppError,
    integrations::oa::types::UserInfo,
    jobs::{JobCtx, JobError, JobHandler, JobKind, NewJob},
    tenancy::Scope,
};
use entity::{customer, oa_account, oa_event, oa_follower};

pub const PENDING: &str = "PENDING";
pub const APPLIED: &str = "APPLIED";
/// Arrived for an account unbound before it was applied (OA-3: no longer updated).
pub const SKIPPED: &str = "SKIPPED";

/// Events that change a follower; everything else is recorded as applied.
pub fn needs_apply(event: &str) -> bool {
    matches!(event, "subscribe" | "unsubscribe")
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplyEventRequest {
    pub event_id: i64,
}

/// Applies one follow event (`oa.apply_event`).
pub struct ApplyEvent;

impl JobKind for ApplyEvent {
    const KIND: &'static str = "oa.apply_event";
    type Payload = ApplyEventRequest;
}

pub async fn queue_apply(db: &impl ConnectionTrait, now: DateTime<Utc>, event: &oa_event::Model) -> crate::error::AppResult<()> {
    let new = NewJob { corp_id: Some(event.corp_id), ..NewJob::system() }.dedup(format!("oa-event:{}", event.id)).attempts(5);
    crate::jobs::insert::<ApplyEvent>(db, new, &ApplyEventRequest { event_id: event.id }, now).await?;
    Ok(())
}

pub struct ApplyEventJob;

#[async_trait::async_trait]
impl JobHandler for ApplyEventJob {
    type Kind = ApplyEvent;

    async fn run(&self, ctx: &JobCtx, p: ApplyEventRequest) -> Result<Value, JobError> {
        let state = &ctx.state;
        let corp_id = ctx.job.corp_id.ok_or_else(|| JobError::Retry(anyhow::anyhow!("event without a corp")))?;
        let scope = Scope::system(corp_id);
        let event = scope.get::<oa_event::Entity>(&state.db, p.event_id).await?;
        if event.status != PENDING {
            return Ok(json!({"applied": false}));
        }
        let account = scope.get::<oa_account::Entity>(&state.db, event.account_id).await?;
        if account.status != accounts::status::BOUND {
            mark(&state.db, &scope, event.id, SKIPPED).await?;
            return Ok(json!({"applied": false, "skipped": "unbound"}));
        }
        // Details first, outside the transaction: a follower who already left
        // again (subscribe: 0) or an account that stopped answering still
        // gets the row the event itself describes.
        let details = if event.event == "subscribe" {
            let creds = accounts::credentials(&state.master_key, &account)?;
            match state.oa.user_info(&creds, &event.openid).await {
                Ok(info) if info.subscribe == 1 => Some(info),
                Ok(_) => None,
                Err(e) if e.errcode().is_some() => None,
                Err(e) => return Err(AppError::from(e).into()),
            }
        } else {
            None
        };
        let txn = crate::db::write_txn(&state.db).await.map_err(AppError::from)?;
        let current = scope
            .select::<oa_follower::Entity>()
            .filter(oa_follower::Column::AccountId.eq(account.id))
            .filter(oa_follower::Column::Openid.eq(&event.openid))
            .one(&txn)
            .await
            .map_err(AppError::from)?;
        // A newer change of this follower already applied wins; WeChat's times
        // are whole seconds, and within one a leave wins over a follow.
        let latest = current.as_ref().and_then(|f| f.subscribed_at.max(f.unsubscribed_at));
        let left_then = current.as_ref().is_some_and(|f| f.unsubscribed_at == latest && latest.is_some());
        let stale = latest.is_some_and(|t| t > event.occurred_at || (t == event.occurred_at && left_then && event.event == "subscribe"));
        let now = Utc::now();
        if !stale {
            match event.event.as_str() {
                "subscribe" => {
                    let info = details.unwrap_or_else(|| UserInfo {
                        subscribe: 1,
                        openid: event.openid.clone(),
                        subscribe_time: Some(event.occurred_at.timestamp()),
                        qr_scene_str: event.event_key.as_deref().and_then(|k| k.strip_prefix("qrscene_")).map(str::to_string),
                        subscribe_scene: event
                            .event_key
                            .as_deref()
                            .filter(|k| k.starts_with("qrscene_"))
                            .map(|_| "ADD_SCENE_QR_CODE".into()),
                        ..UserInfo::default()
                    });
                    let mut row = fans::row(account.id, &info, now);
                    // The event's time is when this follow happened.
                    row.subscribed_at = Set(Some(event.occurred_at));
                    fans::upsert(&txn, &scope, vec![row]).await?;
                }
                "unsubscribe" => match current {
                    Some(_) => fans::unfollowed(&txn, &scope, account.id, &event.openid, event.occurred_at).await?,
                    None => {
                        // Followed before the account was bound and never synced: keep the contact, not following.
                        let info = UserInfo { subscribe: 0, openid: event.openid.clone(), ..UserInfo::default() };
                        let mut row = fans::row(account.id, &info, now);
                        row.unsubscribed_at = Set(Some(event.occurred_at));
                        fans::upsert(&txn, &scope, vec![row]).await?;
                    }
                },
                _ => {}
            }
        }
        if !stale {
            // Customers who are this person (by unionid) changed a condition fact (OA-7).
            let unionid = scope
                .select::<oa_follower::Entity>()
                .filter(oa_follower::Column::AccountId.eq(account.id))
                .filter(oa_follower::Column::Openid.eq(&event.openid))
                .one(&txn)
                .await
                .map_err(AppError::from)?
                .and_then(|f| f.unionid);
            if let Some(u) = unionid {
                let customers: Vec<i64> = scope
                    .select::<customer::Entity>()
                    .filter(customer::Column::Unionid.eq(u))
                    .select_only()
                    .column(customer::Column::Id)
                    .into_tuple()
                    .all(&txn)
                    .await
                    .map_err(AppError::from)?;
                crate::smart_tags::pending::mark_changed(&txn, &scope, &customers).await?;
            }
        }
        mark(&txn, &scope, event.id, APPLIED).await?;
        txn.commit().await.map_err(AppError::from)?;
        Ok(json!({"applied": !stale}))
    }
}

async fn mark(db: &impl ConnectionTrait, scope: &Scope, id: i64, status: &str) -> Result<(), AppError> {
    scope
        .update_many::<oa_event::Entity>()
        .col_expr(oa_event::Column::Status, status.into())
        .col_expr(oa_event::Column::AppliedAt, Some(Utc::now()).into())
        .filter(oa_event::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}
