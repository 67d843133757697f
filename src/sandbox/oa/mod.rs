//! The Official Account API (`api.weixin.qq.com/cgi-bin/…`), as the sandbox
//! answers it under `/oa`: tokens (a new one each fetch, the previous one
//! still valid for five minutes), followers paged by `next_openid`,
//! `user/info` and `batchget` (100 per call), parametric QR codes (service
//! accounts only). Errcodes follow WeChat's global return codes.

pub(in crate::sandbox) mod account;

use std::collections::BTreeMap;

use axum::{
    body::Bytes,
    extract::{Query, State},
    http::{Method, Uri},
    routing::get,
    Json, Router,
};
use chrono::Utc;
use serde_json::{json, Value};

pub use account::{OaCallbackTarget, OaFan, SandboxOa, SealedOaCallback};

use super::{
    wecom::{
        gate::injected,
        wire::{err, ok, parse},
    },
    world::{Call, Sandbox, TokenInfo},
};
use crate::integrations::oa::types::{QrCodeRequest, TemplateMessage, UserInfo, UserInfoBatchRequest};

/// How long a token stays valid after a newer one was fetched (WeChat: 5 minutes).
const OLD_TOKEN_GRACE_SECS: i64 = 300;
/// `user/info/batchget`'s limit per call.
const BATCH_LIMIT: usize = 100;
/// Temporary QR codes live at most 30 days; 60 s when `expire_seconds` is omitted.
const QR_MAX_EXPIRE: i64 = 2_592_000;
const QR_DEFAULT_EXPIRE: i64 = 60;
/// Permanent QR codes' numeric scenes.
const QR_LIMIT_SCENE_MAX: i64 = 100_000;

pub fn router(sandbox: Sandbox) -> Router {
    Router::new().route("/cgi-bin/token", get(token)).fallback(api).with_state(sandbox)
}

const PREFIX: &str = "/oa";

async fn token(State(sb): State<Sandbox>, Query(q): Query<BTreeMap<String, String>>) -> Json<Value> {
    let mut w = sb.lock_world();
    let appid = q.get("appid").cloned().unwrap_or_default();
    // The daily token quota and injected failures apply to token fetches too.
    let refused = injected(&mut w, &format!("{PREFIX}/cgi-bin/token")).err();
    let answer = match (q.get("grant_type").map(String::as_str), w.oa_accounts.get(&appid)) {
        _ if refused.is_some() => refused.unwrap_or_default(),
        (Some("client_credential"), Some(a)) if q.get("secret") == Some(&a.secret) => {
            let now = Utc::now();
            let grace = now + chrono::Duration::seconds(OLD_TOKEN_GRACE_SECS);
            for t in w.tokens.values_mut().filter(|t| t.corp_id == appid && t.kind == "oa") {
                t.expires_at = t.expires_at.min(grace);
            }
            w.token_counter += 1;
            let tok = format!("sandbox-oa-{}-{}", w.token_counter, uuid::Uuid::new_v4().simple());
            let expires_at = now + chrono::Duration::seconds(sb.token_ttl);
            w.tokens.insert(tok.clone(), TokenInfo { corp_id: appid.clone(), kind: "oa", expires_at, invalidated: false });
            json!({"access_token": tok, "expires_in": sb.token_ttl})
        }
        (Some("client_credential"), Some(_)) => err(40125, "invalid appsecret"),
        (Some("client_credential"), None) => err(40013, "invalid appid"),
        _ => err(40002, "invalid grant_type"),
    };
    let errcode = answer["errcode"].as_i64().unwrap_or(0);
    let mut query = q;
    query.remove("secret");
    w.calls.push(Call { method: "GET".into(), path: format!("{PREFIX}/cgi-bin/token"), query, body: None, errcode });
    Json(answer)
}

async fn api(State(sb): State<Sandbox>, method: Method, uri: Uri, Query(q): Query<BTreeMap<String, String>>, body: Bytes) -> Json<Value> {
    let path = uri.path().to_string();
    let recorded = format!("{PREFIX}{path}");
    let body: Option<Value> = if body.is_empty() { None } else { serde_json::from_slice(&body).ok() };
    let mut w = sb.lock_world();
    let mut query = q.clone();
    let token = query.remove("access_token").unwrap_or_default();
    let answer = match injected(&mut w, &recorded) {
        Err(refused) => refused,
        Ok(()) => match w.tokens.get(&token) {
            None if token.is_empty() => err(41001, "access_token missing"),
            Some(t) if t.kind == "oa" && !t.invalidated && t.expires_at <= Utc::now() => err(42001, "access_token expired"),
            Some(t) if t.kind == "oa" && !t.invalidated => {
                let appid = t.corp_id.clone();
                match w.oa_accounts.get_mut(&appid) {
                    Some(account) => match handle(account, &method, &path, &q, body.as_ref()) {
                        Ok(v) => ok(v),
                        Err(e) => e,
                    },
                    None => err(40001, "invalid credential, access_token is invalid or not latest"),
                }
            }
            _ => err(40001, "invalid credential, access_token is invalid or not latest"),
        },
    };
    let errcode = answer["errcode"].as_i64().unwrap_or(0);
    w.calls.push(Call { method: method.to_string(), path: recorded, query, body, errcode });
    Json(answer)
}

fn handle(a: &mut SandboxOa, method: &Method, path: &str, q: &BTreeMap<String, String>, body: Option<&Value>) -> Result<Value, Value> {
    match (method.as_str(), path) {
        ("GET", "/cgi-bin/user/get") => followers(a, q.get("next_openid").map(String::as_str).unwrap_or("")),
        ("POST", "/cgi-bin/user/info/batchget") => {
            let req: UserInfoBatchRequest = parse(body)?;
            if req.user_list.is_empty() || req.user_list.len() > BATCH_LIMIT {
                return Err(err(40032, "invalid openid list size"));
            }
            let infos = req.user_list.iter().map(|k| info(a, &k.openid)).collect::<Result<Vec<_>, _>>()?;
            Ok(json!({"user_info_list": infos}))
        }
        ("GET", "/cgi-bin/user/info") => {
            let i = info(a, q.get("openid").map(String::as_str).unwrap_or(""))?;
            serde_json::to_value(i).map_err(|_| err(-1, "system error"))
        }
        ("POST", "/cgi-bin/qrcode/create") => qrcode(a, parse(body)?),
        ("POST", "/cgi-bin/message/template/send") => template_send(a, parse(body)?),
        ("POST", "/cgi-bin/user/get" | "/cgi-bin/user/info") => Err(err(43001, "require GET method")),
        ("GET", "/cgi-bin/user/info/batchget" | "/cgi-bin/qrcode/create" | "/cgi-bin/message/template/send") => {
            Err(err(43002, "require POST method"))
        }
        _ => Err(err(40066, "invalid url")),
    }
}

/// One page after `next`: WeChat answers the last openid of the page as
/// `next_openid` even on the last page; the call after it answers `count: 0`
/// and an empty `next_openid`.
fn followers(a: &SandboxOa, next: &str) -> Result<Value, Value> {
    if !next.is_empty() && !a.followers.contains_key(next) && !a.former.contains(next) {
        return Err(err(40003, "invalid openid"));
    }
    let page: Vec<&String> = if next.is_empty() {
        a.followers.keys().take(a.page_size).collect()
    } else {
        a.followers
            .range::<str, _>((std::ops::Bound::Excluded(next), std::ops::Bound::Unbounded))
            .map(|(k, _)| k)
            .take(a.page_size)
            .collect()
    };
    let last = page.last().map(|s| s.to_string()).unwrap_or_default();
    let mut v = json!({"total": a.followers.len(), "count": page.len(), "next_openid": last});
    if !page.is_empty() {
        v["data"] = json!({"openid": page});
    }
    Ok(v)
}

fn info(a: &SandboxOa, openid: &str) -> Result<UserInfo, Value> {
    match a.followers.get(openid) {
        Some(f) => Ok(UserInfo {
            subscribe: 1,
            openid: openid.to_string(),
            language: Some("zh_CN".into()),
            subscribe_time: Some(f.subscribe_time),
            unionid: f.unionid.clone(),
            remark: Some(f.remark.clone()),
            tagid_list: f.tagid_list.clone(),
            subscribe_scene: Some(f.subscribe_scene.clone()),
            qr_scene: Some(f.qr_scene.unwrap_or(0)),
            qr_scene_str: Some(f.qr_scene_str.clone().unwrap_or_default()),
        }),
        None if a.former.contains(openid) => Ok(UserInfo { subscribe: 0, openid: openid.to_string(), ..UserInfo::default() }),
        None => Err(err(40003, "invalid openid")),
    }
}

/// A template message: service accounts only (48001), to a current
/// follower (43004), with a template the account has (40037) and data (47001).
fn template_send(a: &mut SandboxOa, msg: TemplateMessage) -> Result<Value, Value> {
    if !a.service {
        return Err(err(48001, "api unauthorized"));
    }
    if !a.followers.contains_key(&msg.touser) {
        return Err(if a.former.contains(&msg.touser) { err(43004, "require subscribe") } else { err(40003, "invalid openid") });
    }
    if !a.templates.contains(&msg.template_id) {
        return Err(err(40037, "invalid template_id"));
    }
    if msg.data.is_empty() {
        return Err(err(47001, "data format error"));
    }
    let msgid = 200_000_000 + a.template_messages.len() as i64;
    a.template_messages.push((msgid, msg));
    Ok(json!({"msgid": msgid}))
}

fn qrcode(a: &mut SandboxOa, req: QrCodeRequest) -> Result<Value, Value> {
    if !a.service {
        return Err(err(48001, "api unauthorized"));
    }
    let scene = &req.action_info.scene;
    let (temporary, valid) = match req.action_name.as_str() {
        // "32位非0整型".
        "QR_SCENE" => (true, scene.scene_id.is_some_and(|id| id != 0 && i32::try_from(id).is_ok())),
        "QR_STR_SCENE" => (true, scene.scene_str.as_deref().is_some_and(|s| (1..=64).contains(&s.chars().count()))),
        "QR_LIMIT_SCENE" => (false, scene.scene_id.is_some_and(|id| (1..=QR_LIMIT_SCENE_MAX).contains(&id))),
        "QR_LIMIT_STR_SCENE" => (false, scene.scene_str.as_deref().is_some_and(|s| (1..=64).contains(&s.chars().count()))),
        _ => return Err(err(40053, "invalid action_name")),
    };
    if !valid {
        return Err(err(40097, "invalid args: scene"));
    }
    let ticket = format!("gQsandbox{}", uuid::Uuid::new_v4().simple());
    a.qr_codes.push((ticket.clone(), req.clone()));
    let url = format!("http://weixin.qq.com/q/{}", &ticket[9..25]);
    Ok(if temporary {
        let expire = req.expire_seconds.unwrap_or(QR_DEFAULT_EXPIRE).clamp(1, QR_MAX_EXPIRE);
        json!({"ticket": ticket, "expire_seconds": expire, "url": url})
    } else {
        json!({"ticket": ticket, "url": url})
    })
}

impl Sandbox {
    pub fn add_official_account(&self, account: SandboxOa) {
        self.lock_world().oa_accounts.insert(account.appid.clone(), account);
    }

    pub fn with_official_account<R>(&self, appid: &str, f: impl FnOnce(&mut SandboxOa) -> R) -> Option<R> {
        self.lock_world().oa_accounts.get_mut(appid).map(f)
    }

    /// Seals `xml` as the account's callback (see [`SandboxOa::seal`]).
    pub fn seal_oa_callback(&self, appid: &str, xml: &str) -> anyhow::Result<SealedOaCallback> {
        self.with_official_account(appid, |a| a.seal(xml)).ok_or_else(|| anyhow::anyhow!("no sandbox account {appid}"))?
    }

    /// POSTs a sealed callback; returns the answer's status and body.
    pub async fn post_oa_callback(&self, sealed: &SealedOaCallback) -> anyhow::Result<(u16, String)> {
        let res =
            self.http.post(&sealed.url).query(&sealed.query).header("content-type", "text/xml").body(sealed.body.clone()).send().await?;
        Ok((res.status().as_u16(), res.text().await?))
    }

    /// Seals and sends one callback of the account, as WeChat does.
    pub async fn send_oa_callback(&self, appid: &str, xml: &str) -> anyhow::Result<(u16, String)> {
        let sealed = self.seal_oa_callback(appid, xml)?;
        self.post_oa_callback(&sealed).await
    }
}
