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
mod m20261204_000013_foreign_keys;
mod m20261205_000014_corp_tag_ownership;
mod m20261205_000015_job_claim_indexes;
mod m20261205_000016_employee_tag_owner;
mod m20261206_000017_knowledge_base;
mod m20261206_000018_folder_radar;
mod m20261207_000019_marketing_radar;
mod m20261207_000020_material_files;
mod m20261207_000021_leads;
mod m20261207_000022_public_pool;
mod m20261207_000023_opportunities;
mod m20261207_000024_companies;
mod m20261207_000025_smart_tags;
mod m20261207_000026_crowd_packs;
mod m20261207_000027_customer_interaction;
mod m20261207_000028_group_smart_tags;
mod m20261207_000029_customer_birthday;
mod m20261207_000030_official_accounts;

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
            Box::new(m20261204_000013_foreign_keys::Migration),
            Box::new(m20261205_000014_corp_tag_ownership::Migration),
            Box::new(m20261205_000015_job_claim_indexes::Migration),
            Box::new(m20261205_000016_employee_tag_owner::Migration),
            Box::new(m20261206_000017_knowledge_base::Migration),
            Box::new(m20261206_000018_folder_radar::Migration),
            Box::new(m20261207_000019_marketing_radar::Migration),
            Box::new(m20261207_000020_material_files::Migration),
            Box::new(m20261207_000021_leads::Migration),
            Box::new(m20261207_000022_public_pool::Migration),
            Box::new(m20261207_000023_opportunities::Migration),
            Box::new(m20261207_000024_companies::Migration),
            Box::new(m20261207_000025_smart_tags::Migration),
            Box::new(m20261207_000026_crowd_packs::Migration),
            Box::new(m20261207_000027_customer_interaction::Migration),
            Box::new(m20261207_000028_group_smart_tags::Migration),
            Box::new(m20261207_000029_customer_birthday::Migration),
            Box::new(m20261207_000030_official_accounts::Migration),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::m20261204_000013_foreign_keys::{keys, parents_first, TENANT_TABLES};

    #[test]
    fn every_keyed_table_comes_after_the_tables_it_points_at() {
        let keys = keys();
        let order = parents_first(&keys).expect("no cycle");
        for k in &keys {
            let child = order.iter().position(|t| *t == k.table).expect("keyed table ordered");
            if k.parent != "corps" && k.parent != k.table {
                let parent = order.iter().position(|t| *t == k.parent).expect("parent ordered");
                assert!(parent < child, "{} must follow {}", k.table, k.parent);
            }
        }
        assert_eq!(order.len(), TENANT_TABLES.len());
    }

    #[test]
    fn each_column_has_one_key() {
        let keys = keys();
        let mut seen: Vec<(&str, &str)> = keys.iter().map(|k| (k.table, k.column)).collect();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), keys.len());
        for k in &keys {
            assert!(TENANT_TABLES.contains(&k.table) && (k.parent == "corps" || TENANT_TABLES.contains(&k.parent)), "{k:?}");
        }
    }
}
