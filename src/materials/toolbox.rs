//! The sidebar's toolbox (SIDE-6): which tools the admin shows in the WeCom
//! sidebar, and one search over the materials those tools send — the
//! knowledge base (public and the caller's personal entries), the corp
//! folder and the marketing materials the caller may send.

use sea_orm::{ColumnTrait, Condition, DatabaseConnection, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};

use super::{knowledge, marketing, KnowledgeKind, Library, Tree};
use crate::{
    error::{AppError, AppResult, Msg},
    settings::{self, Document},
    tenancy::Scope,
};
use entity::{folder_item, knowledge_item, marketing_material};

/// SPEC's seven tools, in its order.
pub const TOOLS: [&str; 7] =
    ["KNOWLEDGE_BASE", "CORP_FOLDER", "MARKETING_MATERIALS", "PERSONAL_WELCOME", "RED_PACKET", "MARKETING_POSTER", "H5_COMPONENTS"];
/// The tools that exist today; a new corp shows these.
pub const BUILT: [&str; 3] = ["KNOWLEDGE_BASE", "CORP_FOLDER", "MARKETING_MATERIALS"];
/// Results per section of one search.
pub const MAX_RESULTS: u64 = 20;

const UNKNOWN_TOOL: Msg = Msg::new("SIDEBAR_TOOL_UNKNOWN", "不支持的侧边栏工具", "Unknown sidebar tool");

/// The admin's choice of tools, in display order.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct ToolboxSettings {
    pub tools: Vec<String>,
}

impl Default for ToolboxSettings {
    fn default() -> Self {
        ToolboxSettings { tools: BUILT.iter().map(|t| t.to_string()).collect() }
    }
}

impl Document for ToolboxSettings {
    const KEY: &'static str = "sidebar_toolbox";
}

pub async fn tools(db: &DatabaseConnection, scope: &Scope) -> AppResult<Vec<String>> {
    Ok(settings::get::<ToolboxSettings>(db, scope).await?.tools)
}

/// Replaces the tools shown (duplicates dropped, order kept).
pub async fn set_tools(db: &DatabaseConnection, scope: &Scope, chosen: &[String]) -> AppResult<Vec<String>> {
    let mut tools: Vec<String> = Vec::new();
    for t in chosen {
        if !TOOLS.contains(&t.as_str()) {
            return Err(AppError::bad_input("tools", UNKNOWN_TOOL));
        }
        if !tools.contains(t) {
            tools.push(t.clone());
        }
    }
    settings::put(db, scope, &ToolboxSettings { tools: tools.clone() }).await?;
    Ok(tools)
}

/// What one search found, each section empty when its tool is hidden.
#[derive(Default)]
pub struct Found {
    pub knowledge: Vec<(Tree, knowledge_item::Model)>,
    pub folder: Vec<folder_item::Model>,
    pub marketing: Vec<marketing_material::Model>,
}

/// Up to `limit` (≤ 20) of each enabled section matching `keyword`: one statement per section.
pub async fn search(db: &DatabaseConnection, scope: &Scope, keyword: Option<&str>, limit: u64) -> AppResult<Found> {
    let enabled = tools(db, scope).await?;
    let on = |t: &str| enabled.iter().any(|x| x == t);
    let limit = limit.clamp(1, MAX_RESULTS);
    let keyword = keyword.map(str::trim).filter(|k| !k.is_empty());
    let mut found = Found::default();
    if on("KNOWLEDGE_BASE") {
        let kinds = [KnowledgeKind::Script, KnowledgeKind::Phrase, KnowledgeKind::Link];
        let mut trees: Vec<Tree> =
            kinds.iter().map(|k| Tree { shelf: super::Shelf::Knowledge(Library::Public, *k), owner_id: None }).collect();
        if scope.employee_id().is_some() {
            trees.extend(kinds.iter().filter_map(|k| Tree::of(scope, Library::Personal, *k).ok()));
        }
        let mut q = scope.select::<knowledge_item::Entity>().filter(knowledge_item::Column::Tree.is_in(trees.iter().map(Tree::key)));
        if let Some(c) = knowledge::keyword_condition(keyword) {
            q = q.filter(c);
        }
        let rows =
            q.order_by_desc(knowledge_item::Column::UsageCount).order_by_desc(knowledge_item::Column::Id).limit(limit).all(db).await?;
        found.knowledge = rows.into_iter().filter_map(|i| Tree::parse(&i.tree).map(|t| (t, i))).collect();
    }
    if on("CORP_FOLDER") {
        let mut q = scope.select::<folder_item::Entity>();
        if let Some(k) = keyword {
            q = q.filter(super::holds_keyword(folder_item::Column::Title, k));
        }
        found.folder = q.order_by_desc(folder_item::Column::Id).limit(limit).all(db).await?;
    }
    if on("MARKETING_MATERIALS") {
        let mut q = scope
            .select::<marketing_material::Entity>()
            .filter(marketing_material::Column::Status.eq(marketing::PUBLISHED))
            .filter(marketing::audience_condition(db, scope).await?);
        if let Some(k) = keyword {
            q = q.filter(
                Condition::any()
                    .add(super::holds_keyword(marketing_material::Column::Title, k))
                    .add(super::holds_keyword(marketing_material::Column::Summary, k)),
            );
        }
        found.marketing = q.order_by_desc(marketing_material::Column::Id).limit(limit).all(db).await?;
    }
    Ok(found)
}
