//! What a viewer does on the H5 page of a marketing material (MAT-7/8,
//! EMP-2, EMP-5), reported by the page with the visit key its `/r/{token}`
//! redirect carried: no login, and the key grants only these calls on its
//! own visit. Dwell time comes from heartbeats (each credits the time since
//! the previous one, at most [`MAX_CREDIT_SECONDS`], and beats closer than
//! [`MIN_BEAT_SECONDS`] are refused, so a replayed or scripted beat cannot
//! inflate it); reaching the bottom counts once per visit; a re-share mints
//! a child link so later viewers are credited to the sharer (TA的人脉) and,
//! down the chain, to the employee who first sent it; a form is submitted
//! once per visit. WeChat OAuth ids name the viewer — only when the H5
//! page's server signed them after its own code exchange, since an id the
//! browser merely claims proves nothing: a customer with that unionid,
//! else a visitor kept until one matches. Behaviours of a known
//! customer reach its timeline (and so the radar) and fire the material's
//! tag rules ([`super::tag_rules`]).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    sea_query::{DynIden, Expr, ExprTrait as _, IntoIden, OnConflict},
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait, FromQueryResult, IdenStatic, Iterable,
    JoinType, QueryFilter, QuerySelect, QueryTrait,
};
use serde_json::{json, Value};

use super::{
    forms,
    marketing::{self, FORM},
    tag_rules::queue_tag_rules,
    tracking::{self, Material, Recipient},
};
use crate::{
    customers::timeline::{self, NewEvent},
    db::group_commit::{BatchFuture, GroupCommit},
    error::{AppError, AppResult, Code, Msg},
    state::RadarPageEvent as PageEvent,
    tenancy::Scope,
};
use entity::{customer, form_submission, marketing_material, radar_share, radar_viewer, radar_visit, radar_visitor};

/// Beats closer than this are refused (the page beats every 5 s).
pub const MIN_BEAT_SECONDS: i64 = 4;
/// A beat credits at most this much (a page left in the background accrues nothing).
pub const MAX_CREDIT_SECONDS: i64 = 10;
/// A visit takes calls for this long after its open.
pub const VISIT_HOURS: i64 = 24;

const LINK_INVALID: Msg = Msg::new("RADAR_LINK_INVALID", "链接无效或已失效", "This link is not valid or has expired");
const TOO_FREQUENT: Msg = Msg::new("RADAR_HEARTBEAT_TOO_FREQUENT", "心跳过于频繁", "Heartbeats are too frequent");
const NOT_A_FORM: Msg = Msg::new("RADAR_NOT_A_FORM", "该素材没有表单", "This material has no form");
const ALREADY_SUBMITTED: Msg = Msg::new("FORM_ALREADY_SUBMITTED", "您已提交过该表单", "This form was already submitted");
const IDENTITY_REQUIRED: Msg = Msg::new("RADAR_IDENTITY_REQUIRED", "请提供openid或unionid", "Give an openid or a unionid");
const IDENTITY_UNSIGNED: Msg =
    Msg::new("RADAR_IDENTITY_UNSIGNED", "访客身份签名无效", "The viewer's identity is not signed with the configured key");

/// What the H5 page's server signs after its OAuth code exchange:
/// `visit`, `openid` and `unionid` (empty when absent), one per line.
pub fn identity_message(visit: &str, openid: Option<&str>, unionid: Option<&str>) -> String {
    format!("{visit}\n{}\n{}", openid.unwrap_or_default(), unionid.unwrap_or_default())
}

/// Checks the hex HMAC-SHA256 of [`identity_message`] under `key` (in constant time).
fn signed(key: Option<&[u8]>, message: &str, signature: &str) -> bool {
    use hmac::{KeyInit, Mac};
    let (Some(key), Ok(sig)) = (key, hex::decode(signature.trim())) else { return false };
    let Ok(mut mac) = hmac::Hmac::<sha2_11::Sha256>::new_from_slice(key) else { return false };
    mac.update(message.as_bytes());
    mac.verify_slice(&sig).is_ok()
}

/// A visit with the share it came through and the material it shows.
pub struct Visit {
    pub visit: radar_visit::Model,
    pub share: radar_share::Model,
    pub material: marketing_material::Model,
}

impl Visit {
    fn scope(&self) -> Scope {
        Scope::system(self.visit.corp_id)
    }
}

/// The visit a key names, while it may still take calls; else NOT_FOUND
/// `RADAR_LINK_INVALID` (forged, expired, or its material withdrawn).
pub async fn find(db: &impl ConnectionTrait, key: &str, now: DateTime<Utc>) -> AppResult<Visit> {
    let invalid = || AppError::new(Code::NotFound, LINK_INVALID).with_field("visit");
    if !tracking::well_formed(key) {
        return Err(invalid());
    }
    let (visit, share, material) = visit_with_material(db, key).await?.ok_or_else(invalid)?;
    if now - visit.opened_at > Duration::hours(VISIT_HOURS) || material.status != marketing::PUBLISHED {
        return Err(invalid());
    }
    Ok(Visit { visit, share, material })
}

/// The visit a key names with its share and material, in one statement:
/// every page event reads them, and a page beats every five seconds.
async fn visit_with_material(
    db: &impl ConnectionTrait,
    key: &str,
) -> Result<Option<(radar_visit::Model, radar_share::Model, marketing_material::Model)>, DbErr> {
    let to_share = radar_visit::Entity::belongs_to(radar_share::Entity).from(radar_visit::Column::ShareId).to(radar_share::Column::Id);
    let to_material = radar_share::Entity::belongs_to(marketing_material::Entity)
        .from(radar_share::Column::MarketingMaterialId)
        .to(marketing_material::Column::Id);
    let same_corp =
        |table: DynIden, corp: DynIden| Expr::col((table, corp)).eq(Expr::col((radar_visit::Entity, radar_visit::Column::CorpId)));
    let mut q = crate::tenancy::across_corps::<radar_visit::Entity>()
        .select_only()
        .join(JoinType::InnerJoin, to_share.into())
        .join(JoinType::InnerJoin, to_material.into())
        .filter(radar_visit::Column::VisitKey.eq(key))
        .filter(same_corp(radar_share::Entity.into_iden(), radar_share::Column::CorpId.into_iden()))
        .filter(same_corp(marketing_material::Entity.into_iden(), marketing_material::Column::CorpId.into_iden()));
    for c in radar_visit::Column::iter() {
        q = q.column_as(c, format!("v_{}", c.as_str()));
    }
    for c in radar_share::Column::iter() {
        q = q.column_as(c, format!("s_{}", c.as_str()));
    }
    for c in marketing_material::Column::iter() {
        q = q.column_as(c, format!("m_{}", c.as_str()));
    }
    let Some(row) = db.query_one_raw(q.build(db.get_database_backend())).await? else { return Ok(None) };
    Ok(Some((
        radar_visit::Model::from_query_result(&row, "v_")?,
        radar_share::Model::from_query_result(&row, "s_")?,
        marketing_material::Model::from_query_result(&row, "m_")?,
    )))
}

/// Appends a behaviour of a known viewer to its timeline and fires the
/// material's tag rules for it.
async fn record(
    txn: &impl ConnectionTrait,
    v: &Visit,
    customer_id: Option<i64>,
    action: &str,
    trigger: Option<&str>,
    at: DateTime<Utc>,
    extra: Value,
) -> AppResult<()> {
    let Some(customer_id) = customer_id else { return Ok(()) };
    let mut event = tracking::material_event(&v.share, customer_id, &Material::Marketing(v.material.clone()), action, at);
    if let (Value::Object(p), Value::Object(x)) = (&mut event.payload, extra) {
        p.extend(x);
    }
    timeline::append(txn, &v.scope(), vec![event]).await?;
    if let Some(trigger) = trigger {
        queue_tag_rules(txn, &v.scope(), trigger, &[(v.material.id, customer_id)]).await?;
    }
    Ok(())
}

/// Heartbeat: credits dwell time; the first time a visit passes 15 s it is
/// a STAY behaviour (and fires STAY_OVER_15S). Answers the visit's dwell
/// seconds. Beats (and bottoms) arriving together are written in one
/// transaction (`AppState::radar_page_events`, [`record_page_events`]):
/// every open page beats every 5 s.
pub async fn heartbeat(db: &DatabaseConnection, events: &GroupCommit<PageEvent, bool>, key: &str, now: DateTime<Utc>) -> AppResult<i32> {
    let v = find(db, key, now).await?;
    let elapsed = (now - v.visit.last_beat_at).num_seconds();
    let too_soon = || AppError::new(Code::RateLimited, TOO_FREQUENT).with_field("visit");
    if elapsed < MIN_BEAT_SECONDS {
        return Err(too_soon());
    }
    let after = v.visit.stay_seconds + std::cmp::min(elapsed, MAX_CREDIT_SECONDS) as i32;
    if !events.run((v.visit, v.share, v.material, Some(after), now)).await? {
        return Err(too_soon());
    }
    Ok(after)
}

/// The viewer reached the bottom of the page (recorded once per visit).
pub async fn reached_bottom(
    db: &DatabaseConnection,
    events: &GroupCommit<PageEvent, bool>,
    key: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let v = find(db, key, now).await?;
    events.run((v.visit, v.share, v.material, None, now)).await?;
    Ok(())
}

/// Per corp: the timeline entries, and the (material, customer) pairs each trigger tags.
#[derive(Default)]
struct Recorded {
    events: Vec<NewEvent>,
    stayed: Vec<(i64, i64)>,
    bottomed: Vec<(i64, i64)>,
}

/// Writes a batch of heartbeats and bottoms (the writer of
/// `AppState::radar_page_events`). A beat moves a visit's dwell time only
/// from the beat it was read at (of two racing beats one is credited:
/// `false` for the other); a bottom counts once per visit. Then one
/// timeline append and one tag-rule lookup per trigger and corp.
pub fn record_page_events<'t>(txn: &'t DatabaseTransaction, batch: &'t [PageEvent]) -> BatchFuture<'t, bool> {
    Box::pin(async move {
        let internal = |e: AppError| DbErr::Custom(format!("{e:?}"));
        let mut applied = Vec::with_capacity(batch.len());
        let mut by_corp: BTreeMap<i64, Recorded> = BTreeMap::new();
        for (visit, share, material, stay, now) in batch {
            let update = Scope::system(visit.corp_id).update_many::<radar_visit::Entity>().filter(radar_visit::Column::Id.eq(visit.id));
            let update = match stay {
                Some(after) => update
                    .col_expr(radar_visit::Column::StaySeconds, Expr::value(*after))
                    .col_expr(radar_visit::Column::LastBeatAt, Expr::value(*now))
                    .filter(radar_visit::Column::LastBeatAt.eq(visit.last_beat_at)),
                None => update
                    .col_expr(radar_visit::Column::ReachedBottom, Expr::value(true))
                    .filter(radar_visit::Column::ReachedBottom.eq(false)),
            };
            let done = update.exec(txn).await?.rows_affected == 1;
            applied.push(done || stay.is_none());
            let Some(c) = visit.customer_id.filter(|_| done) else { continue };
            let rule = marketing::STAY_RULE_SECONDS;
            let entry = by_corp.entry(visit.corp_id).or_default();
            let what = Material::Marketing(material.clone());
            match stay {
                Some(after) if visit.stay_seconds < rule && *after >= rule => {
                    let mut event = tracking::material_event(share, c, &what, "STAY", *now);
                    event.payload["dwellSeconds"] = json!(after);
                    entry.events.push(event);
                    entry.stayed.push((material.id, c));
                }
                Some(_) => {}
                None => {
                    let mut event = tracking::material_event(share, c, &what, "BOTTOM", *now);
                    event.payload["dwellSeconds"] = json!(visit.stay_seconds);
                    entry.events.push(event);
                    entry.bottomed.push((material.id, c));
                }
            }
        }
        for (corp_id, r) in by_corp {
            let scope = Scope::system(corp_id);
            timeline::append(txn, &scope, r.events).await.map_err(internal)?;
            queue_tag_rules(txn, &scope, "STAY_OVER_15S", &r.stayed).await.map_err(internal)?;
            queue_tag_rules(txn, &scope, "SCROLL_TO_BOTTOM", &r.bottomed).await.map_err(internal)?;
        }
        Ok(applied)
    })
}

/// The viewer passes the material on: a child link whose viewers are
/// credited to this viewer (and the original sender). One per viewer and
/// share (a unique key): sharing again, or twice at once, answers the same link.
pub async fn reshare(db: &DatabaseConnection, key: &str, public_base: &str, now: DateTime<Utc>) -> AppResult<String> {
    let v = find(db, key, now).await?;
    let scope = v.scope();
    let viewer = match (v.visit.customer_id, v.visit.visitor_id) {
        (Some(c), _) => format!("customer:{c}"),
        (None, Some(x)) => format!("visitor:{x}"),
        (None, None) => "anonymous".to_string(),
    };
    let reshare_key = format!("{}:{viewer}", v.share.id);
    let link = |token: &str| format!("{}/r/{token}", public_base.trim_end_matches('/'));
    let existing = |db: &DatabaseConnection| {
        let q = scope.select::<radar_share::Entity>().filter(radar_share::Column::ReshareKey.eq(reshare_key.as_str()));
        let db = db.clone();
        async move { q.one(&db).await }
    };
    if let Some(s) = existing(db).await? {
        return Ok(link(&s.token));
    }
    let txn = crate::db::write_txn(db).await?;
    let to = Recipient {
        parent_share_id: Some(v.share.id),
        by_customer_id: v.visit.customer_id,
        by_visitor_id: v.visit.visitor_id,
        reshare_key: Some(reshare_key.clone()),
        ..Default::default()
    };
    let url = match tracking::mint(&txn, &scope, public_base, &Material::Marketing(v.material.clone()), v.share.employee_id, to).await {
        Ok(url) => url,
        Err(e) if e.code == Code::Conflict => {
            // A concurrent tap minted it first: answer theirs.
            drop(txn);
            return existing(db).await?.map(|s| link(&s.token)).ok_or(e);
        }
        Err(e) => return Err(e),
    };
    record(&txn, &v, v.visit.customer_id, "SHARE", Some("SHARE"), now, json!({})).await?;
    txn.commit().await?;
    Ok(url)
}

/// Names the viewer from the page's WeChat OAuth: the customer with this
/// unionid, else a visitor (made on first sight; linked to a customer once
/// one matches). A viewer first seen anonymously through a re-share is now
/// counted as who they are, and their view reaches their timeline.
/// The viewer's identity as the H5 page's server vouches for it.
pub struct Identity<'a> {
    pub openid: Option<&'a str>,
    pub unionid: Option<&'a str>,
    pub nickname: Option<&'a str>,
    /// Hex HMAC-SHA256 of [`identity_message`] under `WECRM_RADAR_IDENTITY_KEY`.
    pub signature: &'a str,
}

pub async fn identify(
    db: &DatabaseConnection,
    key: &str,
    who: Identity<'_>,
    signing_key: Option<&[u8]>,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let Identity { openid, unionid, nickname, signature } = who;
    let v = find(db, key, now).await?;
    if !signed(signing_key, &identity_message(key, openid, unionid), signature) {
        return Err(AppError::new(Code::Forbidden, IDENTITY_UNSIGNED).with_field("signature"));
    }
    let (openid, unionid) = (openid.map(str::trim).filter(|s| !s.is_empty()), unionid.map(str::trim).filter(|s| !s.is_empty()));
    // WeChat's ids are 28-29 characters; anything much longer is not one.
    if openid.into_iter().chain(unionid).any(|id| id.len() > 64) {
        return Err(AppError::bad_input("openid", IDENTITY_REQUIRED));
    }
    let identity = match (unionid, openid) {
        (Some(u), _) => format!("unionid:{u}"),
        (None, Some(o)) => format!("openid:{o}"),
        (None, None) => return Err(AppError::bad_input("openid", IDENTITY_REQUIRED)),
    };
    let scope = v.scope();
    let txn = crate::db::write_txn(db).await?;
    let by_unionid = match unionid {
        Some(u) => scope.select::<customer::Entity>().filter(customer::Column::Unionid.eq(u)).one(&txn).await?.map(|c| c.id),
        None => None,
    };
    let visitor = radar_visitor::ActiveModel {
        corp_id: Set(scope.corp_id()),
        identity_key: Set(identity.clone()),
        openid: Set(openid.map(str::to_string)),
        unionid: Set(unionid.map(str::to_string)),
        nickname: Set(nickname.map(|n| n.chars().take(64).collect())),
        customer_id: Set(by_unionid),
        created_at: Set(now),
        ..Default::default()
    };
    let on_conflict = OnConflict::columns([radar_visitor::Column::CorpId, radar_visitor::Column::IdentityKey]).do_nothing().to_owned();
    match radar_visitor::Entity::insert(visitor).on_conflict(on_conflict).exec(&txn).await {
        Ok(_) | Err(sea_orm::DbErr::RecordNotInserted) => {}
        Err(e) => return Err(e.into()),
    }
    let mut visitor = scope
        .select::<radar_visitor::Entity>()
        .filter(radar_visitor::Column::IdentityKey.eq(identity.as_str()))
        .one(&txn)
        .await?
        .ok_or_else(AppError::not_found)?;
    if let (None, Some(c)) = (visitor.customer_id, by_unionid) {
        merge_visitor(&txn, &scope, visitor.id, c).await?;
        visitor.customer_id = by_unionid;
    }
    // No customer matched: the share's recipient stays the best guess,
    // unless WeChat's unionid says the viewer is someone else.
    let guess = match (v.visit.customer_id, unionid) {
        (Some(c), Some(u)) => {
            scope.find::<customer::Entity>(&txn, Some(c)).await?.filter(|c| c.unionid.as_deref().is_none_or(|x| x == u)).map(|c| c.id)
        }
        (guess, _) => guess,
    };
    let customer_id = visitor.customer_id.or(guess);
    scope
        .update_many::<radar_visit::Entity>()
        .col_expr(radar_visit::Column::CustomerId, Expr::value(customer_id))
        .col_expr(radar_visit::Column::VisitorId, Expr::value(visitor.id))
        .filter(radar_visit::Column::Id.eq(v.visit.id))
        .exec(&txn)
        .await?;
    let viewer_key = match customer_id {
        Some(c) => format!("customer:{c}"),
        None => format!("visitor:{}", visitor.id),
    };
    let guessed = tracking::guessed_viewer_key(&v.share);
    if viewer_key != guessed {
        recount_viewer(&txn, &v, &guessed, &viewer_key, customer_id, visitor.id, now).await?;
    }
    // The open reached no timeline, or the wrong one: this viewer's view is
    // new to theirs (once: identifying again changes nothing).
    if customer_id.is_some() && customer_id != v.visit.customer_id {
        record(&txn, &v, customer_id, "VIEW", Some("ENTER_PAGE"), now, json!({})).await?;
    }
    txn.commit().await?;
    Ok(customer_id.is_some())
}

/// A visitor turned out to be customer `c`: its visits, viewer rows,
/// re-shares and forms now belong to the customer (a viewer row the
/// customer already has for the same material absorbs the visitor's).
async fn merge_visitor(txn: &impl ConnectionTrait, scope: &Scope, visitor_id: i64, c: i64) -> AppResult<()> {
    scope
        .update_many::<radar_visitor::Entity>()
        .col_expr(radar_visitor::Column::CustomerId, Expr::value(c))
        .filter(radar_visitor::Column::Id.eq(visitor_id))
        .exec(txn)
        .await?;
    scope
        .update_many::<radar_visit::Entity>()
        .col_expr(radar_visit::Column::CustomerId, Expr::value(c))
        .filter(radar_visit::Column::VisitorId.eq(visitor_id))
        .exec(txn)
        .await?;
    scope
        .update_many::<radar_share::Entity>()
        .col_expr(radar_share::Column::SharedByCustomerId, Expr::value(c))
        .filter(radar_share::Column::SharedByVisitorId.eq(visitor_id))
        .exec(txn)
        .await?;
    scope
        .update_many::<form_submission::Entity>()
        .col_expr(form_submission::Column::CustomerId, Expr::value(c))
        .filter(form_submission::Column::VisitorId.eq(visitor_id))
        .filter(form_submission::Column::CustomerId.is_null())
        .exec(txn)
        .await?;
    let rows =
        scope.select::<radar_viewer::Entity>().filter(radar_viewer::Column::ViewerKey.eq(format!("visitor:{visitor_id}"))).all(txn).await?;
    let key = format!("customer:{c}");
    for row in rows {
        let taken = scope
            .select::<radar_viewer::Entity>()
            .filter(radar_viewer::Column::MaterialKey.eq(row.material_key.as_str()))
            .filter(radar_viewer::Column::ViewerKey.eq(key.as_str()))
            .one(txn)
            .await?
            .is_some();
        if taken {
            scope.delete_many::<radar_viewer::Entity>().filter(radar_viewer::Column::Id.eq(row.id)).exec(txn).await?;
            tracking::bump_counts(txn, BTreeMap::from([((scope.corp_id(), row.material_key.clone()), (0, -1))])).await?;
        } else {
            scope
                .update_many::<radar_viewer::Entity>()
                .col_expr(radar_viewer::Column::ViewerKey, Expr::value(key.as_str()))
                .col_expr(radar_viewer::Column::CustomerId, Expr::value(c))
                .filter(radar_viewer::Column::Id.eq(row.id))
                .exec(txn)
                .await?;
        }
    }
    Ok(())
}

/// Moves an anonymous viewer row to the identified viewer, or adds the
/// identified viewer (a viewer counts once: an existing row is kept).
async fn recount_viewer(
    txn: &impl ConnectionTrait,
    v: &Visit,
    guessed: &str,
    viewer_key: &str,
    customer_id: Option<i64>,
    visitor_id: i64,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let scope = v.scope();
    let material_key = v.share.material_key.clone();
    let known = scope
        .select::<radar_viewer::Entity>()
        .filter(radar_viewer::Column::MaterialKey.eq(material_key.as_str()))
        .filter(radar_viewer::Column::ViewerKey.eq(viewer_key))
        .one(txn)
        .await?;
    if known.is_some() {
        // Already counted as who they are: the anonymous row of this open goes.
        if guessed.starts_with("share:") {
            let gone = scope
                .delete_many::<radar_viewer::Entity>()
                .filter(radar_viewer::Column::MaterialKey.eq(material_key.as_str()))
                .filter(radar_viewer::Column::ViewerKey.eq(guessed))
                .exec(txn)
                .await?
                .rows_affected as i64;
            if gone > 0 {
                tracking::bump_counts(txn, BTreeMap::from([((scope.corp_id(), material_key), (0, -gone))])).await?;
            }
        }
        return Ok(());
    }
    let moved = if guessed.starts_with("share:") {
        scope
            .update_many::<radar_viewer::Entity>()
            .col_expr(radar_viewer::Column::ViewerKey, Expr::value(viewer_key))
            .col_expr(radar_viewer::Column::CustomerId, Expr::value(customer_id))
            .col_expr(radar_viewer::Column::VisitorId, Expr::value(visitor_id))
            .filter(radar_viewer::Column::MaterialKey.eq(material_key.as_str()))
            .filter(radar_viewer::Column::ViewerKey.eq(guessed))
            .exec(txn)
            .await?
            .rows_affected
    } else {
        0
    };
    if moved == 0 {
        let row = radar_viewer::ActiveModel {
            corp_id: Set(scope.corp_id()),
            material_key: Set(material_key.clone()),
            folder_item_id: Set(None),
            marketing_material_id: Set(Some(v.material.id)),
            share_id: Set(v.share.id),
            customer_id: Set(customer_id),
            visitor_id: Set(Some(visitor_id)),
            viewer_key: Set(viewer_key.to_string()),
            first_viewed_at: Set(now),
            ..Default::default()
        };
        let added = tracking::insert_viewers(txn, vec![row]).await?;
        if !added.is_empty() {
            tracking::bump_counts(txn, BTreeMap::from([((scope.corp_id(), material_key), (0, 1))])).await?;
        }
    }
    Ok(())
}

/// The form a visit may submit: its material, or the form its jump button opens.
async fn form_of(db: &impl ConnectionTrait, v: &Visit) -> AppResult<marketing_material::Model> {
    if v.material.kind == FORM {
        return Ok(v.material.clone());
    }
    let jump = v.scope().find::<marketing_material::Entity>(db, v.material.jump_material_id).await?;
    jump.filter(|j| j.kind == FORM && j.status == marketing::PUBLISHED).ok_or_else(|| AppError::bad_input("visit", NOT_A_FORM))
}

/// Stores a form's answers against the viewer and the sharing employee;
/// a phone answer fills the customer's empty mobile. Once per visit.
pub async fn submit_form(db: &DatabaseConnection, key: &str, answers: &Value, now: DateTime<Utc>) -> AppResult<form_submission::Model> {
    let v = find(db, key, now).await?;
    let form = form_of(db, &v).await?;
    let components = forms::schema(&serde_json::from_str(&form.content).unwrap_or(Value::Null))?;
    let (kept, phone) = forms::answers(&components, answers)?;
    let scope = v.scope();
    let txn = crate::db::write_txn(db).await?;
    let saved = scope
        .insert(
            &txn,
            form_submission::ActiveModel {
                material_id: Set(form.id),
                share_id: Set(Some(v.share.id)),
                visit_id: Set(Some(v.visit.id)),
                employee_id: Set(Some(v.share.employee_id)),
                customer_id: Set(v.visit.customer_id),
                visitor_id: Set(v.visit.visitor_id),
                answers: Set(Value::Object(kept).to_string()),
                phone: Set(phone.clone()),
                submitted_at: Set(now),
                ..Default::default()
            },
        )
        .await
        .map_err(|e| if e.code == Code::Conflict { AppError::conflict(ALREADY_SUBMITTED) } else { e })?;
    if let (Some(c), Some(p)) = (v.visit.customer_id, phone) {
        scope
            .update_many::<customer::Entity>()
            .col_expr(customer::Column::Mobile, Expr::value(p))
            .filter(customer::Column::Id.eq(c))
            .filter(customer::Column::Mobile.is_null())
            .exec(&txn)
            .await?;
    }
    record(&txn, &v, v.visit.customer_id, "FORM", None, now, json!({"formId": form.id, "submissionId": saved.id})).await?;
    txn.commit().await?;
    Ok(saved)
}
