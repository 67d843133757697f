//! Fans (OA-2, OA-4): every follower of a bound account is a row, created by
//! the sync and by subscribe events, kept after an unfollow with the flag
//! cleared. The sync pages `user/get` by `next_openid` (10,000 a page),
//! reads details 100 at a time, upserts each batch in one statement, saves
//! where it is after each page (a retried attempt resumes there), and at
//! the end marks the fans it did not see as unfollowed.

use chrono::{DateTime, TimeZone, Utc};
use sea_orm::{sea_query::OnConflict, ActiveValue::Set, ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder, Select};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::accounts::{self, status};
pub use super::fans_queue::{queue_sync, SyncFans, SyncFansRequest};
use crate::{
    error::AppResult,
    integrations::oa::{client::USER_INFO_BATCH, types::UserInfo},
    jobs::{JobCtx, JobError, JobHandler},
    state::AppState,
    tenancy::Scope,
};
use entity::{oa_account, oa_follower};

fn at(secs: Option<i64>) -> Option<DateTime<Utc>> {
    secs.filter(|s| *s > 0).and_then(|s| Utc.timestamp_opt(s, 0).single())
}

/// The row a follower's details make (the corp is stamped by the scope).
pub fn row(account_id: i64, info: &UserInfo, now: DateTime<Utc>) -> oa_follower::ActiveModel {
    let qr_scene = info.qr_scene_str.clone().filter(|s| !s.is_empty()).or_else(|| info.qr_scene.filter(|s| *s != 0).map(|s| s.to_string()));
    oa_follower::ActiveModel {
        account_id: Set(account_id),
        openid: Set(info.openid.clone()),
        unionid: Set(info.unionid.clone().filter(|u| !u.is_empty())),
        subscribed: Set(info.subscribe == 1),
        subscribe_scene: Set(info.subscribe_scene.clone().filter(|s| !s.is_empty())),
        qr_scene: Set(qr_scene),
        subscribed_at: Set(at(info.subscribe_time)),
        unsubscribed_at: Set(None),
        remark: Set(info.remark.clone().filter(|r| !r.is_empty())),
        language: Set(info.language.clone().filter(|l| !l.is_empty())),
        tag_ids: Set(json!(info.tagid_list).to_string()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

/// Writes followers' details in one statement: new ones inserted, known
/// ones refreshed (a re-follow clears `unsubscribed_at`), unless the row
/// records a leave later than this follow: details read before an
/// unsubscribe was applied must not undo it.
pub async fn upsert(db: &impl ConnectionTrait, scope: &Scope, rows: Vec<oa_follower::ActiveModel>) -> AppResult<()> {
    use oa_follower::Column as C;
    let on_conflict = OnConflict::columns([C::AccountId, C::Openid])
        .update_columns([
            C::Unionid,
            C::Subscribed,
            C::SubscribeScene,
            C::QrScene,
            C::SubscribedAt,
            C::UnsubscribedAt,
            C::Remark,
            C::Language,
            C::TagIds,
            C::UpdatedAt,
        ])
        .action_and_where(sea_orm::sea_query::Expr::cust(
            "oa_followers.unsubscribed_at IS NULL OR oa_followers.unsubscribed_at <= excluded.subscribed_at",
        ))
        .to_owned();
    scope.upsert_many(db, rows, on_conflict).await
}

/// Marks `openids` of the account as no longer following (their rows stay).
pub async fn unfollowed(db: &impl ConnectionTrait, scope: &Scope, account_id: i64, openid: &str, at: DateTime<Utc>) -> AppResult<()> {
    scope
        .update_many::<oa_follower::Entity>()
        .col_expr(oa_follower::Column::Subscribed, false.into())
        .col_expr(oa_follower::Column::UnsubscribedAt, Some(at).into())
        .col_expr(oa_follower::Column::UpdatedAt, at.into())
        .filter(oa_follower::Column::AccountId.eq(account_id))
        .filter(oa_follower::Column::Openid.eq(openid))
        .exec(db)
        .await?;
    Ok(())
}

/// Fans of some of the corp's accounts (all when `accounts` is None), newest first.
pub fn list(scope: &Scope, accounts: Option<Vec<i64>>, subscribed: Option<bool>) -> Select<oa_follower::Entity> {
    let mut q = scope.select::<oa_follower::Entity>().order_by_desc(oa_follower::Column::Id);
    if let Some(ids) = accounts {
        q = q.filter(oa_follower::Column::AccountId.is_in(ids));
    }
    if let Some(s) = subscribed {
        q = q.filter(oa_follower::Column::Subscribed.eq(s));
    }
    q
}

/// Follow rows of people with these unionids (OA-6: one person across accounts and WeCom).
pub async fn by_unionids(db: &impl ConnectionTrait, scope: &Scope, unionids: Vec<String>) -> AppResult<Vec<oa_follower::Model>> {
    if unionids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(scope
        .select::<oa_follower::Entity>()
        .filter(oa_follower::Column::Unionid.is_in(unionids))
        .order_by_asc(oa_follower::Column::AccountId)
        .all(db)
        .await?)
}

pub struct SyncFansJob;

#[derive(Serialize, Deserialize, Default)]
struct Checkpoint {
    next: String,
    started: i64,
    seen: u64,
}

#[async_trait::async_trait]
impl JobHandler for SyncFansJob {
    type Kind = SyncFans;

    async fn run(&self, ctx: &JobCtx, p: SyncFansRequest) -> Result<Value, JobError> {
        let corp_id = ctx.job.corp_id.ok_or_else(|| JobError::Retry(anyhow::anyhow!("fans sync without a corp")))?;
        Ok(sync(&ctx.state, corp_id, p.account_id, Some(ctx)).await?)
    }
}

/// Pulls every follower of the account; with a job context, resumes from
/// its checkpoint and reports progress.
pub async fn sync(state: &AppState, corp_id: i64, account_id: i64, job: Option<&JobCtx>) -> AppResult<Value> {
    let scope = Scope::system(corp_id);
    let account = scope.get::<oa_account::Entity>(&state.db, account_id).await?;
    if account.status != status::BOUND {
        return Ok(json!({"skipped": "unbound"}));
    }
    let creds = accounts::credentials(&state.master_key, &account)?;
    let mut cp: Checkpoint = job
        .and_then(JobCtx::checkpoint)
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or(Checkpoint { started: Utc::now().timestamp_micros(), ..Checkpoint::default() });
    loop {
        let page = match state.oa.followers(&creds, &cp.next).await {
            Ok(page) => page,
            // A resumed cursor names someone who has left since: start the
            // listing again (rows seen so far keep their refresh).
            Err(e) if e.errcode() == Some(40003) && !cp.next.is_empty() => {
                cp.next.clear();
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let (total, listed) = (page.total.max(1), page.total);
        let next = page.next_openid.clone();
        let openids = page.openids();
        if openids.is_empty() {
            break;
        }
        for chunk in openids.chunks(USER_INFO_BATCH) {
            let infos = state.oa.user_info_batch(&creds, chunk).await?;
            let now = Utc::now();
            // Who left between the listing and the details is the end's business.
            upsert(&state.db, &scope, infos.iter().filter(|i| i.subscribe == 1).map(|i| row(account.id, i, now)).collect()).await?;
        }
        cp.seen += openids.len() as u64;
        cp.next = next;
        if let Some(ctx) = job {
            ctx.save_checkpoint(&json!(cp)).await?;
            ctx.progress(((cp.seen * 100) / total as u64).min(99) as i32, &format!("{}/{listed}", cp.seen)).await?;
        }
        if cp.next.is_empty() {
            break;
        }
    }
    // Fans not refreshed by this sync no longer follow. They left before it
    // started (to the second, as WeChat's event times are), so a re-follow
    // whose event arrives later still wins.
    let started = Utc.timestamp_micros(cp.started).single().unwrap_or_else(Utc::now);
    let left_by = Utc.timestamp_opt(started.timestamp(), 0).single().unwrap_or(started);
    let now = Utc::now();
    let left = scope
        .update_many::<oa_follower::Entity>()
        .col_expr(oa_follower::Column::Subscribed, false.into())
        .col_expr(oa_follower::Column::UnsubscribedAt, Some(left_by).into())
        .col_expr(oa_follower::Column::UpdatedAt, now.into())
        .filter(oa_follower::Column::AccountId.eq(account.id))
        .filter(oa_follower::Column::Subscribed.eq(true))
        .filter(oa_follower::Column::UpdatedAt.lt(started))
        .exec(&state.db)
        .await?
        .rows_affected;
    scope
        .update_many::<oa_account::Entity>()
        .col_expr(oa_account::Column::FansSyncedAt, Some(now).into())
        .filter(oa_account::Column::Id.eq(account.id))
        .exec(&state.db)
        .await?;
    Ok(json!({"followers": cp.seen, "unfollowed": left}))
}
