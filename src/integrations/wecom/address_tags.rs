//! Address-book tags (通讯录标签, `tag/*`): labels on members and whole
//! departments. Not the customer corp tags of `externalcontact`. A tag
//! belongs to the app that created it; only that app (and, for console-made
//! tags, the contacts-sync secret) may rename, delete or change its members.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use super::{client::WecomClient, Credentials, SecretKind, WecomError};

/// `tag/list` row. WeCom's examples give `tagid` as a number, a public SDK
/// fixture as a string: both are read.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AddressTag {
    #[serde(deserialize_with = "number_or_string")]
    pub tagid: i64,
    pub tagname: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AddressTagUser {
    pub userid: String,
    #[serde(default)]
    pub name: String,
}

/// `tag/get`: the members WeCom shows the caller (its visible range only).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AddressTagDetail {
    #[serde(default)]
    pub tagname: String,
    #[serde(default)]
    pub userlist: Vec<AddressTagUser>,
    #[serde(default)]
    pub partylist: Vec<i64>,
}

/// `tag/addtagusers` / `tag/deltagusers` body; at most 1,000 members and
/// 100 departments a call, not both empty.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct AddressTagMembers {
    pub tagid: i64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub userlist: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub partylist: Vec<i64>,
}

/// What WeCom did not accept of a member change (the rest was applied).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct RefusedTagMembers {
    /// "u1|u2"
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invalidlist: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub invalidparty: Vec<i64>,
}

impl RefusedTagMembers {
    pub fn userids(&self) -> Vec<String> {
        self.invalidlist.as_deref().unwrap_or("").split('|').filter(|u| !u.is_empty()).map(str::to_string).collect()
    }
}

#[derive(Deserialize)]
struct TagList {
    #[serde(default)]
    taglist: Vec<AddressTag>,
}

#[derive(Deserialize)]
struct CreatedTag {
    #[serde(deserialize_with = "number_or_string")]
    tagid: i64,
}

fn number_or_string<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    match Value::deserialize(d)? {
        Value::Number(n) => n.as_i64().ok_or_else(|| serde::de::Error::custom("tagid out of range")),
        Value::String(s) => s.parse().map_err(serde::de::Error::custom),
        other => Err(serde::de::Error::custom(format!("tagid: {other}"))),
    }
}

impl WecomClient {
    pub async fn address_tag_list(&self, creds: &Credentials, kind: SecretKind) -> Result<Vec<AddressTag>, WecomError> {
        Ok(self.call::<(), TagList>(creds, kind, "/cgi-bin/tag/list", &[], None).await?.taglist)
    }

    pub async fn address_tag_get(&self, creds: &Credentials, kind: SecretKind, tagid: i64) -> Result<AddressTagDetail, WecomError> {
        self.call::<(), _>(creds, kind, "/cgi-bin/tag/get", &[("tagid", tagid.to_string())], None).await
    }

    /// The new tag's id; the calling app owns the tag.
    pub async fn address_tag_create(&self, creds: &Credentials, kind: SecretKind, tagname: &str) -> Result<i64, WecomError> {
        let body = serde_json::json!({ "tagname": tagname });
        Ok(self.call::<_, CreatedTag>(creds, kind, "/cgi-bin/tag/create", &[], Some(&body)).await?.tagid)
    }

    pub async fn address_tag_rename(&self, creds: &Credentials, kind: SecretKind, tagid: i64, tagname: &str) -> Result<(), WecomError> {
        let body = serde_json::json!({ "tagid": tagid, "tagname": tagname });
        self.call::<_, Value>(creds, kind, "/cgi-bin/tag/update", &[], Some(&body)).await.map(|_| ())
    }

    pub async fn address_tag_delete(&self, creds: &Credentials, kind: SecretKind, tagid: i64) -> Result<(), WecomError> {
        self.call::<(), Value>(creds, kind, "/cgi-bin/tag/delete", &[("tagid", tagid.to_string())], None).await.map(|_| ())
    }

    pub async fn address_tag_add_members(
        &self,
        creds: &Credentials,
        kind: SecretKind,
        body: &AddressTagMembers,
    ) -> Result<RefusedTagMembers, WecomError> {
        self.call(creds, kind, "/cgi-bin/tag/addtagusers", &[], Some(body)).await
    }

    pub async fn address_tag_remove_members(
        &self,
        creds: &Credentials,
        kind: SecretKind,
        body: &AddressTagMembers,
    ) -> Result<RefusedTagMembers, WecomError> {
        self.call(creds, kind, "/cgi-bin/tag/deltagusers", &[], Some(body)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_ids_come_as_numbers_or_strings() {
        let a: AddressTag = serde_json::from_str(r#"{"tagid":"7","tagname":"x"}"#).unwrap();
        let b: AddressTag = serde_json::from_str(r#"{"tagid":7,"tagname":"x"}"#).unwrap();
        assert_eq!(a, b);
        let r: RefusedTagMembers = serde_json::from_str(r#"{"errcode":0,"invalidlist":"u1|u2","invalidparty":[4]}"#).unwrap();
        assert_eq!(r.userids(), ["u1", "u2"]);
        assert_eq!(r.invalidparty, [4]);
    }
}
