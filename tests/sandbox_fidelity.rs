//! What the sandbox promises: each test states one WeCom rule (from
//! `shared/WECHAT_API.md`, which cites the official page or SDK) and checks
//! the sandbox enforces it with WeCom's errcode, over plain HTTP as WeCom
//! would be called. A kinder sandbox would let our own tests pass where
//! production fails.

use serde_json::{json, Value};
use wecrm::sandbox::{Sandbox, SandboxCorp};

const CORP: &str = "ww-fidelity";

struct Wecom {
    sandbox: Sandbox,
    base: String,
    http: reqwest::Client,
}

impl Wecom {
    async fn start(corp: SandboxCorp) -> Wecom {
        let sandbox = Sandbox::new(7200);
        sandbox.add_corp(corp);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let router = sandbox.router();
        tokio::spawn(async move { axum::serve(listener, router).await });
        Wecom { sandbox, base, http: reqwest::Client::new() }
    }

    async fn seeded() -> Wecom {
        Self::start(SandboxCorp::seeded(CORP, 3, 6).with_customers(30)).await
    }

    /// A token for one of the corp's secrets: "contacts", "external" or "agent".
    async fn token(&self, secret: &str) -> String {
        let v: Value = self
            .http
            .get(format!("{}/cgi-bin/gettoken", self.base))
            .query(&[("corpid", CORP), ("corpsecret", &format!("{CORP}-{secret}-secret"))])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["access_token"].as_str().unwrap().to_string()
    }

    async fn get(&self, secret: &str, path: &str, query: &[(&str, &str)]) -> Value {
        self.call(secret, path, query, None).await
    }

    async fn post(&self, secret: &str, path: &str, body: Value) -> Value {
        self.call(secret, path, &[], Some(body)).await
    }

    /// One API call with a fresh token for `secret`; a body makes it a POST.
    async fn call(&self, secret: &str, path: &str, query: &[(&str, &str)], body: Option<Value>) -> Value {
        let token = self.token(secret).await;
        let url = format!("{}{path}", self.base);
        let req = match body {
            Some(b) => self.http.post(url).json(&b),
            None => self.http.get(url),
        };
        req.query(&[("access_token", token.as_str())]).query(query).send().await.unwrap().json().await.unwrap()
    }
}

fn errcode(v: &Value) -> i64 {
    v["errcode"].as_i64().unwrap_or(-999)
}

#[tokio::test]
async fn the_contacts_secret_from_a_new_ip_reads_ids_but_not_details_48009() {
    let w = Wecom::seeded().await;
    for (path, q) in [
        ("/cgi-bin/department/list", vec![]),
        ("/cgi-bin/department/get", vec![("id", "1")]),
        ("/cgi-bin/user/list", vec![("department_id", "1")]),
        ("/cgi-bin/user/get", vec![("userid", "user00000")]),
    ] {
        assert_eq!(errcode(&w.get("contacts", path, &q).await), 48009, "{path}");
    }
    let ids = w.get("contacts", "/cgi-bin/department/simplelist", &[]).await;
    assert_eq!((errcode(&ids), ids["department_id"].as_array().unwrap().len()), (0, 4), "{ids}");
    let members = w.post("contacts", "/cgi-bin/user/list_id", json!({"cursor": "", "limit": 100})).await;
    assert_eq!(errcode(&members), 0, "{members}");
    assert!(!members["dept_user"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn a_deployment_trusted_before_the_cutoff_still_reads_details_with_the_contacts_secret() {
    let mut corp = SandboxCorp::seeded(CORP, 3, 6);
    corp.strict = wecrm::sandbox::Strictness::legacy_directory();
    let w = Wecom::start(corp).await;
    let u = w.get("contacts", "/cgi-bin/user/get", &[("userid", "user00001")]).await;
    assert_eq!((errcode(&u), u["mobile"].as_str()), (0, Some("13900000001")), "{u}");
}

#[tokio::test]
async fn apps_read_names_and_departments_but_no_sensitive_fields() {
    let w = Wecom::seeded().await;
    let u = w.get("agent", "/cgi-bin/user/get", &[("userid", "user00001")]).await;
    assert_eq!(errcode(&u), 0, "{u}");
    assert!(u["name"].as_str().is_some_and(|n| !n.is_empty()) && u["department"].as_array().is_some_and(|d| !d.is_empty()), "{u}");
    for field in ["mobile", "gender", "email", "avatar", "address"] {
        assert!(u.get(field).is_none(), "{field} leaked to an app: {u}");
    }
    let list = w.get("agent", "/cgi-bin/user/list", &[("department_id", "1")]).await;
    assert!(list["userlist"].as_array().unwrap().iter().all(|u| u.get("mobile").is_none()), "{list}");
}

#[tokio::test]
async fn user_list_has_no_fetch_child_one_department_at_a_time() {
    let w = Wecom::seeded().await;
    let direct = w.get("agent", "/cgi-bin/user/list", &[("department_id", "1")]).await;
    let with_child = w.get("agent", "/cgi-bin/user/list", &[("department_id", "1"), ("fetch_child", "1")]).await;
    assert_eq!(direct["userlist"], with_child["userlist"]);
    let everyone = w.sandbox.with_corp(CORP, |c| c.users.len()).unwrap();
    assert!(direct["userlist"].as_array().unwrap().len() < everyone, "the root's direct members are not the whole corp");
}

#[tokio::test]
async fn list_id_pages_by_cursor_with_a_row_per_member_and_department() {
    let w = Wecom::seeded().await;
    w.sandbox.with_corp(CORP, |c| c.users.get_mut("user00001").unwrap().department = vec![2, 3]);
    let mut rows = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = w.post("contacts", "/cgi-bin/user/list_id", json!({"cursor": cursor, "limit": 2})).await;
        assert_eq!(errcode(&page), 0, "{page}");
        rows.extend(page["dept_user"].as_array().unwrap().iter().cloned());
        cursor = page["next_cursor"].as_str().unwrap().to_string();
        if cursor.is_empty() {
            break;
        }
    }
    assert_eq!(rows.len(), 7, "six members, one of them in two departments: {rows:?}");
    assert_eq!(rows.iter().filter(|r| r["userid"] == "user00001").count(), 2);
    let bad = w.post("contacts", "/cgi-bin/user/list_id", json!({"cursor": "not-a-cursor", "limit": 2})).await;
    assert_eq!(errcode(&bad), 50100, "an invalid cursor is 50100, not 40058");
    let too_many = w.post("contacts", "/cgi-bin/user/list_id", json!({"cursor": "", "limit": 10001})).await;
    assert_eq!(errcode(&too_many), 40058);
    assert_eq!(errcode(&w.post("agent", "/cgi-bin/user/list_id", json!({"cursor": "", "limit": 10})).await), 48002, "contacts secret only");
}

#[tokio::test]
async fn the_wrong_app_type_is_48002_never_48009() {
    let w = Wecom::seeded().await;
    let create = w.post("agent", "/cgi-bin/department/create", json!({"name": "新部门", "parentid": 1})).await;
    assert_eq!(errcode(&create), 48002, "directory writes need the contacts-sync secret");
    let user = w.post("external", "/cgi-bin/user/create", json!({"userid": "x1", "name": "X", "department": [1]})).await;
    assert_eq!(errcode(&user), 48002);
    let send = w.post("contacts", "/cgi-bin/message/send", json!({"touser": "user00001", "msgtype": "text", "agentid": 1000002})).await;
    assert_eq!(errcode(&send), 48002, "the contacts-sync secret cannot send messages");
    assert_eq!(errcode(&w.get("contacts", "/cgi-bin/externalcontact/get_follow_user_list", &[]).await), 48002);
}

#[tokio::test]
async fn customer_contact_members_are_listed_apart_from_the_directory() {
    let w = Wecom::seeded().await;
    w.sandbox.with_corp(CORP, |c| c.resign("user00005", 1_700_000_000));
    let v = w.get("external", "/cgi-bin/externalcontact/get_follow_user_list", &[]).await;
    assert_eq!(errcode(&v), 0);
    let users: Vec<&str> = v["follow_user"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert_eq!(users, ["user00000", "user00001", "user00002", "user00003", "user00004"], "members who left are not listed");
}

/// A relation `(external_userid, userid)` from the seeded corp.
fn a_follow(w: &Wecom) -> (String, String) {
    w.sandbox.with_corp(CORP, |c| c.follows.first().map(|(e, f)| (e.clone(), f.userid.clone()))).flatten().unwrap()
}

#[tokio::test]
async fn customer_transfers_answer_with_wecoms_codes() {
    let w = Wecom::seeded().await;
    let (ext, handover) = a_follow(&w);
    let other = if handover == "user00002" { "user00003" } else { "user00002" };
    let transfer = |handover: &str, takeover: &str, ext: &str| json!({"handover_userid": handover, "takeover_userid": takeover, "external_userid": [ext]});
    let same = w.post("external", "/cgi-bin/externalcontact/transfer_customer", transfer(&handover, &handover, &ext)).await;
    assert_eq!(errcode(&same), 40130, "原跟进人与接手人一样");
    let not_his = w.post("external", "/cgi-bin/externalcontact/transfer_customer", transfer(other, &handover, &ext)).await;
    assert_eq!(not_his["customer"][0]["errcode"], 40131, "handover_userid 并不是外部联系人的跟进人: {not_his}");
    let employed = w.post("external", "/cgi-bin/externalcontact/resigned/transfer_customer", transfer(&handover, other, &ext)).await;
    assert_eq!(errcode(&employed), 40097, "该成员尚未离职");
    // On the job, a customer moves at most twice in 90 days.
    let (mut from, mut to) = (handover.clone(), other.to_string());
    for round in 0..3 {
        let v = w.post("external", "/cgi-bin/externalcontact/transfer_customer", transfer(&from, &to, &ext)).await;
        let expected = if round < 2 { 0 } else { 40128 };
        assert_eq!(v["customer"][0]["errcode"], expected, "round {round}: {v}");
        w.sandbox.with_corp(CORP, |c| c.complete_transfers(1_700_000_000));
        std::mem::swap(&mut from, &mut to);
    }
}

#[tokio::test]
async fn group_transfers_answer_with_wecoms_codes() {
    let w = Wecom::seeded().await;
    let (chat, owner) =
        w.sandbox.with_corp(CORP, |c| c.group_chats.values().next().map(|g| (g.chat_id.clone(), g.owner.clone()))).flatten().unwrap();
    let heir = if owner == "user00004" { "user00003" } else { "user00004" };
    let body = |chat: &str| json!({"chat_id_list": [chat], "new_owner": heir});
    let unknown = w.post("external", "/cgi-bin/externalcontact/groupchat/onjob_transfer", body("wrNOSUCHCHAT")).await;
    assert_eq!(unknown["failed_chat_list"][0]["errcode"], 90501, "该群不是客户群: {unknown}");
    let employed = w.post("external", "/cgi-bin/externalcontact/groupchat/transfer", body(&chat)).await;
    assert_eq!(employed["failed_chat_list"][0]["errcode"], 90500, "群主并未离职: {employed}");
    w.sandbox.with_corp(CORP, |c| c.resign(&owner, 1_700_000_000));
    let left = w.post("external", "/cgi-bin/externalcontact/groupchat/onjob_transfer", body(&chat)).await;
    assert_eq!(left["failed_chat_list"][0]["errcode"], 90502, "群主已经离职: {left}");
}

#[tokio::test]
async fn app_group_chats_answer_with_wecoms_codes() {
    let w = Wecom::seeded().await;
    let create = |owner: &str, users: &[&str], chatid: Option<&str>| {
        let mut b = json!({"name": "项目群", "owner": owner, "userlist": users});
        if let Some(id) = chatid {
            b["chatid"] = json!(id);
        }
        b
    };
    assert_eq!(
        errcode(&w.post("agent", "/cgi-bin/appchat/create", create("user00000", &["user00000"], None)).await),
        86006,
        "2-2000 members"
    );
    let ghost = w.post("agent", "/cgi-bin/appchat/create", create("user00000", &["user00000", "ghost"], None)).await;
    assert_eq!(errcode(&ghost), 86216, "存在非法会话成员ID");
    let ownerless = w.post("agent", "/cgi-bin/appchat/create", create("user00002", &["user00000", "user00001"], None)).await;
    assert_eq!(errcode(&ownerless), 86207, "群主不在群成员列表");
    let ok = w.post("agent", "/cgi-bin/appchat/create", create("user00000", &["user00000", "user00001"], Some("chat1"))).await;
    assert_eq!(errcode(&ok), 0, "{ok}");
    let again = w.post("agent", "/cgi-bin/appchat/create", create("user00000", &["user00000", "user00001"], Some("chat1"))).await;
    assert_eq!(errcode(&again), 86215, "会话ID已经存在");
}

#[tokio::test]
async fn group_chat_lists_need_an_owner_filter_of_at_most_100_beyond_1000_people() {
    let w = Wecom::start(SandboxCorp::seeded(CORP, 1, 1001).with_customers(100)).await;
    let all = w.post("external", "/cgi-bin/externalcontact/groupchat/list", json!({"status_filter": 0, "cursor": "", "limit": 1000})).await;
    assert_eq!(errcode(&all), 81017, "no owner_filter over 1000 people");
    let owners: Vec<String> = (0..101).map(|i| format!("user{i:05}")).collect();
    let body = |owners: &[String]| json!({"status_filter": 0, "owner_filter": {"userid_list": owners}, "cursor": "", "limit": 1000});
    assert_eq!(errcode(&w.post("external", "/cgi-bin/externalcontact/groupchat/list", body(&owners)).await), 40058, "≤100 owners a call");
    let (chat, owner) =
        w.sandbox.with_corp(CORP, |c| c.group_chats.values().next().map(|g| (g.chat_id.clone(), g.owner.clone()))).flatten().unwrap();
    let mine = w.post("external", "/cgi-bin/externalcontact/groupchat/list", body(std::slice::from_ref(&owner))).await;
    assert_eq!(errcode(&mine), 0, "{mine}");
    let listed = mine["group_chat_list"].as_array().unwrap();
    assert!(listed.iter().any(|c| c["chat_id"] == chat) && listed.len() < 2, "only that owner's chats: {mine}");
    assert_eq!(listed[0]["status"], 0);
    // Once the owner leaves, the chat waits for inheritance: status 1.
    w.sandbox.with_corp(CORP, |c| c.resign(&owner, 1_700_000_000));
    let left = w.post("external", "/cgi-bin/externalcontact/groupchat/list", body(std::slice::from_ref(&owner))).await;
    assert_eq!(left["group_chat_list"][0]["status"], 1, "{left}");
}

#[tokio::test]
async fn an_app_edits_and_deletes_only_the_corp_tags_it_created() {
    let w = Wecom::seeded().await;
    // Console-made (seeded) tags: readable, usable, not editable.
    let edit = w.post("external", "/cgi-bin/externalcontact/edit_corp_tag", json!({"id": "ettag00", "name": "改名"})).await;
    assert_eq!(errcode(&edit), 40068, "{edit}");
    let del = w.post("external", "/cgi-bin/externalcontact/del_corp_tag", json!({"tag_id": ["ettag00"], "group_id": []})).await;
    assert_eq!(errcode(&del), 40068);
    let added = w
        .post(
            "external",
            "/cgi-bin/externalcontact/add_corp_tag",
            json!({"group_name": "意向", "tag": [{"name": "高"}, {"name": "高"}, {"name": "低"}]}),
        )
        .await;
    assert_eq!(errcode(&added), 0, "{added}");
    let tags = added["tag_group"]["tag"].as_array().unwrap();
    assert_eq!(tags.len(), 2, "the same name twice in one request makes one tag: {added}");
    let mine = tags[0]["id"].as_str().unwrap();
    assert_eq!(errcode(&w.post("external", "/cgi-bin/externalcontact/edit_corp_tag", json!({"id": mine, "name": "很高"})).await), 0);
    let other_app = w.post("agent", "/cgi-bin/externalcontact/edit_corp_tag", json!({"id": mine, "name": "极高"})).await;
    assert_eq!(errcode(&other_app), 40068, "another app's tag");
    let taken = w
        .post("external", "/cgi-bin/externalcontact/add_corp_tag", json!({"group_name": "意向", "tag": [{"name": "中"}, {"name": "低"}]}))
        .await;
    assert_eq!(errcode(&taken), 40071);
    let group = w.sandbox.with_corp(CORP, |c| c.tag_groups.iter().find(|g| g.group_name == "意向").map(|g| g.tag.len())).flatten();
    assert_eq!(group, Some(2), "a refused request changes nothing (中 was not added)");
}

#[tokio::test]
async fn corp_tags_stop_at_3000() {
    let w = Wecom::seeded().await;
    let tags: Vec<Value> = (0..2994).map(|i| json!({"name": format!("标签{i}")})).collect();
    let v = w.post("external", "/cgi-bin/externalcontact/add_corp_tag", json!({"group_name": "批量", "tag": tags})).await;
    assert_eq!(errcode(&v), 0, "6 seeded + 2994 = 3000");
    let over =
        w.post("external", "/cgi-bin/externalcontact/add_corp_tag", json!({"group_name": "批量", "tag": [{"name": "第3001个"}]})).await;
    assert_eq!(errcode(&over), 40126);
}

#[tokio::test]
async fn mark_tag_needs_something_to_add_or_remove() {
    let w = Wecom::seeded().await;
    let (ext, userid) = a_follow(&w);
    let v = w
        .post(
            "external",
            "/cgi-bin/externalcontact/mark_tag",
            json!({"userid": userid, "external_userid": ext, "add_tag": [], "remove_tag": []}),
        )
        .await;
    assert_eq!(errcode(&v), 40058);
}

#[tokio::test]
async fn unassigned_lists_default_to_1000_a_page() {
    let w = Wecom::seeded().await;
    w.sandbox.with_corp(CORP, |c| c.resign("user00001", 1_700_000_000));
    let v = w.post("external", "/cgi-bin/externalcontact/get_unassigned_list", json!({"cursor": ""})).await;
    assert_eq!(errcode(&v), 0, "page_size may be left out: {v}");
    assert!(!v["info"].as_array().unwrap().is_empty() && v["is_last"] == true, "{v}");
}

#[tokio::test]
async fn oauth_codes_are_single_use_and_live_five_minutes() {
    let w = Wecom::seeded().await;
    let code = w.sandbox.oauth_code(CORP, "user00001");
    let first = w.get("agent", "/cgi-bin/auth/getuserinfo", &[("code", code.as_str())]).await;
    assert_eq!((errcode(&first), first["userid"].as_str()), (0, Some("user00001")));
    assert_eq!(errcode(&w.get("agent", "/cgi-bin/auth/getuserinfo", &[("code", code.as_str())]).await), 40029, "used once");
    let stale = w.sandbox.oauth_code(CORP, "user00002");
    w.sandbox.with_corp(CORP, |c| c.oauth_codes.get_mut(&stale).unwrap().1 -= 301);
    assert_eq!(errcode(&w.get("agent", "/cgi-bin/auth/getuserinfo", &[("code", stale.as_str())]).await), 40029, "expired after 5 minutes");
}

/// DOC 91023 / 96443: `auth/getuserinfo` gives a `user_ticket` (valid
/// `expires_in` 1800 s) only when the member consented under the scope
/// `snsapi_privateinfo`; `auth/getuserdetail` takes it from self-built apps
/// only (48002 otherwise) and answers the member's private details. The
/// errcode for an expired ticket is not documented: the sandbox's 40029 is UNVERIFIED.
#[tokio::test]
async fn user_tickets_need_consent_an_app_token_and_live_thirty_minutes() {
    let w = Wecom::seeded().await;
    let plain = w.get("agent", "/cgi-bin/auth/getuserinfo", &[("code", w.sandbox.oauth_code(CORP, "user00001").as_str())]).await;
    assert_eq!(errcode(&plain), 0);
    assert!(plain.get("user_ticket").is_none(), "no consent, no ticket: {plain}");
    let code = w.sandbox.oauth_code_with_consent(CORP, "user00001");
    let consented = w.get("agent", "/cgi-bin/auth/getuserinfo", &[("code", code.as_str())]).await;
    assert_eq!((consented["userid"].as_str(), consented["expires_in"].as_i64()), (Some("user00001"), Some(1800)));
    let ticket = consented["user_ticket"].as_str().unwrap().to_string();
    let body = json!({"user_ticket": ticket});
    assert_eq!(errcode(&w.post("contacts", "/cgi-bin/auth/getuserdetail", body.clone()).await), 48002);
    assert_eq!(errcode(&w.post("external", "/cgi-bin/auth/getuserdetail", body.clone()).await), 48002);
    let detail = w.post("agent", "/cgi-bin/auth/getuserdetail", body.clone()).await;
    assert_eq!((errcode(&detail), detail["mobile"].as_str(), detail["gender"].as_str()), (0, Some("13900000001"), Some("2")));
    w.sandbox.with_corp(CORP, |c| c.user_tickets.get_mut(&ticket).unwrap().1 -= 1801);
    assert_ne!(errcode(&w.post("agent", "/cgi-bin/auth/getuserdetail", body).await), 0, "expired after 1800 s");
    assert_ne!(errcode(&w.post("agent", "/cgi-bin/auth/getuserdetail", json!({"user_ticket": "forged"})).await), 0);
}

/// DOC 92122: part of a group change is processed asynchronously, so
/// `groupchat/get` right after the `change_external_chat` event may answer
/// the old state. The sandbox answers the previous version once; the event's
/// `LastMemVer`/`CurMemVer` tell a reader which one it got.
#[tokio::test]
async fn the_first_group_read_after_a_member_change_is_the_previous_version() {
    let w = Wecom::seeded().await;
    let chat_id = w.sandbox.with_corp(CORP, |c| c.group_chats.keys().next().cloned()).flatten().unwrap();
    let read = || w.post("external", "/cgi-bin/externalcontact/groupchat/get", json!({"chat_id": chat_id}));
    let before = read().await;
    let (last, current) = w
        .sandbox
        .with_corp(CORP, |c| {
            c.change_group_members(&chat_id, |g| {
                g.member_list.push(wecrm::integrations::wecom::types::GroupChatMember {
                    userid: "wm-new-member".into(),
                    member_type: 2,
                    ..Default::default()
                })
            })
        })
        .flatten()
        .unwrap();
    assert_eq!(before["group_chat"]["member_version"], last.as_str(), "{before}");
    let stale = read().await;
    assert_eq!(stale["group_chat"]["member_version"], last.as_str(), "first read: the old version");
    assert_eq!(stale["group_chat"]["member_list"], before["group_chat"]["member_list"]);
    let fresh = read().await;
    assert_eq!(fresh["group_chat"]["member_version"], current.as_str());
    assert!(fresh["group_chat"]["member_list"].as_array().unwrap().iter().any(|m| m["userid"] == "wm-new-member"));
}

/// WECHAT_API §1.2: repeated wrong secrets at `gettoken` block the caller's
/// IP for an hour (45009), whatever it asks next. How many is not published;
/// the sandbox blocks at `WRONG_SECRETS_BEFORE_BLOCK`.
#[tokio::test]
async fn repeated_wrong_secrets_block_gettoken_for_an_hour() {
    let w = Wecom::seeded().await;
    let gettoken = |secret: String| {
        let (http, base) = (w.http.clone(), w.base.clone());
        async move {
            let v: Value = http
                .get(format!("{base}/cgi-bin/gettoken"))
                .query(&[("corpid", CORP), ("corpsecret", secret.as_str())])
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v
        }
    };
    for _ in 0..4 {
        assert_eq!(errcode(&gettoken("wrong".into()).await), 40001);
    }
    assert!(gettoken(format!("{CORP}-external-secret")).await["access_token"].is_string(), "four are not yet a block");
    assert_eq!(errcode(&gettoken("wrong".into()).await), 40001);
    assert_eq!(errcode(&gettoken(format!("{CORP}-external-secret")).await), 45009, "blocked, even with the right secret");
}

/// Address-book tags belong to the app that made them: another app gets
/// 81011; the contacts-sync secret may also manage console-made tags;
/// the customer-contact secret may not call `tag/*` (48002). Member changes
/// report unknown members in `invalidlist` and fail (40070 / 40031) only when
/// none was valid (WECHAT_API.md §1.3, address-book tags).
#[tokio::test]
async fn address_book_tags_belong_to_their_creator_and_report_unknown_members() {
    let w = Wecom::seeded().await;
    let console = w.sandbox.with_corp(CORP, |c| c.console_address_tag("控制台标签", &["user00001"], &[])).unwrap();
    let tagid = console.to_string();
    assert_eq!(errcode(&w.post("agent", "/cgi-bin/tag/update", json!({"tagid": console, "tagname": "改"})).await), 81011);
    assert_eq!(errcode(&w.get("agent", "/cgi-bin/tag/delete", &[("tagid", &tagid)]).await), 81011);
    assert_eq!(errcode(&w.post("contacts", "/cgi-bin/tag/update", json!({"tagid": console, "tagname": "改"})).await), 0);
    assert_eq!(errcode(&w.get("external", "/cgi-bin/tag/list", &[]).await), 48002);
    let made = w.post("agent", "/cgi-bin/tag/create", json!({"tagname": "应用标签"})).await;
    let mine = made["tagid"].as_i64().unwrap();
    assert_eq!(errcode(&w.post("agent", "/cgi-bin/tag/create", json!({"tagname": "应用标签"})).await), 40071, "names are unique");
    assert_eq!(errcode(&w.post("agent", "/cgi-bin/tag/create", json!({"tagname": "长".repeat(33)})).await), 40072);
    assert_eq!(errcode(&w.post("contacts", "/cgi-bin/tag/update", json!({"tagid": mine, "tagname": "x"})).await), 81011, "not the app's");
    let partial =
        w.post("agent", "/cgi-bin/tag/addtagusers", json!({"tagid": mine, "userlist": ["user00002", "nobody"], "partylist": [999]})).await;
    assert_eq!((errcode(&partial), partial["invalidlist"].as_str(), partial["invalidparty"].clone()), (0, Some("nobody"), json!([999])));
    let none = w.post("agent", "/cgi-bin/tag/addtagusers", json!({"tagid": mine, "userlist": ["nobody"]})).await;
    assert_eq!(errcode(&none), 40070);
    assert_eq!(errcode(&w.post("agent", "/cgi-bin/tag/deltagusers", json!({"tagid": mine, "userlist": ["nobody"]})).await), 40031);
    let got = w.get("agent", "/cgi-bin/tag/get", &[("tagid", &mine.to_string())]).await;
    assert_eq!(got["userlist"][0]["userid"], "user00002");
    let many: Vec<String> = (0..1001).map(|i| format!("u{i}")).collect();
    assert_eq!(errcode(&w.post("agent", "/cgi-bin/tag/addtagusers", json!({"tagid": mine, "userlist": many})).await), 81014);
}

/// `media/upload` (DOC 96484): multipart field `media`; type image, voice,
/// video or file (40005); more than 5 bytes (40006), not empty (44001);
/// content of the type's format (40004); image ≤ 10 MB (40009).
#[tokio::test]
async fn media_upload_takes_the_media_field_of_a_known_type_format_and_size() {
    let wecom = Wecom::seeded().await;
    let token = wecom.token("agent").await;
    let upload = |kind: &str, field: &str, bytes: Vec<u8>| {
        let form = reqwest::multipart::Form::new().part(field.to_string(), reqwest::multipart::Part::bytes(bytes).file_name("a.bin"));
        wecom
            .http
            .post(format!("{}/cgi-bin/media/upload", wecom.base))
            .query(&[("access_token", token.as_str()), ("type", kind)])
            .multipart(form)
    };
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    let send = |r: reqwest::RequestBuilder| async move { r.send().await.unwrap().json::<Value>().await.unwrap() };
    let v = send(upload("image", "media", png.clone())).await;
    assert_eq!((v["errcode"].as_i64(), v["type"].as_str()), (Some(0), Some("image")), "{v}");
    assert!(v["media_id"].as_str().is_some_and(|m| !m.is_empty()) && v["created_at"].is_string());
    assert_eq!(send(upload("picture", "media", png.clone())).await["errcode"], 40005);
    assert_eq!(send(upload("image", "file", png.clone())).await["errcode"], 44001, "the field must be named media");
    assert_eq!(send(upload("file", "media", b"12345".to_vec())).await["errcode"], 40006);
    assert_eq!(send(upload("image", "media", b"%PDF-1.7 not an image".to_vec())).await["errcode"], 40004);
    assert_eq!(send(upload("video", "media", png.clone())).await["errcode"], 40004);
    let mut big = png.clone();
    big.resize(10 * 1024 * 1024 + 1, 0);
    assert_eq!(send(upload("image", "media", big)).await["errcode"], 40009);
    assert_eq!(send(upload("file", "media", b"%PDF-1.7 a file".to_vec())).await["errcode"], 0);
    // Voice: AMR of at most 60 s (50 frames of 20 ms a second).
    let amr = |secs: usize| {
        let mut v = b"#!AMR\n".to_vec();
        for _ in 0..secs * 50 {
            v.push(7 << 3 | 0x04);
            v.extend_from_slice(&[0x11; 31]);
        }
        v
    };
    assert_eq!(send(upload("voice", "media", amr(60))).await["errcode"], 0);
    assert_eq!(send(upload("voice", "media", amr(61))).await["errcode"], 40006);
    // Not a multipart body at all; a part without a file name.
    let plain = wecom
        .http
        .post(format!("{}/cgi-bin/media/upload", wecom.base))
        .query(&[("access_token", token.as_str()), ("type", "image")])
        .body(png.clone());
    assert_eq!(send(plain).await["errcode"], 44001);
    let unnamed = reqwest::multipart::Form::new().part("media", reqwest::multipart::Part::bytes(png.clone()));
    let unnamed = wecom
        .http
        .post(format!("{}/cgi-bin/media/upload", wecom.base))
        .query(&[("access_token", token.as_str()), ("type", "image")])
        .multipart(unnamed);
    assert_eq!(send(unnamed).await["errcode"], 44001);
}

/// Official Account rules (WECHAT_API.md §3): `token` answers 40013 for an
/// unknown appid, 40125 for a wrong secret, 40002 without
/// `grant_type=client_credential`; a newer token does not retire the older
/// one at once; a bad token is 40001; `user/get` pages by `next_openid`
/// (the last openid of the page, then `count: 0` and an empty one), an
/// unknown `next_openid` is 40003; `batchget` takes 1–100 openids (40032)
/// and answers `subscribe: 0` for someone who left; subscription accounts
/// have no QR codes (48001); permanent numeric scenes run 1–100,000.
#[tokio::test]
async fn official_accounts_answer_with_wechats_codes_and_paging() {
    use wecrm::sandbox::SandboxOa;
    let wecom = Wecom::seeded().await;
    let mut account = SandboxOa::new("wxaaaaaaaaaaaaaaaa", "oa-secret", true).with_followers(5);
    account.page_size = 2;
    let left = account.openid_of(4);
    account.unfollow(&left);
    wecom.sandbox.add_official_account(account);
    wecom.sandbox.add_official_account(SandboxOa::new("wxbbbbbbbbbbbbbbbb", "sub-secret", false));
    let base = format!("{}/oa/cgi-bin", wecom.base);
    let token_of = |appid: &'static str, secret: &'static str, grant: &'static str| {
        let (http, url) = (wecom.http.clone(), format!("{base}/token"));
        async move {
            http.get(url)
                .query(&[("grant_type", grant), ("appid", appid), ("secret", secret)])
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    assert_eq!(errcode(&token_of("wxcccccccccccccccc", "x", "client_credential").await), 40013);
    assert_eq!(errcode(&token_of("wxaaaaaaaaaaaaaaaa", "wrong", "client_credential").await), 40125);
    assert_eq!(errcode(&token_of("wxaaaaaaaaaaaaaaaa", "oa-secret", "password").await), 40002);
    let first = token_of("wxaaaaaaaaaaaaaaaa", "oa-secret", "client_credential").await["access_token"].as_str().unwrap().to_string();
    let token = token_of("wxaaaaaaaaaaaaaaaa", "oa-secret", "client_credential").await["access_token"].as_str().unwrap().to_string();
    assert_ne!(first, token, "each fetch issues a new token");
    let get = |token: String, path: &'static str, query: Vec<(&'static str, String)>| {
        let (http, url) = (wecom.http.clone(), format!("{base}{path}"));
        async move { http.get(url).query(&[("access_token", token)]).query(&query).send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let post = |token: String, path: &'static str, body: Value| {
        let (http, url) = (wecom.http.clone(), format!("{base}{path}"));
        async move { http.post(url).query(&[("access_token", token)]).json(&body).send().await.unwrap().json::<Value>().await.unwrap() }
    };
    assert_eq!(errcode(&get(first.clone(), "/user/get", vec![]).await), 0, "the older token still works for a while");
    assert_eq!(errcode(&get("not-a-token".into(), "/user/get", vec![]).await), 40001);
    assert_eq!(errcode(&get(String::new(), "/user/get", vec![]).await), 41001);

    let mut next = String::new();
    let mut seen = Vec::new();
    loop {
        let page = get(token.clone(), "/user/get", vec![("next_openid", next.clone())]).await;
        assert_eq!(page["total"], 4);
        if page["count"] == 0 {
            assert_eq!(page["next_openid"], "");
            break;
        }
        let ids: Vec<String> = page["data"]["openid"].as_array().unwrap().iter().map(|o| o.as_str().unwrap().to_string()).collect();
        assert_eq!(page["next_openid"].as_str().unwrap(), ids.last().unwrap(), "the last openid of the page");
        seen.extend(ids);
        next = page["next_openid"].as_str().unwrap().to_string();
    }
    assert_eq!(seen.len(), 4);
    assert_eq!(errcode(&get(token.clone(), "/user/get", vec![("next_openid", "o-unknown".into())]).await), 40003);

    let list = |ids: Vec<String>| json!({"user_list": ids.into_iter().map(|o| json!({"openid": o, "lang": "zh_CN"})).collect::<Vec<_>>()});
    let v = post(token.clone(), "/user/info/batchget", list(vec![seen[0].clone(), left.clone()])).await;
    assert_eq!((v["user_info_list"][0]["subscribe"].as_i64(), v["user_info_list"][1]["subscribe"].as_i64()), (Some(1), Some(0)));
    assert_eq!(errcode(&post(token.clone(), "/user/info/batchget", list(vec![seen[0].clone(); 101])).await), 40032);
    assert_eq!(errcode(&post(token.clone(), "/user/info/batchget", list(vec![])).await), 40032);
    assert_eq!(errcode(&post(token.clone(), "/user/info/batchget", list(vec!["o-unknown".into()])).await), 40003);
    assert_eq!(errcode(&get(token.clone(), "/user/info/batchget", vec![]).await), 43002);

    let qr = |action: &str, scene: Value| json!({"action_name": action, "action_info": {"scene": scene}});
    assert_eq!(errcode(&post(token.clone(), "/qrcode/create", qr("QR_LIMIT_SCENE", json!({"scene_id": 100_001}))).await), 40097);
    assert_eq!(errcode(&post(token.clone(), "/qrcode/create", qr("QR_SCENE", json!({"scene_id": 0}))).await), 40097);
    let temp = post(token.clone(), "/qrcode/create", qr("QR_STR_SCENE", json!({"scene_str": "a"}))).await;
    assert_eq!(temp["expire_seconds"], 60, "a temporary code without expire_seconds lives 60 s");
    let sub = token_of("wxbbbbbbbbbbbbbbbb", "sub-secret", "client_credential").await["access_token"].as_str().unwrap().to_string();
    assert_eq!(errcode(&post(sub.clone(), "/qrcode/create", qr("QR_LIMIT_SCENE", json!({"scene_id": 1}))).await), 48001);

    // Template messages: service accounts only, to a follower, a known template, with data.
    wecom.sandbox.with_official_account("wxaaaaaaaaaaaaaaaa", |a| a.templates.insert("tpl-1".into()));
    let message = |to: &str, template: &str, data: Value| json!({"touser": to, "template_id": template, "data": data});
    let data = json!({"first": {"value": "v"}});
    assert_eq!(errcode(&post(token.clone(), "/message/template/send", message(&seen[0], "tpl-1", data.clone())).await), 0);
    assert_eq!(errcode(&post(token.clone(), "/message/template/send", message(&left, "tpl-1", data.clone())).await), 43004);
    assert_eq!(errcode(&post(token.clone(), "/message/template/send", message("o-unknown", "tpl-1", data.clone())).await), 40003);
    assert_eq!(errcode(&post(token.clone(), "/message/template/send", message(&seen[0], "tpl-x", data.clone())).await), 40037);
    assert_eq!(errcode(&post(token.clone(), "/message/template/send", message(&seen[0], "tpl-1", json!({}))).await), 47001);
    assert_eq!(errcode(&post(sub, "/message/template/send", message(&seen[0], "tpl-1", data)).await), 48001);
}
