//! Validation of one value against its field, and its storage projection.

use chrono::DateTime;
use serde_json::Value;

use super::types::{FieldOption, FieldType};
use crate::error::{AppError, AppResult, Msg};

/// How a valid value is stored: the canonical JSON plus text and number
/// projections that filters compare against.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredValue {
    pub json: Value,
    pub text: Option<String>,
    pub num: Option<f64>,
}

const TEXT_MAX: usize = 200;
const LONG_TEXT_MAX: usize = 2000;

/// One reason for every way a value can miss its field; the message says which.
fn invalid(field: &str, zh: String, en: String) -> AppError {
    AppError::bad_input(field, Msg::owned("CUSTOM_FIELD_VALUE_INVALID", zh, en))
}

fn find_option<'a>(options: &'a [FieldOption], id: &str) -> Option<&'a FieldOption> {
    options.iter().find(|o| o.id == id)
}

/// Checks `value` against a field of `ty` named `name`; `path` is the input
/// path reported in `extensions.field`.
pub fn validate_value(ty: FieldType, name: &str, options: &[FieldOption], value: &Value, path: &str) -> AppResult<StoredValue> {
    let bad = |zh: &str, en: &str| invalid(path, format!("{name}：{zh}"), format!("{name}: {en}"));
    match ty {
        FieldType::SingleLineText | FieldType::MultiLineText => {
            let s = value.as_str().ok_or_else(|| bad("请输入文本", "expects text"))?;
            let max = if ty == FieldType::SingleLineText { TEXT_MAX } else { LONG_TEXT_MAX };
            if s.chars().count() > max {
                return Err(bad(&format!("不能超过{max}个字"), &format!("at most {max} characters")));
            }
            if ty == FieldType::SingleLineText && s.contains('\n') {
                return Err(bad("单行文本不能换行", "single-line text cannot contain line breaks"));
            }
            Ok(StoredValue { json: value.clone(), text: Some(s.to_string()), num: None })
        }
        FieldType::Phone => {
            let s = value.as_str().ok_or_else(|| bad("请输入电话号码", "expects a phone number"))?.trim();
            let digits = s.chars().filter(char::is_ascii_digit).count();
            let shape_ok = s.chars().enumerate().all(|(i, c)| c.is_ascii_digit() || c == '-' || c == ' ' || (i == 0 && c == '+'));
            if !shape_ok || !(5..=20).contains(&digits) {
                return Err(bad("电话号码格式不正确", "is not a valid phone number"));
            }
            Ok(StoredValue { json: Value::String(s.to_string()), text: Some(s.to_string()), num: None })
        }
        FieldType::Select => {
            let id = value.as_str().ok_or_else(|| bad("请选择一个选项", "expects one option id"))?;
            find_option(options, id).ok_or_else(|| bad("选项不存在", "unknown option"))?;
            Ok(StoredValue { json: value.clone(), text: Some(id.to_string()), num: None })
        }
        FieldType::MultiSelect => {
            let ids = value.as_array().ok_or_else(|| bad("请选择选项", "expects a list of option ids"))?;
            let mut seen = Vec::new();
            for v in ids {
                let id = v.as_str().ok_or_else(|| bad("选项不存在", "unknown option"))?;
                find_option(options, id).ok_or_else(|| bad("选项不存在", "unknown option"))?;
                if seen.contains(&id) {
                    return Err(bad("选项重复", "repeats an option"));
                }
                seen.push(id);
            }
            Ok(StoredValue { json: value.clone(), text: Some(format!(",{},", seen.join(","))), num: None })
        }
        FieldType::Cascade => {
            // A path from a root option down the tree.
            let ids = value.as_array().filter(|a| !a.is_empty()).ok_or_else(|| bad("请选择级联选项", "expects a path of option ids"))?;
            let mut level = options;
            let mut path_ids = Vec::new();
            for v in ids {
                let id = v.as_str().ok_or_else(|| bad("选项不存在", "unknown option"))?;
                let opt = find_option(level, id).ok_or_else(|| bad("级联路径无效", "is not a path in the option tree"))?;
                path_ids.push(id);
                level = &opt.children;
            }
            Ok(StoredValue { json: value.clone(), text: Some(format!(",{},", path_ids.join(","))), num: None })
        }
        FieldType::Datetime => {
            let s = value.as_str().ok_or_else(|| bad("请输入日期时间", "expects an RFC 3339 date-time"))?;
            let dt = DateTime::parse_from_rfc3339(s).map_err(|_| bad("日期时间格式不正确", "expects an RFC 3339 date-time"))?;
            let utc = dt.with_timezone(&chrono::Utc);
            Ok(StoredValue { json: Value::String(utc.to_rfc3339()), text: Some(utc.to_rfc3339()), num: Some(utc.timestamp() as f64) })
        }
        FieldType::Integer => {
            let n = value.as_i64().ok_or_else(|| bad("请输入整数", "expects an integer"))?;
            Ok(StoredValue { json: value.clone(), text: Some(n.to_string()), num: Some(n as f64) })
        }
        FieldType::Decimal => {
            let n = value.as_f64().filter(|n| n.is_finite()).ok_or_else(|| bad("请输入数字", "expects a number"))?;
            Ok(StoredValue { json: value.clone(), text: Some(n.to_string()), num: Some(n) })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn opts() -> Vec<FieldOption> {
        vec![
            FieldOption {
                id: "a".into(),
                label: "A".into(),
                is_default: true,
                children: vec![FieldOption { id: "a1".into(), label: "A1".into(), is_default: false, children: vec![] }],
            },
            FieldOption { id: "b".into(), label: "B".into(), is_default: false, children: vec![] },
        ]
    }

    #[test]
    fn each_type_accepts_its_shape_and_refuses_others() {
        let o = opts();
        let ok = |t, v: Value| validate_value(t, "f", &o, &v, "x").is_ok();
        assert!(ok(FieldType::SingleLineText, json!("hi")));
        assert!(!ok(FieldType::SingleLineText, json!("a\nb")));
        assert!(!ok(FieldType::SingleLineText, json!(3)));
        assert!(ok(FieldType::MultiLineText, json!("a\nb")));
        assert!(ok(FieldType::Select, json!("b")));
        assert!(!ok(FieldType::Select, json!("zzz")));
        assert!(ok(FieldType::MultiSelect, json!(["a", "b"])));
        assert!(!ok(FieldType::MultiSelect, json!(["a", "a"])));
        assert!(ok(FieldType::Cascade, json!(["a", "a1"])));
        assert!(!ok(FieldType::Cascade, json!(["b", "a1"])));
        assert!(ok(FieldType::Datetime, json!("2026-01-02T03:04:05+08:00")));
        assert!(!ok(FieldType::Datetime, json!("yesterday")));
        assert!(ok(FieldType::Integer, json!(42)));
        assert!(!ok(FieldType::Integer, json!(4.2)));
        assert!(ok(FieldType::Decimal, json!(4.2)));
        assert!(!ok(FieldType::Decimal, json!("4.2")));
        assert!(ok(FieldType::Phone, json!("+86 138-0000-0000")));
        assert!(!ok(FieldType::Phone, json!("call me")));
    }

    #[test]
    fn multi_select_is_stored_with_delimiters_for_contains_filters() {
        let v = validate_value(FieldType::MultiSelect, "f", &opts(), &json!(["a", "b"]), "x").unwrap();
        assert_eq!(v.text.as_deref(), Some(",a,b,"));
    }
}
