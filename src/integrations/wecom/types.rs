//! Wire types matching WeCom's documented JSON field for field. Enums stay
//! numbers as on the wire; optional fields are `Option` or defaulted.

use serde::{Deserialize, Serialize};

/// `errcode` / `errmsg` beside the business fields of every answer.
#[derive(Debug, Clone, Deserialize)]
pub struct Status {
    #[serde(default)]
    pub errcode: i64,
    #[serde(default)]
    pub errmsg: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TokenResponse {
    pub access_token: String,
    pub expires_in: i64,
}

/// `department/list` item.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Department {
    pub id: i64,
    pub name: String,
    #[serde(default)]
    pub parentid: i64,
    #[serde(default)]
    pub order: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_en: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub department_leader: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DepartmentList {
    #[serde(default)]
    pub department: Vec<Department>,
}

/// `department/simplelist`: ids and the tree only (what the contacts secret
/// still reads from a new server IP).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DepartmentIdList {
    #[serde(default)]
    pub department_id: Vec<DepartmentId>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DepartmentId {
    pub id: i64,
    #[serde(default)]
    pub parentid: i64,
    #[serde(default)]
    pub order: i64,
}

/// `user/list_id` body: cursor paging, 1–10000 rows a page.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserIdListRequest {
    pub cursor: String,
    pub limit: i64,
}

/// One row per (member, department).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserIdListPage {
    #[serde(default)]
    pub next_cursor: String,
    #[serde(default)]
    pub dept_user: Vec<DepartmentMember>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DepartmentMember {
    pub userid: String,
    pub department: i64,
}

/// `externalcontact/get_follow_user_list`: members with customer contact.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FollowUserList {
    #[serde(default)]
    pub follow_user: Vec<String>,
}

/// `department/create` body.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CreateDepartment {
    pub name: String,
    pub parentid: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CreatedId {
    pub id: i64,
}

/// `department/update` body.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct UpdateDepartment {
    pub id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parentid: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<i64>,
}

/// A member as `user/get` and `user/list` return it. `gender`: "0" unknown,
/// "1" male, "2" female. `status`: 1 activated, 2 disabled, 4 not activated, 5 left.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct User {
    pub userid: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub department: Vec<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub main_department: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mobile: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub telephone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserList {
    #[serde(default)]
    pub userlist: Vec<User>,
}

/// `user/create` and `user/update` body (update sends only what changes).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct WriteUser {
    pub userid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mobile: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department: Option<Vec<i64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub telephone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

/// `auth/getuserinfo`: a member has `userid` (older answers: `UserId`); a
/// non-member has `openid` instead.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CodeUserInfo {
    #[serde(default, alias = "UserId")]
    pub userid: Option<String>,
    #[serde(default, alias = "OpenId")]
    pub openid: Option<String>,
    #[serde(default)]
    pub user_ticket: Option<String>,
    /// Seconds `user_ticket` stays valid (1800).
    #[serde(default)]
    pub expires_in: Option<i64>,
}

/// `auth/getuserdetail`: what a member consented to share (OAuth scope
/// `snsapi_privateinfo`). Any field may be missing or empty.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct UserDetail {
    #[serde(default)]
    pub userid: String,
    /// "0" unknown, "1" male, "2" female (documented as a string; numbers accepted).
    #[serde(default, deserialize_with = "string_or_number", skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qr_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mobile: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub biz_mail: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

fn string_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<serde_json::Value>::deserialize(d)? {
        Some(serde_json::Value::String(s)) => Some(s),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

/// `message/send` body. `touser` is "a|b|c" or "@all".
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct AppMessage {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub touser: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub toparty: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub totag: Option<String>,
    pub msgtype: String,
    pub agentid: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<TextContent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub markdown: Option<TextContent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub textcard: Option<TextCard>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template_card: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub safe: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TextContent {
    pub content: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TextCard {
    pub title: String,
    pub description: String,
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub btntxt: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct SendResult {
    #[serde(default)]
    pub invaliduser: Option<String>,
    #[serde(default)]
    pub invalidparty: Option<String>,
    #[serde(default)]
    pub invalidtag: Option<String>,
    #[serde(default)]
    pub msgid: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_samples_parse() {
        // department/list sample shape.
        let v: DepartmentList = serde_json::from_str(
            r#"{"errcode":0,"errmsg":"ok","department":[{"id":2,"name":"广州研发中心","name_en":"RDGZ","department_leader":["zhangsan","lisi"],"parentid":1,"order":10}]}"#,
        )
        .unwrap();
        assert_eq!(v.department[0].parentid, 1);
        assert_eq!(v.department[0].department_leader.len(), 2);
        // user/get: gender and status as on the wire.
        let u: User = serde_json::from_str(
            r#"{"errcode":0,"errmsg":"ok","userid":"zhangsan","name":"张三","department":[1,2],"position":"后台工程师","mobile":"13800000000","gender":"1","email":"zhangsan@gzdev.com","status":1,"main_department":1}"#,
        )
        .unwrap();
        assert_eq!((u.gender.as_deref(), u.status), (Some("1"), Some(1)));
        // auth/getuserinfo in both spellings.
        let a: CodeUserInfo = serde_json::from_str(r#"{"errcode":0,"errmsg":"ok","userid":"USERID","user_ticket":"T"}"#).unwrap();
        let b: CodeUserInfo = serde_json::from_str(r#"{"errcode":0,"errmsg":"ok","UserId":"USERID","DeviceId":"D"}"#).unwrap();
        assert_eq!(a.userid, b.userid);
        // auth/getuserdetail: gender documented as a string, tolerated as a number.
        let d: UserDetail = serde_json::from_str(
            r#"{"errcode":0,"errmsg":"ok","userid":"lisi","gender":"1","avatar":"http://wx.qlogo.cn/mmopen/x/0","qr_code":"https://open.work.weixin.qq.com/wwopen/userQRCode?vcode=x","mobile":"13800000000","email":"zhangsan@gzdev.com","biz_mail":"zhangsan@qyycs2.wecom.work","address":"广州市海珠区新港中路"}"#,
        )
        .unwrap();
        assert_eq!((d.gender.as_deref(), d.mobile.as_deref()), (Some("1"), Some("13800000000")));
        let n: UserDetail = serde_json::from_str(r#"{"userid":"lisi","gender":2}"#).unwrap();
        assert_eq!((n.gender.as_deref(), n.email), (Some("2"), None));
    }

    #[test]
    fn a_text_message_serialises_as_documented() {
        let m = AppMessage {
            touser: Some("OPENID".into()),
            msgtype: "text".into(),
            agentid: 1,
            text: Some(TextContent { content: "sfsfdsdf".into() }),
            safe: Some(0),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"touser":"OPENID","msgtype":"text","agentid":1,"text":{"content":"sfsfdsdf"},"safe":0}"#
        );
    }
}

/// `external_contact` object (WeChat user type 1, WeCom user type 2).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct ExternalContact {
    pub external_userid: String,
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    #[serde(default, rename = "type")]
    pub contact_type: i32,
    #[serde(default)]
    pub gender: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unionid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corp_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corp_full_name: Option<String>,
}

/// `remark_mobiles` arrive as strings (current docs) or numbers (older samples).
fn mobiles<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let v: Vec<serde_json::Value> = Vec::deserialize(d)?;
    Ok(v.into_iter()
        .map(|m| match m {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        })
        .collect())
}

/// `follow_info` of `batch/get_by_user`: one employee's side.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct FollowInfo {
    pub userid: String,
    #[serde(default)]
    pub remark: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub createtime: i64,
    #[serde(default)]
    pub tag_id: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remark_corp_name: Option<String>,
    #[serde(default, deserialize_with = "mobiles")]
    pub remark_mobiles: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oper_userid: Option<String>,
    #[serde(default)]
    pub add_way: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ContactWithFollow {
    pub external_contact: ExternalContact,
    pub follow_info: FollowInfo,
}

/// `externalcontact/batch/get_by_user` body: ≤ 100 userids, limit ≤ 100.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BatchGetByUser {
    pub userid_list: Vec<String>,
    pub cursor: String,
    pub limit: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BatchGetByUserPage {
    #[serde(default)]
    pub external_contact_list: Vec<ContactWithFollow>,
    #[serde(default)]
    pub next_cursor: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CorpTag {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub create_time: i64,
    #[serde(default)]
    pub order: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CorpTagGroup {
    pub group_id: String,
    pub group_name: String,
    #[serde(default)]
    pub create_time: i64,
    #[serde(default)]
    pub order: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<bool>,
    #[serde(default)]
    pub tag: Vec<CorpTag>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct CorpTagFilter {
    #[serde(default)]
    pub tag_id: Vec<String>,
    #[serde(default)]
    pub group_id: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CorpTagList {
    #[serde(default)]
    pub tag_group: Vec<CorpTagGroup>,
}

/// `groupchat/list` body. `status_filter`: 0 all, 1 resigned-pending, 2 inheriting, 3 inherited.
/// `owner_filter` takes at most 100 owners; without it WeCom answers 81017
/// once the app's visible range passes 1,000 people.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GroupChatListRequest {
    pub status_filter: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_filter: Option<OwnerFilter>,
    pub cursor: String,
    pub limit: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OwnerFilter {
    pub userid_list: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GroupChatRef {
    pub chat_id: String,
    #[serde(default)]
    pub status: i32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GroupChatListPage {
    #[serde(default)]
    pub group_chat_list: Vec<GroupChatRef>,
    #[serde(default)]
    pub next_cursor: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct Invitor {
    pub userid: String,
}

/// A member: `type` 1 employee, 2 external; `join_scene` 1 direct invite, 2 link, 3 QR.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct GroupChatMember {
    pub userid: String,
    #[serde(rename = "type")]
    pub member_type: i32,
    #[serde(default)]
    pub join_time: i64,
    #[serde(default)]
    pub join_scene: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invitor: Option<Invitor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_nickname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unionid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct GroupChat {
    pub chat_id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub create_time: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
    #[serde(default)]
    pub member_list: Vec<GroupChatMember>,
    #[serde(default)]
    pub admin_list: Vec<Invitor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_version: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GroupChatDetail {
    pub group_chat: GroupChat,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GroupChatGet {
    pub chat_id: String,
    /// Optional in WeCom (default 0: no member names).
    #[serde(default)]
    pub need_name: i32,
}

#[cfg(test)]
mod external_tests {
    use super::*;

    #[test]
    fn batch_get_by_user_sample_parses_with_numeric_or_string_mobiles() {
        let page: BatchGetByUserPage = serde_json::from_str(
            r#"{"errcode":0,"errmsg":"ok","external_contact_list":[{"external_contact":{"external_userid":"woAJ2GCAAAXtWyujaWJHDDGi0mACHAAA","name":"李四","position":"Manager","avatar":"http://p.qlogo.cn/x/0","corp_name":"腾讯","corp_full_name":"腾讯科技有限公司","type":2,"gender":1,"unionid":"ozynqsulJFCZ2z1aYeS8h-nuasdAAA"},
              "follow_info":{"userid":"rocky","remark":"李部长","description":"对接采购事务","createtime":1525779812,"tag_id":["etAJ2GCAAAXtWyujaWJHDDGi0mACHAAA"],"remark_corp_name":"腾讯科技","remark_mobiles":[10000000003,"10000000004"],"oper_userid":"rocky","add_way":1,"state":"外联二维码1"}}],"next_cursor":"r9FqSqsI8fgNbHLHE5QoCP50UIg2cFQbfma3l2QsmwI"}"#,
        )
        .unwrap();
        let c = &page.external_contact_list[0];
        assert_eq!(c.external_contact.contact_type, 2);
        assert_eq!(c.follow_info.remark_mobiles, vec!["10000000003", "10000000004"]);
        assert_eq!(c.follow_info.state.as_deref(), Some("外联二维码1"));
        assert!(!page.next_cursor.is_empty());
    }

    #[test]
    fn groupchat_get_sample_parses() {
        let d: GroupChatDetail = serde_json::from_str(
            r#"{"errcode":0,"errmsg":"ok","group_chat":{"chat_id":"wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA","name":"销售客服群","owner":"ZhuShengBen","create_time":1572505490,"notice":"文明沟通，拒绝脏话",
              "member_list":[{"userid":"abel","type":1,"join_time":1572505491,"join_scene":1,"invitor":{"userid":"jack"},"group_nickname":"客服小张","name":"张三丰"},
                             {"userid":"sam","type":1,"join_time":1572505491,"join_scene":1},
                             {"userid":"wmOgQhDgAAuXFJGwbve4g4iyTAAAAA","type":2,"unionid":"ozynqsulJFCZ2z1aYeS8h-nuasdAAA","join_time":1572505491,"join_scene":1,"group_nickname":"顾客","name":"顾客"}],
              "admin_list":[{"userid":"sam"},{"userid":"pony"}],"member_version":"71217227bbd112ecfe3a49c482195cb4"}}"#,
        )
        .unwrap();
        assert_eq!(d.group_chat.member_list.len(), 3);
        assert_eq!(d.group_chat.member_list[2].member_type, 2);
        assert_eq!(d.group_chat.member_list[0].invitor.as_ref().unwrap().userid, "jack");
    }

    #[test]
    fn corp_tag_list_sample_parses() {
        let l: CorpTagList = serde_json::from_str(
            r#"{"errcode":0,"errmsg":"ok","tag_group":[{"group_id":"TAG_GROUPID1","group_name":"GOURP_NAME","create_time":1557838797,"order":1,"deleted":false,
              "tag":[{"id":"TAG_ID1","name":"NAME1","create_time":1557838797,"order":1,"deleted":false},{"id":"TAG_ID2","name":"NAME2","create_time":1557838797,"order":2,"deleted":true}]}]}"#,
        )
        .unwrap();
        assert_eq!(l.tag_group[0].tag[1].deleted, Some(true));
    }
}

/// A tag on a `follow_user` of `externalcontact/get` (type 1 corp tag, 2 personal, 3 rule-group).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct FollowTag {
    #[serde(default)]
    pub group_name: String,
    #[serde(default)]
    pub tag_name: String,
    #[serde(default, rename = "type")]
    pub tag_type: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag_id: Option<String>,
}

/// `follow_user` item of `externalcontact/get`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct FollowUser {
    pub userid: String,
    #[serde(default)]
    pub remark: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub createtime: i64,
    #[serde(default)]
    pub tags: Vec<FollowTag>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remark_corp_name: Option<String>,
    #[serde(default, deserialize_with = "mobiles")]
    pub remark_mobiles: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oper_userid: Option<String>,
    #[serde(default)]
    pub add_way: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

impl FollowUser {
    /// The `batch/get_by_user` shape of the same relation (corp tags only).
    pub fn to_follow_info(&self) -> FollowInfo {
        FollowInfo {
            userid: self.userid.clone(),
            remark: self.remark.clone(),
            description: self.description.clone(),
            createtime: self.createtime,
            tag_id: self.tags.iter().filter(|t| t.tag_type == 1).filter_map(|t| t.tag_id.clone()).collect(),
            remark_corp_name: self.remark_corp_name.clone(),
            remark_mobiles: self.remark_mobiles.clone(),
            oper_userid: self.oper_userid.clone(),
            add_way: self.add_way,
            state: self.state.clone(),
        }
    }
}

/// `externalcontact/get` answer (follow_user may be paged by `next_cursor`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExternalContactDetail {
    pub external_contact: ExternalContact,
    #[serde(default)]
    pub follow_user: Vec<FollowUser>,
    #[serde(default)]
    pub next_cursor: String,
}

/// `appchat/create` body: an employee-only group chat owned by the app.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AppChatCreate {
    pub name: String,
    pub owner: String,
    pub userlist: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chatid: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AppChatCreated {
    pub chatid: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MediaRef {
    pub media_id: String,
}

/// `appchat/send` body.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct AppChatSend {
    pub chatid: String,
    pub msgtype: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<TextContent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<MediaRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub video: Option<MediaRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub safe: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExternalUserIds {
    #[serde(default)]
    pub external_userid: Vec<String>,
}

/// `externalcontact/remark` body.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct RemarkRequest {
    pub userid: String,
    pub external_userid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remark_company: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remark_mobiles: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NewTag {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<i64>,
}

/// `add_corp_tag` body: into `group_id`, or a new group `group_name` (which needs ≥ 1 tag).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct AddCorpTag {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<i64>,
    pub tag: Vec<NewTag>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agentid: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AddedCorpTags {
    pub tag_group: CorpTagGroup,
}

/// `edit_corp_tag` body: `id` is a tag id or a group id.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct EditCorpTag {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agentid: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct DelCorpTag {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tag_id: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub group_id: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agentid: Option<i64>,
}

/// `transfer_customer` body (on-job transfer, INH-2).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct TransferCustomer {
    pub handover_userid: String,
    pub takeover_userid: String,
    /// At most 100.
    pub external_userid: Vec<String>,
    /// What the customer is told (at most 200 characters); WeCom's default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_success_msg: Option<String>,
}

/// One customer of a `transfer_customer` answer: errcode 0 means the flow started.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TransferCustomerItem {
    pub external_userid: String,
    pub errcode: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct TransferCustomerResult {
    #[serde(default)]
    pub customer: Vec<TransferCustomerItem>,
}

/// `get_unassigned_list` body.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct UnassignedListRequest {
    #[serde(default)]
    pub cursor: String,
    /// At most 1000; WeCom takes 1000 when it is missing.
    #[serde(default = "default_unassigned_page_size")]
    pub page_size: i64,
}

fn default_unassigned_page_size() -> i64 {
    1000
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct UnassignedInfo {
    pub handover_userid: String,
    pub external_userid: String,
    /// Unix seconds.
    pub dimission_time: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct UnassignedPage {
    #[serde(default)]
    pub info: Vec<UnassignedInfo>,
    #[serde(default)]
    pub is_last: bool,
    #[serde(default)]
    pub next_cursor: String,
}

/// `transfer_result` / `resigned/transfer_result` body.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct TransferResultRequest {
    pub handover_userid: String,
    pub takeover_userid: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cursor: String,
}

/// Status: 1 taken over, 2 waiting, 3 refused by the customer, 4 the receiver's limit reached, 5 no record.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct TransferResultItem {
    pub external_userid: String,
    pub status: i64,
    #[serde(default)]
    pub takeover_time: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct TransferResultPage {
    #[serde(default)]
    pub customer: Vec<TransferResultItem>,
    #[serde(default)]
    pub next_cursor: String,
}

/// `groupchat/transfer` (resigned owner) and `groupchat/onjob_transfer` body.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct GroupChatTransfer {
    /// At most 100.
    pub chat_id_list: Vec<String>,
    pub new_owner: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct FailedChat {
    pub chat_id: String,
    pub errcode: i64,
    #[serde(default)]
    pub errmsg: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct GroupChatTransferResult {
    #[serde(default)]
    pub failed_chat_list: Vec<FailedChat>,
}

/// `mark_tag` body.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct MarkTag {
    pub userid: String,
    pub external_userid: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub add_tag: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remove_tag: Vec<String>,
}
