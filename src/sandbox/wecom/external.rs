//! Customer contact (`/cgi-bin/externalcontact/…`): customers, corp tags,
//! transfers and group chats, as the sandbox answers them.

use std::collections::BTreeMap;

use axum::http::Method;
use chrono::Utc;
use serde_json::{json, Value};

use super::wire::{cursor_offset, err, next_cursor, parse};
use crate::integrations::wecom::types::{
    AddCorpTag, BatchGetByUser, CorpTag, CorpTagFilter, CorpTagGroup, DelCorpTag, EditCorpTag, FollowInfo, GroupChat, GroupChatGet,
    GroupChatListRequest, GroupChatTransfer, MarkTag, RemarkRequest, TransferCustomer, TransferCustomerItem, TransferResultItem,
    TransferResultRequest, UnassignedInfo, UnassignedListRequest,
};
use crate::sandbox::world::SandboxCorp;

/// WeCom's limit on corp tags per corp.
const MAX_CORP_TAGS: usize = 3000;

/// WeCom's window for the on-job transfer limit: 90 natural days.
const TRANSFER_WINDOW_SECS: i64 = 90 * 24 * 3600;

pub(super) fn handle(
    corp: &mut SandboxCorp,
    kind: &str,
    method: &Method,
    path: &str,
    q: &BTreeMap<String, String>,
    body: Option<&Value>,
) -> Result<Value, Value> {
    match (method.as_str(), path) {
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
            let idx: &[usize] = corp.follow_index.as_ref().map(|(_, idx)| idx.as_slice()).unwrap_or_default();
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
                let found =
                    corp.tag_groups.iter().find_map(|g| g.tag.iter().find(|t| t.id == id).map(|t| (g.group_name.clone(), t.name.clone())));
                let (group, name) = found.unwrap_or_default();
                json!({"group_name": group, "tag_name": name, "type": 1, "tag_id": id})
            };
            let follow_user: Vec<Value> = corp
                .follows
                .iter()
                .filter(|(e, _)| *e == ext)
                .map(|(_, f)| {
                    let mut v = serde_json::to_value(f).unwrap_or_default();
                    let tags: Vec<Value> = f.tag_id.iter().map(|t| tag_name(t)).collect();
                    v["tags"] = json!(tags);
                    if let Some(o) = v.as_object_mut() {
                        o.remove("tag_id");
                    }
                    v
                })
                .collect();
            Ok(json!({"external_contact": c, "follow_user": follow_user, "next_cursor": ""}))
        }
        ("GET", "/cgi-bin/externalcontact/get_follow_user_list") => {
            if kind == "contacts" {
                return Err(err(48002, "api forbidden"));
            }
            // Members with the customer-contact feature: here, every member still employed.
            let ids: Vec<&String> = corp.users.keys().filter(|u| !corp.resigned.contains_key(*u)).collect();
            Ok(json!({"follow_user": ids}))
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
            let mut r: AddCorpTag = parse(body)?;
            if r.tag.iter().any(|t| t.name.trim().is_empty() || t.name.chars().count() > 30) {
                return Err(err(40058, "invalid tag name"));
            }
            // The same name twice in one request makes one tag.
            let mut names = std::collections::HashSet::new();
            r.tag.retain(|t| names.insert(t.name.clone()));
            let now = Utc::now().timestamp();
            let n = corp.tag_groups.iter().map(|g| g.tag.len() + 1).sum::<usize>();
            let tags: usize = corp.tag_groups.iter().map(|g| g.tag.len()).sum();
            if tags + r.tag.len() > MAX_CORP_TAGS {
                return Err(err(40126, "corp tags reach the limit of 3000"));
            }
            // All or nothing: refuse before anything changes.
            if let Some(g) = r
                .group_id
                .as_ref()
                .and_then(|id| corp.tag_groups.iter().find(|g| &g.group_id == id))
                .or_else(|| r.group_name.as_ref().and_then(|name| corp.tag_groups.iter().find(|g| &g.group_name == name)))
            {
                if r.tag.iter().any(|t| g.tag.iter().any(|x| x.name == t.name)) {
                    return Err(err(40071, "tag name existed"));
                }
            }
            let gi = match (&r.group_id, &r.group_name) {
                (Some(id), _) => corp.tag_groups.iter().position(|g| &g.group_id == id).ok_or_else(|| err(40068, "invalid tagid"))?,
                (None, Some(name)) => match corp.tag_groups.iter().position(|g| &g.group_name == name) {
                    Some(i) => i,
                    None => {
                        if r.tag.is_empty() {
                            return Err(err(40058, "a new group needs a tag"));
                        }
                        corp.tag_owners.insert(format!("etgroupn{n}"), kind.to_string());
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
                corp.tag_owners.insert(format!("ettagn{}", n + i), kind.to_string());
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
            if corp.strict.tag_ownership && corp.tag_owners.get(&r.id).is_none_or(|owner| owner != kind) {
                return Err(err(40068, "invalid tagid: the app may edit only the tags it created"));
            }
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
            if corp.strict.tag_ownership
                && r.tag_id.iter().chain(r.group_id.iter()).any(|id| corp.tag_owners.get(id).is_none_or(|owner| owner != kind))
            {
                return Err(err(40068, "invalid tagid: the app may delete only the tags it created"));
            }
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
            if r.add_tag.is_empty() && r.remove_tag.is_empty() {
                return Err(err(40058, "add_tag and remove_tag cannot both be empty"));
            }
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
                return Err(err(40130, "handover and takeover are the same"));
            }
            // The resigned API takes only members who left (40097 该成员尚未离职);
            // the on-job one only members who did not, and nobody hands over to a leaver.
            // WeCom's code for those two is not documented: 60111 stands in.
            let handover_left = corp.resigned.contains_key(&r.handover_userid);
            if resigned && !handover_left {
                return Err(err(40097, "handover member has not resigned"));
            }
            if (!resigned && handover_left) || corp.resigned.contains_key(&r.takeover_userid) {
                return Err(err(60111, "userid not found"));
            }
            let now = chrono::Utc::now().timestamp();
            let mut items = Vec::new();
            for ext in &r.external_userid {
                let related = corp.follows.iter().any(|(e, f)| e == ext && f.userid == r.handover_userid);
                let busy = corp.transfers.iter().any(|t| &t.external_userid == ext && t.status == 2);
                // On-job: a customer moves at most twice in 90 natural days.
                let recent = corp
                    .transfers
                    .iter()
                    .filter(|t| &t.external_userid == ext && !t.resigned && t.started_at > now - TRANSFER_WINDOW_SECS)
                    .count();
                let errcode = if !related {
                    40131
                } else if busy {
                    40129
                } else if !resigned && corp.strict.transfer_frequency && recent >= 2 {
                    40128
                } else {
                    0
                };
                if errcode == 0 {
                    // WeCom starts the flow; the customer is taken over after 24 h unless they refuse.
                    corp.transfers.push(crate::sandbox::world::Transfer {
                        external_userid: ext.clone(),
                        handover: r.handover_userid.clone(),
                        takeover: r.takeover_userid.clone(),
                        message: r.transfer_success_msg.clone(),
                        resigned,
                        started_at: now,
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
            let owners = req.owner_filter.map(|f| f.userid_list).filter(|l| !l.is_empty());
            match &owners {
                None if corp.strict.group_owner_filter && corp.users.len() > 1000 => {
                    return Err(err(81017, "owner_filter required: the visible range has over 1000 members"));
                }
                Some(l) if l.len() > 100 => return Err(err(40058, "owner_filter.userid_list takes at most 100 userids")),
                _ => {}
            }
            // A chat whose owner left waits for inheritance (status 1) until transferred.
            let status = |g: &GroupChat| if corp.resigned.contains_key(&g.owner) { 1 } else { 0 };
            let all: Vec<&GroupChat> = corp
                .group_chats
                .values()
                .filter(|g| owners.as_ref().is_none_or(|l| l.contains(&g.owner)))
                .filter(|g| req.status_filter == 0 || req.status_filter == status(g))
                .collect();
            let offset = cursor_offset(&req.cursor)?;
            let page: Vec<Value> =
                all.iter().skip(offset).take(req.limit as usize).map(|g| json!({"chat_id": g.chat_id, "status": status(g)})).collect();
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
                    failed.push(json!({"chat_id": chat, "errcode": 90501, "errmsg": "not a customer group chat"}));
                    continue;
                };
                // The resigned API takes only chats whose owner left (90500 群主并未离职);
                // the on-job one only the others (90502 群主已经离职).
                let owner_left = corp.resigned.contains_key(&g.owner);
                if resigned && !owner_left {
                    failed.push(json!({"chat_id": chat, "errcode": 90500, "errmsg": "owner has not resigned"}));
                    continue;
                }
                if !resigned && owner_left {
                    failed.push(json!({"chat_id": chat, "errcode": 90502, "errmsg": "owner has resigned"}));
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
            if let Some(previous) = corp.stale_groups.remove(&req.chat_id) {
                return Ok(json!({"group_chat": previous}));
            }
            let g = corp.group_chats.get(&req.chat_id).ok_or_else(|| err(40050, "chatid not found"))?;
            Ok(json!({"group_chat": g}))
        }
        _ => Err(err(404, "unknown path in the sandbox")),
    }
}
