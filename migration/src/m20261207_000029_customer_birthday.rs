//! A customer's birthday (CUS-3's profile block), kept by staff: what TAG-5's
//! birthday and age conditions read (age is counted from it, never stored).
use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::a;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000029_customer_birthday"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(a("customers")).add_column(date_null(a("birthday"))).to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(a("customers")).drop_column(a("birthday")).to_owned()).await
    }
}
