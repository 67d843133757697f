use sea_orm::entity::prelude::*;

/// A marketing material (MAT-8…12): an article, poster, brochure or form,
/// always shared as a tracked link.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "marketing_materials")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    pub category_id: i64,
    /// ARTICLE, POSTER, BROCHURE or FORM.
    pub kind: String,
    /// Articles only: NORMAL, REPRINT or OFFICIAL_ACCOUNT.
    pub article_type: Option<String>,
    pub title: String,
    pub summary: String,
    pub cover_url: Option<String>,
    /// The kind's body as JSON: article blocks, poster canvas, brochure pages, form components.
    pub content: String,
    /// A reprinted article's original.
    pub source_url: Option<String>,
    /// The jump button's target (a form, or for brochures an article).
    pub jump_material_id: Option<i64>,
    /// UNPUBLISHED or PUBLISHED.
    pub status: String,
    /// Else only the chosen departments and employees see it.
    pub visible_to_all: bool,
    pub view_count: i64,
    pub viewer_count: i64,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub published_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
