//! Form components (MAT-12). SPEC leaves the catalogue open; these are the
//! components every H5 form builder offers: TEXT, TEXTAREA, PHONE, NUMBER,
//! DATE, SELECT and MULTI_SELECT, each with an `id` unique in the form, a
//! `label`, `required`, and for the selects their `options`. A PHONE answer
//! is a mainland mobile number and feeds the phone submitters list (EMP-6).

use std::collections::HashSet;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::{AppError, AppResult, Msg};

const COMPONENT_INVALID: Msg = Msg::new(
    "FORM_COMPONENT_INVALID",
    "表单组件格式不正确：每个组件需有唯一的id、标签和类型，单选和多选需有选项",
    "A form component is malformed: each needs a unique id, a label and a type, and selects need options",
);
const ANSWER_REQUIRED: Msg = Msg::new("FORM_ANSWER_REQUIRED", "请填写必填项", "Fill in the required fields");
const ANSWER_INVALID: Msg = Msg::new("FORM_ANSWER_INVALID", "填写内容格式不正确", "An answer is not in the expected format");
const PHONE_INVALID: Msg = Msg::new("FORM_PHONE_INVALID", "请填写正确的手机号", "Enter a valid mobile number");

pub const KINDS: [&str; 7] = ["TEXT", "TEXTAREA", "PHONE", "NUMBER", "DATE", "SELECT", "MULTI_SELECT"];

#[derive(Deserialize, Clone, Debug)]
pub struct Component {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub label: String,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub options: Vec<String>,
}

/// A form's components, checked.
pub fn schema(content: &Value) -> AppResult<Vec<Component>> {
    let bad = || AppError::bad_input("content", COMPONENT_INVALID);
    let raw = content.get("components").cloned().ok_or_else(bad)?;
    let components: Vec<Component> = serde_json::from_value(raw).map_err(|_| bad())?;
    let mut ids = HashSet::new();
    let ok = !components.is_empty()
        && components.iter().all(|c| {
            !c.id.trim().is_empty()
                && ids.insert(c.id.clone())
                && !c.label.trim().is_empty()
                && KINDS.contains(&c.kind.as_str())
                && (!c.kind.ends_with("SELECT") || !c.options.is_empty())
        });
    ok.then_some(components).ok_or_else(bad)
}

fn is_mobile(s: &str) -> bool {
    s.len() == 11 && s.starts_with('1') && s.bytes().all(|b| b.is_ascii_digit())
}

/// Checked answers: only the form's components, required ones present, each
/// of its component's shape; and the phone answer, if any.
pub fn answers(components: &[Component], given: &Value) -> AppResult<(Map<String, Value>, Option<String>)> {
    let given = given.as_object().ok_or_else(|| AppError::bad_input("answers", ANSWER_INVALID))?;
    let mut kept = Map::new();
    let mut phone = None;
    for c in components {
        let field = format!("answers.{}", c.id);
        let answer = given.get(&c.id).filter(|v| !v.is_null() && v.as_str() != Some("") && v.as_array().is_none_or(|a| !a.is_empty()));
        let Some(v) = answer else {
            if c.required {
                return Err(AppError::bad_input(field, ANSWER_REQUIRED));
            }
            continue;
        };
        let ok = match c.kind.as_str() {
            "NUMBER" => v.is_number(),
            "DATE" => v.as_str().is_some_and(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok()),
            "SELECT" => v.as_str().is_some_and(|o| c.options.iter().any(|x| x == o)),
            "MULTI_SELECT" => v.as_array().is_some_and(|a| a.iter().all(|o| o.as_str().is_some_and(|o| c.options.iter().any(|x| x == o)))),
            "PHONE" => {
                let p = v.as_str().map(str::trim).unwrap_or_default();
                if !is_mobile(p) {
                    return Err(AppError::bad_input(field, PHONE_INVALID));
                }
                phone.get_or_insert_with(|| p.to_string());
                true
            }
            _ => v.as_str().is_some_and(|t| t.chars().count() <= 1000),
        };
        if !ok {
            return Err(AppError::bad_input(field, ANSWER_INVALID));
        }
        kept.insert(c.id.clone(), v.clone());
    }
    Ok((kept, phone))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn form() -> Vec<Component> {
        schema(&json!({"components": [
            {"id": "name", "type": "TEXT", "label": "姓名", "required": true},
            {"id": "phone", "type": "PHONE", "label": "手机", "required": true},
            {"id": "city", "type": "SELECT", "label": "城市", "options": ["北京", "上海"]}
        ]}))
        .expect("valid form")
    }

    #[test]
    fn a_form_needs_unique_ids_and_select_options() {
        assert!(schema(&json!({"components": []})).is_err());
        assert!(
            schema(&json!({"components": [{"id": "a", "type": "TEXT", "label": "A"}, {"id": "a", "type": "TEXT", "label": "B"}]})).is_err()
        );
        assert!(schema(&json!({"components": [{"id": "a", "type": "SELECT", "label": "A"}]})).is_err());
        assert!(schema(&json!({"components": [{"id": "a", "type": "SLIDER", "label": "A"}]})).is_err());
    }

    #[test]
    fn answers_are_checked_against_their_components() {
        let f = form();
        let (kept, phone) = answers(&f, &json!({"name": "李雷", "phone": "13800000000", "city": "上海", "extra": 1})).expect("ok");
        assert_eq!(phone.as_deref(), Some("13800000000"));
        assert!(!kept.contains_key("extra"));
        let missing = answers(&f, &json!({"phone": "13800000000"})).expect_err("name required");
        assert_eq!(missing.msg.reason, "FORM_ANSWER_REQUIRED");
        assert_eq!(missing.field.as_deref(), Some("answers.name"));
        assert_eq!(answers(&f, &json!({"name": "x", "phone": "1234"})).expect_err("bad phone").msg.reason, "FORM_PHONE_INVALID");
        assert_eq!(
            answers(&f, &json!({"name": "x", "phone": "13800000000", "city": "广州"})).expect_err("bad option").msg.reason,
            "FORM_ANSWER_INVALID"
        );
    }
}
