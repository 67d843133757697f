//! The CRM on top of synced customers: editable system fields and list
//! aggregates on customers, tags per follow relation as rows, the customer
//! timeline, follow-up types and records, the recycle bin, exclusive tag
//! groups and tag colours, and group members that leave instead of vanishing.
use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{a, index, tenant_table};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261122_000006_crm"
    }
}

const TABLES: &[&str] = &["customer_losses", "follow_ups", "follow_up_types", "customer_events", "follow_tags"];

/// SQLite alters one column per statement.
async fn add_columns(m: &SchemaManager<'_>, table: &str, cols: Vec<ColumnDef>) -> Result<(), DbErr> {
    for mut c in cols {
        m.alter_table(Table::alter().table(a(table)).add_column(&mut c).to_owned()).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        add_columns(
            m,
            "customers",
            vec![
                // Staff-maintained system fields (CUS-3); never written back to WeCom.
                string_null(a("mobile")),
                string_null(a("channel")),
                string_null(a("company_name")),
                // Aggregates of the follow relations, kept by every writer of them,
                // so the list filters and sorts on plain indexed columns.
                timestamp_with_time_zone_null(a("first_added_at")),
                integer(a("adder_count")).default(0).to_owned(),
                timestamp_with_time_zone_null(a("last_contact_at")),
            ],
        )
        .await?;
        m.create_index(index("customers", "first_added", &["corp_id", "first_added_at", "id"], false)).await?;
        // Customers synced before this migration get their aggregates now (plain SQL both backends run).
        m.get_connection()
            .execute_unprepared(
                "UPDATE customers SET \
                   first_added_at = COALESCE((SELECT MIN(f.added_at) FROM customer_follows f WHERE f.corp_id = customers.corp_id AND f.customer_id = customers.id), created_at), \
                   adder_count = (SELECT COUNT(*) FROM customer_follows f WHERE f.corp_id = customers.corp_id AND f.customer_id = customers.id)",
            )
            .await?;
        m.create_index(index("customers", "last_contact", &["corp_id", "last_contact_at", "id"], false)).await?;

        add_columns(m, "corp_tag_groups", vec![boolean(a("exclusive")).default(false).to_owned()]).await?;
        add_columns(m, "corp_tags", vec![string_null(a("color"))]).await?;
        add_columns(m, "group_members", vec![timestamp_with_time_zone_null(a("left_at"))]).await?;
        add_columns(m, "customer_groups", vec![timestamp_with_time_zone_null(a("last_contact_at"))]).await?;

        // A corp tag on one follow relation (WeCom tags per adder); a customer's
        // tags are the union over its adders.
        let t = tenant_table("follow_tags")
            .col(big_integer(a("customer_id")))
            .col(big_integer(a("employee_id")))
            .col(big_integer(a("tag_id")))
            .col(timestamp_with_time_zone(a("created_at")))
            .to_owned();
        m.create_table(t).await?;
        m.create_index(index("follow_tags", "pair_tag", &["corp_id", "customer_id", "employee_id", "tag_id"], true)).await?;
        m.create_index(index("follow_tags", "tag", &["corp_id", "tag_id", "customer_id"], false)).await?;

        // The append-only customer timeline (客户动态).
        let t = tenant_table("customer_events")
            .col(big_integer(a("customer_id")))
            .col(string(a("kind")))
            .col(timestamp_with_time_zone(a("occurred_at")))
            .col(big_integer_null(a("employee_id")))
            .col(big_integer_null(a("group_id")))
            .col(text(a("payload")))
            // Set when the producer has a natural key, so a replayed source writes once.
            .col(string_null(a("dedup_key")))
            .col(timestamp_with_time_zone(a("created_at")))
            .to_owned();
        m.create_table(t).await?;
        m.create_index(index("customer_events", "feed", &["corp_id", "customer_id", "occurred_at", "id"], false)).await?;
        m.create_index(index("customer_events", "dedup", &["corp_id", "dedup_key"], true)).await?;

        let t = tenant_table("follow_up_types")
            .col(string(a("name")))
            .col(integer(a("sort")))
            .col(boolean(a("enabled")))
            .col(boolean(a("is_default")))
            .col(big_integer_null(a("created_by")))
            .col(timestamp_with_time_zone(a("created_at")))
            .col(timestamp_with_time_zone(a("updated_at")))
            .to_owned();
        m.create_table(t).await?;
        m.create_index(index("follow_up_types", "name", &["corp_id", "name"], true)).await?;

        let t = tenant_table("follow_ups")
            .col(string(a("subject_kind")))
            .col(big_integer(a("subject_id")))
            .col(big_integer(a("author_id")))
            .col(big_integer(a("type_id")))
            .col(text(a("content")))
            .col(text(a("mentions")))
            .col(text(a("attachments")))
            .col(timestamp_with_time_zone_null(a("remind_at")))
            .col(timestamp_with_time_zone(a("created_at")))
            .to_owned();
        m.create_table(t).await?;
        m.create_index(index("follow_ups", "subject", &["corp_id", "subject_kind", "subject_id", "created_at", "id"], false)).await?;
        m.create_index(index("follow_ups", "type", &["corp_id", "type_id"], false)).await?;

        // The recycle bin (INH-4): one row per ended follow relation.
        let t = tenant_table("customer_losses")
            .col(big_integer(a("customer_id")))
            .col(big_integer(a("employee_id")))
            .col(string(a("loss_type")))
            .col(timestamp_with_time_zone(a("lost_at")))
            .col(timestamp_with_time_zone(a("added_at")))
            .col(timestamp_with_time_zone_null(a("last_contact_at")))
            .col(string(a("customer_name")))
            .col(string_null(a("customer_mobile")))
            .col(string(a("dedup_key")))
            .to_owned();
        m.create_table(t).await?;
        m.create_index(index("customer_losses", "lost", &["corp_id", "lost_at", "id"], false)).await?;
        m.create_index(index("customer_losses", "dedup", &["corp_id", "dedup_key"], true)).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in TABLES {
            m.drop_table(Table::drop().table(a(t)).if_exists().to_owned()).await?;
        }
        for (t, ix) in [("customers", "first_added"), ("customers", "last_contact")] {
            m.drop_index(Index::drop().name(format!("ix_{t}_{ix}")).table(a(t)).to_owned()).await?;
        }
        for (t, cols) in [
            ("customers", &["mobile", "channel", "company_name", "first_added_at", "adder_count", "last_contact_at"][..]),
            ("corp_tag_groups", &["exclusive"][..]),
            ("corp_tags", &["color"][..]),
            ("group_members", &["left_at"][..]),
            ("customer_groups", &["last_contact_at"][..]),
        ] {
            for c in cols {
                m.alter_table(Table::alter().table(a(t)).drop_column(a(c)).to_owned()).await?;
            }
        }
        Ok(())
    }
}
