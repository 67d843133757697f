//! The directory (departments, members, login codes) and messages (app
//! messages, app group chats), as the sandbox answers them.

use std::collections::BTreeMap;

use axum::http::Method;
use serde_json::{json, Value};

use super::wire::{cursor_offset, err, next_cursor, parse, valid_department_name};
use crate::integrations::wecom::types::{AppChatCreate, CreateDepartment, Department, UpdateDepartment, User, UserDetail, WriteUser};
use crate::sandbox::world::SandboxCorp;

/// How long a WeCom OAuth code may be exchanged.
const OAUTH_CODE_SECS: i64 = 300;
/// How long a `user_ticket` reads `auth/getuserdetail` (its `expires_in`).
const USER_TICKET_SECS: i64 = 1800;

pub(super) fn handle(
    corp: &mut SandboxCorp,
    kind: &str,
    method: &Method,
    path: &str,
    q: &BTreeMap<String, String>,
    body: Option<&Value>,
) -> Result<Value, Value> {
    let write_contacts = kind == "contacts";
    // Since 2022-08-15 the contacts-sync secret, from a server IP added after
    // that date, reads ids only (48009 for details).
    let detail_refused = kind == "contacts" && corp.strict.directory_detail_reads;
    match (method.as_str(), path) {
        ("GET", "/cgi-bin/department/simplelist") => {
            let ids: Vec<Value> =
                corp.departments.values().map(|d| json!({"id": d.id, "parentid": d.parentid, "order": d.order})).collect();
            Ok(json!({"department_id": ids}))
        }
        ("GET", "/cgi-bin/department/get") => {
            if detail_refused {
                return Err(err(48009, "api forbidden for the contacts secret from a new ip"));
            }
            let id: i64 = q.get("id").and_then(|i| i.parse().ok()).ok_or_else(|| err(60123, "invalid department id"))?;
            let d = corp.departments.get(&id).ok_or_else(|| err(60123, "invalid department id"))?;
            Ok(json!({"department": d}))
        }
        ("POST", "/cgi-bin/user/list_id") => {
            if kind != "contacts" {
                return Err(err(48002, "api forbidden"));
            }
            let req: ListIdRequest = parse(body)?;
            if !(1..=10000).contains(&req.limit) {
                return Err(err(40058, "limit must be 1-10000"));
            }
            // One row per (member, department): a member in two departments comes twice.
            let rows: Vec<Value> =
                corp.users.values().flat_map(|u| u.department.iter().map(move |d| json!({"userid": u.userid, "department": d}))).collect();
            let start = cursor_offset(&req.cursor)?;
            let end = (start + req.limit as usize).min(rows.len());
            let next = if end < rows.len() { next_cursor(end) } else { String::new() };
            Ok(json!({"dept_user": rows.get(start..end).unwrap_or(&[]), "next_cursor": next}))
        }
        ("GET", "/cgi-bin/department/list") => {
            if detail_refused {
                return Err(err(48009, "api forbidden for the contacts secret from a new ip"));
            }
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
                return Err(err(48002, "api forbidden"));
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
                return Err(err(48002, "api forbidden"));
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
                return Err(err(48002, "api forbidden"));
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
            if detail_refused {
                return Err(err(48009, "api forbidden for the contacts secret from a new ip"));
            }
            // The current API has no `fetch_child`: one department's direct members.
            let dept: i64 = q.get("department_id").and_then(|i| i.parse().ok()).ok_or_else(|| err(60123, "invalid department id"))?;
            if !corp.departments.contains_key(&dept) {
                return Err(err(60123, "invalid department id"));
            }
            let users: Vec<User> =
                corp.users.values().filter(|u| u.department.contains(&dept)).map(|u| as_read_by(u, kind, &corp.strict)).collect();
            Ok(json!({"userlist": users}))
        }
        ("GET", "/cgi-bin/user/get") => {
            if detail_refused {
                return Err(err(48009, "api forbidden for the contacts secret from a new ip"));
            }
            let userid = q.get("userid").cloned().unwrap_or_default();
            let u = corp.users.get(&userid).ok_or_else(|| err(60111, "userid not found"))?;
            serde_json::to_value(as_read_by(u, kind, &corp.strict)).map_err(|_| err(-1, "system error"))
        }
        ("POST", "/cgi-bin/user/create") => {
            if !write_contacts {
                return Err(err(48002, "api forbidden"));
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
                return Err(err(48002, "api forbidden"));
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
                return Err(err(48002, "api forbidden"));
            }
            let userid = q.get("userid").cloned().unwrap_or_default();
            corp.users.remove(&userid).ok_or_else(|| err(60111, "userid not found"))?;
            Ok(json!({}))
        }
        ("GET", "/cgi-bin/auth/getuserinfo") => {
            let code = q.get("code").cloned().unwrap_or_default();
            // Single use, and valid 5 minutes.
            let (userid, issued, consent) = corp.oauth_codes.remove(&code).ok_or_else(|| err(40029, "invalid code"))?;
            let now = chrono::Utc::now().timestamp();
            if now - issued > OAUTH_CODE_SECS {
                return Err(err(40029, "invalid code"));
            }
            // A `user_ticket` only when the member consented (scope snsapi_privateinfo).
            if !consent {
                return Ok(json!({"userid": userid}));
            }
            let ticket = format!("ticket-{}", uuid::Uuid::new_v4().simple());
            corp.user_tickets.insert(ticket.clone(), (userid.clone(), now));
            Ok(json!({"userid": userid, "user_ticket": ticket, "expires_in": USER_TICKET_SECS}))
        }
        ("POST", "/cgi-bin/auth/getuserdetail") => {
            // Self-built apps only.
            if kind != "agent" {
                return Err(err(48002, "api forbidden"));
            }
            let req: UserTicket = parse(body)?;
            // WeCom does not document the errcode for an unknown or expired
            // ticket (UNVERIFIED); 40029 here, and the client relies on none.
            let (userid, issued) = corp.user_tickets.get(&req.user_ticket).cloned().ok_or_else(|| err(40029, "invalid user_ticket"))?;
            if chrono::Utc::now().timestamp() - issued > USER_TICKET_SECS {
                return Err(err(40029, "invalid user_ticket"));
            }
            let u = corp.users.get(&userid).ok_or_else(|| err(60111, "userid not found"))?;
            let detail = UserDetail {
                userid: u.userid.clone(),
                gender: Some(u.gender.clone().unwrap_or_else(|| "0".into())),
                avatar: u.avatar.clone(),
                qr_code: None,
                mobile: u.mobile.clone(),
                email: u.email.clone(),
                biz_mail: None,
                address: u.address.clone(),
            };
            serde_json::to_value(detail).map_err(|_| err(-1, "system error"))
        }
        ("POST", "/cgi-bin/appchat/create") => {
            if kind != "agent" {
                return Err(err(48002, "api forbidden"));
            }
            let req: AppChatCreate = parse(body)?;
            if !(2..=2000).contains(&req.userlist.len()) {
                return Err(err(86006, "chat member count out of range"));
            }
            if req.userlist.iter().any(|u| !corp.users.contains_key(u)) {
                return Err(err(86216, "invalid chat member userid"));
            }
            if !req.userlist.contains(&req.owner) {
                return Err(err(86207, "owner not in userlist"));
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
                return Err(err(48002, "api forbidden"));
            }
            let msg = body.cloned().ok_or_else(|| err(40058, "invalid Request Parameter"))?;
            if msg.get("agentid").and_then(Value::as_i64) != Some(corp.agent_id) {
                return Err(err(40056, "invalid agentid"));
            }
            let touser = msg.get("touser").and_then(Value::as_str).unwrap_or("");
            let invalid: Vec<&str> = touser.split('|').filter(|u| !u.is_empty() && *u != "@all" && !corp.users.contains_key(*u)).collect();
            corp.messages.push(msg.clone());
            Ok(json!({"invaliduser": invalid.join("|"), "msgid": format!("msg{}", corp.messages.len())}))
        }
        _ => Err(err(404, "unknown path in the sandbox")),
    }
}

#[derive(serde::Deserialize)]
struct UserTicket {
    user_ticket: String,
}

#[derive(serde::Deserialize)]
struct ListIdRequest {
    #[serde(default)]
    cursor: String,
    #[serde(default = "default_list_id_limit")]
    limit: i64,
}

fn default_list_id_limit() -> i64 {
    10000
}

/// A member as a secret's app sees them: since 2022-06-20 only the contacts
/// secret reads mobile, gender, email, avatar and address.
fn as_read_by(u: &User, kind: &str, strict: &crate::sandbox::world::Strictness) -> User {
    let mut u = u.clone();
    if kind != "contacts" && strict.sensitive_fields {
        u.mobile = None;
        u.gender = None;
        u.email = None;
        u.avatar = None;
        u.address = None;
    }
    u
}
