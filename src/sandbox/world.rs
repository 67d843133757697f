//! The sandbox's state: its corps, tokens, injected limits and failures,
//! and the record of calls.

use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, Mutex},
};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::integrations::wecom::{crypto::MsgCrypt, types};

/// One recorded API call (the access token is not recorded).
#[derive(Clone, Debug, Serialize)]
pub struct Call {
    pub method: String,
    pub path: String,
    pub query: BTreeMap<String, String>,
    pub body: Option<Value>,
    pub errcode: i64,
}

/// One customer's transfer as WeCom tracks it.
#[derive(Clone, Debug)]
pub struct Transfer {
    pub external_userid: String,
    pub handover: String,
    pub takeover: String,
    pub message: Option<String>,
    pub resigned: bool,
    /// When the transfer was started (unix seconds): WeCom counts on-job moves per 90 days.
    pub started_at: i64,
    /// 1 taken over, 2 waiting, 3 refused, 4 limit reached.
    pub status: i64,
    pub takeover_time: i64,
}

/// An address-book tag and who made it: `console` (the admin console),
/// `contacts` / `agent` (the secret kind whose app created it), or another app.
#[derive(Clone, Debug, Default)]
pub struct AddressBookTag {
    pub name: String,
    pub owner: String,
    pub users: std::collections::BTreeSet<String>,
    pub parties: std::collections::BTreeSet<i64>,
}

/// Where the sandbox sends a corp's callbacks, and how it signs them.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct CallbackTarget {
    pub url: String,
    pub token: String,
    pub encoding_aes_key: String,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct CorpSecrets {
    pub contacts: String,
    pub external: String,
    pub agent: String,
}

#[derive(Clone, Debug)]
pub struct SandboxCorp {
    pub corp_id: String,
    pub secrets: CorpSecrets,
    pub agent_id: i64,
    pub departments: BTreeMap<i64, types::Department>,
    pub users: BTreeMap<String, types::User>,
    pub next_department_id: i64,
    pub callback: Option<CallbackTarget>,
    /// One-time login codes: code → (userid, issued at (unix seconds), whether the
    /// member consented to share sensitive fields); WeCom's live 5 minutes.
    pub oauth_codes: HashMap<String, (String, i64, bool)>,
    /// `user_ticket`s handed out for consented codes: ticket → (userid, issued at).
    pub user_tickets: HashMap<String, (String, i64)>,
    /// Corp tags and tag groups created through the API, with the secret kind
    /// ("external" / "agent") of the app that made them: only it may edit or delete them.
    pub tag_owners: BTreeMap<String, String>,
    /// Address-book tags (`tag/*`) by tag id.
    pub address_tags: BTreeMap<i64, AddressBookTag>,
    pub messages: Vec<Value>,
    pub contacts: BTreeMap<String, types::ExternalContact>,
    /// Follow relations in WeCom's listing order: (external_userid, follow).
    pub follows: Vec<(String, types::FollowInfo)>,
    pub tag_groups: Vec<types::CorpTagGroup>,
    pub group_chats: BTreeMap<String, types::GroupChat>,
    /// Group chats created through `appchat/create`, with the messages sent to them.
    pub app_chats: BTreeMap<String, (types::AppChatCreate, Vec<Value>)>,
    /// Transfers started, on-job and resigned, with WeCom's status for each.
    pub transfers: Vec<Transfer>,
    /// Members who left: userid → dimission time (their relations stay until inherited).
    pub resigned: BTreeMap<String, i64>,
    /// Positions in `follows` of the member list last paged (key: the list and `follows.len()`).
    pub follow_index: Option<(String, Vec<usize>)>,
    /// Group chats as they were before their last member change, answered
    /// once by `groupchat/get` (see `Strictness::stale_group_reads`).
    pub stale_groups: BTreeMap<String, types::GroupChat>,
    /// The chat archive as the finance SDK decrypts it; an entry's seq is its position + 1.
    pub archive: Vec<Value>,
    /// Temporary media (`media/upload`) by media_id: (type, file name, size, uploaded at).
    pub media: BTreeMap<String, (String, String, usize, i64)>,
    /// Which of WeCom's refusals this corp enforces (all of them by default).
    pub strict: Strictness,
}

/// One switch per WeCom rule the sandbox enforces. The default is strict,
/// like WeCom; a test turns a rule off only to show the older behaviour a
/// deployment may still meet (e.g. a server IP trusted before 2022-08-15).
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Strictness {
    /// An on-job customer moves at most twice in 90 days (40128).
    pub transfer_frequency: bool,
    /// The contacts-sync secret, from a server IP added after 2022-08-15,
    /// may not read `user/get`, `user/list`, `department/list`,
    /// `department/get` (48009); it keeps `user/list_id`, `department/simplelist`.
    pub directory_detail_reads: bool,
    /// Apps other than contacts sync get no mobile, gender, email, avatar or
    /// address from `user/get` / `user/list` (since 2022-06-20).
    pub sensitive_fields: bool,
    /// `groupchat/list` without `owner_filter` fails (81017) once the app
    /// sees more than 1,000 people.
    pub group_owner_filter: bool,
    /// An app edits and deletes only the tags it created: corp tags (40068)
    /// and address-book tags (81011; the contacts-sync secret may also
    /// manage console-made ones).
    pub tag_ownership: bool,
    /// The first `groupchat/get` after a member change still answers the
    /// previous version: WeCom processes part of a change asynchronously and
    /// warns that a read right after the event may be old.
    #[serde(default)]
    pub stale_group_reads: bool,
    /// Repeated wrong secrets at `gettoken` block the caller's IP (every
    /// `gettoken`, any corp) for an hour with 45009.
    #[serde(default)]
    pub wrong_secret_block: bool,
}

impl Default for Strictness {
    fn default() -> Self {
        Strictness {
            transfer_frequency: true,
            directory_detail_reads: true,
            sensitive_fields: true,
            group_owner_filter: true,
            tag_ownership: true,
            stale_group_reads: true,
            wrong_secret_block: true,
        }
    }
}

impl Strictness {
    /// A deployment WeCom still treats the old way (trusted IP from before the cut-off).
    pub fn legacy_directory() -> Self {
        Strictness { directory_detail_reads: false, sensitive_fields: false, ..Strictness::default() }
    }
}

impl SandboxCorp {
    /// A deterministic corp: the root department (id 1), `departments` more
    /// under it, and `users` members spread over them.
    pub fn seeded(corp_id: &str, departments: usize, users: usize) -> Self {
        let mut c = SandboxCorp {
            corp_id: corp_id.to_string(),
            secrets: CorpSecrets {
                contacts: format!("{corp_id}-contacts-secret"),
                external: format!("{corp_id}-external-secret"),
                agent: format!("{corp_id}-agent-secret"),
            },
            agent_id: 1000002,
            departments: BTreeMap::new(),
            users: BTreeMap::new(),
            next_department_id: 2,
            callback: None,
            oauth_codes: HashMap::new(),
            user_tickets: HashMap::new(),
            tag_owners: BTreeMap::new(),
            address_tags: BTreeMap::new(),
            messages: Vec::new(),
            contacts: BTreeMap::new(),
            follows: Vec::new(),
            tag_groups: Vec::new(),
            group_chats: BTreeMap::new(),
            follow_index: None,
            stale_groups: BTreeMap::new(),
            app_chats: BTreeMap::new(),
            transfers: Vec::new(),
            resigned: BTreeMap::new(),
            archive: Vec::new(),
            media: BTreeMap::new(),
            strict: Strictness::default(),
        };
        c.departments.insert(
            1,
            types::Department {
                id: 1,
                name: format!("{corp_id}总部"),
                parentid: 0,
                order: 100000000,
                name_en: None,
                department_leader: vec![],
            },
        );
        const NAMES: [&str; 6] = ["销售部", "客服部", "市场部", "华东区", "华南区", "运营部"];
        for i in 0..departments {
            let id = c.next_department_id;
            c.next_department_id += 1;
            let name = NAMES.get(i).map(|n| n.to_string()).unwrap_or_else(|| format!("部门{id}"));
            c.departments.insert(
                id,
                // WeCom lists larger `order` first.
                types::Department {
                    id,
                    name,
                    parentid: 1,
                    order: (departments - i) as i64 * 1000,
                    name_en: None,
                    department_leader: vec![],
                },
            );
        }
        const SURNAMES: [&str; 8] = ["张", "王", "李", "赵", "刘", "陈", "杨", "黄"];
        const GIVEN: [&str; 8] = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "勇"];
        let dept_ids: Vec<i64> = c.departments.keys().copied().collect();
        for i in 0..users {
            let userid = format!("user{i:05}");
            let dept = dept_ids[i % dept_ids.len()];
            c.users.insert(
                userid.clone(),
                types::User {
                    userid,
                    name: format!(
                        "{}{}{}",
                        SURNAMES[i % 8],
                        GIVEN[(i / 8) % 8],
                        if i >= 64 { (i / 64).to_string() } else { String::new() }
                    ),
                    department: vec![dept],
                    main_department: Some(dept),
                    mobile: Some(format!("139{i:08}")),
                    position: Some(if i % 5 == 0 { "经理" } else { "专员" }.to_string()),
                    gender: Some(if i % 2 == 0 { "1" } else { "2" }.to_string()),
                    email: None,
                    alias: None,
                    avatar: None,
                    telephone: None,
                    address: None,
                    status: Some(1),
                },
            );
        }
        c
    }

    /// A customer adds a member (WeChat user; created on first add).
    pub fn add_contact(&mut self, external_userid: &str, name: &str, userid: &str, createtime: i64, state: Option<String>) {
        self.contacts.entry(external_userid.to_string()).or_insert_with(|| types::ExternalContact {
            external_userid: external_userid.to_string(),
            name: name.to_string(),
            contact_type: 1,
            ..Default::default()
        });
        self.follows.push((
            external_userid.to_string(),
            types::FollowInfo { userid: userid.to_string(), createtime, add_way: 1, state, ..Default::default() },
        ));
    }

    /// Archives one message (the SDK's plaintext JSON); a missing msgid or msgtime is filled in.
    pub fn archive_message(&mut self, mut message: Value) -> Value {
        let seq = self.archive.len() + 1;
        if message.get("msgid").and_then(Value::as_str).is_none() {
            message["msgid"] = Value::String(format!("{}_{seq}_{}", self.corp_id, Utc::now().timestamp_millis()));
        }
        if message.get("msgtime").and_then(Value::as_i64).is_none() {
            message["msgtime"] = Value::from(Utc::now().timestamp_millis());
        }
        if message.get("action").is_none() {
            message["action"] = Value::String("send".into());
        }
        self.archive.push(message.clone());
        message
    }

    /// Realistic chats for the demo: each of the first `n` follow relations
    /// gets a short single chat, and each group chat a few messages,
    /// spread over the last `hours` hours.
    pub fn with_chats(mut self, n: usize, hours: i64) -> Self {
        const CUSTOMER: [&str; 5] = ["你好，想了解一下你们的产品", "价格能便宜点吗？", "好的，我考虑一下", "有没有资料发我看看", "谢谢"];
        const EMPLOYEE: [&str; 5] =
            ["您好，很高兴为您服务", "这是我们的产品手册", "本周下单有优惠", "我把报价发您", "不客气，有问题随时找我"];
        let now = Utc::now().timestamp_millis();
        let span = hours.max(1) * 3_600_000;
        let pairs: Vec<(String, String)> = self.follows.iter().take(n).map(|(e, f)| (e.clone(), f.userid.clone())).collect();
        for (i, (ext, userid)) in pairs.iter().enumerate() {
            let start = now - span + (i as i64 * 7_919_000) % span;
            for k in 0..4usize {
                let (from, to, text) = if k % 2 == 0 { (ext, userid, CUSTOMER[(i + k) % 5]) } else { (userid, ext, EMPLOYEE[(i + k) % 5]) };
                self.archive_message(serde_json::json!({
                    "msgid": format!("demo_{i}_{k}"), "action": "send", "from": from, "tolist": [to], "roomid": "",
                    "msgtime": start + k as i64 * 60_000, "msgtype": "text", "text": {"content": text}
                }));
            }
        }
        let rooms: Vec<(String, String, Vec<String>)> = self
            .group_chats
            .values()
            .map(|g| {
                (
                    g.chat_id.clone(),
                    g.owner.clone(),
                    g.member_list.iter().filter(|m| m.member_type == 2).map(|m| m.userid.clone()).collect(),
                )
            })
            .collect();
        for (r, (room, owner, members)) in rooms.iter().enumerate() {
            for (k, who) in members.iter().take(3).enumerate() {
                self.archive_message(serde_json::json!({
                    "msgid": format!("demo_room_{r}_{k}"), "action": "send", "from": who, "tolist": [owner], "roomid": room,
                    "msgtime": now - span / 2 + (k as i64) * 120_000, "msgtype": "text", "text": {"content": CUSTOMER[k % 5]}
                }));
            }
        }
        self
    }

    /// The member leaves: their follow relations wait for inheritance.
    pub fn resign(&mut self, userid: &str, at: i64) {
        self.resigned.insert(userid.to_string(), at);
        if let Some(u) = self.users.get_mut(userid) {
            u.status = Some(5);
        }
    }

    /// Changes a group chat's members as WeCom does: a new `member_version`,
    /// and (strict) the old version kept for the next read. Returns the
    /// versions before and after, as the change event carries them
    /// (`LastMemVer`, `CurMemVer`); `None` for an unknown chat.
    pub fn change_group_members(&mut self, chat_id: &str, change: impl FnOnce(&mut types::GroupChat)) -> Option<(String, String)> {
        let group = self.group_chats.get_mut(chat_id)?;
        let before = group.clone();
        change(group);
        let last = before.member_version.clone().unwrap_or_default();
        let current = format!("mv{}", uuid::Uuid::new_v4().simple());
        group.member_version = Some(current.clone());
        if self.strict.stale_group_reads {
            self.stale_groups.insert(chat_id.to_string(), before);
        }
        Some((last, current))
    }

    /// What 24 hours do: every waiting transfer completes and its relation moves to the receiver.
    pub fn complete_transfers(&mut self, now: i64) {
        for t in self.transfers.iter_mut().filter(|t| t.status == 2) {
            t.status = 1;
            t.takeover_time = now;
            if let Some((_, f)) = self.follows.iter_mut().find(|(e, f)| *e == t.external_userid && f.userid == t.handover) {
                f.userid = t.takeover.clone();
                f.createtime = now;
            }
        }
    }

    /// Adds `customers` external contacts (every third followed by two
    /// members), two tag groups, and a group chat per 50 customers.
    pub fn with_customers(mut self, customers: usize) -> Self {
        let userids: Vec<String> = self.users.keys().cloned().collect();
        if userids.is_empty() {
            return self;
        }
        let base = 1_700_000_000i64;
        for (g, (group, names)) in [("客户等级", ["重要", "普通", "潜在"]), ("来源", ["展会", "官网", "转介绍"])].iter().enumerate()
        {
            self.tag_groups.push(types::CorpTagGroup {
                group_id: format!("etgroup{g}"),
                group_name: group.to_string(),
                create_time: base,
                order: (2 - g) as i64,
                deleted: None,
                tag: names
                    .iter()
                    .enumerate()
                    .map(|(t, n)| types::CorpTag {
                        id: format!("ettag{g}{t}"),
                        name: n.to_string(),
                        create_time: base,
                        order: (3 - t) as i64,
                        deleted: None,
                    })
                    .collect(),
            });
        }
        for i in 0..customers {
            let id = format!("wm{:032x}", i as u128 * 0x9e37_79b9_7f4a_7c15);
            self.contacts.insert(
                id.clone(),
                types::ExternalContact {
                    external_userid: id.clone(),
                    name: format!("客户{i}"),
                    avatar: None,
                    contact_type: if i % 10 == 0 { 2 } else { 1 },
                    gender: (i % 3) as i32,
                    unionid: Some(format!("union{i}")),
                    position: (i % 10 == 0).then(|| "采购".to_string()),
                    corp_name: (i % 10 == 0).then(|| "合作伙伴".to_string()),
                    corp_full_name: None,
                },
            );
            let adders = if i % 3 == 0 { 2 } else { 1 };
            for k in 0..adders {
                let userid = userids[(i + k) % userids.len()].clone();
                self.follows.push((
                    id.clone(),
                    types::FollowInfo {
                        userid: userid.clone(),
                        remark: format!("备注{i}"),
                        description: String::new(),
                        createtime: base + i as i64 * 60 + k as i64,
                        tag_id: vec![format!("ettag0{}", i % 3), format!("ettag1{}", (i / 3) % 3)],
                        remark_corp_name: None,
                        remark_mobiles: vec![],
                        oper_userid: Some(userid),
                        add_way: [1, 2, 3, 16][i % 4],
                        state: (i % 7 == 0).then(|| "livecode-1".to_string()),
                    },
                ));
            }
        }
        let ids: Vec<String> = self.contacts.keys().cloned().collect();
        for (n, chunk) in ids.chunks(50).enumerate() {
            let owner = userids[n % userids.len()].clone();
            let chat_id = format!("wrchat{n:06}");
            let mut members = vec![types::GroupChatMember {
                userid: owner.clone(),
                member_type: 1,
                join_time: base,
                join_scene: 1,
                ..Default::default()
            }];
            members.extend(chunk.iter().take(10).enumerate().map(|(m, ext)| types::GroupChatMember {
                userid: ext.clone(),
                member_type: 2,
                join_time: base + m as i64,
                join_scene: [1, 2, 3][m % 3],
                invitor: Some(types::Invitor { userid: owner.clone() }),
                ..Default::default()
            }));
            self.group_chats.insert(
                chat_id.clone(),
                types::GroupChat {
                    chat_id,
                    name: format!("客户群{n}"),
                    owner,
                    create_time: base,
                    notice: None,
                    member_list: members,
                    admin_list: vec![],
                    member_version: Some(format!("v{n}")),
                },
            );
        }
        self
    }
}

pub(super) struct TokenInfo {
    pub(super) corp_id: String,
    pub(super) kind: &'static str,
    pub(super) expires_at: DateTime<Utc>,
    pub(super) invalidated: bool,
}

pub(super) struct Injected {
    pub(super) path: String,
    pub(super) errcode: i64,
    /// Calls to let through first.
    pub(super) skip: u32,
    pub(super) remaining: u32,
}

#[derive(Default)]
pub(super) struct World {
    pub(super) corps: HashMap<String, SandboxCorp>,
    pub(super) tokens: HashMap<String, TokenInfo>,
    pub(super) calls: Vec<Call>,
    /// The next N API calls (any path) answer 45009.
    pub(super) rate_limited: u32,
    /// A standing quota: API calls per minute before 45009 (0: none).
    pub(super) per_minute: u32,
    pub(super) window: (i64, u32),
    pub(super) failures: Vec<Injected>,
    pub(super) token_counter: u64,
    /// When `gettoken` was last sent a wrong secret (unix seconds, the last hour).
    pub(super) wrong_secrets: Vec<i64>,
    /// `gettoken` answers 45009 until then (unix seconds).
    pub(super) gettoken_blocked_until: i64,
    /// Official Accounts by appid.
    pub(super) oa_accounts: HashMap<String, super::oa::account::SandboxOa>,
}

/// The sandbox's shared state; tests hold it to arrange and to inspect.
#[derive(Clone)]
pub struct Sandbox {
    pub(super) world: Arc<Mutex<World>>,
    /// Lifetime of issued tokens, in seconds (WeCom: 7200).
    pub(super) token_ttl: i64,
    pub(super) http: reqwest::Client,
}

impl Sandbox {
    /// The world, even if a handler panicked while holding it (the sandbox
    /// keeps answering; a test sees the panic itself).
    pub(super) fn lock_world(&self) -> std::sync::MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn new(token_ttl: i64) -> Self {
        Sandbox { world: Arc::default(), token_ttl, http: reqwest::Client::new() }
    }

    pub fn add_corp(&self, corp: SandboxCorp) {
        self.lock_world().corps.insert(corp.corp_id.clone(), corp);
    }

    pub fn with_corp<R>(&self, corp_id: &str, f: impl FnOnce(&mut SandboxCorp) -> R) -> Option<R> {
        self.lock_world().corps.get_mut(corp_id).map(f)
    }

    /// Every call received so far.
    pub fn calls(&self) -> Vec<Call> {
        self.lock_world().calls.clone()
    }

    /// Forgets the calls recorded so far (benchmarks: the record grows with every body).
    pub fn clear_calls(&self) {
        self.lock_world().calls = Vec::new();
    }

    pub fn calls_to(&self, path: &str) -> Vec<Call> {
        self.calls().into_iter().filter(|c| c.path == path).collect()
    }

    /// Archives a message in the corp's chat data (what the finance SDK would return next).
    pub fn chat(&self, corp_id: &str, message: Value) -> Option<Value> {
        self.with_corp(corp_id, |c| c.archive_message(message))
    }

    /// Makes every token issued so far invalid (WeCom may do so early).
    pub fn invalidate_tokens(&self) {
        for t in self.lock_world().tokens.values_mut() {
            t.invalidated = true;
        }
    }

    /// A standing frequency limit: past `n` API calls in a clock minute, answer 45009.
    pub fn limit_per_minute(&self, n: u32) {
        self.lock_world().per_minute = n;
    }

    /// The next `n` API calls answer 45009 (frequency limit).
    pub fn rate_limit_next(&self, n: u32) {
        self.lock_world().rate_limited = n;
    }

    /// The next `times` calls to `path` answer `errcode`.
    pub fn fail_next(&self, path: &str, errcode: i64, times: u32) {
        self.fail_after(path, errcode, 0, times);
    }

    /// After `after` good calls to `path`, the next `times` answer `errcode`.
    pub fn fail_after(&self, path: &str, errcode: i64, after: u32, times: u32) {
        self.lock_world().failures.push(Injected { path: path.to_string(), errcode, skip: after, remaining: times });
    }

    /// A one-time OAuth code for a member (what the WeCom client hands a sidebar page).
    pub fn oauth_code(&self, corp_id: &str, userid: &str) -> String {
        self.mint_oauth_code(corp_id, userid, false)
    }

    /// A one-time OAuth code after the member agreed to share their private
    /// details (scope `snsapi_privateinfo`): exchanging it also gives a `user_ticket`.
    pub fn oauth_code_with_consent(&self, corp_id: &str, userid: &str) -> String {
        self.mint_oauth_code(corp_id, userid, true)
    }

    /// A one-time OAuth code, with or without the member's consent.
    pub fn mint_oauth_code(&self, corp_id: &str, userid: &str, consent: bool) -> String {
        let code = format!("code-{}", uuid::Uuid::new_v4().simple());
        self.with_corp(corp_id, |c| c.oauth_codes.insert(code.clone(), (userid.to_string(), Utc::now().timestamp(), consent)));
        code
    }

    /// Encrypts, signs and POSTs a callback to the corp's callback URL, as
    /// WeCom does; returns the HTTP status and body of the answer.
    pub async fn send_callback(&self, corp_id: &str, plaintext_xml: &str) -> anyhow::Result<(u16, String)> {
        let (target, agent_id) =
            self.with_corp(corp_id, |c| (c.callback.clone(), c.agent_id)).ok_or_else(|| anyhow::anyhow!("no such sandbox corp"))?;
        let target = target.ok_or_else(|| anyhow::anyhow!("no callback URL for {corp_id}"))?;
        let crypt = MsgCrypt::new(&target.token, &target.encoding_aes_key, corp_id).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let timestamp = Utc::now().timestamp().to_string();
        let nonce = format!("{}", rand::random::<u32>());
        let (encrypt, sig) = crypt.seal(plaintext_xml, &timestamp, &nonce);
        self.post_callback(&target.url, corp_id, agent_id, &encrypt, &sig, &timestamp, &nonce).await
    }

    /// POSTs an already sealed callback (tests use it to replay or tamper).
    #[allow(clippy::too_many_arguments)]
    pub async fn post_callback(
        &self,
        url: &str,
        corp_id: &str,
        agent_id: i64,
        encrypt: &str,
        sig: &str,
        timestamp: &str,
        nonce: &str,
    ) -> anyhow::Result<(u16, String)> {
        let body = format!(
            "<xml><ToUserName><![CDATA[{corp_id}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt><AgentID><![CDATA[{agent_id}]]></AgentID></xml>"
        );
        let res = self
            .http
            .post(url)
            .query(&[("msg_signature", sig), ("timestamp", timestamp), ("nonce", nonce)])
            .header("content-type", "text/xml")
            .body(body)
            .send()
            .await?;
        Ok((res.status().as_u16(), res.text().await?))
    }
}
