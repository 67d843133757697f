//! Customer segments and crowd packs (OPS-9…11): segments are named folders
//! of packs (a segment with packs cannot be deleted); a pack selects
//! customers by a condition tree, live (DYNAMIC) or frozen at creation
//! (STATIC, its members in `crowd_pack_members`).
use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{a, foreign_key as key, index, tenant_table};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000026_crowd_packs"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            tenant_table("customer_segments")
                .col(string(a("name")))
                .col(big_integer_null(a("created_by")))
                .col(timestamp_with_time_zone(a("created_at")))
                .col(timestamp_with_time_zone(a("updated_at")))
                .foreign_key(&mut key("customer_segments", "corp_id", "corps", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("customer_segments", "created_by", "employees", ForeignKeyAction::SetNull))
                .to_owned(),
        )
        .await?;
        m.create_index(index("customer_segments", "name", &["corp_id", "name"], true)).await?;
        m.create_index(index("customer_segments", "creator", &["created_by"], false)).await?;

        m.create_table(
            tenant_table("crowd_packs")
                .col(big_integer(a("segment_id")))
                .col(string(a("name")))
                .col(string(a("kind")))
                .col(text(a("conditions")))
                .col(big_integer_null(a("created_by")))
                .col(timestamp_with_time_zone(a("created_at")))
                .col(timestamp_with_time_zone(a("updated_at")))
                .foreign_key(&mut key("crowd_packs", "corp_id", "corps", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("crowd_packs", "segment_id", "customer_segments", ForeignKeyAction::Restrict))
                .foreign_key(&mut key("crowd_packs", "created_by", "employees", ForeignKeyAction::SetNull))
                .to_owned(),
        )
        .await?;
        m.create_index(index("crowd_packs", "name", &["corp_id", "name"], true)).await?;
        m.create_index(index("crowd_packs", "segment", &["segment_id", "created_at", "id"], false)).await?;
        m.create_index(index("crowd_packs", "creator", &["created_by"], false)).await?;

        m.create_table(
            tenant_table("crowd_pack_members")
                .col(big_integer(a("pack_id")))
                .col(big_integer(a("customer_id")))
                .foreign_key(&mut key("crowd_pack_members", "corp_id", "corps", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("crowd_pack_members", "pack_id", "crowd_packs", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("crowd_pack_members", "customer_id", "customers", ForeignKeyAction::Cascade))
                .to_owned(),
        )
        .await?;
        m.create_index(index("crowd_pack_members", "pack", &["pack_id", "customer_id"], true)).await?;
        m.create_index(index("crowd_pack_members", "customer", &["customer_id"], false)).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["crowd_pack_members", "crowd_packs", "customer_segments"] {
            m.drop_table(Table::drop().table(a(t)).to_owned()).await?;
        }
        Ok(())
    }
}
