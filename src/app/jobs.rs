//! The job registry: every area adds its kinds and schedules.

use crate::{
    alerts, archive, customers, data_centre,
    jobs::{maintenance::MaintenanceJob, JobRegistry},
    leads, materials, official_accounts, org, pool, smart_tags, wecom_sync,
};

pub fn registry() -> JobRegistry {
    let registry = JobRegistry::default().register(MaintenanceJob).schedule_every::<MaintenanceJob>(
        "maintenance",
        chrono::Duration::hours(1),
        chrono::Duration::zero(),
    );
    let registry = org::jobs(registry);
    let registry = wecom_sync::jobs(registry);
    let registry = customers::jobs(registry);
    let registry = alerts::jobs(registry);
    let registry = materials::jobs(registry);
    let registry = data_centre::jobs(registry);
    let registry = leads::jobs(registry);
    let registry = pool::jobs(registry);
    let registry = smart_tags::jobs(registry);
    let registry = official_accounts::jobs(registry);
    archive::jobs(registry)
}
