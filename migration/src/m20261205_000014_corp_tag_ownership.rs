//! Which corp tags and tag groups this server created in WeCom. WeCom lets an
//! app edit and delete only the tags it created (console-made and other
//! apps' tags stay readable and usable for tagging), so the others are
//! refused here before WeCom is asked. Existing rows start as not ours: a
//! tag made before this column existed may be ours, but WeCom will say.
use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::a;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261205_000014_corp_tag_ownership"
    }
}

const TABLES: [&str; 2] = ["corp_tags", "corp_tag_groups"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in TABLES {
            let mut c = boolean(a("made_here")).default(false).to_owned();
            m.alter_table(Table::alter().table(a(t)).add_column(&mut c).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in TABLES {
            m.alter_table(Table::alter().table(a(t)).drop_column(a("made_here")).to_owned()).await?;
        }
        Ok(())
    }
}
