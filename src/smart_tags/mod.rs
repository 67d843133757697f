//! Smart tags (TAG-5): rules that put corp tags on the customers matching
//! their conditions, existing and new. [`rules`] keeps them; [`apply`] tags
//! (on save, each minute for changes noted by [`pending`], and hourly).

pub mod apply;
pub mod graphql;
pub mod pending;
pub mod rules;

use crate::jobs::JobRegistry;

pub fn jobs(registry: JobRegistry) -> JobRegistry {
    registry
        .register(apply::RulePassJob)
        .register(apply::CheckChangedJob)
        .register(apply::HourlyPass)
        .schedule_every::<pending::CheckChanged>("smart_tags.check", chrono::Duration::minutes(1), chrono::Duration::zero())
        .schedule_every::<apply::HourlyPass>("smart_tags.hourly", chrono::Duration::hours(1), chrono::Duration::minutes(7))
}
