//! Group tags (TAG-4): product-local tag groups and tags for customer groups,
//! and per-employee preferences (the sidebar's chosen event types, SIDE-4).
use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{a, index, tenant_table};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261122_000009_group_tags"
    }
}

const TABLES: &[&str] = &["employee_preferences", "customer_group_tags", "group_tags", "group_tag_groups"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let t = tenant_table("group_tag_groups")
            .col(string(a("name")))
            .col(boolean(a("exclusive")))
            .col(integer(a("sort")))
            .col(big_integer_null(a("created_by")))
            .col(timestamp_with_time_zone(a("created_at")))
            .col(timestamp_with_time_zone(a("updated_at")))
            .to_owned();
        m.create_table(t).await?;
        let t = tenant_table("group_tags")
            .col(big_integer(a("tag_group_id")))
            .col(string(a("name")))
            .col(string_null(a("color")))
            .col(integer(a("sort")))
            .col(timestamp_with_time_zone(a("created_at")))
            .col(timestamp_with_time_zone(a("updated_at")))
            .to_owned();
        m.create_table(t).await?;
        m.create_index(index("group_tags", "tag_group", &["corp_id", "tag_group_id"], false)).await?;
        let t = tenant_table("customer_group_tags")
            .col(big_integer(a("group_id")))
            .col(big_integer(a("tag_id")))
            .col(timestamp_with_time_zone(a("created_at")))
            .to_owned();
        m.create_table(t).await?;
        m.create_index(index("customer_group_tags", "pair", &["corp_id", "group_id", "tag_id"], true)).await?;
        m.create_index(index("customer_group_tags", "tag", &["corp_id", "tag_id", "group_id"], false)).await?;
        let t = tenant_table("employee_preferences")
            .col(big_integer(a("employee_id")))
            .col(string(a("key")))
            .col(text(a("value")))
            .col(timestamp_with_time_zone(a("updated_at")))
            .to_owned();
        m.create_table(t).await?;
        m.create_index(index("employee_preferences", "key", &["corp_id", "employee_id", "key"], true)).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in TABLES {
            m.drop_table(Table::drop().table(a(t)).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
