//! Smart tags (TAG-5): rules that put corp tags on the customers matching
//! their conditions, or group tags on the customer groups matching theirs,
//! existing and new. [`rules`] keeps them; [`apply`] tags customers (on
//! save, each minute for changes noted by [`pending`], and hourly);
//! [`groups`] tags groups (on save and each minute).

pub mod apply;
pub mod graphql;
pub mod groups;
pub mod pending;
pub mod rules;
pub mod tag_type;

use crate::jobs::JobRegistry;

pub fn jobs(registry: JobRegistry) -> JobRegistry {
    registry
        .register(apply::RulePassJob)
        .register(apply::CheckChangedJob)
        .register(apply::HourlyPass)
        .register(groups::GroupPass)
        .schedule_every::<pending::CheckChanged>("smart_tags.check", chrono::Duration::minutes(1), chrono::Duration::zero())
        .schedule_every::<groups::GroupPass>("smart_tags.groups", chrono::Duration::minutes(1), chrono::Duration::zero())
        .schedule_every::<apply::HourlyPass>("smart_tags.hourly", chrono::Duration::hours(1), chrono::Duration::minutes(7))
}
