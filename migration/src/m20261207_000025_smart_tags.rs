//! Smart tag rules (TAG-5): a rule's corp tags (`smart_tag_rule_tags`, gone
//! with the tag), the customers it has tagged at which version of its tags
//! (`smart_tag_hits`: once per version, so a tag removed by hand stays
//! removed until the rule's tags change), and the customers changed since
//! the last check (`smart_tag_pending`, written by whatever changed them in
//! the same transaction, its `version` counting the changes, drained by the
//! check job).
use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{a, foreign_key as key, index, tenant_table};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000025_smart_tags"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            tenant_table("smart_tag_rules")
                .col(string(a("name")))
                .col(text(a("conditions")))
                .col(integer(a("tags_version")))
                .col(big_integer_null(a("created_by")))
                .col(timestamp_with_time_zone(a("created_at")))
                .col(timestamp_with_time_zone(a("updated_at")))
                .foreign_key(&mut key("smart_tag_rules", "corp_id", "corps", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("smart_tag_rules", "created_by", "employees", ForeignKeyAction::SetNull))
                .to_owned(),
        )
        .await?;
        m.create_index(index("smart_tag_rules", "name", &["corp_id", "name"], true)).await?;
        m.create_index(index("smart_tag_rules", "created", &["corp_id", "created_at", "id"], false)).await?;
        m.create_index(index("smart_tag_rules", "creator", &["created_by"], false)).await?;

        m.create_table(
            tenant_table("smart_tag_rule_tags")
                .col(big_integer(a("rule_id")))
                .col(big_integer(a("tag_id")))
                .foreign_key(&mut key("smart_tag_rule_tags", "corp_id", "corps", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("smart_tag_rule_tags", "rule_id", "smart_tag_rules", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("smart_tag_rule_tags", "tag_id", "corp_tags", ForeignKeyAction::Cascade))
                .to_owned(),
        )
        .await?;
        m.create_index(index("smart_tag_rule_tags", "rule", &["rule_id", "tag_id"], true)).await?;
        m.create_index(index("smart_tag_rule_tags", "tag", &["tag_id"], false)).await?;

        m.create_table(
            tenant_table("smart_tag_hits")
                .col(big_integer(a("rule_id")))
                .col(big_integer(a("customer_id")))
                .col(integer(a("tags_version")))
                .col(timestamp_with_time_zone(a("tagged_at")))
                .foreign_key(&mut key("smart_tag_hits", "corp_id", "corps", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("smart_tag_hits", "rule_id", "smart_tag_rules", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("smart_tag_hits", "customer_id", "customers", ForeignKeyAction::Cascade))
                .to_owned(),
        )
        .await?;
        m.create_index(index("smart_tag_hits", "rule", &["rule_id", "customer_id"], true)).await?;
        m.create_index(index("smart_tag_hits", "customer", &["customer_id"], false)).await?;

        m.create_table(
            tenant_table("smart_tag_pending")
                .col(big_integer(a("customer_id")))
                .col(integer(a("version")))
                .foreign_key(&mut key("smart_tag_pending", "corp_id", "corps", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("smart_tag_pending", "customer_id", "customers", ForeignKeyAction::Cascade))
                .to_owned(),
        )
        .await?;
        m.create_index(index("smart_tag_pending", "customer", &["customer_id"], true)).await?;
        m.create_index(index("smart_tag_pending", "corp", &["corp_id", "id"], false)).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["smart_tag_pending", "smart_tag_hits", "smart_tag_rule_tags", "smart_tag_rules"] {
            m.drop_table(Table::drop().table(a(t)).to_owned()).await?;
        }
        Ok(())
    }
}
