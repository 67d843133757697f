//! Which WeCom app made an employee (address-book) tag here: `contacts`
//! (the contacts-sync secret) or `agent` (the self-built app). WeCom lets
//! only the creating app rename, delete or change the members of a tag
//! (the contacts-sync secret may also manage console-made ones), so a write
//! goes through the secret that made the tag. NULL: synced from WeCom, or
//! local only.
use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::a;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261205_000016_employee_tag_owner"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut c = string_null(a("wecom_owner")).to_owned();
        m.alter_table(Table::alter().table(a("employee_tags")).add_column(&mut c).to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(a("employee_tags")).drop_column(a("wecom_owner")).to_owned()).await
    }
}
