//! What a request must satisfy before it runs, on HTTP and WebSocket alike:
//! - no C0 control character (other than tab and newline) in any string,
//!   literal or variable: PostgreSQL refuses NUL, and no field wants the rest;
//! - no list longer than `max_list_items`, literal or variable: a list of ids
//!   becomes SQL parameters, and the databases cap those (SQLite at 32,766);
//! - at most `max_aliases` aliased fields per operation (fragments expanded):
//!   aliases multiply work past what the complexity limit sees;
//! - the caller's corp within `corp_requests_per_minute`, when set.
//!
//! Each refusal is a request error (`data: null`) with a code and reason.

use std::{any::TypeId, collections::HashSet, time::Duration};

use async_graphql::{
    parser::types::{ExecutableDocument, Selection, SelectionSet},
    Data, Name, Request, ServerError, Value as ConstValue,
};
use async_graphql_value::Value;

use crate::{
    error::{AppError, Code, Msg},
    graphql::context::RequestCtx,
    state::AppState,
};

const CONTROL_CHARACTER: Msg = Msg::new("CONTROL_CHARACTER", "输入内容不能包含控制字符", "Input must not contain control characters");
const TOO_MANY_ALIASES: Msg = Msg::new("TOO_MANY_ALIASES", "单次请求使用的别名过多", "Too many aliased fields in one operation");
const REQUEST_BUDGET: Msg =
    Msg::new("REQUEST_BUDGET_SPENT", "请求过于频繁，请稍后再试", "Too many requests for this corp, try again later");

fn list_too_long(max: usize) -> Msg {
    Msg::owned("LIST_TOO_LONG", format!("列表最多{max}项"), format!("A list may hold at most {max} items"))
}

fn allowed_char(c: char) -> bool {
    !c.is_control() || c == '\t' || c == '\n' || c == '\r' || !c.is_ascii()
}

struct Walk {
    max_list: usize,
    /// Files the request carries: an `Upload` value names one by index.
    uploads: usize,
}

/// How the multipart spec's files appear among the variables.
const UPLOAD_MARKER: &str = "#__graphql_file__:";
const UPLOAD_REFERENCE: Msg = Msg::new(
    "UPLOAD_REFERENCE_INVALID",
    "文件引用无效，请以multipart请求上传文件",
    "Send files as a multipart request; this value names none",
);

impl Walk {
    fn text(&self, s: &str, field: &str) -> Result<(), AppError> {
        // async-graphql reads an `Upload` from this marker and an index,
        // trusting both: only what the multipart parser put there may pass.
        if let Some(index) = s.strip_prefix(UPLOAD_MARKER) {
            if !index.parse::<usize>().is_ok_and(|i| i < self.uploads) {
                return Err(AppError::bad_input(field, UPLOAD_REFERENCE));
            }
        }
        if s.chars().all(allowed_char) {
            Ok(())
        } else {
            Err(AppError::bad_input(field, CONTROL_CHARACTER))
        }
    }

    fn list_len(&self, n: usize, field: &str) -> Result<(), AppError> {
        if n > self.max_list {
            Err(AppError::bad_input(field, list_too_long(self.max_list)))
        } else {
            Ok(())
        }
    }

    fn constant(&self, v: &ConstValue, field: &str) -> Result<(), AppError> {
        match v {
            ConstValue::String(s) => self.text(s, field),
            ConstValue::List(items) => {
                self.list_len(items.len(), field)?;
                items.iter().try_for_each(|i| self.constant(i, field))
            }
            ConstValue::Object(map) => map.iter().try_for_each(|(k, v)| {
                self.text(k, field)?;
                self.constant(v, field)
            }),
            _ => Ok(()),
        }
    }

    fn literal(&self, v: &Value, field: &str) -> Result<(), AppError> {
        match v {
            Value::String(s) => self.text(s, field),
            Value::List(items) => {
                self.list_len(items.len(), field)?;
                items.iter().try_for_each(|i| self.literal(i, field))
            }
            Value::Object(map) => map.iter().try_for_each(|(_, v)| self.literal(v, field)),
            _ => Ok(()),
        }
    }
}

/// Walks a selection set: checks argument literals and counts aliases,
/// expanding fragment spreads (a spread already on the stack is a cycle,
/// which validation refuses later; it is not followed here).
fn selections(
    doc: &ExecutableDocument,
    set: &SelectionSet,
    walk: &Walk,
    aliases: &mut usize,
    stack: &mut HashSet<Name>,
) -> Result<(), AppError> {
    for item in &set.items {
        match &item.node {
            Selection::Field(f) => {
                let f = &f.node;
                if f.alias.is_some() {
                    *aliases += 1;
                }
                for (name, value) in &f.arguments {
                    walk.literal(&value.node, name.node.as_str())?;
                }
                selections(doc, &f.selection_set.node, walk, aliases, stack)?;
            }
            Selection::InlineFragment(inline) => selections(doc, &inline.node.selection_set.node, walk, aliases, stack)?,
            Selection::FragmentSpread(spread) => {
                let name = &spread.node.fragment_name.node;
                if let Some(fragment) = doc.fragments.get(name) {
                    if stack.insert(name.clone()) {
                        selections(doc, &fragment.node.selection_set.node, walk, aliases, stack)?;
                        stack.remove(name);
                    }
                }
            }
        }
    }
    Ok(())
}

fn data_of<T: Clone + Send + Sync + 'static>(request: &Request, session: Option<&Data>) -> Option<T> {
    let find = |d: &Data| d.get(&TypeId::of::<T>()).and_then(|v| v.downcast_ref::<T>()).cloned();
    find(&request.data).or_else(|| session.and_then(find))
}

/// Refuses the request, or lets it run.
pub async fn admit(request: &mut Request, session: Option<&Data>) -> Result<(), AppError> {
    let Some(state) = data_of::<AppState>(request, session) else { return Ok(()) };
    let c = &state.config;
    let walk = Walk { max_list: c.max_list_items, uploads: request.uploads.len() };
    for (name, value) in request.variables.iter() {
        walk.constant(value, name.as_str())?;
    }
    // A document that does not parse is left to the schema, which says why.
    if let Ok(doc) = request.parsed_query() {
        for (_, op) in doc.operations.iter() {
            let mut aliases = 0;
            for var in &op.node.variable_definitions {
                if let Some(default) = &var.node.default_value {
                    walk.constant(&default.node, var.node.name.node.as_str())?;
                }
            }
            selections(doc, &op.node.selection_set.node, &walk, &mut aliases, &mut HashSet::new())?;
            if aliases > c.max_aliases {
                return Err(AppError::new(Code::BadUserInput, TOO_MANY_ALIASES).with_extra("maxAliases", c.max_aliases));
            }
        }
    }
    if c.corp_requests_per_minute > 0 {
        let corp = data_of::<RequestCtx>(request, session).and_then(|r| r.auth.map(|a| a.corp_id));
        if let Some(corp) = corp {
            let minute = chrono::Utc::now().timestamp() / 60;
            let key = format!("corp-budget:{corp}:{minute}");
            let used = state.kv.incr(&key, Duration::from_secs(61)).await.map_err(AppError::internal)?;
            if used > c.corp_requests_per_minute {
                let retry_after = 60 - chrono::Utc::now().timestamp() % 60;
                return Err(AppError::new(Code::RateLimited, REQUEST_BUDGET).with_extra("retryAfter", retry_after.max(1)));
            }
        }
    }
    Ok(())
}

/// A refusal as the one error of a response.
pub fn refusal(e: AppError) -> ServerError {
    async_graphql::Error::from(e).into_server_error(async_graphql::Pos::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tab_newline_and_non_ascii_pass_while_c0_controls_do_not() {
        assert!("a\tb\nc\r\n中文".chars().all(allowed_char));
        for bad in ["\0", "a\u{1}", "\u{1b}[31m", "\u{7f}"] {
            assert!(!bad.chars().all(allowed_char), "{bad:?}");
        }
    }
}
