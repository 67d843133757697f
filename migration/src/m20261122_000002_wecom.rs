//! WeCom binding (secrets encrypted at rest) and the durable callback inbox.
use sea_orm_migration::{prelude::*, schema::*};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261122_000002_wecom"
    }
}

fn a(name: &str) -> Alias {
    Alias::new(name)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(a("wecom_bindings"))
                .if_not_exists()
                .col(big_pk_auto(a("id")))
                .col(big_integer(a("corp_id")))
                .col(string(a("wecom_corp_id")))
                .col(text_null(a("contact_secret")))
                .col(text_null(a("external_secret")))
                .col(text_null(a("agent_secret")))
                .col(big_integer_null(a("agent_id")))
                .col(text_null(a("callback_token")))
                .col(text_null(a("encoding_aes_key")))
                .col(timestamp_with_time_zone(a("created_at")))
                .col(timestamp_with_time_zone(a("updated_at")))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("ix_wecom_bindings_corp").table(a("wecom_bindings")).col(a("corp_id")).unique().if_not_exists().to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_wecom_bindings_wecom_corp")
                .table(a("wecom_bindings"))
                .col(a("corp_id"))
                .col(a("wecom_corp_id"))
                .if_not_exists()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(a("wecom_inbox"))
                .if_not_exists()
                .col(big_pk_auto(a("id")))
                .col(big_integer(a("corp_id")))
                .col(string(a("dedup_key")))
                .col(string(a("event")))
                .col(string(a("change_type")))
                .col(text(a("payload")))
                .col(string(a("status")))
                .col(integer(a("attempts")))
                .col(text_null(a("last_error")))
                .col(timestamp_with_time_zone(a("received_at")))
                .col(timestamp_with_time_zone_null(a("applied_at")))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_wecom_inbox_dedup")
                .table(a("wecom_inbox"))
                .col(a("corp_id"))
                .col(a("dedup_key"))
                .unique()
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_wecom_inbox_status")
                .table(a("wecom_inbox"))
                .col(a("corp_id"))
                .col(a("status"))
                .col(a("id"))
                .if_not_exists()
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(a("wecom_inbox")).if_exists().to_owned()).await?;
        m.drop_table(Table::drop().table(a("wecom_bindings")).if_exists().to_owned()).await?;
        Ok(())
    }
}
