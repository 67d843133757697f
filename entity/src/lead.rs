use sea_orm::entity::prelude::*;

/// A sales lead (CRM-1…5): someone who is not (yet) a WeCom contact.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "leads")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    pub name: String,
    pub mobile: Option<String>,
    /// 0 unknown, 1 male, 2 female (as WeCom counts customers).
    pub gender: i32,
    pub company_name: Option<String>,
    pub position: Option<String>,
    pub channel: Option<String>,
    pub email: Option<String>,
    pub remark: Option<String>,
    /// ACTIVE, DISCARDED, CONVERTED.
    pub status: String,
    /// The employee the lead is assigned to.
    pub owner_id: Option<i64>,
    pub assigned_at: Option<DateTimeUtc>,
    /// The customer the lead became when WeCom reported the add.
    pub customer_id: Option<i64>,
    pub converted_at: Option<DateTimeUtc>,
    pub last_follow_up_at: Option<DateTimeUtc>,
    /// `<transfer id>:<row>` for imported leads.
    pub import_row: Option<String>,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
