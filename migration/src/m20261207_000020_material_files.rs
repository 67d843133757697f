//! Uploaded materials (#13): a file remembers the kind it was checked as
//! (image, voice, video, file), a voice file its length, and WeCom's
//! `media_id` for it while that lives; folder items point at their file and a
//! video at its cover; scripts carry attachments.
//!
//! The new key columns are added with `ADD COLUMN … REFERENCES`, which both
//! SQLite and PostgreSQL accept for a nullable column, so the existing rows
//! stay where they are.
use sea_orm_migration::{prelude::*, schema::*, sea_orm::Statement};

use crate::helpers::{a, foreign_key as key, index, tenant_table};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000020_material_files"
    }
}

async fn exec(m: &SchemaManager<'_>, sql: &str) -> Result<(), DbErr> {
    let db = m.get_connection();
    db.execute_raw(Statement::from_string(db.get_database_backend(), sql.to_string())).await.map(|_| ())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite takes one change per ALTER TABLE.
        for column in [
            string(a("kind")).default("FILE").to_owned(),
            integer_null(a("duration_secs")),
            string_null(a("wecom_media_id")),
            timestamp_with_time_zone_null(a("wecom_media_at")),
        ] {
            m.alter_table(Table::alter().table(a("files")).add_column(column).to_owned()).await?;
        }
        for column in ["file_id", "cover_file_id"] {
            let key = format!("CONSTRAINT fk_folder_items_{column} REFERENCES files (id) ON DELETE RESTRICT");
            exec(m, &format!("ALTER TABLE folder_items ADD COLUMN {column} BIGINT NULL {key}")).await?;
            m.create_index(index("folder_items", column, &[column], false)).await?;
        }

        m.create_table(
            tenant_table("knowledge_attachments")
                .col(big_integer(a("item_id")))
                .col(big_integer(a("file_id")))
                .col(integer(a("position")))
                .foreign_key(&mut key("knowledge_attachments", "corp_id", "corps", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("knowledge_attachments", "item_id", "knowledge_items", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("knowledge_attachments", "file_id", "files", ForeignKeyAction::Restrict))
                .to_owned(),
        )
        .await?;
        m.create_index(index("knowledge_attachments", "item", &["item_id", "position"], true)).await?;
        m.create_index(index("knowledge_attachments", "file", &["file_id"], false)).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(a("knowledge_attachments")).if_exists().to_owned()).await?;
        for column in ["file_id", "cover_file_id"] {
            m.drop_index(Index::drop().name(format!("ix_folder_items_{column}")).table(a("folder_items")).to_owned()).await?;
            exec(m, &format!("ALTER TABLE folder_items DROP COLUMN {column}")).await?;
        }
        for column in ["kind", "duration_secs", "wecom_media_id", "wecom_media_at"] {
            m.alter_table(Table::alter().table(a("files")).drop_column(a(column)).to_owned()).await?;
        }
        Ok(())
    }
}
