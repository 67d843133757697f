//! The WeCom events the sandbox can generate: for each, the sandbox first
//! changes its own data as WeCom would, then the callback says what changed
//! (WeCom's callbacks are hints; the server reads the truth back). One per
//! event the server handles (the `change_contact`, `change_external_contact`,
//! `change_external_chat` and `change_external_tag` families), plus `raw`.

use chrono::Utc;
use serde::Deserialize;

use super::world::SandboxCorp;
use crate::integrations::wecom::types::{self, GroupChatMember};

/// A WeCom event to simulate.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// A member joined the corp (`change_contact` / `create_user`).
    CreateUser { userid: String, name: String, department: i64 },
    /// A member's name or departments changed (`update_user`).
    UpdateUser { userid: String, name: Option<String>, department: Option<i64> },
    /// A member left (`delete_user`); their relations stay until inherited.
    DeleteUser { userid: String },
    /// A department was created (`create_party`).
    CreateParty { id: i64, name: String, parent_id: i64 },
    /// A department was renamed (`update_party`).
    UpdateParty { id: i64, name: String },
    /// A department was deleted (`delete_party`).
    DeleteParty { id: i64 },
    /// A customer added an employee (through a live code with `state`); the
    /// employee's remark mobiles for the customer, if they noted any.
    AddExternalContact {
        userid: String,
        external_userid: String,
        name: String,
        state: Option<String>,
        #[serde(default)]
        remark_mobiles: Vec<String>,
    },
    /// The employee edited the customer's remark (`edit_external_contact`).
    EditExternalContact { userid: String, external_userid: String, remark: String },
    /// The employee deleted the customer (`del_external_contact`).
    DelExternalContact { userid: String, external_userid: String },
    /// The customer deleted the employee (`del_follow_user`).
    DelFollowUser { userid: String, external_userid: String },
    /// A waiting transfer ended without the takeover (`transfer_fail`):
    /// the customer refused, or the receiver's limit was reached.
    TransferFail { userid: String, external_userid: String, customer_refused: bool },
    /// The customer agreed to chat archiving (`msg_audit_approved`).
    MsgAuditApproved { userid: String, external_userid: String },
    /// A customer joined a group chat (`change_external_chat` / `update` / `add_member`).
    AddGroupMember { chat_id: String, external_userid: String, join_scene: i32 },
    /// The group was renamed (`update` / `change_name`).
    RenameGroup { chat_id: String, name: String },
    /// The owner dismissed the group (`dismiss`).
    DismissGroup { chat_id: String },
    /// A corp tag was renamed in the admin console (`change_external_tag` / `update`).
    RenameCorpTag { tag_id: String, name: String },
    /// A corp tag was deleted in the admin console (`change_external_tag` / `delete`).
    DeleteCorpTag { tag_id: String },
    /// Members or departments joined or left an address-book tag
    /// (`change_contact` / `update_tag`).
    UpdateAddressTag {
        tag_id: i64,
        #[serde(default)]
        add_users: Vec<String>,
        #[serde(default)]
        del_users: Vec<String>,
        #[serde(default)]
        add_parties: Vec<i64>,
        #[serde(default)]
        del_parties: Vec<i64>,
    },
    /// Any event, as plaintext XML.
    Raw { xml: String },
}

fn envelope(corp: &str, body: &str) -> String {
    format!(
        "<xml><ToUserName><![CDATA[{corp}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>{}</CreateTime><MsgType><![CDATA[event]]></MsgType>{body}</xml>",
        Utc::now().timestamp()
    )
}

fn contact_event(change: &str, userid: &str, external_userid: &str, extra: &str) -> String {
    format!(
        "<Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[{change}]]></ChangeType><UserID><![CDATA[{userid}]]></UserID><ExternalUserID><![CDATA[{external_userid}]]></ExternalUserID>{extra}"
    )
}

fn chat_event(chat_id: &str, change: &str, extra: &str) -> String {
    format!("<Event><![CDATA[change_external_chat]]></Event><ChatId><![CDATA[{chat_id}]]></ChatId><ChangeType><![CDATA[{change}]]></ChangeType>{extra}")
}

/// Changes `corp` as the event says and returns the callback's plaintext,
/// or why the event cannot happen (an unknown member, contact, chat or tag).
pub fn apply(corp: &mut SandboxCorp, event: Event) -> Result<String, String> {
    let now = Utc::now().timestamp();
    let id = corp.corp_id.clone();
    let body = match event {
        Event::CreateUser { userid, name, department } => {
            if !corp.departments.contains_key(&department) {
                return Err(format!("no department {department}"));
            }
            let user = types::User {
                userid: userid.clone(),
                name,
                department: vec![department],
                main_department: Some(department),
                status: Some(1),
                ..Default::default()
            };
            corp.users.insert(userid.clone(), user);
            format!("<Event><![CDATA[change_contact]]></Event><ChangeType><![CDATA[create_user]]></ChangeType><UserID><![CDATA[{userid}]]></UserID>")
        }
        Event::UpdateUser { userid, name, department } => {
            let user = corp.users.get_mut(&userid).ok_or_else(|| format!("no member {userid}"))?;
            if let Some(n) = name {
                user.name = n;
            }
            if let Some(d) = department {
                user.department = vec![d];
                user.main_department = Some(d);
            }
            format!("<Event><![CDATA[change_contact]]></Event><ChangeType><![CDATA[update_user]]></ChangeType><UserID><![CDATA[{userid}]]></UserID>")
        }
        Event::DeleteUser { userid } => {
            if !corp.users.contains_key(&userid) {
                return Err(format!("no member {userid}"));
            }
            corp.resign(&userid, now);
            format!("<Event><![CDATA[change_contact]]></Event><ChangeType><![CDATA[delete_user]]></ChangeType><UserID><![CDATA[{userid}]]></UserID>")
        }
        Event::CreateParty { id: dept, name, parent_id } => {
            if !corp.departments.contains_key(&parent_id) || corp.departments.contains_key(&dept) {
                return Err(format!("no parent {parent_id}, or department {dept} exists"));
            }
            let d =
                types::Department { id: dept, name: name.clone(), parentid: parent_id, order: 0, name_en: None, department_leader: vec![] };
            corp.departments.insert(dept, d);
            format!("<Event><![CDATA[change_contact]]></Event><ChangeType><![CDATA[create_party]]></ChangeType><Id>{dept}</Id><Name><![CDATA[{name}]]></Name><ParentId>{parent_id}</ParentId>")
        }
        Event::UpdateParty { id: dept, name } => {
            corp.departments.get_mut(&dept).ok_or_else(|| format!("no department {dept}"))?.name = name.clone();
            format!("<Event><![CDATA[change_contact]]></Event><ChangeType><![CDATA[update_party]]></ChangeType><Id>{dept}</Id><Name><![CDATA[{name}]]></Name>")
        }
        Event::DeleteParty { id: dept } => {
            // WeCom deletes only an empty department (60006 / 60005 otherwise).
            let has_children = corp.departments.values().any(|d| d.parentid == dept);
            let has_members = corp.users.values().any(|u| u.department.contains(&dept));
            if has_children || has_members {
                return Err(format!("department {dept} is not empty"));
            }
            corp.departments.remove(&dept).ok_or_else(|| format!("no department {dept}"))?;
            format!("<Event><![CDATA[change_contact]]></Event><ChangeType><![CDATA[delete_party]]></ChangeType><Id>{dept}</Id>")
        }
        Event::AddExternalContact { userid, external_userid, name, state, remark_mobiles } => {
            corp.add_contact(&external_userid, &name, &userid, now, state.clone());
            if let Some((_, f)) = corp.follows.iter_mut().rev().find(|(e, f)| *e == external_userid && f.userid == userid) {
                f.remark_mobiles = remark_mobiles;
            }
            let extra =
                format!("<State><![CDATA[{}]]></State><WelcomeCode><![CDATA[sandbox-welcome]]></WelcomeCode>", state.unwrap_or_default());
            contact_event("add_external_contact", &userid, &external_userid, &extra)
        }
        Event::EditExternalContact { userid, external_userid, remark } => {
            let (_, follow) = corp
                .follows
                .iter_mut()
                .find(|(e, f)| *e == external_userid && f.userid == userid)
                .ok_or_else(|| format!("{userid} does not follow {external_userid}"))?;
            follow.remark = remark;
            contact_event("edit_external_contact", &userid, &external_userid, "")
        }
        Event::DelExternalContact { userid, external_userid } => {
            corp.follows.retain(|(e, f)| !(*e == external_userid && f.userid == userid));
            contact_event("del_external_contact", &userid, &external_userid, "")
        }
        Event::DelFollowUser { userid, external_userid } => {
            corp.follows.retain(|(e, f)| !(*e == external_userid && f.userid == userid));
            contact_event("del_follow_user", &userid, &external_userid, "")
        }
        Event::TransferFail { userid, external_userid, customer_refused } => {
            let transfer = corp
                .transfers
                .iter_mut()
                .find(|t| t.external_userid == external_userid && t.takeover == userid && t.status == 2)
                .ok_or_else(|| format!("no waiting transfer of {external_userid} to {userid}"))?;
            // transfer_result's status: 3 refused by the customer, 4 receiver's limit reached.
            transfer.status = if customer_refused { 3 } else { 4 };
            let reason = if customer_refused { "customer_refused" } else { "customer_limit_exceed" };
            contact_event("transfer_fail", &userid, &external_userid, &format!("<FailReason><![CDATA[{reason}]]></FailReason>"))
        }
        Event::MsgAuditApproved { userid, external_userid } => contact_event("msg_audit_approved", &userid, &external_userid, ""),
        Event::AddGroupMember { chat_id, external_userid, join_scene } => {
            let member = GroupChatMember { userid: external_userid, member_type: 2, join_time: now, join_scene, ..Default::default() };
            let (last, current) =
                corp.change_group_members(&chat_id, |g| g.member_list.push(member)).ok_or_else(|| format!("no chat {chat_id}"))?;
            let extra = format!(
                "<UpdateDetail><![CDATA[add_member]]></UpdateDetail><JoinScene>{join_scene}</JoinScene><MemChangeCnt>1</MemChangeCnt><LastMemVer><![CDATA[{last}]]></LastMemVer><CurMemVer><![CDATA[{current}]]></CurMemVer>"
            );
            chat_event(&chat_id, "update", &extra)
        }
        Event::RenameGroup { chat_id, name } => {
            corp.group_chats.get_mut(&chat_id).ok_or_else(|| format!("no chat {chat_id}"))?.name = name;
            chat_event(&chat_id, "update", "<UpdateDetail><![CDATA[change_name]]></UpdateDetail>")
        }
        Event::DismissGroup { chat_id } => {
            corp.group_chats.remove(&chat_id).ok_or_else(|| format!("no chat {chat_id}"))?;
            chat_event(&chat_id, "dismiss", "")
        }
        Event::RenameCorpTag { tag_id, name } => {
            let tag = corp
                .tag_groups
                .iter_mut()
                .flat_map(|g| g.tag.iter_mut())
                .find(|t| t.id == tag_id)
                .ok_or_else(|| format!("no tag {tag_id}"))?;
            tag.name = name;
            format!("<Event><![CDATA[change_external_tag]]></Event><Id><![CDATA[{tag_id}]]></Id><TagType><![CDATA[tag]]></TagType><ChangeType><![CDATA[update]]></ChangeType>")
        }
        Event::DeleteCorpTag { tag_id } => {
            let before: usize = corp.tag_groups.iter().map(|g| g.tag.len()).sum();
            for g in corp.tag_groups.iter_mut() {
                g.tag.retain(|t| t.id != tag_id);
            }
            if corp.tag_groups.iter().map(|g| g.tag.len()).sum::<usize>() == before {
                return Err(format!("no tag {tag_id}"));
            }
            for (_, f) in corp.follows.iter_mut() {
                f.tag_id.retain(|t| *t != tag_id);
            }
            format!("<Event><![CDATA[change_external_tag]]></Event><Id><![CDATA[{tag_id}]]></Id><TagType><![CDATA[tag]]></TagType><ChangeType><![CDATA[delete]]></ChangeType>")
        }
        Event::UpdateAddressTag { tag_id, add_users, del_users, add_parties, del_parties } => {
            if add_users.iter().chain(&del_users).any(|u| !corp.users.contains_key(u))
                || add_parties.iter().chain(&del_parties).any(|d| !corp.departments.contains_key(d))
            {
                return Err("unknown member or department".into());
            }
            let tag = corp.address_tags.get_mut(&tag_id).ok_or_else(|| format!("no address-book tag {tag_id}"))?;
            tag.users.extend(add_users.iter().cloned());
            tag.parties.extend(add_parties.iter().copied());
            for u in &del_users {
                tag.users.remove(u);
            }
            for d in &del_parties {
                tag.parties.remove(d);
            }
            let ids = |v: &[i64]| v.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
            format!(
                "<Event><![CDATA[change_contact]]></Event><ChangeType><![CDATA[update_tag]]></ChangeType><TagId>{tag_id}</TagId><AddUserItems><![CDATA[{}]]></AddUserItems><DelUserItems><![CDATA[{}]]></DelUserItems><AddPartyItems><![CDATA[{}]]></AddPartyItems><DelPartyItems><![CDATA[{}]]></DelPartyItems>",
                add_users.join(","),
                del_users.join(","),
                ids(&add_parties),
                ids(&del_parties)
            )
        }
        Event::Raw { xml } => return Ok(xml),
    };
    Ok(envelope(&id, &body))
}
