//! The sales half of the CRM, first part (#14): leads (CRM-1…5) with their
//! tags, change log and auto-assignment rules (CFG-12), and the import and
//! export centres (CFG-1/2) every import and export runs through.
//!
//! `leads.mobile` is unique per corp (NULLs never collide): a second lead
//! for the same phone is refused, and the add of that phone in WeCom has one
//! lead to convert. `leads.import_row` (`<transfer id>:<row>`) makes an
//! import's retry insert each row at most once.
use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{a, foreign_key as key, index, tenant_table};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000021_leads"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            tenant_table("data_transfers")
                .col(string(a("direction")))
                .col(string(a("module")))
                .col(string(a("file_name")))
                .col(string(a("status")))
                .col(integer(a("progress")))
                .col(big_integer(a("total_rows")))
                .col(big_integer(a("succeeded_rows")))
                .col(big_integer(a("failed_rows")))
                .col(text(a("params")))
                .col(big_integer_null(a("source_file_id")))
                .col(big_integer_null(a("result_file_id")))
                .col(big_integer_null(a("job_id")))
                .col(big_integer_null(a("alert_id")))
                .col(big_integer_null(a("operator_id")))
                .col(text_null(a("error")))
                .col(timestamp_with_time_zone_null(a("file_expires_at")))
                .col(timestamp_with_time_zone_null(a("finished_at")))
                .col(timestamp_with_time_zone(a("created_at")))
                .col(timestamp_with_time_zone(a("updated_at")))
                .foreign_key(&mut key("data_transfers", "corp_id", "corps", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("data_transfers", "source_file_id", "files", ForeignKeyAction::SetNull))
                .foreign_key(&mut key("data_transfers", "result_file_id", "files", ForeignKeyAction::SetNull))
                .foreign_key(&mut key("data_transfers", "job_id", "jobs", ForeignKeyAction::SetNull))
                .foreign_key(&mut key("data_transfers", "alert_id", "alerts", ForeignKeyAction::SetNull))
                .foreign_key(&mut key("data_transfers", "operator_id", "employees", ForeignKeyAction::SetNull))
                .to_owned(),
        )
        .await?;
        m.create_index(index("data_transfers", "operator", &["corp_id", "operator_id", "direction", "created_at"], false)).await?;
        m.create_index(index("data_transfers", "expiry", &["file_expires_at"], false)).await?;
        for column in ["source_file_id", "result_file_id", "job_id", "alert_id"] {
            m.create_index(index("data_transfers", column, &[column], false)).await?;
        }

        m.create_table(
            tenant_table("leads")
                .col(string(a("name")))
                .col(string_null(a("mobile")))
                .col(integer(a("gender")))
                .col(string_null(a("company_name")))
                .col(string_null(a("position")))
                .col(string_null(a("channel")))
                .col(string_null(a("email")))
                .col(string_null(a("remark")))
                .col(string(a("status")))
                .col(big_integer_null(a("owner_id")))
                .col(timestamp_with_time_zone_null(a("assigned_at")))
                .col(big_integer_null(a("customer_id")))
                .col(timestamp_with_time_zone_null(a("converted_at")))
                .col(timestamp_with_time_zone_null(a("last_follow_up_at")))
                .col(string_null(a("import_row")))
                .col(big_integer_null(a("created_by")))
                .col(timestamp_with_time_zone(a("created_at")))
                .col(timestamp_with_time_zone(a("updated_at")))
                .foreign_key(&mut key("leads", "corp_id", "corps", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("leads", "owner_id", "employees", ForeignKeyAction::SetNull))
                .foreign_key(&mut key("leads", "customer_id", "customers", ForeignKeyAction::SetNull))
                .foreign_key(&mut key("leads", "created_by", "employees", ForeignKeyAction::SetNull))
                .to_owned(),
        )
        .await?;
        m.create_index(index("leads", "mobile", &["corp_id", "mobile"], true)).await?;
        m.create_index(index("leads", "import_row", &["corp_id", "import_row"], true)).await?;
        m.create_index(index("leads", "status", &["corp_id", "status", "id"], false)).await?;
        m.create_index(index("leads", "owner", &["owner_id"], false)).await?;
        m.create_index(index("leads", "customer", &["customer_id"], false)).await?;
        m.create_index(index("leads", "creator", &["created_by"], false)).await?;

        m.create_table(
            tenant_table("lead_tags")
                .col(big_integer(a("lead_id")))
                .col(big_integer(a("tag_id")))
                .foreign_key(&mut key("lead_tags", "corp_id", "corps", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("lead_tags", "lead_id", "leads", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("lead_tags", "tag_id", "corp_tags", ForeignKeyAction::Cascade))
                .to_owned(),
        )
        .await?;
        m.create_index(index("lead_tags", "pair", &["lead_id", "tag_id"], true)).await?;
        m.create_index(index("lead_tags", "tag", &["tag_id"], false)).await?;

        m.create_table(
            tenant_table("lead_events")
                .col(big_integer(a("lead_id")))
                .col(string(a("kind")))
                .col(big_integer_null(a("actor_id")))
                .col(text(a("detail")))
                .col(timestamp_with_time_zone(a("created_at")))
                .foreign_key(&mut key("lead_events", "corp_id", "corps", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("lead_events", "lead_id", "leads", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("lead_events", "actor_id", "employees", ForeignKeyAction::SetNull))
                .to_owned(),
        )
        .await?;
        m.create_index(index("lead_events", "lead", &["lead_id", "id"], false)).await?;
        m.create_index(index("lead_events", "actor", &["actor_id"], false)).await?;

        m.create_table(
            tenant_table("lead_rules")
                .col(string(a("name")))
                .col(text(a("conditions")))
                .col(text(a("employee_ids")))
                .col(text(a("department_ids")))
                .col(string(a("mode")))
                .col(big_integer(a("cursor")))
                .col(boolean(a("enabled")))
                .col(double(a("sort_index")))
                .col(big_integer_null(a("created_by")))
                .col(timestamp_with_time_zone(a("created_at")))
                .col(timestamp_with_time_zone(a("updated_at")))
                .foreign_key(&mut key("lead_rules", "corp_id", "corps", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("lead_rules", "created_by", "employees", ForeignKeyAction::SetNull))
                .to_owned(),
        )
        .await?;
        m.create_index(index("lead_rules", "order", &["corp_id", "sort_index"], false)).await?;
        m.create_index(index("lead_rules", "creator", &["created_by"], false)).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["lead_rules", "lead_events", "lead_tags", "leads", "data_transfers"] {
            m.drop_table(Table::drop().table(a(t)).to_owned()).await?;
        }
        Ok(())
    }
}
