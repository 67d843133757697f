//! Materials (MAT-1…12). The category trees of MAT-2; the knowledge base
//! of MAT-1/3/4/5 — public and personal libraries of scripts, phrases and
//! links, searched and counted as the sidebar uses them; the corp folder's
//! web links and mini programs (MAT-6); marketing materials (MAT-8…12);
//! radar tracking of what is shared (MAT-7): opens, and on the H5 pages of
//! marketing materials dwell time, bottom, re-shares and forms.
//! (Uploaded kinds come in a later part of issue #13.)

pub mod behaviour;
pub mod categories;
pub mod folder;
pub mod forms;
pub mod graphql;
pub mod http;
pub mod knowledge;
pub mod marketing;
pub mod tag_rules;
pub mod toolbox;
pub mod tracking;

use crate::{
    error::{AppError, AppResult, Msg},
    jobs::JobRegistry,
    tenancy::Scope,
};

/// The area's jobs: tagging viewers by the materials' tag rules.
pub fn jobs(registry: JobRegistry) -> JobRegistry {
    registry.register(tag_rules::RadarTaggingJob)
}

/// `column` holds `keyword`, in any case on both databases (PostgreSQL's
/// LIKE is case-sensitive, SQLite's is not), its wildcards taken literally.
pub fn holds_keyword(column: impl sea_orm::ColumnTrait, keyword: &str) -> sea_orm::sea_query::SimpleExpr {
    use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
    let like = format!("%{}%", keyword.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
    Expr::expr(Func::lower(Expr::col(column.as_column_ref()))).like(LikeExpr::new(like).escape('\\'))
}

/// An http(s) URL with a host, normalised; else BAD_USER_INPUT on `field` with `refusal`.
pub fn http_url(raw: &str, field: &str, refusal: Msg) -> AppResult<String> {
    reqwest::Url::parse(raw.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .map(|u| u.to_string())
        .ok_or_else(|| AppError::bad_input(field, refusal))
}

/// PUBLIC (the corp's) or PERSONAL (one employee's) library (MAT-1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Library {
    Public,
    Personal,
}

/// What a knowledge-base tree holds; each kind has its own tree (MAT-1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KnowledgeKind {
    Script,
    Phrase,
    Link,
}

impl KnowledgeKind {
    pub fn code(self) -> &'static str {
        match self {
            KnowledgeKind::Script => "SCRIPT",
            KnowledgeKind::Phrase => "PHRASE",
            KnowledgeKind::Link => "LINK",
        }
    }

    pub fn parse(code: &str) -> Option<KnowledgeKind> {
        [KnowledgeKind::Script, KnowledgeKind::Phrase, KnowledgeKind::Link].into_iter().find(|k| k.code() == code)
    }
}

/// What a tree files: one kind of knowledge-base entry of one library, the
/// corp folder's items (MAT-6: one tree for every kind), or the marketing
/// materials (MAT-8: one tree for the four kinds).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shelf {
    Knowledge(Library, KnowledgeKind),
    Folder,
    Marketing,
}

/// One tree's name: its shelf, and for a personal tree its owner, so a
/// personal tree is found only by its owner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tree {
    pub shelf: Shelf,
    pub owner_id: Option<i64>,
}

impl Tree {
    /// The caller's tree of this library and kind. A personal tree needs a
    /// signed-in employee (a platform session has none).
    pub fn of(scope: &Scope, library: Library, kind: KnowledgeKind) -> AppResult<Tree> {
        let owner_id = match library {
            Library::Public => None,
            Library::Personal => Some(scope.employee_id().ok_or_else(AppError::forbidden)?),
        };
        Ok(Tree { shelf: Shelf::Knowledge(library, kind), owner_id })
    }

    /// The corp folder's one tree.
    pub fn folder() -> Tree {
        Tree { shelf: Shelf::Folder, owner_id: None }
    }

    /// The marketing materials' one tree.
    pub fn marketing() -> Tree {
        Tree { shelf: Shelf::Marketing, owner_id: None }
    }

    /// The folder and the marketing tree count as public: the corp's, read by all.
    pub fn library(&self) -> Library {
        match self.shelf {
            Shelf::Knowledge(library, _) => library,
            Shelf::Folder | Shelf::Marketing => Library::Public,
        }
    }

    /// The entry kind of a knowledge-base tree.
    pub fn kind(&self) -> AppResult<KnowledgeKind> {
        match self.shelf {
            Shelf::Knowledge(_, kind) => Ok(kind),
            Shelf::Folder | Shelf::Marketing => Err(AppError::not_found()),
        }
    }

    pub fn key(&self) -> String {
        match (self.shelf, self.owner_id) {
            (Shelf::Folder, _) => "FOLDER".into(),
            (Shelf::Marketing, _) => "MARKETING".into(),
            (Shelf::Knowledge(Library::Personal, kind), Some(owner)) => format!("PERSONAL:{}:{owner}", kind.code()),
            (Shelf::Knowledge(_, kind), _) => format!("PUBLIC:{}", kind.code()),
        }
    }

    /// The tree a stored key names.
    pub fn parse(key: &str) -> Option<Tree> {
        match key {
            "FOLDER" => return Some(Tree::folder()),
            "MARKETING" => return Some(Tree::marketing()),
            _ => {}
        }
        let mut parts = key.split(':');
        let (library, kind) = (parts.next()?, KnowledgeKind::parse(parts.next()?)?);
        match (library, parts.next()) {
            ("PUBLIC", None) => Some(Tree { shelf: Shelf::Knowledge(Library::Public, kind), owner_id: None }),
            ("PERSONAL", Some(owner)) => {
                Some(Tree { shelf: Shelf::Knowledge(Library::Personal, kind), owner_id: Some(owner.parse().ok()?) })
            }
            _ => None,
        }
    }

    /// Whether the caller may change this tree and its items: the owner of a
    /// personal tree; for a public tree or the folder, whoever
    /// `manages_public` says (the caller holds the shelf's permission).
    pub fn writable_by(&self, scope: &Scope, manages_public: bool) -> bool {
        match self.library() {
            Library::Public => manages_public,
            Library::Personal => self.owner_id.is_some() && self.owner_id == scope.employee_id(),
        }
    }

    /// Whether the caller may see it: everyone signed in sees the public
    /// library and the folder (the sidebar shows them); a personal one only its owner.
    pub fn readable_by(&self, scope: &Scope) -> bool {
        self.library() == Library::Public || self.writable_by(scope, false)
    }
}
