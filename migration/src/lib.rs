//! Schema migrations. Each one runs unchanged on SQLite and PostgreSQL.
pub use sea_orm_migration::prelude::*;

mod helpers;
mod m20261122_000001_foundation;
mod m20261122_000002_wecom;
mod m20261122_000003_customers;
mod m20261122_000004_internal_groups;
mod m20261122_000005_job_checkpoint;
mod m20261122_000006_crm;
mod m20261122_000007_records;
mod m20261122_000008_inheritance;
mod m20261122_000009_group_tags;
mod m20261122_000010_files;
mod m20261122_000011_group_activity;
mod m20261202_000012_live_alerts;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_foundation::Migration),
            Box::new(m20261122_000002_wecom::Migration),
            Box::new(m20261122_000003_customers::Migration),
            Box::new(m20261122_000004_internal_groups::Migration),
            Box::new(m20261122_000005_job_checkpoint::Migration),
            Box::new(m20261122_000006_crm::Migration),
            Box::new(m20261122_000007_records::Migration),
            Box::new(m20261122_000008_inheritance::Migration),
            Box::new(m20261122_000009_group_tags::Migration),
            Box::new(m20261122_000010_files::Migration),
            Box::new(m20261122_000011_group_activity::Migration),
            Box::new(m20261202_000012_live_alerts::Migration),
        ]
    }
}
