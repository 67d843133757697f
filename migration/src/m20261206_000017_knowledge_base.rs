//! Materials, first part (#13): the category trees of MAT-2 and the
//! knowledge base of MAT-1/3/4/5 (scripts, phrases, links; public and
//! personal). A tree is named by `tree` ("PUBLIC:SCRIPT",
//! "PERSONAL:PHRASE:<employee id>", later "FOLDER"), so one unique index
//! keeps exactly one root and one 未分类 per tree (`fixed` is NULL for the
//! categories people make, and NULLs never collide).
use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{a, foreign_key as key, index, tenant_table};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261206_000017_knowledge_base"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            tenant_table("material_categories")
                .col(string(a("tree")))
                .col(big_integer_null(a("owner_id")))
                .col(big_integer_null(a("parent_id")))
                .col(string(a("name")))
                .col(integer(a("depth")))
                .col(string_null(a("fixed")))
                .col(double(a("sort_index")))
                .col(timestamp_with_time_zone(a("created_at")))
                .col(timestamp_with_time_zone(a("updated_at")))
                .foreign_key(&mut key("material_categories", "corp_id", "corps", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("material_categories", "owner_id", "employees", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("material_categories", "parent_id", "material_categories", ForeignKeyAction::Restrict))
                .to_owned(),
        )
        .await?;
        m.create_index(index("material_categories", "fixed", &["corp_id", "tree", "fixed"], true)).await?;
        m.create_index(index("material_categories", "tree", &["corp_id", "tree", "parent_id"], false)).await?;
        m.create_index(index("material_categories", "owner", &["owner_id"], false)).await?;

        m.create_table(
            tenant_table("knowledge_items")
                .col(string(a("tree")))
                .col(string(a("kind")))
                .col(big_integer_null(a("owner_id")))
                .col(big_integer(a("category_id")))
                .col(text(a("names")))
                .col(text(a("similar_questions")))
                .col(text(a("content")))
                .col(string_null(a("url")))
                .col(double(a("sort_index")))
                .col(big_integer(a("usage_count")))
                .col(big_integer_null(a("created_by")))
                .col(timestamp_with_time_zone(a("created_at")))
                .col(timestamp_with_time_zone(a("updated_at")))
                .foreign_key(&mut key("knowledge_items", "corp_id", "corps", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("knowledge_items", "owner_id", "employees", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("knowledge_items", "category_id", "material_categories", ForeignKeyAction::Restrict))
                .foreign_key(&mut key("knowledge_items", "created_by", "employees", ForeignKeyAction::SetNull))
                .to_owned(),
        )
        .await?;
        m.create_index(index("knowledge_items", "tree", &["corp_id", "tree", "sort_index"], false)).await?;
        m.create_index(index("knowledge_items", "category", &["category_id"], false)).await?;
        m.create_index(index("knowledge_items", "owner", &["owner_id"], false)).await?;
        m.create_index(index("knowledge_items", "creator", &["created_by"], false)).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(a("knowledge_items")).to_owned()).await?;
        m.drop_table(Table::drop().table(a("material_categories")).to_owned()).await
    }
}
