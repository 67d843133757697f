//! Address-book tags (`tag/*`) as WeCom answers them: the creating app owns
//! a tag (81011 for any other; the contacts-sync secret may also manage
//! console-made tags), names are unique and 1–32 characters, member changes
//! take ≤1,000 members and ≤100 departments and report the ones WeCom did
//! not know instead of failing, unless none was valid.

use std::collections::BTreeMap;

use axum::http::Method;
use serde_json::{json, Value};

use super::wire::{err, parse};
use crate::integrations::wecom::address_tags::AddressTagMembers;
use crate::sandbox::world::{AddressBookTag, SandboxCorp};

/// Members plus departments one tag may hold (81003 past it).
const MAX_TAG_NODES: usize = 30_000;

impl SandboxCorp {
    /// A tag made in the admin console (the contacts-sync secret may manage it, apps may not).
    pub fn console_address_tag(&mut self, name: &str, users: &[&str], parties: &[i64]) -> i64 {
        let id = self.address_tags.keys().last().copied().unwrap_or(0) + 1;
        let tag = AddressBookTag {
            name: name.to_string(),
            owner: "console".into(),
            users: users.iter().map(|u| u.to_string()).collect(),
            parties: parties.iter().copied().collect(),
        };
        self.address_tags.insert(id, tag);
        id
    }
}

fn may_manage(corp: &SandboxCorp, tag: &AddressBookTag, kind: &str) -> bool {
    !corp.strict.tag_ownership || tag.owner == kind || (tag.owner == "console" && kind == "contacts")
}

fn valid_name(corp: &SandboxCorp, name: &str, except: Option<i64>) -> Result<(), Value> {
    if !(1..=32).contains(&name.chars().count()) {
        return Err(err(40072, "invalid tagname length"));
    }
    if corp.address_tags.iter().any(|(id, t)| t.name == name && Some(*id) != except) {
        return Err(err(40071, "invalid tagname: exists"));
    }
    Ok(())
}

fn tag_id(v: Option<&Value>) -> Option<i64> {
    v.and_then(|v| v.as_i64().or_else(|| v.as_str().and_then(|s| s.parse().ok())))
}

pub(super) fn handle(
    corp: &mut SandboxCorp,
    kind: &str,
    method: &Method,
    path: &str,
    q: &BTreeMap<String, String>,
    body: Option<&Value>,
) -> Result<Value, Value> {
    // Tags are the directory's: the contacts-sync secret or a self-built app.
    if kind != "contacts" && kind != "agent" {
        return Err(err(48002, "api forbidden"));
    }
    let body_tag = || tag_id(body.and_then(|b| b.get("tagid"))).ok_or_else(|| err(41017, "missing tagid"));
    let query_tag = || q.get("tagid").and_then(|t| t.parse::<i64>().ok()).ok_or_else(|| err(41017, "missing tagid"));
    match (method.as_str(), path) {
        ("GET", "/cgi-bin/tag/list") => {
            let list: Vec<Value> = corp.address_tags.iter().map(|(id, t)| json!({"tagid": id, "tagname": t.name})).collect();
            Ok(json!({"taglist": list}))
        }
        ("GET", "/cgi-bin/tag/get") => {
            let t = corp.address_tags.get(&query_tag()?).ok_or_else(|| err(40068, "invalid tagid"))?;
            let users: Vec<Value> = t
                .users
                .iter()
                .map(|u| json!({"userid": u, "name": corp.users.get(u).map(|x| x.name.clone()).unwrap_or_default()}))
                .collect();
            Ok(json!({"tagname": t.name, "userlist": users, "partylist": t.parties}))
        }
        ("POST", "/cgi-bin/tag/create") => {
            let name = body.and_then(|b| b.get("tagname")).and_then(Value::as_str).ok_or_else(|| err(41018, "missing tagname"))?;
            valid_name(corp, name, None)?;
            let id = match tag_id(body.and_then(|b| b.get("tagid"))) {
                Some(id) if corp.address_tags.contains_key(&id) => return Err(err(40068, "invalid tagid: exists")),
                Some(id) => id,
                None => corp.address_tags.keys().last().copied().unwrap_or(0) + 1,
            };
            let tag = AddressBookTag { name: name.to_string(), owner: kind.to_string(), ..Default::default() };
            corp.address_tags.insert(id, tag);
            Ok(json!({"tagid": id}))
        }
        ("POST", "/cgi-bin/tag/update") => {
            let id = body_tag()?;
            let name = body.and_then(|b| b.get("tagname")).and_then(Value::as_str).ok_or_else(|| err(41018, "missing tagname"))?;
            let t = corp.address_tags.get(&id).ok_or_else(|| err(40068, "invalid tagid"))?;
            if !may_manage(corp, t, kind) {
                return Err(err(81011, "no privilege to access/modify tag"));
            }
            valid_name(corp, name, Some(id))?;
            if let Some(t) = corp.address_tags.get_mut(&id) {
                t.name = name.to_string();
            }
            Ok(json!({}))
        }
        ("GET", "/cgi-bin/tag/delete") => {
            let id = query_tag()?;
            let t = corp.address_tags.get(&id).ok_or_else(|| err(40068, "invalid tagid"))?;
            if !may_manage(corp, t, kind) {
                return Err(err(81011, "no privilege to access/modify tag"));
            }
            corp.address_tags.remove(&id);
            Ok(json!({}))
        }
        ("POST", "/cgi-bin/tag/addtagusers" | "/cgi-bin/tag/deltagusers") => {
            let adding = path.ends_with("addtagusers");
            let req: AddressTagMembers = parse(body)?;
            let t = corp.address_tags.get(&req.tagid).ok_or_else(|| err(40068, "invalid tagid"))?;
            if !may_manage(corp, t, kind) {
                return Err(err(81011, "no privilege to access/modify tag"));
            }
            if req.userlist.len() > 1000 || req.partylist.len() > 100 {
                return Err(err(81014, "too many members or departments in one call"));
            }
            let (users, unknown_users): (Vec<&String>, Vec<&String>) = req.userlist.iter().partition(|u| corp.users.contains_key(*u));
            let (parties, unknown_parties): (Vec<i64>, Vec<i64>) = req.partylist.iter().partition(|p| corp.departments.contains_key(p));
            // Both lists empty counts as "none valid" (WeCom's code for it is not published).
            if users.is_empty() && parties.is_empty() {
                return Err(if adding { err(40070, "all tag members invalid") } else { err(40031, "all tag members invalid") });
            }
            let t = corp.address_tags.get_mut(&req.tagid).ok_or_else(|| err(40068, "invalid tagid"))?;
            if adding {
                let grown = t.users.len()
                    + t.parties.len()
                    + users.iter().filter(|u| !t.users.contains(**u)).count()
                    + parties.iter().filter(|p| !t.parties.contains(*p)).count();
                if grown > MAX_TAG_NODES {
                    return Err(err(81003, "tag member count exceeds the limit"));
                }
                t.users.extend(users.into_iter().cloned());
                t.parties.extend(parties);
            } else {
                for u in users {
                    t.users.remove(u);
                }
                for p in parties {
                    t.parties.remove(&p);
                }
            }
            let mut out = json!({});
            if !unknown_users.is_empty() {
                out["invalidlist"] = json!(unknown_users.iter().map(|u| u.as_str()).collect::<Vec<_>>().join("|"));
            }
            if !unknown_parties.is_empty() {
                out["invalidparty"] = json!(unknown_parties);
            }
            Ok(out)
        }
        _ => Err(err(404, "unknown path in the sandbox")),
    }
}
