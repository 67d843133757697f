//! Inheritance (INH-1, INH-2, INH-3): when an employee resigned, WeCom's list
//! of their unassigned customers, every hand-over with WeCom's result, and
//! the resigned auto-allocation rules.
use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{a, index, tenant_table};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261122_000008_inheritance"
    }
}

const TABLES: &[&str] = &["allocation_rules", "inheritances", "unassigned_customers"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(a("employees")).add_column(timestamp_with_time_zone_null(a("resigned_at"))).to_owned()).await?;

        let t = tenant_table("unassigned_customers")
            .col(string(a("handover_userid")))
            .col(string(a("external_userid")))
            .col(timestamp_with_time_zone(a("dimission_at")))
            .col(timestamp_with_time_zone(a("synced_at")))
            .to_owned();
        m.create_table(t).await?;
        m.create_index(index("unassigned_customers", "pair", &["corp_id", "handover_userid", "external_userid"], true)).await?;

        let t = tenant_table("inheritances")
            .col(big_integer(a("customer_id")))
            .col(string(a("external_userid")))
            .col(big_integer(a("handover_id")))
            .col(big_integer(a("takeover_id")))
            // ON_JOB (INH-2) or RESIGNED (INH-1).
            .col(string(a("kind")))
            // WAITING, DONE, REFUSED, LIMIT_REACHED, NO_RECORD, FAILED.
            .col(string(a("status")))
            .col(big_integer_null(a("errcode")))
            .col(timestamp_with_time_zone_null(a("takeover_at")))
            .col(timestamp_with_time_zone(a("created_at")))
            .col(timestamp_with_time_zone(a("updated_at")))
            .to_owned();
        m.create_table(t).await?;
        m.create_index(index("inheritances", "status", &["corp_id", "status", "handover_id", "takeover_id"], false)).await?;
        m.create_index(index("inheritances", "customer", &["corp_id", "customer_id", "created_at"], false)).await?;

        let t = tenant_table("allocation_rules")
            .col(string(a("name")))
            .col(text(a("department_ids")))
            .col(text(a("conditions")))
            .col(string(a("mode")))
            .col(big_integer_null(a("fallback_employee_id")))
            .col(boolean(a("enabled")))
            // Where round-robin goes on next time.
            .col(big_integer(a("cursor")))
            .col(big_integer_null(a("created_by")))
            .col(timestamp_with_time_zone(a("created_at")))
            .col(timestamp_with_time_zone(a("updated_at")))
            .to_owned();
        m.create_table(t).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in TABLES {
            m.drop_table(Table::drop().table(a(t)).if_exists().to_owned()).await?;
        }
        m.alter_table(Table::alter().table(a("employees")).drop_column(a("resigned_at")).to_owned()).await
    }
}
