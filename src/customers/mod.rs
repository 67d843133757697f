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
pub mod export;
pub mod follow_ups;
pub mod graphql;
pub mod group_activity;
pub mod group_tags;
pub mod inheritance;
pub mod records;
pub mod recycle;
pub mod seed;
pub mod service;
pub mod sidebar;
pub mod subjects;
pub mod timeline;
pub mod transfer;
pub mod work_orders;

use crate::jobs::JobRegistry;

/// The customer area's job kinds and schedules.
pub fn jobs(registry: JobRegistry) -> JobRegistry {
    use chrono::Duration;
    registry
        .register(export::ExportCustomersJob)
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
