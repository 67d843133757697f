use sea_orm::entity::prelude::*;

/// A working calendar (SYS-2): weekly time slots and holidays.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "work_calendars")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub corp_id: i64,
    pub name: String,
    pub note: Option<String>,
    /// JSON: seven lists (Monday first) of ["HH:MM","HH:MM"] slots, China time.
    pub week: String,
    /// JSON array of "YYYY-MM-DD" rest days.
    pub holidays: String,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
