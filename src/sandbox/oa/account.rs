//! A sandbox Official Account: its credentials, followers in WeChat's
//! listing order, former followers, QR codes, and where its callbacks go.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Utc;
use serde::{Deserialize, Serialize};

use crate::integrations::{
    oa::{
        plain_signature,
        types::{QrCodeRequest, TemplateMessage},
    },
    wecom::crypto::MsgCrypt,
};

/// `user/get`'s page size (WeChat: 10,000).
pub const FOLLOWER_PAGE: usize = 10_000;

/// A follower as the account knows them.
#[derive(Clone, Debug, Default)]
pub struct OaFan {
    pub unionid: Option<String>,
    pub subscribe_time: i64,
    pub subscribe_scene: String,
    pub qr_scene: Option<i64>,
    pub qr_scene_str: Option<String>,
    pub remark: String,
    pub tagid_list: Vec<i64>,
}

/// Where the account's callbacks go: plain mode without an EncodingAESKey,
/// safe mode (encrypted, appid as receive id) with one.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct OaCallbackTarget {
    pub url: String,
    pub token: String,
    pub encoding_aes_key: Option<String>,
}

/// A callback as the sandbox would POST it; tests replay or tamper with it.
#[derive(Clone, Debug)]
pub struct SealedOaCallback {
    pub url: String,
    pub query: Vec<(String, String)>,
    pub body: String,
}

#[derive(Clone, Debug)]
pub struct SandboxOa {
    pub appid: String,
    pub secret: String,
    /// The account's original id (`gh_…`), its `ToUserName`.
    pub original_id: String,
    /// Service account (服务号); subscription accounts (订阅号) may not
    /// create QR codes or send template messages (48001).
    pub service: bool,
    /// Current followers by openid, listed in openid order (WeChat's order is
    /// not documented; it is stable, and so is this one).
    pub followers: BTreeMap<String, OaFan>,
    /// Openids that followed once and left: `user/info` answers `subscribe: 0`.
    pub former: BTreeSet<String>,
    /// `user/get`'s page size; WeChat's 10,000 unless a test lowers it to
    /// exercise paging cheaply.
    pub page_size: usize,
    pub callback: Option<OaCallbackTarget>,
    /// QR codes created: (ticket, request).
    pub qr_codes: Vec<(String, QrCodeRequest)>,
    /// Template ids the account added from WeChat's library.
    pub templates: BTreeSet<String>,
    /// Template messages sent: (msgid, message).
    pub template_messages: Vec<(i64, TemplateMessage)>,
}

impl SandboxOa {
    pub fn new(appid: &str, secret: &str, service: bool) -> Self {
        SandboxOa {
            appid: appid.to_string(),
            secret: secret.to_string(),
            original_id: format!("gh_{}", appid.trim_start_matches("wx")),
            service,
            followers: BTreeMap::new(),
            former: BTreeSet::new(),
            page_size: FOLLOWER_PAGE,
            callback: None,
            qr_codes: Vec::new(),
            templates: BTreeSet::new(),
            template_messages: Vec::new(),
        }
    }

    /// The openid of follower number `i` (deterministic, distinct per account).
    pub fn openid_of(&self, i: usize) -> String {
        format!("o{}{i:08}", &self.appid.trim_start_matches("wx").chars().take(6).collect::<String>())
    }

    /// `n` followers; every other one has a unionid (`union<i>`, as the
    /// sandbox's WeCom customer `i`), as when the account is bound to an
    /// open-platform account.
    pub fn with_followers(mut self, n: usize) -> Self {
        let base = Utc::now().timestamp() - 86_400 * 30;
        for i in 0..n {
            let fan = OaFan {
                unionid: (i % 2 == 0).then(|| format!("union{i}")),
                subscribe_time: base + i as i64,
                subscribe_scene: "ADD_SCENE_SEARCH".into(),
                ..OaFan::default()
            };
            self.followers.insert(self.openid_of(i), fan);
        }
        self
    }

    fn event_xml(&self, openid: &str, event: &str, extra: &str) -> String {
        format!(
            "<xml><ToUserName><![CDATA[{}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName><CreateTime>{}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{event}]]></Event>{extra}</xml>",
            self.original_id,
            Utc::now().timestamp()
        )
    }

    /// A WeChat user follows (through a parametric QR code when `scene` is
    /// set); returns the `subscribe` event WeChat sends.
    pub fn follow(&mut self, openid: &str, unionid: Option<&str>, scene: Option<&str>) -> String {
        self.former.remove(openid);
        let qr_scene_str = scene.map(str::to_string);
        self.followers.insert(
            openid.to_string(),
            OaFan {
                unionid: unionid.map(str::to_string),
                subscribe_time: Utc::now().timestamp(),
                subscribe_scene: if scene.is_some() { "ADD_SCENE_QR_CODE" } else { "ADD_SCENE_SEARCH" }.into(),
                qr_scene_str,
                ..OaFan::default()
            },
        );
        let extra = match scene {
            Some(s) => format!("<EventKey><![CDATA[qrscene_{s}]]></EventKey><Ticket><![CDATA[sandbox-ticket-{s}]]></Ticket>"),
            None => "<EventKey><![CDATA[]]></EventKey>".into(),
        };
        self.event_xml(openid, "subscribe", &extra)
    }

    /// The follower leaves; returns the `unsubscribe` event.
    pub fn unfollow(&mut self, openid: &str) -> String {
        if self.followers.remove(openid).is_some() {
            self.former.insert(openid.to_string());
        }
        self.event_xml(openid, "unsubscribe", "<EventKey><![CDATA[]]></EventKey>")
    }

    /// A follower scans a parametric QR code (`SCAN`: the raw scene, no prefix).
    pub fn scan(&self, openid: &str, scene: &str) -> String {
        self.event_xml(
            openid,
            "SCAN",
            &format!("<EventKey><![CDATA[{scene}]]></EventKey><Ticket><![CDATA[sandbox-ticket-{scene}]]></Ticket>"),
        )
    }

    /// A follower sends a text message.
    pub fn text(&self, openid: &str, content: &str, msg_id: i64) -> String {
        format!(
            "<xml><ToUserName><![CDATA[{}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName><CreateTime>{}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>",
            self.original_id,
            Utc::now().timestamp()
        )
    }

    /// Signs (and in safe mode encrypts) `xml` as WeChat would send it.
    pub fn seal(&self, xml: &str) -> anyhow::Result<SealedOaCallback> {
        let target = self.callback.clone().ok_or_else(|| anyhow::anyhow!("no callback URL for {}", self.appid))?;
        let timestamp = Utc::now().timestamp().to_string();
        let nonce = format!("{}", rand::random::<u32>());
        let openid = cdata_field(xml, "FromUserName").unwrap_or_default();
        let mut query = vec![
            ("signature".to_string(), plain_signature(&target.token, &timestamp, &nonce)),
            ("timestamp".to_string(), timestamp.clone()),
            ("nonce".to_string(), nonce.clone()),
            ("openid".to_string(), openid),
        ];
        let body = match &target.encoding_aes_key {
            None => xml.to_string(),
            Some(key) => {
                let crypt = MsgCrypt::new(&target.token, key, &self.appid).map_err(|e| anyhow::anyhow!("{e:?}"))?;
                let (encrypt, msg_signature) = crypt.seal(xml, &timestamp, &nonce);
                query.push(("encrypt_type".into(), "aes".into()));
                query.push(("msg_signature".into(), msg_signature));
                format!("<xml><ToUserName><![CDATA[{}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>", self.original_id)
            }
        };
        Ok(SealedOaCallback { url: target.url, query, body })
    }
}

/// The CDATA text of `<name>` in one of the event XMLs built above.
fn cdata_field(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}><![CDATA[");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find("]]>")?;
    Some(xml[start..start + end].to_string())
}
