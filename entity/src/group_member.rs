use sea_orm::entity::prelude::*;

/// A member of a customer group: an employee (type 1) or an external contact (type 2).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "group_members")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    pub group_id: i64,
    pub userid: String,
    pub member_type: i32,
    pub joined_at: DateTimeUtc,
    /// 1 direct invite, 2 invite link, 3 QR scan.
    pub join_scene: i32,
    pub invitor_userid: Option<String>,
    pub group_nickname: Option<String>,
    pub name: Option<String>,
    pub unionid: Option<String>,
    pub state: Option<String>,
    /// Set when the member left; quit members stay listed as such.
    pub left_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
