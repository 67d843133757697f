//! Companies (CRM-9) and industry types (CFG-11): B2B accounts customers
//! belong to (`customers.company_id`; deleting a company unlinks them), and
//! the industry dictionary, whose presets are made per corp on first use
//! (`preset`: never renamed or deleted; custom types are renamed, not deleted).
use sea_orm_migration::{prelude::*, schema::*, sea_orm::Statement};

use crate::helpers::{a, foreign_key as key, index, tenant_table};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000024_companies"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            tenant_table("industries")
                .col(string(a("name")))
                .col(boolean(a("preset")))
                .col(double(a("sort_index")))
                .col(timestamp_with_time_zone(a("created_at")))
                .col(timestamp_with_time_zone(a("updated_at")))
                .foreign_key(&mut key("industries", "corp_id", "corps", ForeignKeyAction::Cascade))
                .to_owned(),
        )
        .await?;
        m.create_index(index("industries", "name", &["corp_id", "name"], true)).await?;

        m.create_table(
            tenant_table("companies")
                .col(string(a("name")))
                .col(string_null(a("short_name")))
                .col(string_null(a("phone")))
                .col(string_null(a("website")))
                .col(string_null(a("province")))
                .col(string_null(a("city")))
                .col(string_null(a("address")))
                .col(big_integer_null(a("industry_id")))
                .col(string_null(a("staff_size")))
                .col(string_null(a("level")))
                .col(big_integer_null(a("created_by")))
                .col(timestamp_with_time_zone(a("created_at")))
                .col(timestamp_with_time_zone(a("updated_at")))
                .foreign_key(&mut key("companies", "corp_id", "corps", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("companies", "industry_id", "industries", ForeignKeyAction::Restrict))
                .foreign_key(&mut key("companies", "created_by", "employees", ForeignKeyAction::SetNull))
                .to_owned(),
        )
        .await?;
        m.create_index(index("companies", "name", &["corp_id", "name"], true)).await?;
        m.create_index(index("companies", "industry", &["industry_id"], false)).await?;
        m.create_index(index("companies", "creator", &["created_by"], false)).await?;

        let db = m.get_connection();
        db.execute_raw(Statement::from_string(
            db.get_database_backend(),
            "ALTER TABLE customers ADD COLUMN company_id BIGINT NULL CONSTRAINT fk_customers_company_id REFERENCES companies (id) ON DELETE SET NULL"
                .to_string(),
        ))
        .await?;
        m.create_index(index("customers", "company", &["company_id"], false)).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name("ix_customers_company").table(a("customers")).to_owned()).await?;
        m.alter_table(Table::alter().table(a("customers")).drop_column(a("company_id")).to_owned()).await?;
        m.drop_table(Table::drop().table(a("companies")).to_owned()).await?;
        m.drop_table(Table::drop().table(a("industries")).to_owned()).await
    }
}
