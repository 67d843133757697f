//! Tenants, organisation, roles, sessions, custom fields and the job queue.
//!
//! Rule: every index on a tenant table starts with `corp_id`, so each tenant's
//! rows are one contiguous index range and no query can use an index without it.
use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{a, index, tenant_table, timestamps};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261122_000001_foundation"
    }
}

const TABLES: &[&str] = &[
    "jobs",
    "sessions",
    "custom_field_values",
    "custom_fields",
    "employee_tag_members",
    "employee_tags",
    "role_departments",
    "employee_roles",
    "roles",
    "employee_departments",
    "employees",
    "departments",
    "corps",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(a("corps"))
                .if_not_exists()
                .col(big_pk_auto(a("id")))
                .col(string_uniq(a("code")))
                .col(string(a("name")))
                .col(integer(a("seat_quota")))
                .col(timestamp_with_time_zone(a("created_at")))
                .col(timestamp_with_time_zone(a("updated_at")))
                .to_owned(),
        )
        .await?;

        let mut t = tenant_table("departments");
        t.col(big_integer_null(a("parent_id"))).col(string(a("name"))).col(integer(a("sort"))).col(big_integer_null(a("wecom_id")));
        m.create_table(timestamps(&mut t).to_owned()).await?;
        m.create_index(index("departments", "parent", &["corp_id", "parent_id", "sort"], false)).await?;
        m.create_index(index("departments", "wecom", &["corp_id", "wecom_id"], false)).await?;

        let mut t = tenant_table("employees");
        t.col(string(a("userid")))
            .col(string(a("name")))
            .col(string_null(a("alias")))
            .col(string_null(a("gender")))
            .col(string(a("mobile")))
            .col(string_null(a("email")))
            .col(string_null(a("landline")))
            .col(string_null(a("address")))
            .col(string_null(a("position")))
            .col(string_null(a("avatar")))
            .col(boolean(a("activated")))
            .col(boolean(a("system_enabled")))
            .col(boolean(a("is_super_admin")))
            .col(string_null(a("password_hash")))
            .col(big_integer_null(a("created_by")));
        m.create_table(timestamps(&mut t).to_owned()).await?;
        m.create_index(index("employees", "userid", &["corp_id", "userid"], true)).await?;
        m.create_index(index("employees", "name", &["corp_id", "name"], false)).await?;
        // The list's default order (newest first) reads straight off this index.
        m.create_index(index("employees", "created", &["corp_id", "created_at", "id"], false)).await?;
        m.create_index(index("employees", "mobile", &["corp_id", "mobile"], false)).await?;

        let t = tenant_table("employee_departments").col(big_integer(a("employee_id"))).col(big_integer(a("department_id"))).to_owned();
        m.create_table(t).await?;
        m.create_index(index("employee_departments", "emp", &["corp_id", "employee_id", "department_id"], true)).await?;
        m.create_index(index("employee_departments", "dept", &["corp_id", "department_id"], false)).await?;

        let mut t = tenant_table("roles");
        t.col(string(a("name")))
            .col(boolean(a("is_super")))
            .col(text(a("permissions")))
            .col(string(a("data_scope")))
            .col(big_integer_null(a("created_by")));
        m.create_table(timestamps(&mut t).to_owned()).await?;
        m.create_index(index("roles", "name", &["corp_id", "name"], true)).await?;

        let t = tenant_table("employee_roles").col(big_integer(a("employee_id"))).col(big_integer(a("role_id"))).to_owned();
        m.create_table(t).await?;
        m.create_index(index("employee_roles", "emp", &["corp_id", "employee_id", "role_id"], true)).await?;
        m.create_index(index("employee_roles", "role", &["corp_id", "role_id"], false)).await?;

        let t = tenant_table("role_departments").col(big_integer(a("role_id"))).col(big_integer(a("department_id"))).to_owned();
        m.create_table(t).await?;
        m.create_index(index("role_departments", "role", &["corp_id", "role_id", "department_id"], true)).await?;

        let mut t = tenant_table("employee_tags");
        t.col(string(a("name"))).col(big_integer_null(a("wecom_tag_id"))).col(big_integer_null(a("created_by")));
        m.create_table(timestamps(&mut t).to_owned()).await?;
        m.create_index(index("employee_tags", "name", &["corp_id", "name"], true)).await?;

        let t = tenant_table("employee_tag_members")
            .col(big_integer(a("tag_id")))
            .col(big_integer_null(a("employee_id")))
            .col(big_integer_null(a("department_id")))
            .to_owned();
        m.create_table(t).await?;
        m.create_index(index("employee_tag_members", "tag", &["corp_id", "tag_id"], false)).await?;
        m.create_index(index("employee_tag_members", "emp", &["corp_id", "employee_id"], false)).await?;
        m.create_index(index("employee_tag_members", "dept", &["corp_id", "department_id"], false)).await?;

        let mut t = tenant_table("custom_fields");
        t.col(string(a("entity_kind")))
            .col(string(a("name")))
            .col(string(a("field_type")))
            .col(boolean(a("enabled")))
            .col(boolean(a("required")))
            .col(text(a("options")))
            .col(integer(a("sort")))
            .col(big_integer_null(a("created_by")));
        m.create_table(timestamps(&mut t).to_owned()).await?;
        m.create_index(index("custom_fields", "kind", &["corp_id", "entity_kind", "sort"], false)).await?;

        let t = tenant_table("custom_field_values")
            .col(string(a("entity_kind")))
            .col(big_integer(a("entity_id")))
            .col(big_integer(a("field_id")))
            .col(text(a("value_json")))
            .col(text_null(a("value_text")))
            .col(double_null(a("value_num")))
            .to_owned();
        m.create_table(t).await?;
        m.create_index(index("custom_field_values", "entity", &["corp_id", "entity_kind", "entity_id", "field_id"], true)).await?;
        m.create_index(index("custom_field_values", "field", &["corp_id", "field_id"], false)).await?;

        let t = tenant_table("sessions")
            .col(big_integer(a("employee_id")))
            .col(string(a("access_hash")))
            .col(string(a("refresh_hash")))
            .col(timestamp_with_time_zone(a("access_expires_at")))
            .col(timestamp_with_time_zone(a("refresh_expires_at")))
            .col(timestamp_with_time_zone(a("created_at")))
            .to_owned();
        m.create_table(t).await?;
        m.create_index(index("sessions", "emp", &["corp_id", "employee_id"], false)).await?;
        m.create_index(index("sessions", "access", &["corp_id", "access_hash"], true)).await?;
        m.create_index(index("sessions", "refresh", &["corp_id", "refresh_hash"], true)).await?;

        // Platform table: a job may belong to no tenant (scheduled platform work).
        m.create_table(
            Table::create()
                .table(a("jobs"))
                .if_not_exists()
                .col(big_pk_auto(a("id")))
                .col(big_integer_null(a("corp_id")))
                .col(string(a("kind")))
                .col(text(a("payload")))
                .col(string(a("status")))
                .col(string_null(a("dedup_key")).unique_key())
                .col(integer(a("attempts")))
                .col(integer(a("max_attempts")))
                .col(timestamp_with_time_zone(a("run_at")))
                .col(timestamp_with_time_zone_null(a("locked_until")))
                .col(string_null(a("locked_by")))
                .col(integer(a("progress")))
                .col(text_null(a("progress_message")))
                .col(text_null(a("result")))
                .col(text_null(a("last_error")))
                .col(big_integer_null(a("created_by")))
                .col(timestamp_with_time_zone(a("created_at")))
                .col(timestamp_with_time_zone(a("updated_at")))
                .col(timestamp_with_time_zone_null(a("finished_at")))
                .to_owned(),
        )
        .await?;
        m.create_index(index("jobs", "due", &["status", "run_at"], false)).await?;
        m.create_index(index("jobs", "corp_creator", &["corp_id", "created_by", "id"], false)).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in TABLES {
            m.drop_table(Table::drop().table(a(t)).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
