use sea_orm::entity::prelude::*;

/// A knowledge-base entry (MAT-3/4/5): a script (question names, similar
/// questions, answer), a phrase (text) or a link (name, URL).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "knowledge_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    /// The tree it is filed in (see `material_category::Model::tree`).
    pub tree: String,
    /// SCRIPT, PHRASE or LINK.
    pub kind: String,
    /// The employee a personal entry belongs to.
    pub owner_id: Option<i64>,
    pub category_id: i64,
    /// JSON list: a script's question names; a link's name; empty for a phrase.
    pub names: String,
    /// JSON list of a script's similar questions.
    pub similar_questions: String,
    /// A script's answer, a phrase's text, a link's description.
    pub content: String,
    pub url: Option<String>,
    pub sort_index: f64,
    pub usage_count: i64,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
