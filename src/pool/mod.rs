//! The public pool (CRM-6…8, CFG-14, CFG-15): pool groups and return
//! reasons ([`groups`]), the customers sitting in a pool and what may be
//! done with them ([`members`]), and the hourly recall with its reminders
//! ([`recall`]).

pub mod graphql;
pub mod groups;
pub mod members;
pub mod recall;

use crate::jobs::JobRegistry;

pub fn jobs(registry: JobRegistry) -> JobRegistry {
    registry.register(recall::RecallJob).schedule_every::<recall::RecallJob>(
        "pool.recall",
        chrono::Duration::hours(1),
        chrono::Duration::minutes(3),
    )
}
