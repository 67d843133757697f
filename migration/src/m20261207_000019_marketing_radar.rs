//! Materials, third part (#13): marketing materials (MAT-8…12) with their
//! audiences and tag rules, and radar tracking for every shared material,
//! not only folder links: a share may be a folder item or a marketing
//! material, may be a re-share by a viewer (its parent share), and each
//! page visit keeps its dwell time and bottom; anonymous viewers are kept
//! as visitors until a unionid or openid names a customer; form answers
//! are stored against the viewer and the sharing employee.
//!
//! `material_shares`/`material_views` become `radar_shares`/`radar_viewers`:
//! their item column must become optional, which SQLite cannot alter, so
//! the rows are copied into the new tables and the old ones dropped
//! (children first, so no delete cascades through them).
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};
use sea_orm_migration::{prelude::*, schema::*};

use crate::helpers::{a, foreign_key as key, index, tenant_table};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000019_marketing_radar"
    }
}

async fn exec(m: &SchemaManager<'_>, sql: &str) -> Result<(), DbErr> {
    let db = m.get_connection();
    db.execute_raw(Statement::from_string(db.get_database_backend(), sql.to_string())).await.map(|_| ())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    // The copy and the drops stand or fall together on SQLite too.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            tenant_table("marketing_materials")
                .col(big_integer(a("category_id")))
                .col(string(a("kind")))
                .col(string_null(a("article_type")))
                .col(string(a("title")))
                .col(text(a("summary")))
                .col(text_null(a("cover_url")))
                .col(text(a("content")))
                .col(text_null(a("source_url")))
                .col(big_integer_null(a("jump_material_id")))
                .col(string(a("status")))
                .col(boolean(a("visible_to_all")))
                .col(big_integer(a("view_count")))
                .col(big_integer(a("viewer_count")))
                .col(big_integer_null(a("created_by")))
                .col(timestamp_with_time_zone(a("created_at")))
                .col(timestamp_with_time_zone(a("updated_at")))
                .col(timestamp_with_time_zone_null(a("published_at")))
                .foreign_key(&mut key("marketing_materials", "corp_id", "corps", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("marketing_materials", "category_id", "material_categories", ForeignKeyAction::Restrict))
                .foreign_key(&mut key("marketing_materials", "jump_material_id", "marketing_materials", ForeignKeyAction::SetNull))
                .foreign_key(&mut key("marketing_materials", "created_by", "employees", ForeignKeyAction::SetNull))
                .to_owned(),
        )
        .await?;
        m.create_index(index("marketing_materials", "category", &["category_id"], false)).await?;
        m.create_index(index("marketing_materials", "jump", &["jump_material_id"], false)).await?;
        m.create_index(index("marketing_materials", "creator", &["created_by"], false)).await?;

        m.create_table(
            tenant_table("marketing_audiences")
                .col(big_integer(a("material_id")))
                .col(big_integer_null(a("department_id")))
                .col(big_integer_null(a("employee_id")))
                .foreign_key(&mut key("marketing_audiences", "corp_id", "corps", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("marketing_audiences", "material_id", "marketing_materials", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("marketing_audiences", "department_id", "departments", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("marketing_audiences", "employee_id", "employees", ForeignKeyAction::Cascade))
                .to_owned(),
        )
        .await?;
        m.create_index(index("marketing_audiences", "material", &["material_id"], false)).await?;
        m.create_index(index("marketing_audiences", "department", &["department_id"], false)).await?;
        m.create_index(index("marketing_audiences", "employee", &["employee_id"], false)).await?;

        m.create_table(
            tenant_table("marketing_tag_rules")
                .col(big_integer(a("material_id")))
                .col(string(a("trigger")))
                .col(big_integer(a("corp_tag_id")))
                .foreign_key(&mut key("marketing_tag_rules", "corp_id", "corps", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("marketing_tag_rules", "material_id", "marketing_materials", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("marketing_tag_rules", "corp_tag_id", "corp_tags", ForeignKeyAction::Cascade))
                .to_owned(),
        )
        .await?;
        m.create_index(index("marketing_tag_rules", "material", &["material_id"], false)).await?;
        m.create_index(index("marketing_tag_rules", "tag", &["corp_tag_id"], false)).await?;

        m.create_table(
            tenant_table("radar_visitors")
                .col(string(a("identity_key")))
                .col(string_null(a("openid")))
                .col(string_null(a("unionid")))
                .col(string_null(a("nickname")))
                .col(big_integer_null(a("customer_id")))
                .col(timestamp_with_time_zone(a("created_at")))
                .foreign_key(&mut key("radar_visitors", "corp_id", "corps", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("radar_visitors", "customer_id", "customers", ForeignKeyAction::SetNull))
                .to_owned(),
        )
        .await?;
        m.create_index(index("radar_visitors", "identity", &["corp_id", "identity_key"], true)).await?;
        m.create_index(index("radar_visitors", "customer", &["customer_id"], false)).await?;

        m.create_table(
            tenant_table("radar_shares")
                .col(string(a("token")))
                .col(string(a("material_key")))
                .col(big_integer_null(a("folder_item_id")))
                .col(big_integer_null(a("marketing_material_id")))
                .col(big_integer(a("employee_id")))
                .col(big_integer_null(a("customer_id")))
                .col(big_integer_null(a("group_id")))
                .col(big_integer_null(a("parent_share_id")))
                .col(big_integer_null(a("shared_by_customer_id")))
                .col(big_integer_null(a("shared_by_visitor_id")))
                .col(string_null(a("reshare_key")))
                .col(timestamp_with_time_zone(a("created_at")))
                .foreign_key(&mut key("radar_shares", "corp_id", "corps", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("radar_shares", "folder_item_id", "folder_items", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("radar_shares", "marketing_material_id", "marketing_materials", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("radar_shares", "employee_id", "employees", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("radar_shares", "customer_id", "customers", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("radar_shares", "group_id", "customer_groups", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("radar_shares", "parent_share_id", "radar_shares", ForeignKeyAction::Cascade))
                // Others still hold a re-shared link after its sharer goes.
                .foreign_key(&mut key("radar_shares", "shared_by_customer_id", "customers", ForeignKeyAction::SetNull))
                .foreign_key(&mut key("radar_shares", "shared_by_visitor_id", "radar_visitors", ForeignKeyAction::SetNull))
                .to_owned(),
        )
        .await?;
        // Tokens are looked up before the corp is known: unique platform-wide.
        m.create_index(index("radar_shares", "token", &["token"], true)).await?;
        // One re-share link per viewer and parent share, however often they tap share.
        m.create_index(index("radar_shares", "reshare", &["corp_id", "reshare_key"], true)).await?;
        for (name, col) in [
            ("folder_item", "folder_item_id"),
            ("marketing", "marketing_material_id"),
            ("employee", "employee_id"),
            ("customer", "customer_id"),
            ("group", "group_id"),
            ("parent", "parent_share_id"),
            ("by_customer", "shared_by_customer_id"),
            ("by_visitor", "shared_by_visitor_id"),
        ] {
            m.create_index(index("radar_shares", name, &[col], false)).await?;
        }

        m.create_table(
            tenant_table("radar_viewers")
                .col(string(a("material_key")))
                .col(big_integer_null(a("folder_item_id")))
                .col(big_integer_null(a("marketing_material_id")))
                .col(big_integer(a("share_id")))
                .col(big_integer_null(a("customer_id")))
                .col(big_integer_null(a("visitor_id")))
                .col(string(a("viewer_key")))
                .col(timestamp_with_time_zone(a("first_viewed_at")))
                .foreign_key(&mut key("radar_viewers", "corp_id", "corps", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("radar_viewers", "folder_item_id", "folder_items", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("radar_viewers", "marketing_material_id", "marketing_materials", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("radar_viewers", "share_id", "radar_shares", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("radar_viewers", "customer_id", "customers", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("radar_viewers", "visitor_id", "radar_visitors", ForeignKeyAction::Cascade))
                .to_owned(),
        )
        .await?;
        m.create_index(index("radar_viewers", "viewer", &["corp_id", "material_key", "viewer_key"], true)).await?;
        for (name, col) in [
            ("folder_item", "folder_item_id"),
            ("marketing", "marketing_material_id"),
            ("share", "share_id"),
            ("customer", "customer_id"),
            ("visitor", "visitor_id"),
        ] {
            m.create_index(index("radar_viewers", name, &[col], false)).await?;
        }

        m.create_table(
            tenant_table("radar_visits")
                .col(string(a("visit_key")))
                .col(big_integer(a("share_id")))
                .col(big_integer_null(a("customer_id")))
                .col(big_integer_null(a("visitor_id")))
                .col(timestamp_with_time_zone(a("opened_at")))
                .col(timestamp_with_time_zone(a("last_beat_at")))
                .col(integer(a("stay_seconds")))
                .col(boolean(a("reached_bottom")))
                .foreign_key(&mut key("radar_visits", "corp_id", "corps", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("radar_visits", "share_id", "radar_shares", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("radar_visits", "customer_id", "customers", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("radar_visits", "visitor_id", "radar_visitors", ForeignKeyAction::Cascade))
                .to_owned(),
        )
        .await?;
        m.create_index(index("radar_visits", "key", &["visit_key"], true)).await?;
        m.create_index(index("radar_visits", "share", &["share_id"], false)).await?;
        m.create_index(index("radar_visits", "customer", &["customer_id"], false)).await?;
        m.create_index(index("radar_visits", "visitor", &["visitor_id"], false)).await?;

        m.create_table(
            tenant_table("form_submissions")
                .col(big_integer(a("material_id")))
                .col(big_integer_null(a("share_id")))
                .col(big_integer_null(a("visit_id")))
                .col(big_integer_null(a("employee_id")))
                .col(big_integer_null(a("customer_id")))
                .col(big_integer_null(a("visitor_id")))
                .col(text(a("answers")))
                .col(string_null(a("phone")))
                .col(timestamp_with_time_zone(a("submitted_at")))
                .foreign_key(&mut key("form_submissions", "corp_id", "corps", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("form_submissions", "material_id", "marketing_materials", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("form_submissions", "share_id", "radar_shares", ForeignKeyAction::SetNull))
                .foreign_key(&mut key("form_submissions", "visit_id", "radar_visits", ForeignKeyAction::SetNull))
                .foreign_key(&mut key("form_submissions", "employee_id", "employees", ForeignKeyAction::SetNull))
                .foreign_key(&mut key("form_submissions", "customer_id", "customers", ForeignKeyAction::SetNull))
                .foreign_key(&mut key("form_submissions", "visitor_id", "radar_visitors", ForeignKeyAction::SetNull))
                .to_owned(),
        )
        .await?;
        // One submission per visit and form: a replayed submit is refused.
        m.create_index(index("form_submissions", "visit", &["visit_id", "material_id"], true)).await?;
        for (name, col) in [
            ("material", "material_id"),
            ("share", "share_id"),
            ("employee", "employee_id"),
            ("customer", "customer_id"),
            ("visitor", "visitor_id"),
        ] {
            m.create_index(index("form_submissions", name, &[col], false)).await?;
        }

        exec(
            m,
            "INSERT INTO radar_shares (id, corp_id, token, material_key, folder_item_id, employee_id, customer_id, group_id, created_at) \
             SELECT id, corp_id, token, 'folder:' || folder_item_id, folder_item_id, employee_id, customer_id, group_id, created_at \
             FROM material_shares",
        )
        .await?;
        exec(
            m,
            "INSERT INTO radar_viewers (id, corp_id, material_key, folder_item_id, share_id, customer_id, viewer_key, first_viewed_at) \
             SELECT id, corp_id, 'folder:' || folder_item_id, folder_item_id, share_id, customer_id, viewer_key, first_viewed_at \
             FROM material_views",
        )
        .await?;
        if m.get_database_backend() == sea_orm_migration::sea_orm::DbBackend::Postgres {
            // Copied ids must not be handed out again.
            for t in ["radar_shares", "radar_viewers"] {
                exec(m, &format!("SELECT setval(pg_get_serial_sequence('{t}', 'id'), COALESCE((SELECT MAX(id) FROM {t}), 0) + 1, false)"))
                    .await?;
            }
        }
        for t in ["material_views", "material_shares"] {
            m.drop_table(Table::drop().table(a(t)).to_owned()).await?;
        }
        Ok(())
    }

    /// Not reversible: the shares and views of migration 18 were moved into
    /// tables that also hold marketing materials' rows. Restore a backup instead.
    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration("m20261207_000019_marketing_radar cannot be undone; restore a backup taken before it".into()))
    }
}
