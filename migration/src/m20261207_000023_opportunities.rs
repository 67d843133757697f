//! Opportunities (CRM-10/11, CFG-13): ordered stages, of which one is the
//! won and one the lost outcome (`terminal`, unique per corp; NULL for the
//! open stages), lose reasons, opportunities with an exact amount in fen,
//! one pinned per customer (a partial unique index), and their change log.
use sea_orm_migration::{prelude::*, schema::*, sea_orm::Statement};

use crate::helpers::{a, foreign_key as key, index, tenant_table};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000023_opportunities"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            tenant_table("opportunity_stages")
                .col(string(a("name")))
                .col(double(a("sort_index")))
                .col(string_null(a("terminal")))
                .col(timestamp_with_time_zone(a("created_at")))
                .col(timestamp_with_time_zone(a("updated_at")))
                .foreign_key(&mut key("opportunity_stages", "corp_id", "corps", ForeignKeyAction::Cascade))
                .to_owned(),
        )
        .await?;
        m.create_index(index("opportunity_stages", "terminal", &["corp_id", "terminal"], true)).await?;
        m.create_index(index("opportunity_stages", "name", &["corp_id", "name"], true)).await?;

        m.create_table(
            tenant_table("lose_reasons")
                .col(string(a("name")))
                .col(double(a("sort_index")))
                .col(timestamp_with_time_zone(a("created_at")))
                .col(timestamp_with_time_zone(a("updated_at")))
                .foreign_key(&mut key("lose_reasons", "corp_id", "corps", ForeignKeyAction::Cascade))
                .to_owned(),
        )
        .await?;
        m.create_index(index("lose_reasons", "name", &["corp_id", "name"], true)).await?;

        m.create_table(
            tenant_table("opportunities")
                .col(big_integer(a("customer_id")))
                .col(string(a("name")))
                .col(big_integer(a("stage_id")))
                .col(big_integer(a("amount_fen")))
                .col(date(a("expected_close_on")))
                .col(big_integer_null(a("owner_id")))
                .col(boolean(a("pinned")))
                .col(big_integer_null(a("lose_reason_id")))
                .col(string_null(a("lose_note")))
                .col(timestamp_with_time_zone_null(a("closed_at")))
                .col(big_integer_null(a("created_by")))
                .col(timestamp_with_time_zone(a("created_at")))
                .col(timestamp_with_time_zone(a("updated_at")))
                .foreign_key(&mut key("opportunities", "corp_id", "corps", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("opportunities", "customer_id", "customers", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("opportunities", "stage_id", "opportunity_stages", ForeignKeyAction::Restrict))
                .foreign_key(&mut key("opportunities", "owner_id", "employees", ForeignKeyAction::SetNull))
                .foreign_key(&mut key("opportunities", "lose_reason_id", "lose_reasons", ForeignKeyAction::SetNull))
                .foreign_key(&mut key("opportunities", "created_by", "employees", ForeignKeyAction::SetNull))
                .to_owned(),
        )
        .await?;
        m.create_index(index("opportunities", "customer", &["corp_id", "customer_id", "id"], false)).await?;
        m.create_index(index("opportunities", "stage", &["stage_id"], false)).await?;
        m.create_index(index("opportunities", "owner", &["owner_id"], false)).await?;
        m.create_index(index("opportunities", "lose_reason", &["lose_reason_id"], false)).await?;
        m.create_index(index("opportunities", "creator", &["created_by"], false)).await?;
        let db = m.get_connection();
        db.execute_raw(Statement::from_string(
            db.get_database_backend(),
            "CREATE UNIQUE INDEX ix_opportunities_pinned ON opportunities (customer_id) WHERE pinned".to_string(),
        ))
        .await?;

        m.create_table(
            tenant_table("opportunity_events")
                .col(big_integer(a("opportunity_id")))
                .col(string(a("kind")))
                .col(big_integer_null(a("from_stage_id")))
                .col(big_integer_null(a("to_stage_id")))
                .col(big_integer_null(a("actor_id")))
                .col(text(a("detail")))
                .col(timestamp_with_time_zone(a("created_at")))
                .foreign_key(&mut key("opportunity_events", "corp_id", "corps", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("opportunity_events", "opportunity_id", "opportunities", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("opportunity_events", "from_stage_id", "opportunity_stages", ForeignKeyAction::SetNull))
                .foreign_key(&mut key("opportunity_events", "to_stage_id", "opportunity_stages", ForeignKeyAction::SetNull))
                .foreign_key(&mut key("opportunity_events", "actor_id", "employees", ForeignKeyAction::SetNull))
                .to_owned(),
        )
        .await?;
        m.create_index(index("opportunity_events", "opportunity", &["opportunity_id", "id"], false)).await?;
        for c in ["from_stage_id", "to_stage_id", "actor_id"] {
            m.create_index(index("opportunity_events", c, &[c], false)).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["opportunity_events", "opportunities", "lose_reasons", "opportunity_stages"] {
            m.drop_table(Table::drop().table(a(t)).to_owned()).await?;
        }
        Ok(())
    }
}
