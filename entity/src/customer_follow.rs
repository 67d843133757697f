use sea_orm::entity::prelude::*;

/// One adder (添加人) of a customer: the employee's side of the friendship.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "customer_follows")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    pub customer_id: i64,
    pub employee_id: i64,
    pub remark: Option<String>,
    pub description: Option<String>,
    /// When the employee added the customer (WeCom `createtime`).
    pub added_at: DateTimeUtc,
    /// WeCom's `add_way` number.
    pub add_way: i32,
    /// The live code's `state`, when added through one.
    pub state: Option<String>,
    pub oper_userid: Option<String>,
    pub remark_corp_name: Option<String>,
    /// JSON array of strings.
    pub remark_mobiles: String,
    /// JSON array of WeCom tag ids, as WeCom last reported them.
    pub wecom_tag_ids: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
