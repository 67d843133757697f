//! WeCom's `/cgi-bin` endpoints, as the sandbox answers them.

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

use super::{Call, Sandbox, SandboxCorp, TokenInfo};
use crate::integrations::wecom::types::{
    AddCorpTag, AppChatCreate, BatchGetByUser, CorpTag, CorpTagFilter, CorpTagGroup, CreateDepartment, DelCorpTag, Department, EditCorpTag,
    FollowInfo, GroupChat, GroupChatGet, GroupChatListRequest, GroupChatTransfer, MarkTag, RemarkRequest, TransferCustomer,
    TransferCustomerItem, TransferResultItem, TransferResultRequest, UnassignedInfo, UnassignedListRequest, UpdateDepartment, User,
    WriteUser,
};

/// Cursors are opaque to clients; here they carry an offset.
fn next_cursor(offset: usize) -> String {
    format!("sbc{offset:x}")
}

fn cursor_offset(cursor: &str) -> Result<usize, Value> {
    if cursor.is_empty() {
        return Ok(0);
    }
    cursor.strip_prefix("sbc").and_then(|h| usize::from_str_radix(h, 16).ok()).ok_or_else(|| err(40058, "invalid cursor"))
}

pub fn router(sandbox: Sandbox) -> Router {
    Router::new().route("/cgi-bin/gettoken", get(gettoken)).merge(super::admin::router()).fallback(api).with_state(sandbox)
}

fn err(errcode: i64, errmsg: &str) -> Value {
    json!({"errcode": errcode, "errmsg": errmsg})
}

fn ok(mut v: Value) -> Value {
    v["errcode"] = json!(0);
    v["errmsg"] = json!("ok");
    v
}

async fn gettoken(State(sb): State<Sandbox>, Query(q): Query<BTreeMap<String, String>>) -> Json<Value> {
    let mut w = sb.world.lock().expect("sandbox");
    let corp_id = q.get("corpid").cloned().unwrap_or_default();
    let secret = q.get("corpsecret").cloned().unwrap_or_default();
    let answer = match w.corps.get(&corp_id) {
        None => err(40013, "invalid corpid"),
        Some(c) => {
            let kind = if secret == c.secrets.contacts {
                Some("contacts")
            } else if secret == c.secrets.external {
                Some("external")
            } else if secret == c.secrets.agent {
                Some("agent")
            } else {
                None
            };
            match kind {
                None => err(40001, "invalid credential, access_token is invalid or not latest"),
                Some(kind) => {
                    let now = Utc::now();
                    // Within validity WeCom hands out the same token again.
                    let live =
                        w.tokens.iter().find(|(_, t)| t.corp_id == corp_id && t.kind == kind && !t.invalidated && t.expires_at > now);
                    let (token, expires_at) = match live {
                        Some((tok, t)) => (tok.clone(), t.expires_at),
                        None => {
                            w.token_counter += 1;
                            let tok = format!("sandbox-{kind}-{}-{}", w.token_counter, uuid::Uuid::new_v4().simple());
                            let expires_at = now + chrono::Duration::seconds(sb.token_ttl);
                            w.tokens.insert(tok.clone(), TokenInfo { corp_id: corp_id.clone(), kind, expires_at, invalidated: false });
                            (tok, expires_at)
                        }
                    };
                    ok(json!({"access_token": token, "expires_in": (expires_at - now).num_seconds().max(1)}))
                }
            }
        }
    };
    let errcode = answer["errcode"].as_i64().unwrap_or(0);
    let mut query = q.clone();
    query.remove("corpsecret");
    w.calls.push(Call { method: "GET".into(), path: "/cgi-bin/gettoken".into(), query, body: None, errcode });
    Json(answer)
}

/// Every other API path: record, apply injected limits, check the token, answer.
async fn api(State(sb): State<Sandbox>, method: Method, uri: Uri, Query(q): Query<BTreeMap<String, String>>, body: Bytes) -> Json<Value> {
    let path = uri.path().to_string();
    let body: Option<Value> = if body.is_empty() { None } else { serde_json::from_slice(&body).ok() };
    let mut w = sb.world.lock().expect("sandbox");
    let mut query = q.clone();
    let token = query.remove("access_token").unwrap_or_default();
    let answer = (|| {
        if w.rate_limited > 0 {
            w.rate_limited -= 1;
            return err(45009, "api freq out of limit");
        }
        if w.per_minute > 0 {
            let minute = Utc::now().timestamp() / 60;
            if w.window.0 != minute {
                w.window = (minute, 0);
            }
            w.window.1 += 1;
            if w.window.1 > w.per_minute {
                return err(45009, "api freq out of limit");
            }
        }
        if let Some(f) = w.failures.iter_mut().find(|f| f.path == path && f.remaining > 0) {
            if f.skip > 0 {
                f.skip -= 1;
            } else {
                f.remaining -= 1;
                return err(f.errcode, "injected by the sandbox");
            }
        }
        let (corp_id, kind) = match w.tokens.get(&token) {
            None if token.is_empty() => return err(41001, "access_token missing"),
            None => return err(40014, "invalid access_token"),
            Some(t) if t.invalidated => return err(40014, "invalid access_token"),
            Some(t) if t.expires_at <= Utc::now() => return err(42001, "access_token expired"),
            Some(t) => (t.corp_id.clone(), t.kind),
        };
        let corp = w.corps.get_mut(&corp_id).expect("token of a known corp");
        handle(corp, kind, &method, &path, &q, body.as_ref())
    })();
    let errcode = answer["errcode"].as_i64().unwrap_or(0);
    w.calls.push(Call { method: method.to_string(), path, query, body, errcode });
    Json(answer)
}

fn parse<T: serde::de::DeserializeOwned>(body: Option<&Value>) -> Result<T, Value> {
    body.cloned().and_then(|b| serde_json::from_value(b).ok()).ok_or_else(|| err(40058, "invalid Request Parameter"))
}

fn valid_department_name(name: &str) -> bool {
    let n = name.chars().count();
    (1..=64).contains(&n) && !name.chars().any(|c| "\\:*?\"<>|".contains(c))
}

fn handle(corp: &mut SandboxCorp, kind: &str, method: &Method, path: &str, q: &BTreeMap<String, String>, body: Option<&Value>) -> Value {
    let write_contacts = kind == "contacts";
    let r = (|| -> Result<Value, Value> {
        match (method.as_str(), path) {
            ("GET", "/cgi-bin/department/list") => {
                let list: Vec<&Department> = match q.get("id").and_then(|i| i.parse::<i64>().ok()) {
                    None => corp.departments.values().collect(),
                    Some(root) => {
                        let mut ids = vec![root];
                        let mut i = 0;
                        while i < ids.len() {
                            let parent = ids[i];
                            ids.extend(corp.departments.values().filter(|d| d.parentid == parent).map(|d| d.id));
                            i += 1;
                        }
                        corp.departments.values().filter(|d| ids.contains(&d.id)).collect()
                    }
                };
                Ok(json!({"department": list}))
            }
            ("POST", "/cgi-bin/department/create") => {
                if !write_contacts {
                    return Err(err(48009, "api forbidden"));
                }
                let d: CreateDepartment = parse(body)?;
                if !valid_department_name(&d.name) {
                    return Err(err(60009, "department name include invalid char"));
                }
                if !corp.departments.contains_key(&d.parentid) {
                    return Err(err(60004, "parent department not found"));
                }
                if corp.departments.values().any(|x| x.parentid == d.parentid && x.name == d.name) {
                    return Err(err(60008, "department existed"));
                }
                let id = d.id.unwrap_or_else(|| {
                    let id = corp.next_department_id;
                    corp.next_department_id += 1;
                    id
                });
                corp.departments.insert(
                    id,
                    Department {
                        id,
                        name: d.name,
                        parentid: d.parentid,
                        order: d.order.unwrap_or(0),
                        name_en: None,
                        department_leader: vec![],
                    },
                );
                Ok(json!({"id": id}))
            }
            ("POST", "/cgi-bin/department/update") => {
                if !write_contacts {
                    return Err(err(48009, "api forbidden"));
                }
                let u: UpdateDepartment = parse(body)?;
                if let Some(n) = &u.name {
                    if !valid_department_name(n) {
                        return Err(err(60009, "department name include invalid char"));
                    }
                }
                if let Some(p) = u.parentid {
                    if !corp.departments.contains_key(&p) {
                        return Err(err(60004, "parent department not found"));
                    }
                }
                let d = corp.departments.get_mut(&u.id).ok_or_else(|| err(60003, "department not found"))?;
                if let Some(n) = u.name {
                    d.name = n;
                }
                if let Some(p) = u.parentid {
                    d.parentid = p;
                }
                if let Some(o) = u.order {
                    d.order = o;
                }
                Ok(json!({}))
            }
            ("GET", "/cgi-bin/department/delete") => {
                if !write_contacts {
                    return Err(err(48009, "api forbidden"));
                }
                let id: i64 = q.get("id").and_then(|i| i.parse().ok()).ok_or_else(|| err(40058, "invalid id"))?;
                if !corp.departments.contains_key(&id) {
                    return Err(err(60003, "department not found"));
                }
                if corp.departments.values().any(|d| d.parentid == id) {
                    return Err(err(60006, "department contains sub-department"));
                }
                if corp.users.values().any(|u| u.department.contains(&id)) {
                    return Err(err(60005, "department contains user"));
                }
                corp.departments.remove(&id);
                Ok(json!({}))
            }
            ("GET", "/cgi-bin/user/list") => {
                let dept: i64 = q.get("department_id").and_then(|i| i.parse().ok()).ok_or_else(|| err(40058, "invalid department_id"))?;
                let mut ids = vec![dept];
                if q.get("fetch_child").map(String::as_str) == Some("1") {
                    let mut i = 0;
                    while i < ids.len() {
                        let parent = ids[i];
                        ids.extend(corp.departments.values().filter(|d| d.parentid == parent).map(|d| d.id));
                        i += 1;
                    }
                }
                let users: Vec<&User> = corp.users.values().filter(|u| u.department.iter().any(|d| ids.contains(d))).collect();
                Ok(json!({"userlist": users}))
            }
            ("GET", "/cgi-bin/user/get") => {
                let userid = q.get("userid").cloned().unwrap_or_default();
                let u = corp.users.get(&userid).ok_or_else(|| err(60111, "userid not found"))?;
                Ok(serde_json::to_value(u).expect("serialize"))
            }
            ("POST", "/cgi-bin/user/create") => {
                if !write_contacts {
                    return Err(err(48009, "api forbidden"));
                }
                let u: WriteUser = parse(body)?;
                if corp.users.contains_key(&u.userid) {
                    return Err(err(60102, "userid existed"));
                }
                let depts = u.department.clone().unwrap_or_default();
                if depts.is_empty() || depts.iter().any(|d| !corp.departments.contains_key(d)) {
                    return Err(err(60003, "department not found"));
                }
                if u.mobile.as_ref().is_some_and(|m| corp.users.values().any(|x| x.mobile.as_ref() == Some(m))) {
                    return Err(err(60104, "mobile existed"));
                }
                corp.users.insert(
                    u.userid.clone(),
                    User {
                        userid: u.userid,
                        name: u.name.unwrap_or_default(),
                        main_department: depts.first().copied(),
                        department: depts,
                        mobile: u.mobile,
                        position: u.position,
                        gender: u.gender,
                        email: u.email,
                        alias: u.alias,
                        telephone: u.telephone,
                        address: u.address,
                        avatar: None,
                        status: Some(4),
                    },
                );
                Ok(json!({}))
            }
            ("POST", "/cgi-bin/user/update") => {
                if !write_contacts {
                    return Err(err(48009, "api forbidden"));
                }
                let u: WriteUser = parse(body)?;
                if let Some(d) = &u.department {
                    if d.iter().any(|d| !corp.departments.contains_key(d)) {
                        return Err(err(60003, "department not found"));
                    }
                }
                let x = corp.users.get_mut(&u.userid).ok_or_else(|| err(60111, "userid not found"))?;
                macro_rules! set { ($($f:ident),*) => {$( if let Some(v) = u.$f { x.$f = Some(v); } )*}; }
                set!(mobile, position, gender, email, alias, telephone, address);
                if let Some(n) = u.name {
                    x.name = n;
                }
                if let Some(d) = u.department {
                    x.department = d;
                }
                Ok(json!({}))
            }
            ("GET", "/cgi-bin/user/delete") => {
                if !write_contacts {
                    return Err(err(48009, "api forbidden"));
                }
                let userid = q.get("userid").cloned().unwrap_or_default();
                corp.users.remove(&userid).ok_or_else(|| err(60111, "userid not found"))?;
                Ok(json!({}))
            }
            ("GET", "/cgi-bin/auth/getuserinfo") => {
                let code = q.get("code").cloned().unwrap_or_default();
                let userid = corp.oauth_codes.remove(&code).ok_or_else(|| err(40029, "invalid code"))?;
                Ok(json!({"userid": userid, "user_ticket": format!("ticket-{userid}")}))
            }
            ("POST", "/cgi-bin/appchat/create") => {
                if kind != "agent" {
                    return Err(err(48002, "api forbidden"));
                }
                let req: AppChatCreate = parse(body)?;
                if !(2..=2000).contains(&req.userlist.len()) {
                    return Err(err(86215, "chat member count out of range"));
                }
                if req.userlist.iter().any(|u| !corp.users.contains_key(u)) {
                    return Err(err(60111, "userid not found"));
                }
                if !req.userlist.contains(&req.owner) {
                    return Err(err(86216, "owner not in userlist"));
                }
                let chatid = req.chatid.clone().unwrap_or_else(|| format!("wrapp{:04}", corp.app_chats.len() + 1));
                if corp.app_chats.contains_key(&chatid) {
                    return Err(err(86215, "chatid existed"));
                }
                corp.app_chats.insert(chatid.clone(), (req, Vec::new()));
                Ok(json!({"chatid": chatid}))
            }
            ("POST", "/cgi-bin/appchat/send") => {
                if kind != "agent" {
                    return Err(err(48002, "api forbidden"));
                }
                let msg = body.cloned().ok_or_else(|| err(40058, "invalid Request Parameter"))?;
                let chatid = msg.get("chatid").and_then(Value::as_str).unwrap_or("").to_string();
                let chat = corp.app_chats.get_mut(&chatid).ok_or_else(|| err(86003, "chat not found"))?;
                chat.1.push(msg);
                Ok(json!({}))
            }
            ("POST", "/cgi-bin/message/send") => {
                if kind != "agent" {
                    return Err(err(48009, "api forbidden"));
                }
                let msg = body.cloned().ok_or_else(|| err(40058, "invalid Request Parameter"))?;
                if msg.get("agentid").and_then(Value::as_i64) != Some(corp.agent_id) {
                    return Err(err(40056, "invalid agentid"));
                }
                let touser = msg.get("touser").and_then(Value::as_str).unwrap_or("");
                let invalid: Vec<&str> =
                    touser.split('|').filter(|u| !u.is_empty() && *u != "@all" && !corp.users.contains_key(*u)).collect();
                corp.messages.push(msg.clone());
                Ok(json!({"invaliduser": invalid.join("|"), "msgid": format!("msg{}", corp.messages.len())}))
            }
            ("POST", "/cgi-bin/externalcontact/batch/get_by_user") => {
                if kind == "contacts" {
                    return Err(err(48002, "api forbidden"));
                }
                let req: BatchGetByUser = parse(body)?;
                if req.userid_list.is_empty() || req.userid_list.len() > 100 {
                    return Err(err(40058, "userid_list size must be 1-100"));
                }
                // WeCom: limit defaults to 50 and clamps at 100.
                let limit = match req.limit {
                    0 => 50,
                    n => n.min(100),
                } as usize;
                let offset = cursor_offset(&req.cursor)?;
                // Paging walks one member list at a time: index it once, so a
                // page costs its own size, not a scan of every relation.
                let key = format!("{}#{}", req.userid_list.join(","), corp.follows.len());
                if corp.follow_index.as_ref().is_none_or(|(k, _)| *k != key) {
                    let wanted: std::collections::HashSet<&str> = req.userid_list.iter().map(String::as_str).collect();
                    let idx: Vec<usize> =
                        corp.follows.iter().enumerate().filter(|(_, (_, f))| wanted.contains(f.userid.as_str())).map(|(i, _)| i).collect();
                    corp.follow_index = Some((key, idx));
                }
                let idx = &corp.follow_index.as_ref().expect("just built").1;
                let matching: Vec<&(String, FollowInfo)> = idx.iter().skip(offset).take(limit).map(|i| &corp.follows[*i]).collect();
                let total = idx.len();
                let page: Vec<Value> =
                    matching.iter().map(|(ext, f)| json!({"external_contact": corp.contacts.get(ext), "follow_info": f})).collect();
                let next = if offset + limit < total { next_cursor(offset + limit) } else { String::new() };
                Ok(json!({"external_contact_list": page, "next_cursor": next}))
            }
            ("GET", "/cgi-bin/externalcontact/get") => {
                if kind == "contacts" {
                    return Err(err(48002, "api forbidden"));
                }
                let ext = q.get("external_userid").cloned().unwrap_or_default();
                let c = corp.contacts.get(&ext).ok_or_else(|| err(84061, "not external contact"))?;
                let tag_name = |id: &str| -> Value {
                    let found = corp
                        .tag_groups
                        .iter()
                        .find_map(|g| g.tag.iter().find(|t| t.id == id).map(|t| (g.group_name.clone(), t.name.clone())));
                    let (group, name) = found.unwrap_or_default();
                    json!({"group_name": group, "tag_name": name, "type": 1, "tag_id": id})
                };
                let follow_user: Vec<Value> = corp
                    .follows
                    .iter()
                    .filter(|(e, _)| *e == ext)
                    .map(|(_, f)| {
                        let mut v = serde_json::to_value(f).expect("serialize");
                        let tags: Vec<Value> = f.tag_id.iter().map(|t| tag_name(t)).collect();
                        v["tags"] = json!(tags);
                        v.as_object_mut().expect("object").remove("tag_id");
                        v
                    })
                    .collect();
                Ok(json!({"external_contact": c, "follow_user": follow_user, "next_cursor": ""}))
            }
            ("GET", "/cgi-bin/externalcontact/list") => {
                if kind == "contacts" {
                    return Err(err(48002, "api forbidden"));
                }
                let userid = q.get("userid").cloned().unwrap_or_default();
                if !corp.users.contains_key(&userid) {
                    return Err(err(60111, "userid not found"));
                }
                let ids: Vec<&String> = corp.follows.iter().filter(|(_, f)| f.userid == userid).map(|(e, _)| e).collect();
                Ok(json!({"external_userid": ids}))
            }
            ("POST", "/cgi-bin/externalcontact/remark") => {
                if kind == "contacts" {
                    return Err(err(48002, "api forbidden"));
                }
                let r: RemarkRequest = parse(body)?;
                let f = corp
                    .follows
                    .iter_mut()
                    .find(|(e, f)| *e == r.external_userid && f.userid == r.userid)
                    .ok_or_else(|| err(84061, "not external contact"))?;
                if let Some(v) = r.remark {
                    f.1.remark = v;
                }
                if let Some(v) = r.description {
                    f.1.description = v;
                }
                if let Some(v) = r.remark_company {
                    f.1.remark_corp_name = Some(v);
                }
                if let Some(v) = r.remark_mobiles {
                    f.1.remark_mobiles = v;
                }
                Ok(json!({}))
            }
            ("POST", "/cgi-bin/externalcontact/add_corp_tag") => {
                if kind == "contacts" {
                    return Err(err(48002, "api forbidden"));
                }
                let r: AddCorpTag = parse(body)?;
                if r.tag.iter().any(|t| t.name.trim().is_empty() || t.name.chars().count() > 30) {
                    return Err(err(40058, "invalid tag name"));
                }
                let now = Utc::now().timestamp();
                let n = corp.tag_groups.iter().map(|g| g.tag.len() + 1).sum::<usize>();
                let gi = match (&r.group_id, &r.group_name) {
                    (Some(id), _) => corp.tag_groups.iter().position(|g| &g.group_id == id).ok_or_else(|| err(40068, "invalid tagid"))?,
                    (None, Some(name)) => match corp.tag_groups.iter().position(|g| &g.group_name == name) {
                        Some(i) => i,
                        None => {
                            if r.tag.is_empty() {
                                return Err(err(40058, "a new group needs a tag"));
                            }
                            corp.tag_groups.push(CorpTagGroup {
                                group_id: format!("etgroupn{n}"),
                                group_name: name.clone(),
                                create_time: now,
                                order: r.order.unwrap_or(0),
                                deleted: None,
                                tag: vec![],
                            });
                            corp.tag_groups.len() - 1
                        }
                    },
                    _ => return Err(err(40058, "group_id or group_name required")),
                };
                let group = &mut corp.tag_groups[gi];
                for (i, t) in r.tag.iter().enumerate() {
                    if group.tag.iter().any(|x| x.name == t.name) {
                        return Err(err(40071, "tag name existed"));
                    }
                    group.tag.push(CorpTag {
                        id: format!("ettagn{}", n + i),
                        name: t.name.clone(),
                        create_time: now,
                        order: t.order.unwrap_or(0),
                        deleted: None,
                    });
                }
                Ok(json!({"tag_group": group}))
            }
            ("POST", "/cgi-bin/externalcontact/edit_corp_tag") => {
                if kind == "contacts" {
                    return Err(err(48002, "api forbidden"));
                }
                let r: EditCorpTag = parse(body)?;
                if let Some(g) = corp.tag_groups.iter_mut().find(|g| g.group_id == r.id) {
                    if let Some(n) = r.name {
                        g.group_name = n;
                    }
                    if let Some(o) = r.order {
                        g.order = o;
                    }
                    return Ok(json!({}));
                }
                let t = corp
                    .tag_groups
                    .iter_mut()
                    .flat_map(|g| g.tag.iter_mut())
                    .find(|t| t.id == r.id)
                    .ok_or_else(|| err(40068, "invalid tagid"))?;
                if let Some(n) = r.name {
                    t.name = n;
                }
                if let Some(o) = r.order {
                    t.order = o;
                }
                Ok(json!({}))
            }
            ("POST", "/cgi-bin/externalcontact/del_corp_tag") => {
                if kind == "contacts" {
                    return Err(err(48002, "api forbidden"));
                }
                let r: DelCorpTag = parse(body)?;
                corp.tag_groups.retain(|g| !r.group_id.contains(&g.group_id));
                for g in corp.tag_groups.iter_mut() {
                    g.tag.retain(|t| !r.tag_id.contains(&t.id));
                }
                // WeCom drops a group whose last tag goes.
                corp.tag_groups.retain(|g| !g.tag.is_empty());
                Ok(json!({}))
            }
            ("POST", "/cgi-bin/externalcontact/mark_tag") => {
                if kind == "contacts" {
                    return Err(err(48002, "api forbidden"));
                }
                let r: MarkTag = parse(body)?;
                let known = |id: &String| corp.tag_groups.iter().any(|g| g.tag.iter().any(|t| &t.id == id));
                if r.add_tag.iter().chain(r.remove_tag.iter()).any(|t| !known(t)) {
                    return Err(err(40068, "invalid tagid"));
                }
                let f = corp
                    .follows
                    .iter_mut()
                    .find(|(e, f)| *e == r.external_userid && f.userid == r.userid)
                    .ok_or_else(|| err(84061, "not external contact"))?;
                f.1.tag_id.retain(|t| !r.remove_tag.contains(t));
                for t in r.add_tag {
                    if !f.1.tag_id.contains(&t) {
                        f.1.tag_id.push(t);
                    }
                }
                Ok(json!({}))
            }
            ("POST", "/cgi-bin/externalcontact/transfer_customer" | "/cgi-bin/externalcontact/resigned/transfer_customer") => {
                if kind == "contacts" {
                    return Err(err(48002, "api forbidden"));
                }
                let resigned = path.contains("/resigned/");
                let r: TransferCustomer = parse(body)?;
                if r.external_userid.is_empty() || r.external_userid.len() > 100 {
                    return Err(err(40058, "invalid external_userid list"));
                }
                if r.transfer_success_msg.as_ref().is_some_and(|m| m.chars().count() > 200) {
                    return Err(err(40058, "transfer_success_msg too long"));
                }
                for u in [&r.handover_userid, &r.takeover_userid] {
                    if !corp.users.contains_key(u) {
                        return Err(err(60111, "userid not found"));
                    }
                }
                if r.handover_userid == r.takeover_userid {
                    return Err(err(40097, "handover and takeover are the same"));
                }
                // The resigned API takes only members who left; the on-job one only members who did not.
                if resigned != corp.resigned.contains_key(&r.handover_userid) || corp.resigned.contains_key(&r.takeover_userid) {
                    return Err(err(40097, "invalid handover or takeover userid"));
                }
                let mut items = Vec::new();
                for ext in &r.external_userid {
                    let related = corp.follows.iter().any(|(e, f)| e == ext && f.userid == r.handover_userid);
                    let busy = corp.transfers.iter().any(|t| &t.external_userid == ext && t.status == 2);
                    let errcode = if !related {
                        84061
                    } else if busy {
                        40129
                    } else {
                        0
                    };
                    if errcode == 0 {
                        // WeCom starts the flow; the customer is taken over after 24 h unless they refuse.
                        corp.transfers.push(crate::sandbox::Transfer {
                            external_userid: ext.clone(),
                            handover: r.handover_userid.clone(),
                            takeover: r.takeover_userid.clone(),
                            message: r.transfer_success_msg.clone(),
                            resigned,
                            status: 2,
                            takeover_time: 0,
                        });
                    }
                    items.push(TransferCustomerItem { external_userid: ext.clone(), errcode });
                }
                Ok(json!({"customer": items}))
            }
            ("POST", "/cgi-bin/externalcontact/transfer_result" | "/cgi-bin/externalcontact/resigned/transfer_result") => {
                if kind == "contacts" {
                    return Err(err(48002, "api forbidden"));
                }
                let resigned = path.contains("/resigned/");
                let r: TransferResultRequest = parse(body)?;
                let all: Vec<TransferResultItem> = corp
                    .transfers
                    .iter()
                    .filter(|t| t.resigned == resigned && t.handover == r.handover_userid && t.takeover == r.takeover_userid)
                    .map(|t| TransferResultItem {
                        external_userid: t.external_userid.clone(),
                        status: t.status,
                        takeover_time: t.takeover_time,
                    })
                    .collect();
                let start = cursor_offset(&r.cursor)?;
                let end = (start + 100).min(all.len());
                let next = if end < all.len() { next_cursor(end) } else { String::new() };
                Ok(json!({"customer": all.get(start..end).unwrap_or(&[]), "next_cursor": next}))
            }
            ("POST", "/cgi-bin/externalcontact/get_unassigned_list") => {
                if kind == "contacts" {
                    return Err(err(48002, "api forbidden"));
                }
                let r: UnassignedListRequest = parse(body)?;
                if !(1..=1000).contains(&r.page_size) {
                    return Err(err(40058, "invalid page_size"));
                }
                let pending: Vec<UnassignedInfo> = corp
                    .follows
                    .iter()
                    .filter_map(|(ext, f)| {
                        let at = corp.resigned.get(&f.userid)?;
                        let moving = corp.transfers.iter().any(|t| &t.external_userid == ext && t.handover == f.userid);
                        (!moving).then(|| UnassignedInfo {
                            handover_userid: f.userid.clone(),
                            external_userid: ext.clone(),
                            dimission_time: *at,
                        })
                    })
                    .collect();
                let start = cursor_offset(&r.cursor)?;
                let end = (start + r.page_size as usize).min(pending.len());
                let is_last = end >= pending.len();
                Ok(
                    json!({"info": pending.get(start..end).unwrap_or(&[]), "is_last": is_last, "next_cursor": if is_last { String::new() } else { next_cursor(end) }}),
                )
            }
            ("POST", "/cgi-bin/externalcontact/get_corp_tag_list") => {
                if kind == "contacts" {
                    return Err(err(48002, "api forbidden"));
                }
                let f: CorpTagFilter = body.cloned().and_then(|b| serde_json::from_value(b).ok()).unwrap_or_default();
                let groups: Vec<CorpTagGroup> = corp
                    .tag_groups
                    .iter()
                    .filter(|g| f.group_id.is_empty() || f.group_id.contains(&g.group_id))
                    .map(|g| {
                        let mut g = g.clone();
                        if !f.tag_id.is_empty() {
                            g.tag.retain(|t| f.tag_id.contains(&t.id));
                        }
                        g
                    })
                    .filter(|g| f.tag_id.is_empty() || !g.tag.is_empty())
                    .collect();
                Ok(json!({"tag_group": groups}))
            }
            ("POST", "/cgi-bin/externalcontact/groupchat/list") => {
                if kind == "contacts" {
                    return Err(err(48002, "api forbidden"));
                }
                let req: GroupChatListRequest = parse(body)?;
                if !(1..=1000).contains(&req.limit) {
                    return Err(err(40058, "limit must be 1-1000"));
                }
                let offset = cursor_offset(&req.cursor)?;
                let all: Vec<&GroupChat> = corp.group_chats.values().collect();
                let page: Vec<Value> =
                    all.iter().skip(offset).take(req.limit as usize).map(|g| json!({"chat_id": g.chat_id, "status": 0})).collect();
                let end = offset + req.limit as usize;
                let next = if end < all.len() { next_cursor(end) } else { String::new() };
                Ok(json!({"group_chat_list": page, "next_cursor": next}))
            }
            ("POST", "/cgi-bin/externalcontact/groupchat/transfer" | "/cgi-bin/externalcontact/groupchat/onjob_transfer") => {
                if kind == "contacts" {
                    return Err(err(48002, "api forbidden"));
                }
                let resigned = path.ends_with("/groupchat/transfer");
                let r: GroupChatTransfer = parse(body)?;
                if r.chat_id_list.is_empty() || r.chat_id_list.len() > 100 {
                    return Err(err(40058, "invalid chat_id_list"));
                }
                if !corp.users.contains_key(&r.new_owner) || corp.resigned.contains_key(&r.new_owner) {
                    return Err(err(60111, "userid not found"));
                }
                let mut failed = Vec::new();
                for chat in &r.chat_id_list {
                    let Some(g) = corp.group_chats.get_mut(chat) else {
                        failed.push(json!({"chat_id": chat, "errcode": 90500, "errmsg": "chat not found"}));
                        continue;
                    };
                    // The resigned API takes only chats whose owner left; the on-job one only the others.
                    if resigned != corp.resigned.contains_key(&g.owner) {
                        failed.push(json!({"chat_id": chat, "errcode": 90501, "errmsg": "owner state does not match the api"}));
                        continue;
                    }
                    g.owner = r.new_owner.clone();
                }
                Ok(json!({"failed_chat_list": failed}))
            }
            ("POST", "/cgi-bin/externalcontact/groupchat/get") => {
                if kind == "contacts" {
                    return Err(err(48002, "api forbidden"));
                }
                let req: GroupChatGet = parse(body)?;
                let g = corp.group_chats.get(&req.chat_id).ok_or_else(|| err(40050, "chatid not found"))?;
                Ok(json!({"group_chat": g}))
            }
            _ => Err(err(404, "unknown path in the sandbox")),
        }
    })();
    match r {
        Ok(v) => ok(v),
        Err(e) => e,
    }
}
