//! Architecture test: the crate's four layers, with imports that point down.
//!
//! It reads every `.rs` file under `src/`, builds a file-level import graph from the paths each file writes
//! into the crate, and checks the graph against the layers:
//!
//! | layer          | what                                   | files                                                          |
//! |----------------|----------------------------------------|----------------------------------------------------------------|
//! | **L3 app**     | the composition root                   | `src/app/**`, `src/main.rs`, `src/lib.rs` (counted, unchecked) |
//! | **L2 graphql** | the GraphQL kit and each area's schema | a `graphql` segment: `src/graphql/**`, `src/<x>/graphql{.rs,/}` |
//! | **L1 area**    | an area's services, jobs, handlers     | every other `src/<area>/**`                                    |
//! | **L0 infra**   | infrastructure, knows no area          | the top-level modules named in [`INFRA`]                       |
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

// Tests and benchmarks may unwrap: a failure there is the failure to see.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// One leaf of a `use` tree: its line and its path segments.
type UseLeaf = (usize, Vec<String>);

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
/// | path                                                       | layer      |
/// |------------------------------------------------------------|------------|
/// | `src/main.rs`, `src/lib.rs`, `src/app/**`                  | L3 app     |
/// | a `graphql` segment anywhere (`graphql/…` or `graphql.rs`) | L2 graphql |
/// | first segment under `src/` in [`INFRA`] (`x.rs` or `x/`)   | L0 infra   |
/// | anything else (`src/<area>/**`)                            | L1 area    |
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

// =====================================================================================================================
// Tokens
// =====================================================================================================================

/// A token of stripped source: an identifier or keyword, `::`, or one punctuation char. Numbers and
/// lifetimes come out as identifier-like tokens, which never start a crate path, so they do no harm.
#[derive(Debug, Clone)]
struct Token {
    text: String,
    line: usize,
}

impl Token {
    fn is_ident(&self) -> bool {
        self.text.chars().next().is_some_and(is_ident_start)
    }
}

fn tokenize(stripped: &str) -> Vec<Token> {
    let chars: Vec<char> = stripped.chars().collect();
    let mut tokens = Vec::new();
    let mut line = 1;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if is_ident_char(c) {
            // `r#type` is the identifier `type`.
            if c == 'r' && chars.get(i + 1) == Some(&'#') && chars.get(i + 2).is_some_and(|&c| is_ident_start(c)) {
                i += 2;
            }
            let start = i;
            while i < chars.len() && is_ident_char(chars[i]) {
                i += 1;
            }
            tokens.push(Token { text: chars[start..i].iter().collect(), line });
        } else if c == ':' && chars.get(i + 1) == Some(&':') {
            tokens.push(Token { text: "::".into(), line });
            i += 2;
        } else {
            tokens.push(Token { text: c.to_string(), line });
            i += 1;
        }
    }
    tokens
}

// =====================================================================================================================
// Parsing: the paths a file writes into the crate
// =====================================================================================================================

/// A path that refers into the crate, as written and resolved to an absolute module path.
#[derive(Debug, Clone, PartialEq)]
struct CrateRef {
    line: usize,
    /// As written, with `use` groups expanded: `super::b::C` for the leaf `C` of `use super::{a, b::C};`.
    written: String,
    /// Absolute: `["crate", "customers", "timeline", "append"]`.
    target: Vec<String>,
}

/// A leaf of a `use` tree that is not in the crate (`async_graphql::Context`), kept for the GraphQL rule.
#[derive(Debug, Clone, PartialEq)]
struct ExternalUse {
    line: usize,
    /// Path segments; a leading `::` is an empty first segment; a glob (`use x::*`) ends in `*`.
    segments: Vec<String>,
}

#[derive(Debug, Default)]
struct ParsedFile {
    crate_refs: Vec<CrateRef>,
    external_uses: Vec<ExternalUse>,
}

/// Scans stripped source (see [`strip_comments_and_literals`]) of the file whose module is `file_module`
/// (`["crate", "customers", "timeline"]`) for the paths it writes into the crate.
///
/// - `crate_aliases`: other names of the crate root (`wecrm` in `src/main.rs`).
/// - `known_modules`: every file-backed module (`crate::customers::timeline`), to tell a child module's name
///   (`graphql::Foo` in `src/customers/mod.rs`) from an external crate's (`async_graphql::Foo`).
fn parse_file(stripped: &str, file_module: &[String], crate_aliases: &[&str], known_modules: &BTreeSet<String>) -> ParsedFile {
    let tokens = tokenize(stripped);
    let mut scanner = Scanner {
        tokens: &tokens,
        pos: 0,
        file_module,
        crate_aliases,
        known_modules,
        inline_modules: Vec::new(),
        brace_depth: 0,
        parsed: ParsedFile::default(),
    };
    scanner.run();
    scanner.parsed
}

struct Scanner<'a> {
    tokens: &'a [Token],
    pos: usize,
    file_module: &'a [String],
    crate_aliases: &'a [&'a str],
    known_modules: &'a BTreeSet<String>,
    /// Open inline `mod name { … }` blocks, with the brace depth inside each: `super` within them is relative to them.
    inline_modules: Vec<(String, usize)>,
    brace_depth: usize,
    parsed: ParsedFile,
}

impl Scanner<'_> {
    fn text(&self, pos: usize) -> &str {
        self.tokens.get(pos).map_or("", |token| token.text.as_str())
    }

    fn is_ident(&self, pos: usize) -> bool {
        self.tokens.get(pos).is_some_and(Token::is_ident)
    }

    /// The module the scan is in: the file's, plus any inline `mod` blocks it is inside.
    fn current_module(&self) -> Vec<String> {
        let mut module = self.file_module.to_vec();
        module.extend(self.inline_modules.iter().map(|(name, _)| name.clone()));
        module
    }

    fn run(&mut self) {
        while self.pos < self.tokens.len() {
            match self.text(self.pos) {
                "#" => {
                    self.pos = self.end_of_test_only_item(self.pos).unwrap_or(self.pos + 1);
                }
                "{" => {
                    self.brace_depth += 1;
                    self.pos += 1;
                }
                "}" => {
                    if self.inline_modules.last().is_some_and(|&(_, depth)| depth == self.brace_depth) {
                        self.inline_modules.pop();
                    }
                    self.brace_depth = self.brace_depth.saturating_sub(1);
                    self.pos += 1;
                }
                "mod" if self.is_ident(self.pos + 1) && self.text(self.pos + 2) == "{" => {
                    self.brace_depth += 1;
                    self.inline_modules.push((self.text(self.pos + 1).to_string(), self.brace_depth));
                    self.pos += 3;
                }
                "use" => match self.parse_use_item(self.pos + 1) {
                    Some((leaves, end)) => {
                        for (line, segments) in leaves {
                            self.record_use_leaf(line, segments);
                        }
                        self.pos = end;
                    }
                    // `use<'a>` (precise capturing) or a use we cannot read: move on.
                    None => self.pos += 1,
                },
                _ if self.starts_inline_path(self.pos) => self.scan_inline_path(),
                _ => self.pos += 1,
            }
        }
    }

    /// If a `#[cfg(test)]` attribute at `pos` gates a `mod … { … }` block or a `use …;`, the position just past
    /// that item, so test-only code adds no imports.
    fn end_of_test_only_item(&self, pos: usize) -> Option<usize> {
        let attribute = ["#", "[", "cfg", "(", "test", ")", "]"];
        if !attribute.iter().enumerate().all(|(offset, text)| self.text(pos + offset) == *text) {
            return None;
        }
        let mut p = pos + attribute.len();
        // Further attributes, then a visibility.
        while self.text(p) == "#" && self.text(p + 1) == "[" {
            p = self.past_matching(p + 1, "[", "]")?;
        }
        if self.text(p) == "pub" {
            p += 1;
            if self.text(p) == "(" {
                p = self.past_matching(p, "(", ")")?;
            }
        }
        match self.text(p) {
            "mod" if self.is_ident(p + 1) && self.text(p + 2) == "{" => self.past_matching(p + 2, "{", "}"),
            "use" => (p..self.tokens.len()).find(|&q| self.text(q) == ";").map(|q| q + 1),
            _ => None,
        }
    }

    /// The position just past the bracket that closes the one opened at `open_pos`.
    fn past_matching(&self, open_pos: usize, open: &str, close: &str) -> Option<usize> {
        let mut depth = 0;
        for p in open_pos..self.tokens.len() {
            if self.text(p) == open {
                depth += 1;
            } else if self.text(p) == close {
                depth -= 1;
                if depth == 0 {
                    return Some(p + 1);
                }
            }
        }
        None
    }

    /// Reads the tree of a `use` item starting at `pos` (just after `use`) up to its `;`: every leaf as
    /// `(line, segments)`, and the position after the `;`.
    fn parse_use_item(&self, pos: usize) -> Option<(Vec<UseLeaf>, usize)> {
        let mut leaves = Vec::new();
        let end = self.parse_use_tree(pos, Vec::new(), &mut leaves)?;
        (self.text(end) == ";").then_some((leaves, end + 1))
    }

    /// One use tree (`a::b::{c, d::E as F}`, `x::*`, `::std::y`) under `prefix`; returns the position after it.
    fn parse_use_tree(&self, mut pos: usize, prefix: Vec<String>, leaves: &mut Vec<(usize, Vec<String>)>) -> Option<usize> {
        let mut segments = prefix;
        if self.text(pos) == "::" {
            if segments.is_empty() {
                segments.push(String::new()); // `::name`: an external crate, never this one.
            }
            pos += 1;
        }
        loop {
            let token = self.tokens.get(pos)?;
            match token.text.as_str() {
                "{" => {
                    pos += 1;
                    loop {
                        if self.text(pos) == "}" {
                            return Some(pos + 1);
                        }
                        pos = self.parse_use_tree(pos, segments.clone(), leaves)?;
                        match self.text(pos) {
                            "," => pos += 1,
                            "}" => return Some(pos + 1),
                            _ => return None,
                        }
                    }
                }
                "*" => {
                    segments.push("*".into());
                    leaves.push((token.line, segments));
                    return Some(pos + 1);
                }
                _ if token.is_ident() => {
                    segments.push(token.text.clone());
                    pos += 1;
                    match self.text(pos) {
                        "::" => pos += 1,
                        "as" => {
                            leaves.push((token.line, segments));
                            return self.is_ident(pos + 1).then_some(pos + 2);
                        }
                        _ => {
                            leaves.push((token.line, segments));
                            return Some(pos);
                        }
                    }
                }
                _ => return None,
            }
        }
    }

    fn record_use_leaf(&mut self, line: usize, segments: Vec<String>) {
        // `use a::{self, …}` names `a`.
        let written = segments.join("::").trim_end_matches("::self").to_string();
        match self.to_absolute(&segments) {
            Some(target) => self.parsed.crate_refs.push(CrateRef { line, written, target }),
            None => self.parsed.external_uses.push(ExternalUse { line, segments }),
        }
    }

    /// Whether an inline path into the crate starts at `pos`: `crate::`, `super::`, `self::`, a crate alias or a
    /// child module's name, followed by `::name`, and not itself the middle of a longer path.
    fn starts_inline_path(&self, pos: usize) -> bool {
        if !self.is_ident(pos) || self.text(pos + 1) != "::" || !self.is_ident(pos + 2) {
            return false;
        }
        if pos > 0 && self.text(pos - 1) == "::" {
            return false;
        }
        let first = self.text(pos);
        matches!(first, "crate" | "super" | "self") || self.crate_aliases.contains(&first) || self.is_child_module(first)
    }

    fn is_child_module(&self, name: &str) -> bool {
        let mut child = self.current_module();
        child.push(name.to_string());
        self.known_modules.contains(&child.join("::"))
    }

    /// Reads the inline path at `self.pos` (`crate::a::B`, stopping before `::<` or `::{`) and records it.
    fn scan_inline_path(&mut self) {
        let start = self.pos;
        let mut segments = vec![self.text(start).to_string()];
        let mut pos = start + 1;
        while self.text(pos) == "::" && self.is_ident(pos + 1) {
            segments.push(self.text(pos + 1).to_string());
            pos += 2;
        }
        self.pos = pos;
        // `pub(in crate::a)` restricts visibility; it imports nothing.
        if start >= 2 && self.text(start - 1) == "in" && self.text(start - 2) == "(" {
            return;
        }
        if let Some(target) = self.to_absolute(&segments) {
            self.parsed.crate_refs.push(CrateRef { line: self.tokens[start].line, written: segments.join("::"), target });
        }
    }

    /// The absolute module path (`crate::…`) of a path written in the current module, or `None` if it is not in
    /// this crate.
    fn to_absolute(&self, segments: &[String]) -> Option<Vec<String>> {
        let current = self.current_module();
        let first = segments.first()?.as_str();
        let mut absolute: Vec<String> = match first {
            "crate" => vec!["crate".to_string()],
            _ if self.crate_aliases.contains(&first) => vec!["crate".to_string()],
            "self" => current,
            "super" if current.len() > 1 => current[..current.len() - 1].to_vec(),
            _ if self.is_child_module(first) => {
                let mut child = current;
                child.push(first.to_string());
                child
            }
            _ => return None,
        };
        for segment in &segments[1..] {
            match segment.as_str() {
                "self" => {}
                "super" if absolute.len() > 1 => {
                    absolute.pop();
                }
                _ => absolute.push(segment.clone()),
            }
        }
        Some(absolute)
    }
}

/// The file of the longest prefix of `target` that is a file-backed module, or `None` when only the crate root
/// itself matches (a name the root does not declare as a module: a macro, or a path left behind by a move).
fn resolve_to_file(target: &[String], module_files: &BTreeMap<String, usize>) -> Option<usize> {
    (2..=target.len()).rev().find_map(|len| module_files.get(&target[..len].join("::")).copied())
}

/// The module path of a file: `src/lib.rs` and `src/main.rs` are `crate`, `src/a/mod.rs` is `crate::a`,
/// `src/a/b.rs` is `crate::a::b`.
fn module_of(rel_path: &str) -> Vec<String> {
    let mut module = vec!["crate".to_string()];
    if rel_path == LIB_ROOT || rel_path == BIN_ROOT {
        return module;
    }
    let under_src = rel_path.strip_prefix("src/").unwrap_or(rel_path);
    module.extend(under_src.strip_suffix(".rs").unwrap_or(under_src).split('/').map(String::from));
    if module.last().is_some_and(|last| last == "mod") {
        module.pop();
    }
    module
}

// =====================================================================================================================
// The graph
// =====================================================================================================================

struct SourceFile {
    /// Relative to the package root, with `/`: `src/customers/timeline.rs`.
    rel_path: String,
    layer: Layer,
    line_count: usize,
    /// The source with comments and literals blanked, for the text rules.
    stripped: String,
    parsed: ParsedFile,
}

/// One occurrence of a path in file `from` that resolves to file `to` (never `from` itself).
struct Import {
    from: usize,
    to: usize,
    line: usize,
    written: String,
}

struct Graph {
    files: Vec<SourceFile>,
    imports: Vec<Import>,
    /// Crate paths that resolve to no file: `(file, path)`.
    unresolved: Vec<(usize, CrateRef)>,
    /// Files listed but gone by the time they were read (someone moving files).
    unreadable: Vec<String>,
}

impl Graph {
    /// The file-to-file edges, once each.
    fn edges(&self) -> BTreeSet<(usize, usize)> {
        self.imports.iter().map(|import| (import.from, import.to)).collect()
    }

    fn label(&self, file: usize) -> String {
        format!("{} [{}]", self.files[file].rel_path, self.files[file].layer)
    }
}

/// The graph of the package's `src/`, built once and shared by the tests.
fn graph() -> &'static Graph {
    static GRAPH: OnceLock<Graph> = OnceLock::new();
    GRAPH.get_or_init(|| build_graph(Path::new(option_env!("CARGO_MANIFEST_DIR").unwrap_or("."))))
}

fn build_graph(package_root: &Path) -> Graph {
    let src = package_root.join("src");
    assert!(src.is_dir(), "no src/ under {}: run from the package root", package_root.display());
    let mut paths = Vec::new();
    list_rs_files(&src, &mut paths);
    paths.sort();

    let mut loaded = Vec::new();
    let mut unreadable = Vec::new();
    for path in paths {
        let rel_path = path
            .strip_prefix(package_root)
            .unwrap_or(&path)
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        match fs::read_to_string(&path) {
            Ok(source) => loaded.push((rel_path, source)),
            Err(_) => unreadable.push(rel_path),
        }
    }

    // `src/main.rs` is another crate's root; every other file is a module of the library.
    let module_files: BTreeMap<String, usize> = loaded
        .iter()
        .enumerate()
        .filter(|(_, (rel_path, _))| rel_path != BIN_ROOT)
        .map(|(index, (rel_path, _))| (module_of(rel_path).join("::"), index))
        .collect();
    let known_modules: BTreeSet<String> = module_files.keys().cloned().collect();

    let files: Vec<SourceFile> = loaded
        .into_iter()
        .map(|(rel_path, source)| {
            let stripped = strip_comments_and_literals(&source);
            let crate_aliases: &[&str] = if rel_path == BIN_ROOT { &[LIB_CRATE_NAME] } else { &[] };
            let parsed = parse_file(&stripped, &module_of(&rel_path), crate_aliases, &known_modules);
            SourceFile { layer: layer_of(&rel_path), line_count: source.lines().count(), stripped, parsed, rel_path }
        })
        .collect();

    let mut imports = Vec::new();
    let mut unresolved = Vec::new();
    for (from, file) in files.iter().enumerate() {
        for crate_ref in &file.parsed.crate_refs {
            match resolve_to_file(&crate_ref.target, &module_files) {
                Some(to) if to != from => imports.push(Import { from, to, line: crate_ref.line, written: crate_ref.written.clone() }),
                Some(_) => {}
                None => unresolved.push((from, crate_ref.clone())),
            }
        }
    }
    Graph { files, imports, unresolved, unreadable }
}

fn list_rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    // A folder can vanish mid-scan while files are being moved; skip it.
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            list_rs_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// Strongly connected components (Tarjan), each sorted, in no particular order.
fn strongly_connected_components(node_count: usize, edges: &BTreeSet<(usize, usize)>) -> Vec<Vec<usize>> {
    struct Tarjan {
        successors: Vec<Vec<usize>>,
        index: Vec<Option<usize>>,
        low_link: Vec<usize>,
        on_stack: Vec<bool>,
        stack: Vec<usize>,
        next_index: usize,
        components: Vec<Vec<usize>>,
    }
    impl Tarjan {
        fn visit(&mut self, node: usize) {
            self.index[node] = Some(self.next_index);
            self.low_link[node] = self.next_index;
            self.next_index += 1;
            self.stack.push(node);
            self.on_stack[node] = true;
            for successor in self.successors[node].clone() {
                match self.index[successor] {
                    None => {
                        self.visit(successor);
                        self.low_link[node] = self.low_link[node].min(self.low_link[successor]);
                    }
                    Some(successor_index) if self.on_stack[successor] => {
                        self.low_link[node] = self.low_link[node].min(successor_index);
                    }
                    Some(_) => {}
                }
            }
            if Some(self.low_link[node]) == self.index[node] {
                let mut component = Vec::new();
                while let Some(member) = self.stack.pop() {
                    self.on_stack[member] = false;
                    component.push(member);
                    if member == node {
                        break;
                    }
                }
                component.sort();
                self.components.push(component);
            }
        }
    }
    let mut successors = vec![Vec::new(); node_count];
    for &(from, to) in edges {
        successors[from].push(to);
    }
    let mut tarjan = Tarjan {
        successors,
        index: vec![None; node_count],
        low_link: vec![0; node_count],
        on_stack: vec![false; node_count],
        stack: Vec::new(),
        next_index: 0,
        components: Vec::new(),
    };
    for node in 0..node_count {
        if tarjan.index[node].is_none() {
            tarjan.visit(node);
        }
    }
    tarjan.components
}

/// The import cycles: components of more than one file, largest first.
fn import_cycles(graph: &Graph) -> Vec<Vec<usize>> {
    let mut cycles: Vec<Vec<usize>> =
        strongly_connected_components(graph.files.len(), &graph.edges()).into_iter().filter(|component| component.len() > 1).collect();
    cycles.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    cycles
}

/// Up to `limit` distinct shortest cycles through files of one strongly connected component (`members`), shortest
/// first, each as the files in order (the first file closes it). They show which imports to cut.
fn example_cycles(graph: &Graph, members: &BTreeSet<usize>, limit: usize) -> Vec<Vec<usize>> {
    let edges = graph.edges();
    let mut cycles: BTreeSet<(usize, Vec<usize>)> = BTreeSet::new();
    for &start in members {
        // Breadth-first from `start` back to `start`, inside the component.
        let mut came_from: BTreeMap<usize, usize> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([start]);
        'search: while let Some(file) = queue.pop_front() {
            for &(_, next) in edges.range((file, 0)..=(file, usize::MAX)) {
                if !members.contains(&next) {
                    continue;
                }
                if next == start {
                    let mut cycle = vec![file];
                    while let Some(&previous) = came_from.get(cycle.last().unwrap()) {
                        cycle.push(previous);
                    }
                    cycle.reverse();
                    // The same cycle found from another start: rotate it to begin at its smallest file.
                    let smallest = cycle.iter().enumerate().min_by_key(|&(_, file)| *file).map_or(0, |(at, _)| at);
                    cycle.rotate_left(smallest);
                    cycles.insert((cycle.len(), cycle));
                    break 'search;
                }
                if next != start && !came_from.contains_key(&next) {
                    came_from.insert(next, file);
                    queue.push_back(next);
                }
            }
        }
    }
    cycles.into_iter().take(limit).map(|(_, cycle)| cycle).collect()
}

// =====================================================================================================================
// Text rules and reports
// =====================================================================================================================

/// Where `needle` occurs in `haystack` on identifier boundaries (checked at each end that is an identifier char).
fn find_on_boundaries(haystack: &str, needle: &str) -> Vec<usize> {
    let needs_left_boundary = needle.chars().next().is_some_and(is_ident_char);
    let needs_right_boundary = needle.chars().last().is_some_and(is_ident_char);
    haystack
        .match_indices(needle)
        .map(|(at, _)| at)
        .filter(|&at| !needs_left_boundary || !haystack[..at].chars().last().is_some_and(is_ident_char))
        .filter(|&at| !needs_right_boundary || !haystack[at + needle.len()..].chars().next().is_some_and(is_ident_char))
        .collect()
}

/// GraphQL resolver code in a file: `(line, what)` for each marker and each resolver name imported from
/// `async_graphql`.
fn graphql_resolver_code(file: &SourceFile) -> Vec<(usize, String)> {
    let imports_task_context = file.parsed.external_uses.iter().any(|leaf| {
        let path = leaf.segments.join("::");
        path.ends_with("task::Context") && !path.starts_with("async_graphql")
    });
    let mut found = Vec::new();
    for (line_index, line) in file.stripped.lines().enumerate() {
        for marker in GRAPHQL_RESOLVER_MARKERS {
            let bare_context = BARE_CONTEXT_MARKERS.contains(marker);
            let hits = find_on_boundaries(line, marker);
            // `std::task::Context<'_>` in a `Future` impl is not GraphQL's.
            let hits = hits.into_iter().filter(|&at| !(bare_context && (imports_task_context || line[..at].ends_with("task::"))));
            if hits.count() > 0 {
                found.push((line_index + 1, format!("`{marker}`")));
            }
        }
    }
    for leaf in &file.parsed.external_uses {
        let from_async_graphql = leaf.segments.first().is_some_and(|first| first == "async_graphql");
        let name = leaf.segments.last().map_or("", String::as_str);
        if from_async_graphql && (GRAPHQL_RESOLVER_NAMES.contains(&name) || name == "*") {
            found.push((leaf.line, format!("use {}", leaf.segments.join("::"))));
        }
    }
    found.sort();
    found.dedup();
    found
}

/// One offending line of one file, for a failure report.
struct Offense {
    file: String,
    line: usize,
    detail: String,
}

/// A failure report: the title, what to do, then each offending file and its lines.
fn report(title: &str, fix: &str, offenses: &[Offense]) -> String {
    let mut by_file: BTreeMap<&str, Vec<&Offense>> = BTreeMap::new();
    for offense in offenses {
        by_file.entry(offense.file.as_str()).or_default().push(offense);
    }
    let mut text = format!("\n{title}: {} offending line(s) in {} file(s).\n{fix}\n", offenses.len(), by_file.len());
    for (file, file_offenses) in by_file {
        text += &format!("  {file}\n");
        for offense in file_offenses {
            text += &format!("    line {:>4}: {}\n", offense.line, offense.detail);
        }
    }
    text
}

// =====================================================================================================================
// The rules
// =====================================================================================================================

/// Always passes; prints the shape of the graph (with `--nocapture`).
#[test]
fn summary() {
    let graph = graph();
    let mut per_layer: BTreeMap<Layer, usize> = BTreeMap::new();
    for file in &graph.files {
        *per_layer.entry(file.layer).or_default() += 1;
    }
    let layers: Vec<String> = per_layer.iter().map(|(layer, count)| format!("{layer}: {count}")).collect();
    println!(
        "layers summary: {} files ({}), {} file edges from {} imports",
        graph.files.len(),
        layers.join(", "),
        graph.edges().len(),
        graph.imports.len()
    );
    let cycles = import_cycles(graph);
    println!("import cycles (strongly connected components of more than one file): {}", cycles.len());
    for cycle in &cycles {
        let members: Vec<String> = cycle.iter().map(|&file| graph.label(file)).collect();
        println!("  {} files: {}", cycle.len(), members.join(", "));
    }
    if !graph.unresolved.is_empty() {
        println!("crate paths that resolve to no file (a macro at the root, or left behind by a move): {}", graph.unresolved.len());
        for (file, crate_ref) in &graph.unresolved {
            println!("  {}:{}: {}", graph.files[*file].rel_path, crate_ref.line, crate_ref.written);
        }
    }
    if !graph.unreadable.is_empty() {
        println!("files gone before they could be read: {}", graph.unreadable.join(", "));
    }
}

/// Rule 1: only the composition root names `crate::app`.
#[test]
fn no_file_below_app_names_app() {
    let graph = graph();
    let mut offenses: Vec<Offense> = Vec::new();
    for (index, file) in graph.files.iter().enumerate() {
        if is_composition_root(&file.rel_path) {
            continue;
        }
        let mut lines_seen = BTreeSet::new();
        // Paths that reach into app, however written (`crate::app::…`, `super::super::app`).
        for crate_ref in file.parsed.crate_refs.iter().filter(|crate_ref| crate_ref.target.get(1).is_some_and(|s| s == "app")) {
            lines_seen.insert(crate_ref.line);
            offenses.push(Offense { file: graph.label(index), line: crate_ref.line, detail: format!("`{}`", crate_ref.written) });
        }
        // Any other mention, e.g. inside a macro.
        for (line_index, line) in file.stripped.lines().enumerate() {
            if !find_on_boundaries(line, "crate::app").is_empty() && lines_seen.insert(line_index + 1) {
                offenses.push(Offense { file: graph.label(index), line: line_index + 1, detail: "mentions `crate::app`".into() });
            }
        }
    }
    assert!(
        offenses.is_empty(),
        "{}",
        report(
            "no_file_below_app_names_app",
            "Only src/app/**, src/main.rs and src/lib.rs may name `crate::app`: move what these need out of app (down a layer), \
             or have app pass it in.",
            &offenses
        )
    );
}

/// Rule 2: every import points to the same layer or a lower one.
#[test]
fn imports_point_down() {
    let graph = graph();
    let offenses: Vec<Offense> = graph
        .imports
        .iter()
        .filter(|import| graph.files[import.from].rel_path != LIB_ROOT)
        .filter(|import| graph.files[import.to].layer > graph.files[import.from].layer)
        .map(|import| Offense {
            file: graph.label(import.from),
            line: import.line,
            detail: format!("`{}` -> {}", import.written, graph.label(import.to)),
        })
        .collect();
    assert!(
        offenses.is_empty(),
        "{}",
        report(
            "imports_point_down",
            "Each import below reaches a higher layer (L0 infra < L1 area < L2 graphql < L3 app). Move the imported item \
             down, or invert the dependency (a port/trait in the lower layer, implemented above).",
            &offenses
        )
    );
}

/// Rule 3: services (L0/L1) import no GraphQL module, and infrastructure (L0) imports no area. An area's GraphQL
/// importing another area's GraphQL is fine (object types reference each other). Rule 2 implies this; it is
/// reported on its own because it is the usual mistake.
#[test]
fn areas_do_not_import_other_areas_graphql_from_services() {
    let graph = graph();
    let offenses: Vec<Offense> = graph
        .imports
        .iter()
        .filter(|import| {
            let (from, to) = (graph.files[import.from].layer, graph.files[import.to].layer);
            (from <= Layer::Area && to == Layer::Graphql) || (from == Layer::Infra && to == Layer::Area)
        })
        .map(|import| Offense {
            file: graph.label(import.from),
            line: import.line,
            detail: format!("`{}` -> {}", import.written, graph.label(import.to)),
        })
        .collect();
    assert!(
        offenses.is_empty(),
        "{}",
        report(
            "areas_do_not_import_other_areas_graphql_from_services",
            "Services (L0/L1) must not import a `graphql` module, and infrastructure (L0) must not import an area (L1). \
             Move shared types down into the service, or the GraphQL code up into the area's `graphql` module.",
            &offenses
        )
    );
}

/// Rule 4: no resolver code (`#[Object]`, `#[ComplexObject]`, `#[Subscription]`, the request `Context`) in L0/L1.
#[test]
fn services_do_not_use_graphql_objects_or_context() {
    let graph = graph();
    let allowed: BTreeSet<&str> = GRAPHQL_IN_SERVICES_ALLOWED.iter().map(|(file, _why)| *file).collect();
    let mut offenses = Vec::new();
    for (index, file) in graph.files.iter().enumerate() {
        if file.layer > Layer::Area || allowed.contains(file.rel_path.as_str()) {
            continue;
        }
        for (line, what) in graphql_resolver_code(file) {
            offenses.push(Offense { file: graph.label(index), line, detail: what });
        }
    }
    assert!(
        offenses.is_empty(),
        "{}",
        report(
            "services_do_not_use_graphql_objects_or_context",
            "Resolvers and the GraphQL Context belong in an L2 `graphql` module; services take plain arguments \
             (derives like Enum/SimpleObject/InputObject on shared types are fine).",
            &offenses
        )
    );
}

/// Rule 5: no import cycles, except two L2 files that reference each other (mutually referencing object types).
#[test]
fn no_import_cycles() {
    let graph = graph();
    let offending: Vec<Vec<usize>> = import_cycles(graph)
        .into_iter()
        .filter(|cycle| !(cycle.len() == 2 && cycle.iter().all(|&file| graph.files[file].layer == Layer::Graphql)))
        .collect();
    let mut text = format!(
        "\nno_import_cycles: {} import cycle(s). Break each by moving what both sides need into a third, lower file \
         (or the parent's items into a child), so imports form a tree.\n",
        offending.len()
    );
    for cycle in &offending {
        let members: BTreeSet<usize> = cycle.iter().copied().collect();
        text += &format!("  cycle of {} files; for example:\n", cycle.len());
        for example in example_cycles(graph, &members, 5) {
            let files: Vec<&str> = example.iter().chain(example.first()).map(|&file| graph.files[file].rel_path.as_str()).collect();
            text += &format!("    {}\n", files.join(" -> "));
        }
        // Every import inside the cycle, one line per file edge: `from -> to @ lines (paths)`.
        text += "  its imports:\n";
        let mut by_edge: BTreeMap<(usize, usize), Vec<&Import>> = BTreeMap::new();
        for import in graph.imports.iter().filter(|import| members.contains(&import.from) && members.contains(&import.to)) {
            by_edge.entry((import.from, import.to)).or_default().push(import);
        }
        for ((from, to), imports) in by_edge {
            let lines: BTreeSet<usize> = imports.iter().map(|import| import.line).collect();
            let lines: Vec<String> = lines.iter().map(usize::to_string).collect();
            let written: BTreeSet<&str> = imports.iter().map(|import| import.written.as_str()).collect();
            let written: Vec<&str> = written.into_iter().collect();
            text += &format!(
                "    {} -> {} @ {}  (`{}`)\n",
                graph.files[from].rel_path,
                graph.files[to].rel_path,
                lines.join(", "),
                written.join("`, `")
            );
        }
    }
    assert!(offending.is_empty(), "{text}");
}

/// Rule 6: no file over [`MAX_FILE_LINES`] lines, but those in [`OVERSIZED_FILES_ALLOWED`].
#[test]
fn no_oversized_files() {
    let graph = graph();
    let allowed: BTreeSet<&str> = OVERSIZED_FILES_ALLOWED.iter().map(|(file, _why)| *file).collect();
    for (file, _why) in OVERSIZED_FILES_ALLOWED {
        if !graph.files.iter().any(|f| f.rel_path == *file && f.line_count > MAX_FILE_LINES) {
            println!("note: OVERSIZED_FILES_ALLOWED lists {file}, which is gone or now short enough: drop it from the list");
        }
    }
    let offenses: Vec<Offense> = graph
        .files
        .iter()
        .enumerate()
        .filter(|(_, file)| file.line_count > MAX_FILE_LINES && !allowed.contains(file.rel_path.as_str()))
        .map(|(index, file)| Offense {
            file: graph.label(index),
            line: file.line_count,
            detail: format!("{} lines, over {MAX_FILE_LINES}", file.line_count),
        })
        .collect();
    assert!(
        offenses.is_empty(),
        "{}",
        report("no_oversized_files", "Split each file below by responsibility (the `line` is its length).", &offenses)
    );
}

// =====================================================================================================================
// The parser's own tests
// =====================================================================================================================

mod parser_tests {
    use super::*;

    /// Modules that exist in these tests' imaginary crate.
    fn known_modules() -> BTreeSet<String> {
        [
            "crate",
            "crate::a",
            "crate::a::b",
            "crate::a::b::c",
            "crate::a::c",
            "crate::e",
            "crate::jobs",
            "crate::customers",
            "crate::customers::graphql",
            "crate::customers::timeline",
            "crate::error",
        ]
        .iter()
        .map(|module| module.to_string())
        .collect()
    }

    fn module(path: &str) -> Vec<String> {
        path.split("::").map(String::from).collect()
    }

    /// `(line, absolute target)` of every crate path in `source`, written in module `in_module`.
    fn refs(source: &str, in_module: &str) -> Vec<(usize, String)> {
        let parsed = parse_file(&strip_comments_and_literals(source), &module(in_module), &[], &known_modules());
        parsed.crate_refs.iter().map(|crate_ref| (crate_ref.line, crate_ref.target.join("::"))).collect()
    }

    #[test]
    fn nested_use_groups_over_several_lines() {
        let source = "use std::fmt;\nuse crate::{\n    a::{b, c::D},\n    e::F as G,\n    self,\n};\n";
        assert_eq!(
            refs(source, "crate::x"),
            vec![(3, "crate::a::b".into()), (3, "crate::a::c::D".into()), (4, "crate::e::F".into()), (5, "crate".into())]
        );
        let parsed = parse_file(&strip_comments_and_literals(source), &module("crate::x"), &[], &known_modules());
        assert_eq!(parsed.external_uses, vec![ExternalUse { line: 1, segments: module("std::fmt") }]);
    }

    #[test]
    fn pub_and_pub_crate_use() {
        let source = "pub use crate::a::Thing;\npub(crate) use crate::e::{self as ee, F};\n";
        assert_eq!(refs(source, "crate::x"), vec![(1, "crate::a::Thing".into()), (2, "crate::e".into()), (2, "crate::e::F".into())]);
    }

    #[test]
    fn super_and_self_resolve_from_the_file_module() {
        // src/a/b/c.rs is crate::a::b::c: `super` is crate::a::b.
        let source = "use super::super::x::Y;\nuse super::{p, q::R};\nuse self::z::W;\nfn f() { super::super::super::e::g(); }\n";
        assert_eq!(
            refs(source, "crate::a::b::c"),
            vec![
                (1, "crate::a::x::Y".into()),
                (2, "crate::a::b::p".into()),
                (2, "crate::a::b::q::R".into()),
                (3, "crate::a::b::c::z::W".into()),
                (4, "crate::e::g".into()),
            ]
        );
        // src/a/mod.rs is crate::a: `super` is crate, `self` is crate::a.
        assert_eq!(refs("use super::e::F;\nuse self::b::G;\n", "crate::a"), vec![(1, "crate::e::F".into()), (2, "crate::a::b::G".into())]);
    }

    #[test]
    fn inline_paths_in_code() {
        let source = "fn kind() -> &'static str {\n    <crate::a::B as crate::jobs::JobHandler>::KIND\n}\n\
                      fn g() { let x = crate::e::make::<crate::a::c::D>(); Self::h(); self.i(); }\n";
        assert_eq!(
            refs(source, "crate::x"),
            vec![
                (2, "crate::a::B".into()),
                (2, "crate::jobs::JobHandler".into()),
                (4, "crate::e::make".into()),
                (4, "crate::a::c::D".into())
            ]
        );
        // `pub(crate)`, `pub(super)` and `pub(in crate::a)` are visibility, not imports.
        assert_eq!(refs("pub(crate) fn f() {}\npub(super) struct S;\npub(in crate::a) fn g() {}\n", "crate::a::b"), vec![]);
    }

    #[test]
    fn child_modules_by_name() {
        // In src/customers/mod.rs, `graphql` is the child module, `async_graphql` an external crate.
        let source = "mod graphql;\npub use graphql::CustomersQuery;\nuse async_graphql::{Context, Object as O};\n\
                      fn f() { timeline::append(); other::g(); }\n";
        let parsed = parse_file(&strip_comments_and_literals(source), &module("crate::customers"), &[], &known_modules());
        let targets: Vec<(usize, String)> = parsed.crate_refs.iter().map(|r| (r.line, r.target.join("::"))).collect();
        assert_eq!(
            targets,
            vec![(2, "crate::customers::graphql::CustomersQuery".into()), (4, "crate::customers::timeline::append".into())]
        );
        let external: Vec<String> = parsed.external_uses.iter().map(|leaf| leaf.segments.join("::")).collect();
        assert_eq!(external, vec!["async_graphql::Context", "async_graphql::Object"]);
    }

    #[test]
    fn crate_alias_in_the_binary() {
        let source = "use wecrm::{app, config::Config};\n";
        let parsed = parse_file(&strip_comments_and_literals(source), &module("crate"), &["wecrm"], &known_modules());
        let targets: Vec<String> = parsed.crate_refs.iter().map(|r| r.target.join("::")).collect();
        assert_eq!(targets, vec!["crate::app", "crate::config::Config"]);
    }

    #[test]
    fn comments_and_literals_are_ignored_and_lines_kept() {
        let source = r####"// use crate::fake::A;
/* crate::fake::B /* nested crate::fake::C */ still a comment crate::fake::D */
/// doc crate::fake::E
//! inner doc crate::fake::F
fn f<'a>(x: &'a str) -> char {
    let s = "crate::fake::G \" crate::fake::H";
    let r = r#"crate::fake::I "quoted" "#;
    let b = br##"crate::fake::J"##;
    let q = '"'; let brace = '{'; let esc = '\''; let t = crate::real::K;
    '"'
}
#[doc = "crate::fake::L"]
fn g() { crate::real::M(); }
"####;
        assert_eq!(refs(source, "crate::x"), vec![(9, "crate::real::K".into()), (13, "crate::real::M".into())]);
        let stripped = strip_comments_and_literals(source);
        assert_eq!(stripped.lines().count(), source.lines().count());
        assert!(stripped.contains("fn f<'a>(x: &'a str)"), "lifetimes are kept: {stripped}");
        assert!(!stripped.contains("fake"));
    }

    #[test]
    fn cfg_test_modules_are_skipped() {
        let source = "use crate::a::Kept;\n#[cfg(test)]\nmod tests {\n    use super::*;\n    use crate::e::Fake;\n    \
                      fn f() { let x = crate::jobs::Fake; { } }\n}\n#[cfg(test)]\nuse crate::e::AlsoFake;\n\
                      fn after() { crate::a::b::Kept::new(); }\n";
        assert_eq!(refs(source, "crate::x"), vec![(1, "crate::a::Kept".into()), (10, "crate::a::b::Kept::new".into())]);
    }

    #[test]
    fn inline_mod_blocks_count_as_their_file_but_scope_super() {
        // In src/error.rs, `pub mod msg { use super::Msg; }`: `super` is crate::error, not crate.
        let source = "pub mod msg {\n    use super::Msg;\n}\nuse super::e::F;\n";
        assert_eq!(refs(source, "crate::error"), vec![(2, "crate::error::Msg".into()), (4, "crate::e::F".into())]);
    }

    #[test]
    fn paths_resolve_to_the_longest_file_backed_prefix() {
        let module_files: BTreeMap<String, usize> =
            [("crate", 0), ("crate::customers", 1), ("crate::customers::timeline", 2)].iter().map(|(m, i)| (m.to_string(), *i)).collect();
        assert_eq!(resolve_to_file(&module("crate::customers::timeline::append"), &module_files), Some(2));
        assert_eq!(resolve_to_file(&module("crate::customers::Foo"), &module_files), Some(1));
        assert_eq!(resolve_to_file(&module("crate::customers"), &module_files), Some(1));
        // Only the root matches: a name the root does not declare.
        assert_eq!(resolve_to_file(&module("crate::gone::Thing"), &module_files), None);
    }

    #[test]
    fn module_paths_of_files() {
        assert_eq!(module_of("src/lib.rs"), module("crate"));
        assert_eq!(module_of("src/main.rs"), module("crate"));
        assert_eq!(module_of("src/a/mod.rs"), module("crate::a"));
        assert_eq!(module_of("src/a/b.rs"), module("crate::a::b"));
    }

    #[test]
    fn layers_of_paths() {
        assert_eq!(layer_of("src/main.rs"), Layer::App);
        assert_eq!(layer_of("src/lib.rs"), Layer::App);
        assert_eq!(layer_of("src/app/schema.rs"), Layer::App);
        assert_eq!(layer_of("src/graphql/context.rs"), Layer::Graphql);
        assert_eq!(layer_of("src/customers/graphql/mod.rs"), Layer::Graphql);
        assert_eq!(layer_of("src/alerts/graphql.rs"), Layer::Graphql);
        assert_eq!(layer_of("src/jobs/graphql.rs"), Layer::Graphql);
        assert_eq!(layer_of("src/jobs/mod.rs"), Layer::Infra);
        assert_eq!(layer_of("src/kv.rs"), Layer::Infra);
        assert_eq!(layer_of("src/integrations/wecom/types.rs"), Layer::Infra);
        assert_eq!(layer_of("src/customers/timeline.rs"), Layer::Area);
        assert_eq!(layer_of("src/configuration.rs"), Layer::Area);
    }

    #[test]
    fn graphql_markers_spare_derives() {
        let source = "use async_graphql::{Enum, SimpleObject};\n#[derive(async_graphql::Enum, SimpleObject, async_graphql::InputObject)]\n\
                      struct S;\nimpl async_graphql::ObjectType for S {}\nuse std::task::Context;\nfn poll(cx: &mut Context<'_>) {}\n";
        let file = source_file("src/customers/records.rs", source);
        assert_eq!(graphql_resolver_code(&file), vec![]);

        let source = "use async_graphql::{Context, Enum};\n#[Object]\nimpl Q {\n    async fn f(&self, ctx: &Context<'_>) {}\n}\n\
                      #[async_graphql::ComplexObject]\nimpl R {}\n";
        let found: Vec<usize> =
            graphql_resolver_code(&source_file("src/customers/records.rs", source)).iter().map(|(line, _)| *line).collect();
        assert_eq!(found, vec![1, 2, 4, 4, 6]);
    }

    fn source_file(rel_path: &str, source: &str) -> SourceFile {
        let stripped = strip_comments_and_literals(source);
        let parsed = parse_file(&stripped, &module_of(rel_path), &[], &known_modules());
        SourceFile { rel_path: rel_path.into(), layer: layer_of(rel_path), line_count: source.lines().count(), stripped, parsed }
    }

    #[test]
    fn cycles_are_strongly_connected_components() {
        let edges: BTreeSet<(usize, usize)> = [(0, 1), (1, 2), (2, 0), (2, 3), (3, 4), (4, 3), (5, 5)].into_iter().collect();
        let mut components = strongly_connected_components(6, &edges);
        components.sort();
        assert_eq!(components, vec![vec![0, 1, 2], vec![3, 4], vec![5]]);
    }
}
