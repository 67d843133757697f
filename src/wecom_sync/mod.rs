//! The corp's link to WeCom: credentials, two-way writes, sync, callbacks,
//! and login with a WeCom code. Calls go through `integrations::wecom`.

pub mod app_message;
pub mod binding;
pub mod callbacks;
pub mod customer_sync;
pub mod directory;
pub mod employee_tag_sync;
pub mod graphql;
pub mod inbox;
pub mod inbox_apply;
pub mod link;
pub mod progress;
pub mod sync;
pub mod tag_sync;

use crate::jobs::JobRegistry;

/// WeCom's job kinds: syncs (manual, nightly, hourly reconcile) and the
/// callback inbox.
pub fn jobs(registry: JobRegistry) -> JobRegistry {
    use chrono::Duration;
    registry
        .register(sync::SyncJob)
        .register(sync::NightlySyncJob)
        .register(sync::HourlyReconcileJob)
        .register(inbox_apply::ApplyInboxJob)
        .register(callbacks::InboxSweepJob)
        .schedule_every::<sync::HourlyReconcileJob>("wecom-hourly-reconcile", Duration::hours(1), Duration::zero())
        .schedule_every::<callbacks::InboxSweepJob>("wecom-inbox-sweep", Duration::minutes(10), Duration::zero())
        .schedule_every::<sync::NightlySyncJob>("wecom-nightly-sync", Duration::days(1), Duration::zero())
}
