//! Materials, second part (#13): the corp folder's items (MAT-6) and radar
//! tracking of shared items (MAT-7): a share is an unguessable token bound
//! to the item, the sharing employee and the customer or group it was sent
//! to; a view is one viewer of one item (unique, so replaying a link counts
//! a viewer once).
use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{a, foreign_key as key, index, tenant_table};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261206_000018_folder_radar"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            tenant_table("folder_items")
                .col(big_integer(a("category_id")))
                .col(string(a("kind")))
                .col(string(a("title")))
                .col(text(a("description")))
                .col(text_null(a("url")))
                .col(string_null(a("appid")))
                .col(text_null(a("page_path")))
                .col(text_null(a("cover_url")))
                .col(boolean(a("radar_enabled")))
                .col(big_integer(a("view_count")))
                .col(big_integer(a("viewer_count")))
                .col(big_integer_null(a("created_by")))
                .col(timestamp_with_time_zone(a("created_at")))
                .col(timestamp_with_time_zone(a("updated_at")))
                .foreign_key(&mut key("folder_items", "corp_id", "corps", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("folder_items", "category_id", "material_categories", ForeignKeyAction::Restrict))
                .foreign_key(&mut key("folder_items", "created_by", "employees", ForeignKeyAction::SetNull))
                .to_owned(),
        )
        .await?;
        m.create_index(index("folder_items", "category", &["category_id"], false)).await?;
        m.create_index(index("folder_items", "creator", &["created_by"], false)).await?;

        m.create_table(
            tenant_table("material_shares")
                .col(string(a("token")))
                .col(big_integer(a("folder_item_id")))
                .col(big_integer(a("employee_id")))
                .col(big_integer_null(a("customer_id")))
                .col(big_integer_null(a("group_id")))
                .col(timestamp_with_time_zone(a("created_at")))
                .foreign_key(&mut key("material_shares", "corp_id", "corps", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("material_shares", "folder_item_id", "folder_items", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("material_shares", "employee_id", "employees", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("material_shares", "customer_id", "customers", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("material_shares", "group_id", "customer_groups", ForeignKeyAction::Cascade))
                .to_owned(),
        )
        .await?;
        // Tokens are looked up before the corp is known: unique platform-wide.
        m.create_index(index("material_shares", "token", &["token"], true)).await?;
        m.create_index(index("material_shares", "item", &["folder_item_id"], false)).await?;
        m.create_index(index("material_shares", "employee", &["employee_id"], false)).await?;
        m.create_index(index("material_shares", "customer", &["customer_id"], false)).await?;
        m.create_index(index("material_shares", "group", &["group_id"], false)).await?;

        m.create_table(
            tenant_table("material_views")
                .col(big_integer(a("folder_item_id")))
                .col(big_integer(a("share_id")))
                .col(big_integer_null(a("customer_id")))
                .col(string(a("viewer_key")))
                .col(timestamp_with_time_zone(a("first_viewed_at")))
                .foreign_key(&mut key("material_views", "corp_id", "corps", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("material_views", "folder_item_id", "folder_items", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("material_views", "share_id", "material_shares", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("material_views", "customer_id", "customers", ForeignKeyAction::Cascade))
                .to_owned(),
        )
        .await?;
        m.create_index(index("material_views", "viewer", &["corp_id", "folder_item_id", "viewer_key"], true)).await?;
        m.create_index(index("material_views", "share", &["share_id"], false)).await?;
        m.create_index(index("material_views", "customer", &["customer_id"], false)).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // The share and view tables are gone once the next migration moved them.
        for t in ["material_views", "material_shares", "folder_items"] {
            m.drop_table(Table::drop().table(a(t)).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
