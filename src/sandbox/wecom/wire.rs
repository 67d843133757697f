//! The shapes every sandbox answer shares: errors, success, request bodies,
//! cursors.

use serde_json::{json, Value};

/// Cursors are opaque to clients; here they carry an offset.
pub(super) fn next_cursor(offset: usize) -> String {
    format!("sbc{offset:x}")
}

pub(super) fn cursor_offset(cursor: &str) -> Result<usize, Value> {
    if cursor.is_empty() {
        return Ok(0);
    }
    cursor.strip_prefix("sbc").and_then(|h| usize::from_str_radix(h, 16).ok()).ok_or_else(|| err(50100, "invalid cursor"))
}

pub(in crate::sandbox) fn err(errcode: i64, errmsg: &str) -> Value {
    json!({"errcode": errcode, "errmsg": errmsg})
}

pub(in crate::sandbox) fn ok(mut v: Value) -> Value {
    v["errcode"] = json!(0);
    v["errmsg"] = json!("ok");
    v
}

pub(in crate::sandbox) fn parse<T: serde::de::DeserializeOwned>(body: Option<&Value>) -> Result<T, Value> {
    body.cloned().and_then(|b| serde_json::from_value(b).ok()).ok_or_else(|| err(40058, "invalid Request Parameter"))
}

pub(super) fn valid_department_name(name: &str) -> bool {
    let n = name.chars().count();
    (1..=64).contains(&n) && !name.chars().any(|c| "\\:*?\"<>|".contains(c))
}
