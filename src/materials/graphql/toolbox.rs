//! The sidebar's toolbox over GraphQL (SIDE-6; thin: the rules are in
//! `materials::toolbox`).

use async_graphql::{Context, Enum, Object, SimpleObject};

use super::{
    folder::{self, FolderItem},
    knowledge::{self, KnowledgeItem},
    marketing::{self, MarketingMaterial},
};
use crate::{
    error::AppError,
    graphql::{context::CtxExt, guard::LoggedIn},
    materials::toolbox,
    org::permissions as perm,
};

/// SPEC's sidebar tools (SIDE-6).
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum SidebarTool {
    /// 知识库.
    KnowledgeBase,
    /// 企业文件夹.
    CorpFolder,
    /// 营销素材 (sent as radar links).
    MarketingMaterials,
    /// 个人欢迎语 (not built yet).
    PersonalWelcome,
    /// 红包 (PAY-5; not built yet).
    RedPacket,
    /// 营销海报生成 (TSK-1; not built yet).
    MarketingPoster,
    /// 租户H5组件 (CFG-18; not built yet).
    H5Components,
}

const CODES: [(SidebarTool, &str); 7] = [
    (SidebarTool::KnowledgeBase, "KNOWLEDGE_BASE"),
    (SidebarTool::CorpFolder, "CORP_FOLDER"),
    (SidebarTool::MarketingMaterials, "MARKETING_MATERIALS"),
    (SidebarTool::PersonalWelcome, "PERSONAL_WELCOME"),
    (SidebarTool::RedPacket, "RED_PACKET"),
    (SidebarTool::MarketingPoster, "MARKETING_POSTER"),
    (SidebarTool::H5Components, "H5_COMPONENTS"),
];

fn tool_of(code: &str) -> Option<SidebarTool> {
    CODES.iter().find(|(_, c)| *c == code).map(|(t, _)| *t)
}

fn code_of(tool: SidebarTool) -> String {
    CODES.iter().find(|(t, _)| *t == tool).map(|(_, c)| c.to_string()).unwrap_or_default()
}

/// One search of the sidebar: the tools shown and what they send.
#[derive(SimpleObject)]
pub struct SidebarToolbox {
    /// In the admin's order.
    pub tools: Vec<SidebarTool>,
    /// Public and the caller's personal entries, most used first.
    pub knowledge_items: Vec<KnowledgeItem>,
    pub folder_items: Vec<FolderItem>,
    /// Published materials whose audience includes the caller.
    pub marketing_materials: Vec<MarketingMaterial>,
}

#[derive(Default)]
pub struct ToolboxQuery;

#[Object]
impl ToolboxQuery {
    /// The sidebar's toolbox: the enabled tools, and up to `first` (≤ 20)
    /// matches of `keyword` per enabled material tool.
    #[graphql(guard = "LoggedIn")]
    async fn sidebar_toolbox(
        &self,
        ctx: &Context<'_>,
        keyword: Option<String>,
        #[graphql(default = 10)] first: i32,
    ) -> async_graphql::Result<SidebarToolbox> {
        let (db, scope) = (ctx.db(), ctx.scope()?);
        let found = toolbox::search(db, scope, keyword.as_deref(), first.max(1) as u64).await?;
        Ok(SidebarToolbox {
            tools: toolbox::tools(db, scope).await?.iter().filter_map(|t| tool_of(t)).collect(),
            knowledge_items: found.knowledge.into_iter().map(|(tree, i)| knowledge::item(&tree, i)).collect(),
            folder_items: found.folder.into_iter().map(folder::item).collect(),
            marketing_materials: found.marketing.into_iter().map(marketing::material).collect(),
        })
    }
}

#[derive(Default)]
pub struct ToolboxMutation;

#[Object]
impl ToolboxMutation {
    /// Chooses the sidebar's tools and their order (`cfg.sidebar.manage`).
    #[graphql(guard = "LoggedIn")]
    async fn set_sidebar_tools(&self, ctx: &Context<'_>, tools: Vec<SidebarTool>) -> async_graphql::Result<Vec<SidebarTool>> {
        if !ctx.auth()?.has(perm::CFG_SIDEBAR_MANAGE) {
            return Err(AppError::forbidden().into());
        }
        let codes: Vec<String> = tools.into_iter().map(code_of).collect();
        Ok(toolbox::set_tools(ctx.db(), ctx.scope()?, &codes).await?.iter().filter_map(|t| tool_of(t)).collect())
    }
}
