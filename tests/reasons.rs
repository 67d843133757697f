//! Every error message has a stable `extensions.reason`: this reads `src/`
//! (std only, like `tests/layers.rs`) and checks that each `Msg::new` and
//! `Msg::owned` names a SCREAMING_SNAKE reason first, that one reason never
//! stands for two different messages, and that the README lists them all.

// A test may unwrap: a failure there is the failure to see.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{collections::BTreeMap, fs, path::Path};

/// `(file, reason, Chinese text or the format string)` of every message.
fn messages() -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = fs::read_to_string(&path).unwrap();
                for call in ["Msg::new(", "Msg::owned("] {
                    for (at, _) in text.match_indices(call) {
                        let rest = &text[at + call.len()..];
                        // The definition itself takes names, not literals.
                        if rest.trim_start().starts_with("reason:") {
                            continue;
                        }
                        let args = literals(rest, 2);
                        let file = path.display().to_string();
                        match args.as_slice() {
                            [reason, zh] => out.push((file, reason.clone(), zh.clone())),
                            [reason] => out.push((file, reason.clone(), String::new())),
                            _ => out.push((file, String::new(), String::new())),
                        }
                    }
                }
            }
        }
    }
    out
}

/// The reason and the Chinese text (a `format!` yields its format string)
/// among a call's leading arguments; fewer when they are not literals.
fn literals(rest: &str, _n: usize) -> Vec<String> {
    fn literal(s: &str) -> Option<(String, &str)> {
        let s = s.trim_start();
        let s = s.strip_prefix("format!(").map(str::trim_start).unwrap_or(s);
        let body = s.strip_prefix('"')?;
        let end = body.find('"')?;
        Some((body[..end].to_string(), &body[end + 1..]))
    }
    let mut found = Vec::new();
    let Some((reason, after)) = literal(rest) else { return found };
    found.push(reason);
    if let Some(next) = after.trim_start().strip_prefix(',') {
        if let Some((zh, _)) = literal(next) {
            found.push(zh);
        }
    }
    found
}

fn screaming_snake(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_') && !s.starts_with('_')
}

#[test]
fn every_message_names_a_stable_reason() {
    let all = messages();
    assert!(all.len() > 140, "found only {} messages", all.len());
    let bad: Vec<_> = all.iter().filter(|(_, r, _)| !screaming_snake(r)).collect();
    assert!(bad.is_empty(), "messages without a SCREAMING_SNAKE reason: {bad:#?}");
}

#[test]
fn one_reason_never_stands_for_two_messages() {
    let mut texts: BTreeMap<&str, Vec<(&str, &str)>> = BTreeMap::new();
    let all = messages();
    for (file, reason, zh) in &all {
        let seen = texts.entry(reason).or_default();
        if !seen.iter().any(|(_, t)| t == zh) {
            seen.push((file, zh));
        }
    }
    let shared: Vec<_> = texts.iter().filter(|(_, v)| v.len() > 1).collect();
    // A reason may cover one family whose message carries the detail.
    let families = ["CUSTOM_FIELD_VALUE_INVALID"];
    let shared: Vec<_> = shared.into_iter().filter(|(r, _)| !families.contains(r)).collect();
    assert!(shared.is_empty(), "one reason, different messages: {shared:#?}");
}

#[test]
fn the_readme_lists_every_reason() {
    let readme = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let mut reasons: Vec<String> = messages().into_iter().map(|(_, r, _)| r).collect();
    // Set where errors are finalised rather than by a message.
    reasons.extend(["GRAPHQL_VALIDATION", "REQUEST_MALFORMED"].map(String::from));
    reasons.sort();
    reasons.dedup();
    let missing: Vec<_> = reasons.iter().filter(|r| !readme.contains(&format!("`{r}`"))).collect();
    assert!(missing.is_empty(), "README's error reasons lack: {missing:?}");
}
