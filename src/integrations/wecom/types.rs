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
