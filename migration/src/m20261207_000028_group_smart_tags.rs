//! Smart tag rules over customer groups (TAG-5's GROUP type): a rule says
//! which kind of tags it puts on (`tag_type`), a GROUP rule's tags are group
//! tags (`smart_tag_rule_group_tags`, gone with the tag) and the groups it
//! tagged are kept per version of its tags (`smart_tag_group_hits`), as
//! customer rules keep theirs. Groups also keep how many active customers
//! the activity rule (GRP-3) last counted, so conditions can read it.
use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{a, foreign_key as key, index, tenant_table};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000028_group_smart_tags"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter().table(a("smart_tag_rules")).add_column(string(a("tag_type")).default("CUSTOMER").to_owned()).to_owned(),
        )
        .await?;
        m.alter_table(Table::alter().table(a("customer_groups")).add_column(integer_null(a("active_customer_count"))).to_owned()).await?;

        m.create_table(
            tenant_table("smart_tag_rule_group_tags")
                .col(big_integer(a("rule_id")))
                .col(big_integer(a("tag_id")))
                .foreign_key(&mut key("smart_tag_rule_group_tags", "corp_id", "corps", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("smart_tag_rule_group_tags", "rule_id", "smart_tag_rules", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("smart_tag_rule_group_tags", "tag_id", "group_tags", ForeignKeyAction::Cascade))
                .to_owned(),
        )
        .await?;
        m.create_index(index("smart_tag_rule_group_tags", "rule", &["rule_id", "tag_id"], true)).await?;
        m.create_index(index("smart_tag_rule_group_tags", "tag", &["tag_id"], false)).await?;

        m.create_table(
            tenant_table("smart_tag_group_hits")
                .col(big_integer(a("rule_id")))
                .col(big_integer(a("group_id")))
                .col(integer(a("tags_version")))
                .col(timestamp_with_time_zone(a("tagged_at")))
                .foreign_key(&mut key("smart_tag_group_hits", "corp_id", "corps", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("smart_tag_group_hits", "rule_id", "smart_tag_rules", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("smart_tag_group_hits", "group_id", "customer_groups", ForeignKeyAction::Cascade))
                .to_owned(),
        )
        .await?;
        m.create_index(index("smart_tag_group_hits", "rule", &["rule_id", "group_id"], true)).await?;
        m.create_index(index("smart_tag_group_hits", "group", &["group_id"], false)).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["smart_tag_group_hits", "smart_tag_rule_group_tags"] {
            m.drop_table(Table::drop().table(a(t)).to_owned()).await?;
        }
        m.alter_table(Table::alter().table(a("customer_groups")).drop_column(a("active_customer_count")).to_owned()).await?;
        m.alter_table(Table::alter().table(a("smart_tag_rules")).drop_column(a("tag_type")).to_owned()).await?;
        Ok(())
    }
}
