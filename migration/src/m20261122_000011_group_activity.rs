//! The tenant-wide group activity rule (GRP-3) and each group's label.
use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{a, index, tenant_table};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261122_000011_group_activity"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let t = tenant_table("group_activity_rules")
            // The whole rule as JSON: window, customer conditions, group thresholds.
            .col(text(a("rule")))
            .col(big_integer_null(a("updated_by")))
            .col(timestamp_with_time_zone(a("updated_at")))
            .to_owned();
        m.create_table(t).await?;
        m.create_index(index("group_activity_rules", "corp", &["corp_id"], true)).await?;
        for c in [string_null(a("activity")), timestamp_with_time_zone_null(a("activity_evaluated_at"))] {
            let mut c = c;
            m.alter_table(Table::alter().table(a("customer_groups")).add_column(&mut c).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(a("group_activity_rules")).if_exists().to_owned()).await?;
        for c in ["activity", "activity_evaluated_at"] {
            m.alter_table(Table::alter().table(a("customer_groups")).drop_column(a(c)).to_owned()).await?;
        }
        Ok(())
    }
}
