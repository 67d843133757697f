//! Uploaded files (follow-up attachments, CUS-6): metadata here, bytes in the file store.
use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{a, index, tenant_table};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261122_000010_files"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let t = tenant_table("files")
            .col(string(a("store_key")))
            .col(string(a("name")))
            .col(string(a("content_type")))
            .col(big_integer(a("size")))
            .col(string(a("sha256")))
            .col(big_integer(a("uploaded_by")))
            .col(timestamp_with_time_zone(a("created_at")))
            .to_owned();
        m.create_table(t).await?;
        m.create_index(index("files", "key", &["corp_id", "store_key"], true)).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(a("files")).if_exists().to_owned()).await
    }
}
