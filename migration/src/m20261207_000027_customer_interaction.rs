//! What conditions read of a customer's chats (TAG-5's interaction fields),
//! kept on the customer row by the archive ingest: when the customer and
//! when an employee last wrote in their single chats, and how many messages
//! the customer sent.
use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::a;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000027_customer_interaction"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        for col in [
            timestamp_with_time_zone_null(a("last_customer_message_at")),
            timestamp_with_time_zone_null(a("last_employee_message_at")),
            big_integer(a("customer_message_count")).default(0).to_owned(),
        ] {
            m.alter_table(Table::alter().table(a("customers")).add_column(col).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for col in ["customer_message_count", "last_employee_message_at", "last_customer_message_at"] {
            m.alter_table(Table::alter().table(a("customers")).drop_column(a(col)).to_owned()).await?;
        }
        Ok(())
    }
}
