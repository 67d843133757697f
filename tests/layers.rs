//! Architecture test: the crate's four layers, with imports that point down.
//!
//! It reads every `.rs` file under `src/`, builds a file-level import graph from the paths each file writes
//! into the crate, and checks the graph against the layers:
//!
//! | layer          | what                                   | files                                                        |
//! |----------------|----------------------------------------|--------------------------------------------------------------|
//! | **L3 app**     | the composition root                   | `src/app/**`, `src/main.rs`, `src/lib.rs` (only declares modules: counted, never checked) |
//! | **L2 graphql** | the GraphQL kit and each area's schema | any path with a `graphql` segment: `src/graphql/**`, `src/<x>/graphql.rs`, `src/<x>/graphql/**` |
//! | **L1 area**    | an area's services, jobs, handlers     | every other `src/<area>/**`                                  |
//! | **L0 infra**   | infrastructure, knows no area          | the top-level modules named in [`INFRA`]                     |
//!
//! A file may import its own layer or a lower one, never a higher one; [`layer_of`] is the one place that
//! maps a path to its layer. The rules are separate tests, so each failure reports on its own:
//! `no_file_below_app_names_app`, `imports_point_down`, `areas_do_not_import_other_areas_graphql_from_services`,
//! `services_do_not_use_graphql_objects_or_context`, `no_import_cycles`, `no_oversized_files`.
//!
//! Run it with `cargo test --test layers -- --nocapture` (the `summary` test prints files, edges and the import
//! cycles). It needs only the standard library, so it also runs without cargo, from the package root:
//! `rustc --edition 2021 --test tests/layers.rs -o /tmp/layers && /tmp/layers --nocapture`.
//!
//! What counts as an import of file B by file A: any path in A that resolves into the crate, after comments and
//! string/char literals are blanked out. That is every leaf of a `use` tree (`use crate::{a::{b, c::D}, e::F as G};`,
//! `pub use child::Thing;`, `use super::{…}`), and every path written inline in code (`crate::x::Y`,
//! `<crate::a::B as crate::jobs::JobHandler>::KIND`, `super::super::x`, `self::x`, `child::f()`). A path resolves to
//! the file of its longest prefix that is a file-backed module: `crate::customers::timeline::append` is
//! `src/customers/timeline.rs`, `crate::customers::Foo` is `src/customers/mod.rs`. `mod x;` is not an import, and
//! code in a `#[cfg(test)] mod … { … }` block (or behind a `#[cfg(test)] use`) is ignored.
//!
//! The scan is lexical, not the compiler: an inline `mod x { … }` block counts as its file (its `super` is still
//! resolved correctly), a name brought in by a glob (`use crate::a::*;` then `b::f()`) is seen only as the glob,
//! and macros are read as plain tokens.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

// =====================================================================================================================
// Layers and allow-lists: the parts meant to be adjusted
// =====================================================================================================================

/// The four layers, lowest first, so `a <= b` reads "a is the same layer as b or a lower one".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Layer {
    /// L0: infrastructure, knows no area.
    Infra,
    /// L1: an area's services (the rules), jobs and handlers.
    Area,
    /// L2: GraphQL, the shared kit and each area's schema module.
    Graphql,
    /// L3: the composition root.
    App,
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Layer::Infra => "L0 infra",
            Layer::Area => "L1 area",
            Layer::Graphql => "L2 graphql",
            Layer::App => "L3 app",
        })
    }
}

/// Top-level modules of infrastructure (`src/<name>.rs` or `src/<name>/`): L0, they know no area.
const INFRA: &[&str] = &[
    "config",
    "clock",
    "crypto",
    "kv",
    "db",
    "error",
    "settings",
    "bus",
    "ports",
    "jobs",
    "tenancy",
    "state",
    "integrations",
    "sandbox",
    "ids",
];

/// The layer of a file, from its path relative to the package root (`src/customers/timeline.rs`).
///
/// Rows are tried top-down; the first match wins:
///
/// | path                                                    | layer      |
/// |---------------------------------------------------------|------------|
/// | `src/main.rs`, `src/lib.rs`, `src/app/**`               | L3 app     |
/// | a `graphql` segment anywhere (`graphql/…` or `graphql.rs`) | L2 graphql |
/// | first segment under `src/` in [`INFRA`] (`x.rs` or `x/`) | L0 infra   |
/// | anything else (`src/<area>/**`)                         | L1 area    |
///
/// So `src/jobs/graphql.rs` is L2 (the GraphQL row comes before the INFRA row), and `src/app/graphql.rs` is L3.
fn layer_of(rel_path: &str) -> Layer {
    let under_src = rel_path.strip_prefix("src/").unwrap_or(rel_path);
    let segments: Vec<&str> = under_src.split('/').map(|segment| segment.strip_suffix(".rs").unwrap_or(segment)).collect();
    match segments.as_slice() {
        ["main"] | ["lib"] | ["app", ..] => Layer::App,
        _ if segments.contains(&"graphql") => Layer::Graphql,
        [first, ..] if INFRA.contains(first) => Layer::Infra,
        _ => Layer::Area,
    }
}

/// Longest a file under `src/` may be, in lines.
const MAX_FILE_LINES: usize = 650;

/// Files allowed over [`MAX_FILE_LINES`], each with the reason. Keep it short: a long file is usually two files.
/// (`src/sandbox/wecom.rs` is deliberately not here: the sandbox should be split by API family.)
const OVERSIZED_FILES_ALLOWED: &[(&str, &str)] = &[
    // Wire types of the WeCom API: one struct per payload, table-like, no logic to split by.
    ("src/integrations/wecom/types.rs", "WeCom wire types, table-like"),
];

/// L0/L1 files allowed to hold GraphQL resolver code (`#[Object]`, `Context`, …), each with the reason.
/// Empty: resolvers belong in an L2 `graphql` module, over the area's services.
const GRAPHQL_IN_SERVICES_ALLOWED: &[(&str, &str)] = &[];

/// Text (after comments and strings are blanked) that marks GraphQL resolver code: the object/subscription
/// macros and the request `Context`. Matched on identifier boundaries, so `async_graphql::ObjectType` or
/// `#[derive(SimpleObject)]` do not match. Derives of shared types (`Enum`, `SimpleObject`, `InputObject`) are fine.
const GRAPHQL_RESOLVER_MARKERS: &[&str] = &[
    "#[Object",
    "#[ComplexObject",
    "#[Subscription",
    "async_graphql::Object",
    "async_graphql::ComplexObject",
    "async_graphql::Subscription",
    "async_graphql::MergedObject",
    "async_graphql::Context",
    "Context<'",
    "&Context",
];

/// Markers above that name a bare `Context`: skipped in a file that imports `std::task::Context` (a `Future` impl).
const BARE_CONTEXT_MARKERS: &[&str] = &["Context<'", "&Context"];

/// Names that L0/L1 files may not import from `async_graphql`.
const GRAPHQL_RESOLVER_NAMES: &[&str] = &["Object", "Context", "ComplexObject", "Subscription", "MergedObject"];

/// The library's crate name: `src/main.rs` reaches the library as `wecrm::…`.
const LIB_CRATE_NAME: &str = "wecrm";
const LIB_ROOT: &str = "src/lib.rs";
const BIN_ROOT: &str = "src/main.rs";

/// The composition root: the files that may name `crate::app`.
fn is_composition_root(rel_path: &str) -> bool {
    rel_path == LIB_ROOT || rel_path == BIN_ROOT || rel_path.starts_with("src/app/")
}

// =====================================================================================================================
// Stripping comments and literals
// =====================================================================================================================

fn is_ident_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

fn is_ident_char(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// The source with comments (line, block — nested — and doc comments) and string/char literals (plain, byte, C,
/// raw `r#"…"#`) replaced by spaces. Newlines are kept, so line numbers stay; lifetimes (`'a`) are kept.
fn strip_comments_and_literals(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut stripped = String::with_capacity(source.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let literal_or_comment_end = if c == '/' && next == Some('/') {
            Some(chars[i..].iter().position(|&c| c == '\n').map_or(chars.len(), |n| i + n))
        } else if c == '/' && next == Some('*') {
            Some(block_comment_end(&chars, i))
        } else if c == '"' {
            Some(quoted_string_end(&chars, i + 1))
        } else if c == '\'' {
            char_literal_end(&chars, i)
        } else if i == 0 || !is_ident_char(chars[i - 1]) {
            // A prefix (`b"`, `r#"`, `br"`, `c"`) only starts a literal at the start of a token.
            prefixed_string_end(&chars, i)
        } else {
            None
        };
        match literal_or_comment_end {
            Some(end) => {
                let end = end.min(chars.len());
                stripped.extend(chars[i..end].iter().map(|&c| if c == '\n' { '\n' } else { ' ' }));
                i = end;
            }
            None => {
                stripped.push(c);
                i += 1;
            }
        }
    }
    stripped
}

/// Index just past the block comment that starts at `start` (`/*`), counting nested `/* … */`.
fn block_comment_end(chars: &[char], start: usize) -> usize {
    let mut depth = 0;
    let mut i = start;
    while i < chars.len() {
        if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
            depth += 1;
            i += 2;
        } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    chars.len()
}

/// Index just past the closing `"` of a string whose body starts at `body_start`, honouring `\` escapes.
fn quoted_string_end(chars: &[char], body_start: usize) -> usize {
    let mut i = body_start;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '"' => return i + 1,
            _ => i += 1,
        }
    }
    chars.len()
}

/// If a char literal (`'x'`, `'\n'`, `'\u{1F600}'`, `'"'`) starts at `start`, the index just past it.
/// `None` for a lifetime or label (`'a`, `'static`), which is kept.
fn char_literal_end(chars: &[char], start: usize) -> Option<usize> {
    match chars.get(start + 1)? {
        '\\' => {
            // Skip the escaped char, then find the closing quote of `'\x41'` or `'\u{…}'`, on the same line.
            let mut i = start + 3;
            while i < chars.len() && i < start + 14 && chars[i] != '\n' {
                if chars[i] == '\'' {
                    return Some(i + 1);
                }
                i += 1;
            }
            None
        }
        '\n' => None,
        _ if chars.get(start + 2) == Some(&'\'') => Some(start + 3),
        _ => None,
    }
}

/// If a prefixed string (`b"…"`, `c"…"`, `r"…"`, `r#"…"#`, `br##"…"##`, `cr"…"`) starts at `start`, the index
/// just past it. `r#ident` (a raw identifier) is not a string.
fn prefixed_string_end(chars: &[char], start: usize) -> Option<usize> {
    let mut i = start;
    if matches!(chars.get(i), Some('b') | Some('c')) {
        i += 1;
    }
    if chars.get(i) == Some(&'r') {
        i += 1;
        let hashes = chars[i..].iter().take_while(|&&c| c == '#').count();
        i += hashes;
        if chars.get(i) != Some(&'"') {
            return None;
        }
        // Raw: no escapes; ends at `"` followed by the same number of `#`.
        let mut j = i + 1;
        while j < chars.len() {
            if chars[j] == '"' && chars[j + 1..].iter().take(hashes).filter(|&&c| c == '#').count() == hashes {
                return Some(j + 1 + hashes);
            }
            j += 1;
        }
        return Some(chars.len());
    }
    if i > start && chars.get(i) == Some(&'"') {
        return Some(quoted_string_end(chars, i + 1));
    }
    None
}
