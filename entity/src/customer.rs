use sea_orm::entity::prelude::*;

/// An external contact of the corp (WeChat user, type 1, or WeCom user, type 2).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "customers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    pub external_userid: String,
    pub name: String,
    pub avatar: Option<String>,
    /// 1 WeChat user, 2 WeCom user (WeCom's numbers).
    pub contact_type: i32,
    /// 0 unknown, 1 male, 2 female (WeCom's numbers).
    pub gender: i32,
    pub unionid: Option<String>,
    pub position: Option<String>,
    pub corp_name: Option<String>,
    pub corp_full_name: Option<String>,
    /// The owner (跟进人): one of the adders, the first by default.
    pub owner_id: Option<i64>,
    /// Staff-maintained (CUS-3); not written to WeCom.
    pub mobile: Option<String>,
    /// Channel (渠道), set by staff.
    pub channel: Option<String>,
    /// Company name staff keep for WeChat customers (WeCom customers carry `corp_name`).
    pub company_name: Option<String>,
    /// Add time of the first adder (kept by every writer of follow relations).
    pub first_added_at: Option<DateTimeUtc>,
    /// Current adders (kept by every writer of follow relations).
    pub adder_count: i32,
    /// Last message exchanged with the customer (chat archive).
    pub last_contact_at: Option<DateTimeUtc>,
    /// Agreed to chat archiving (ARC-1).
    pub archive_agreed: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The pool group whose rules apply (NULL: the default pool's).
    pub pool_id: Option<i64>,
    /// Why its owner returned it to the pool (NULL when recalled).
    pub pool_reason_id: Option<i64>,
    /// Who owned it before it went to the pool.
    pub previous_owner_id: Option<i64>,
    /// Set while the customer sits in the pool.
    pub pooled_at: Option<DateTimeUtc>,
    /// When the owner got it from a pool.
    pub owner_since: Option<DateTimeUtc>,
    /// The B2B account it belongs to (CRM-9).
    pub company_id: Option<i64>,
    /// The customer's last message in a single chat (chat archive).
    pub last_customer_message_at: Option<DateTimeUtc>,
    /// An employee's last message to the customer in a single chat.
    pub last_employee_message_at: Option<DateTimeUtc>,
    /// Messages the customer sent in single chats.
    pub customer_message_count: i64,
    /// Kept by staff (CUS-3); age is counted from it.
    pub birthday: Option<Date>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
