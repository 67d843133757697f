//! Materials over GraphQL (thin: the rules are in the services of
//! `materials`): category trees, the knowledge base, the corp folder,
//! marketing materials and the public calls of their H5 pages.

pub mod folder;
pub mod knowledge;
pub mod loaders;
pub mod marketing;
pub mod radar;
pub mod toolbox;

use async_graphql::{Context, Enum, SimpleObject, ID};

use super::{KnowledgeKind, Library, Shelf, Tree};
use crate::{
    error::AppError,
    graphql::{connection::id, context::CtxExt},
    org::permissions as perm,
};

/// Refuses a write to a tree the caller may only read: a personal tree is
/// its owner's; the public library and the folder each need their permission.
pub fn writable(ctx: &Context<'_>, tree: &Tree) -> Result<(), AppError> {
    let needed = match tree.shelf {
        Shelf::Folder => perm::MATERIAL_FOLDER_MANAGE,
        Shelf::Marketing => perm::MATERIAL_MARKETING_MANAGE,
        Shelf::Knowledge(..) => perm::MATERIAL_KNOWLEDGE_MANAGE,
    };
    if !tree.writable_by(ctx.scope()?, ctx.auth()?.has(needed)) {
        return Err(AppError::forbidden());
    }
    Ok(())
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "MaterialLibrary")]
pub enum LibraryArg {
    /// The corp's, managed by holders of `material.knowledge.manage`, seen by every employee.
    Public,
    /// The caller's own, seen by no one else.
    Personal,
}

impl From<LibraryArg> for Library {
    fn from(l: LibraryArg) -> Library {
        match l {
            LibraryArg::Public => Library::Public,
            LibraryArg::Personal => Library::Personal,
        }
    }
}

impl From<Library> for LibraryArg {
    fn from(l: Library) -> LibraryArg {
        match l {
            Library::Public => LibraryArg::Public,
            Library::Personal => LibraryArg::Personal,
        }
    }
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "KnowledgeKind")]
pub enum KindArg {
    /// 话术: question names, similar questions and an answer.
    Script,
    /// 常用语: a phrase.
    Phrase,
    /// 常用链接: a name and a URL.
    Link,
}

impl From<KindArg> for KnowledgeKind {
    fn from(k: KindArg) -> KnowledgeKind {
        match k {
            KindArg::Script => KnowledgeKind::Script,
            KindArg::Phrase => KnowledgeKind::Phrase,
            KindArg::Link => KnowledgeKind::Link,
        }
    }
}

impl From<KnowledgeKind> for KindArg {
    fn from(k: KnowledgeKind) -> KindArg {
        match k {
            KnowledgeKind::Script => KindArg::Script,
            KnowledgeKind::Phrase => KindArg::Phrase,
            KnowledgeKind::Link => KindArg::Link,
        }
    }
}

/// A category of a material tree (MAT-2). Trees come flat, parents before
/// children and siblings in order; build the tree from `parentId`.
#[derive(SimpleObject)]
pub struct MaterialCategory {
    pub id: ID,
    /// `null` for the root "全部问题".
    pub parent_id: Option<ID>,
    pub name: String,
    /// 0 for the root, 1 for 未分类 and the top categories, at most 4.
    pub depth: i32,
    /// The root or 未分类: never renamed, moved or deleted.
    pub fixed: bool,
    /// Siblings sort by this, ascending (a decimal such as 1.17 goes between 1 and 2).
    pub sort_index: f64,
}

pub fn category(c: entity::material_category::Model) -> MaterialCategory {
    MaterialCategory {
        id: id(c.id),
        parent_id: c.parent_id.map(id),
        name: c.name,
        depth: c.depth,
        fixed: c.fixed.is_some(),
        sort_index: c.sort_index,
    }
}
