//! Customers (CUS): the list and its filters, detail fields, owner and adders,
//! tags through WeCom's `mark_tag`, on-job transfer, follow-up records, the
//! timeline every producer appends to, and the recycle bin of lost customers.
//!
//! Visibility is the tenancy rule for `customer::Entity` (an adder or the
//! owner in the caller's data scope); every read here goes through
//! `Scope::select_visible` / `get_visible`.

/// `as_str` / `parse` between a GraphQL enum and the text stored for it.
macro_rules! text_enum {
    ($t:ty { $($v:ident => $s:literal),* $(,)? }) => {
        impl $t {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$v => $s),* }
            }
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some(Self::$v),)* _ => None }
            }
        }
    };
}

pub mod aggregates;
pub mod allocation;
pub mod customer_tagging;
pub mod follow_ups;
pub mod graphql;
pub mod group_activity;
pub mod group_tags;
pub mod inheritance;
pub mod loaders;
pub mod records;
pub mod recycle;
pub mod seed;
pub mod service;
pub mod sidebar;
pub mod timeline;
pub mod transfer;
pub mod work_orders;

pub use follow_ups::Subject;

use sea_orm::{ColumnTrait, DatabaseConnection, PaginatorTrait, QueryFilter};

use crate::{
    error::{msg, AppError, AppResult},
    jobs::JobRegistry,
    org::employees::DeletionGuard,
    tenancy::Scope,
};

/// Refuses to delete an employee who still owns customers (ORG: "该员工下有跟进的客户…").
pub struct OwnedCustomersGuard;

#[async_trait::async_trait]
impl DeletionGuard for OwnedCustomersGuard {
    async fn check(&self, db: &DatabaseConnection, scope: &Scope, employee_id: i64) -> AppResult<()> {
        let owned = scope.select::<entity::customer::Entity>().filter(entity::customer::Column::OwnerId.eq(employee_id)).count(db).await?;
        if owned > 0 {
            return Err(AppError::conflict(msg::EMPLOYEE_HAS_CUSTOMERS));
        }
        Ok(())
    }
}

/// What the caller needs to know of a visible customer or group.
pub struct SubjectRef {
    pub name: String,
    /// The customer's owner, or the group's owner.
    pub owner_id: Option<i64>,
}

/// The customer or group, if the caller may see it (else `NOT_FOUND`).
pub async fn visible_subject(db: &impl sea_orm::ConnectionTrait, scope: &Scope, subject: Subject, id: i64) -> AppResult<SubjectRef> {
    Ok(match subject {
        Subject::Customer => {
            let c = scope.get_visible::<entity::customer::Entity>(db, id).await?;
            SubjectRef { name: c.name, owner_id: c.owner_id }
        }
        Subject::Group => {
            let g = scope.get_visible::<entity::customer_group::Entity>(db, id).await?;
            SubjectRef { name: g.name, owner_id: g.owner_id }
        }
    })
}

/// The customer area's job kinds and schedules.
pub fn jobs(registry: JobRegistry) -> JobRegistry {
    use chrono::Duration;
    registry
        .register(follow_ups::SendReminderJob)
        .register(work_orders::WorkOrderClosedJob)
        .register(inheritance::SyncUnassignedJob)
        .register(inheritance::ResignedInheritJob)
        .register(inheritance::InheritanceStatusJob)
        .register(allocation::AutoAllocationJob)
        .register(group_activity::GroupActivityJob)
        // GRP-3: label groups daily at 03:00 China time (19:00 UTC).
        .schedule_every::<group_activity::GroupActivityJob>("group-activity", Duration::days(1), Duration::hours(19))
        // INH-3: daily at 10:00 China time (02:00 UTC), for the previous day's leavers.
        .schedule_every::<allocation::AutoAllocationJob>("resigned-auto-allocation", Duration::days(1), Duration::hours(2))
        .schedule_every::<inheritance::InheritanceStatusJob>("inheritance-status", Duration::minutes(30), Duration::zero())
}
