use sea_orm::entity::prelude::*;

/// A row of the customer recycle bin (INH-4): one ended follow relation.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "customer_losses")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    pub customer_id: i64,
    pub employee_id: i64,
    /// CUSTOMER_DELETED, EMPLOYEE_DELETED or EMPLOYEE_RESIGNED.
    pub loss_type: String,
    pub lost_at: DateTimeUtc,
    pub added_at: DateTimeUtc,
    pub last_contact_at: Option<DateTimeUtc>,
    /// The customer's name and mobile when lost, for search.
    pub customer_name: String,
    pub customer_mobile: Option<String>,
    /// The source event's key, so a replayed callback writes once.
    pub dedup_key: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
