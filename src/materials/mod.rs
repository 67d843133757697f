//! Materials (MAT-1…12). This first part: the category trees of MAT-2 and
//! the knowledge base of MAT-1/3/4/5 — public and personal libraries of
//! scripts, phrases and links, searched and counted as the sidebar uses
//! them. (The corp folder, marketing materials, uploads and radar tracking
//! build on these trees in later parts of issue #13.)

pub mod categories;
pub mod graphql;
pub mod knowledge;

use crate::{
    error::{AppError, AppResult},
    tenancy::Scope,
};

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

/// One tree's name: the library and kind, and for a personal tree its owner,
/// so a personal tree is found only by its owner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tree {
    pub library: Library,
    pub kind: KnowledgeKind,
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
        Ok(Tree { library, kind, owner_id })
    }

    pub fn key(&self) -> String {
        match (self.library, self.owner_id) {
            (Library::Personal, Some(owner)) => format!("PERSONAL:{}:{owner}", self.kind.code()),
            _ => format!("PUBLIC:{}", self.kind.code()),
        }
    }

    /// The tree a stored key names; `None` for other trees (the corp folder).
    pub fn parse(key: &str) -> Option<Tree> {
        let mut parts = key.split(':');
        let (library, kind) = (parts.next()?, KnowledgeKind::parse(parts.next()?)?);
        match (library, parts.next()) {
            ("PUBLIC", None) => Some(Tree { library: Library::Public, kind, owner_id: None }),
            ("PERSONAL", Some(owner)) => Some(Tree { library: Library::Personal, kind, owner_id: Some(owner.parse().ok()?) }),
            _ => None,
        }
    }

    /// Whether the caller may change this tree and its items: the owner of a
    /// personal tree; for a public tree, whoever `manages_public` says.
    pub fn writable_by(&self, scope: &Scope, manages_public: bool) -> bool {
        match self.library {
            Library::Public => manages_public,
            Library::Personal => self.owner_id.is_some() && self.owner_id == scope.employee_id(),
        }
    }

    /// Whether the caller may see it: everyone signed in sees the public
    /// library (the sidebar shows it); a personal one only its owner.
    pub fn readable_by(&self, scope: &Scope) -> bool {
        self.library == Library::Public || self.writable_by(scope, false)
    }
}
