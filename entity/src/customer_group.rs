use sea_orm::entity::prelude::*;

/// A WeCom customer group chat.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "customer_groups")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    pub chat_id: String,
    pub name: String,
    pub owner_userid: String,
    pub owner_id: Option<i64>,
    pub notice: Option<String>,
    /// WeCom `status`: 0 normal, 1–3 resigned-inheritance states.
    pub status: i32,
    pub member_version: Option<String>,
    pub chat_created_at: DateTimeUtc,
    pub dismissed_at: Option<DateTimeUtc>,
    pub last_contact_at: Option<DateTimeUtc>,
    /// ACTIVE or INACTIVE by the corp's activity rule (GRP-3); none until evaluated.
    pub activity: Option<String>,
    pub activity_evaluated_at: Option<DateTimeUtc>,
    /// Members the activity rule last counted as active customers.
    pub active_customer_count: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
