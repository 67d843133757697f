//! Employee-only group chats created through WeCom (ORG-11).
use sea_orm_migration::{prelude::*, schema::*};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261122_000004_internal_groups"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let a = Alias::new;
        m.create_table(
            Table::create()
                .table(a("internal_groups"))
                .if_not_exists()
                .col(big_pk_auto(a("id")))
                .col(big_integer(a("corp_id")))
                .col(string(a("name")))
                .col(string(a("chat_id")))
                .col(big_integer(a("owner_id")))
                .col(text(a("member_ids")))
                .col(integer(a("member_count")))
                .col(big_integer_null(a("created_by")))
                .col(timestamp_with_time_zone(a("created_at")))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_internal_groups_created")
                .table(a("internal_groups"))
                .col(a("corp_id"))
                .col(a("created_at"))
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_internal_groups_chat")
                .table(a("internal_groups"))
                .col(a("corp_id"))
                .col(a("chat_id"))
                .unique()
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Alias::new("internal_groups")).if_exists().to_owned()).await?;
        Ok(())
    }
}
