use sea_orm::entity::prelude::*;

/// One filled-in form (MAT-12), credited to the sharing employee.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "form_submissions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    pub material_id: i64,
    pub share_id: Option<i64>,
    pub visit_id: Option<i64>,
    pub employee_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub visitor_id: Option<i64>,
    /// `{componentId: answer}` as JSON.
    pub answers: String,
    /// The phone component's answer, for the phone submitters list (EMP-6).
    pub phone: Option<String>,
    pub submitted_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
