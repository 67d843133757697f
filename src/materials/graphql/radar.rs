//! The public calls of a marketing material's H5 page (no login): the
//! `visit` key from the `/r/{token}` redirect is the only credential and
//! reaches only its own visit (thin: the rules are in `materials::behaviour`).

use async_graphql::{Context, Json, Object, SimpleObject, ID};
use serde_json::Value;

use super::marketing::MarketingKind;
use crate::{
    graphql::context::CtxExt,
    ids::id,
    materials::{behaviour, marketing},
};
use entity::{employee, marketing_material};

/// What the H5 page shows.
#[derive(SimpleObject)]
pub struct RadarPage {
    pub kind: MarketingKind,
    pub title: String,
    pub summary: String,
    pub cover_url: Option<String>,
    /// The material's content; a poster's with the sending employee's fields filled in.
    pub content: Json<Value>,
    /// The employee who sent it (shown as the business card).
    pub sender_name: String,
    pub sender_avatar: Option<String>,
    /// The jump button's target, opened in the same visit.
    pub jump: Option<RadarJump>,
    /// Dwell seconds credited so far.
    pub stay_seconds: i32,
    pub reached_bottom: bool,
}

#[derive(SimpleObject)]
pub struct RadarJump {
    pub kind: MarketingKind,
    pub title: String,
    pub content: Json<Value>,
}

/// A form answer as stored.
#[derive(SimpleObject)]
pub struct FormReceipt {
    pub id: ID,
}

fn content_of(m: &marketing_material::Model) -> Value {
    serde_json::from_str(&m.content).unwrap_or(Value::Null)
}

#[derive(Default)]
pub struct RadarQuery;

#[Object]
impl RadarQuery {
    /// The page a visit shows; NOT_FOUND `RADAR_LINK_INVALID` for a forged
    /// or expired key or a withdrawn material.
    async fn radar_page(&self, ctx: &Context<'_>, visit: String) -> async_graphql::Result<RadarPage> {
        let db = ctx.db();
        let v = behaviour::find(db, &visit, ctx.state().clock.now()).await?;
        let scope = crate::tenancy::Scope::system(v.visit.corp_id);
        let sender = scope.get::<employee::Entity>(db, v.share.employee_id).await?;
        let content = match v.material.kind.as_str() {
            marketing::POSTER => marketing::personalise(&content_of(&v.material), &sender),
            _ => content_of(&v.material),
        };
        let jump = scope
            .find::<marketing_material::Entity>(db, v.material.jump_material_id)
            .await?
            .filter(|j| j.status == marketing::PUBLISHED)
            .map(|j| RadarJump { kind: kind(&j), title: j.title.clone(), content: Json(content_of(&j)) });
        Ok(RadarPage {
            kind: kind(&v.material),
            title: v.material.title.clone(),
            summary: v.material.summary.clone(),
            cover_url: v.material.cover_url.clone(),
            content: Json(content),
            sender_name: sender.name,
            sender_avatar: sender.avatar,
            jump,
            stay_seconds: v.visit.stay_seconds,
            reached_bottom: v.visit.reached_bottom,
        })
    }
}

fn kind(m: &marketing_material::Model) -> MarketingKind {
    MarketingKind::of(&m.kind)
}

#[derive(Default)]
pub struct RadarMutation;

#[Object]
impl RadarMutation {
    /// The page's heartbeat, every 5 s while it is in view: answers the
    /// visit's dwell seconds. Each beat credits the time since the previous
    /// one, at most 10 s; beats closer than 4 s are RATE_LIMITED.
    async fn radar_heartbeat(&self, ctx: &Context<'_>, visit: String) -> async_graphql::Result<i32> {
        let state = ctx.state();
        Ok(behaviour::heartbeat(ctx.db(), &state.radar_page_events, &visit, state.clock.now()).await?)
    }

    /// The viewer reached the bottom (recorded once per visit).
    async fn radar_reached_bottom(&self, ctx: &Context<'_>, visit: String) -> async_graphql::Result<bool> {
        let state = ctx.state();
        behaviour::reached_bottom(ctx.db(), &state.radar_page_events, &visit, state.clock.now()).await?;
        Ok(true)
    }

    /// The viewer shares the page on: the link to share, whose viewers are
    /// credited to this viewer (TA的人脉) and to the employee who sent it.
    async fn radar_share(&self, ctx: &Context<'_>, visit: String) -> async_graphql::Result<String> {
        let state = ctx.state();
        Ok(behaviour::reshare(ctx.db(), &visit, &state.config.public_base(), state.clock.now()).await?)
    }

    /// The viewer's WeChat identity from the page's OAuth (`snsapi_base`
    /// gives the openid; `snsapi_userinfo` or an open-platform-bound app the
    /// unionid), exchanged by the page's server, which signs it:
    /// `signature` = hex HMAC-SHA256 under `WECRM_RADAR_IDENTITY_KEY` of
    /// `visit + "\n" + openid + "\n" + unionid` (absent ids empty); unsigned
    /// or badly signed is FORBIDDEN `RADAR_IDENTITY_UNSIGNED`. Answers whether
    /// the viewer is a known customer.
    async fn radar_identify(
        &self,
        ctx: &Context<'_>,
        visit: String,
        openid: Option<String>,
        unionid: Option<String>,
        nickname: Option<String>,
        signature: String,
    ) -> async_graphql::Result<bool> {
        let state = ctx.state();
        let who = behaviour::Identity {
            openid: openid.as_deref(),
            unionid: unionid.as_deref(),
            nickname: nickname.as_deref(),
            signature: &signature,
        };
        let key = state.config.radar_identity_key.as_ref().map(|k| k.expose().as_bytes());
        Ok(behaviour::identify(ctx.db(), &visit, who, key, state.clock.now()).await?)
    }

    /// Submits the visit's form (the material, or the form its jump button
    /// opens), once per visit: `answers` is `{componentId: answer}`.
    async fn radar_submit_form(&self, ctx: &Context<'_>, visit: String, answers: Json<Value>) -> async_graphql::Result<FormReceipt> {
        let saved = behaviour::submit_form(ctx.db(), &visit, &answers.0, ctx.state().clock.now()).await?;
        Ok(FormReceipt { id: id(saved.id) })
    }
}
