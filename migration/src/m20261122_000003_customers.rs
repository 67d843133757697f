//! Customers with their adders, corp tags, and customer groups with members:
//! what WeCom sync lands. Issue #4 builds the CRM on these tables.
use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{a, index, tenant_table};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261122_000003_customers"
    }
}

const TABLES: &[&str] = &["group_members", "customer_groups", "corp_tags", "corp_tag_groups", "customer_follows", "customers"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let t = tenant_table("customers")
            .col(string(a("external_userid")))
            .col(string(a("name")))
            .col(text_null(a("avatar")))
            .col(integer(a("contact_type")))
            .col(integer(a("gender")))
            .col(string_null(a("unionid")))
            .col(string_null(a("position")))
            .col(string_null(a("corp_name")))
            .col(string_null(a("corp_full_name")))
            .col(big_integer_null(a("owner_id")))
            .col(timestamp_with_time_zone(a("created_at")))
            .col(timestamp_with_time_zone(a("updated_at")))
            .to_owned();
        m.create_table(t).await?;
        m.create_index(index("customers", "external", &["corp_id", "external_userid"], true)).await?;
        m.create_index(index("customers", "owner", &["corp_id", "owner_id"], false)).await?;

        let t = tenant_table("customer_follows")
            .col(big_integer(a("customer_id")))
            .col(big_integer(a("employee_id")))
            .col(string_null(a("remark")))
            .col(text_null(a("description")))
            .col(timestamp_with_time_zone(a("added_at")))
            .col(integer(a("add_way")))
            .col(string_null(a("state")))
            .col(string_null(a("oper_userid")))
            .col(string_null(a("remark_corp_name")))
            .col(text(a("remark_mobiles")))
            .col(text(a("wecom_tag_ids")))
            .to_owned();
        m.create_table(t).await?;
        m.create_index(index("customer_follows", "pair", &["corp_id", "customer_id", "employee_id"], true)).await?;
        m.create_index(index("customer_follows", "employee", &["corp_id", "employee_id", "added_at"], false)).await?;

        let t = tenant_table("corp_tag_groups")
            .col(string_null(a("wecom_group_id")))
            .col(string(a("name")))
            .col(big_integer(a("wecom_order")))
            .col(timestamp_with_time_zone(a("created_at")))
            .col(timestamp_with_time_zone(a("updated_at")))
            .to_owned();
        m.create_table(t).await?;
        m.create_index(index("corp_tag_groups", "wecom", &["corp_id", "wecom_group_id"], true)).await?;

        let t = tenant_table("corp_tags")
            .col(big_integer(a("group_id")))
            .col(string_null(a("wecom_tag_id")))
            .col(string(a("name")))
            .col(big_integer(a("wecom_order")))
            .col(timestamp_with_time_zone(a("created_at")))
            .col(timestamp_with_time_zone(a("updated_at")))
            .to_owned();
        m.create_table(t).await?;
        m.create_index(index("corp_tags", "wecom", &["corp_id", "wecom_tag_id"], true)).await?;
        m.create_index(index("corp_tags", "group", &["corp_id", "group_id"], false)).await?;

        let t = tenant_table("customer_groups")
            .col(string(a("chat_id")))
            .col(string(a("name")))
            .col(string(a("owner_userid")))
            .col(big_integer_null(a("owner_id")))
            .col(text_null(a("notice")))
            .col(integer(a("status")))
            .col(string_null(a("member_version")))
            .col(timestamp_with_time_zone(a("chat_created_at")))
            .col(timestamp_with_time_zone_null(a("dismissed_at")))
            .col(timestamp_with_time_zone(a("created_at")))
            .col(timestamp_with_time_zone(a("updated_at")))
            .to_owned();
        m.create_table(t).await?;
        m.create_index(index("customer_groups", "chat", &["corp_id", "chat_id"], true)).await?;
        m.create_index(index("customer_groups", "owner", &["corp_id", "owner_id"], false)).await?;

        let t = tenant_table("group_members")
            .col(big_integer(a("group_id")))
            .col(string(a("userid")))
            .col(integer(a("member_type")))
            .col(timestamp_with_time_zone(a("joined_at")))
            .col(integer(a("join_scene")))
            .col(string_null(a("invitor_userid")))
            .col(string_null(a("group_nickname")))
            .col(string_null(a("name")))
            .col(string_null(a("unionid")))
            .col(string_null(a("state")))
            .to_owned();
        m.create_table(t).await?;
        m.create_index(index("group_members", "member", &["corp_id", "group_id", "userid"], true)).await?;
        m.create_index(index("group_members", "userid", &["corp_id", "userid"], false)).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in TABLES {
            m.drop_table(Table::drop().table(a(t)).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
