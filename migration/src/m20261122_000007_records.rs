//! Business record templates and records (CFG-5, CUS-12) and work orders
//! (CUS-10), for customers and customer groups alike.
use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{a, index, tenant_table};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261122_000007_records"
    }
}

const TABLES: &[&str] = &["work_orders", "business_records", "record_template_scopes", "record_template_fields", "record_templates"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let t = tenant_table("record_templates")
            .col(string(a("name")))
            .col(text_null(a("description")))
            .col(string(a("subject_kind")))
            .col(integer(a("sort")))
            // Set by the first submission; a used template is frozen.
            .col(boolean(a("used")))
            .col(big_integer_null(a("created_by")))
            .col(timestamp_with_time_zone(a("created_at")))
            .col(timestamp_with_time_zone(a("updated_at")))
            .to_owned();
        m.create_table(t).await?;
        m.create_index(index("record_templates", "kind", &["corp_id", "subject_kind", "sort"], false)).await?;

        let t = tenant_table("record_template_fields")
            .col(big_integer(a("template_id")))
            .col(big_integer(a("field_id")))
            .col(boolean(a("enabled")))
            .col(boolean(a("required")))
            .col(integer(a("sort")))
            .to_owned();
        m.create_table(t).await?;
        m.create_index(index("record_template_fields", "template", &["corp_id", "template_id", "field_id"], true)).await?;

        // Who may use a template: employees and departments; none listed means everyone.
        let t = tenant_table("record_template_scopes")
            .col(big_integer(a("template_id")))
            .col(big_integer_null(a("employee_id")))
            .col(big_integer_null(a("department_id")))
            .to_owned();
        m.create_table(t).await?;
        m.create_index(index("record_template_scopes", "template", &["corp_id", "template_id"], false)).await?;

        let t = tenant_table("business_records")
            .col(big_integer(a("template_id")))
            .col(string(a("subject_kind")))
            .col(big_integer(a("subject_id")))
            .col(big_integer(a("submitter_id")))
            .col(text(a("field_values")))
            .col(timestamp_with_time_zone(a("created_at")))
            .to_owned();
        m.create_table(t).await?;
        m.create_index(index("business_records", "subject", &["corp_id", "subject_kind", "subject_id", "created_at", "id"], false)).await?;

        let t = tenant_table("work_orders")
            .col(string(a("subject_kind")))
            .col(big_integer(a("subject_id")))
            .col(string(a("title")))
            .col(text_null(a("description")))
            .col(string(a("status")))
            .col(string(a("priority")))
            .col(big_integer_null(a("assignee_id")))
            .col(big_integer(a("created_by")))
            .col(timestamp_with_time_zone_null(a("closed_at")))
            .col(timestamp_with_time_zone(a("created_at")))
            .col(timestamp_with_time_zone(a("updated_at")))
            .to_owned();
        m.create_table(t).await?;
        m.create_index(index("work_orders", "subject", &["corp_id", "subject_kind", "subject_id", "created_at", "id"], false)).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in TABLES {
            m.drop_table(Table::drop().table(a(t)).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
