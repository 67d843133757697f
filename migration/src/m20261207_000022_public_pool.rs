//! The public pool (CRM-6…8, CFG-14, CFG-15): pool groups with their claim
//! limit and recall rules, return reasons, and where a customer stands:
//! `customers.pool_id` is the group whose rules apply to it (NULL: the
//! default pool's), `pooled_at` is set while it sits in that pool (no
//! owner then; `previous_owner_id` remembers who had it, for the claim
//! limit), `owner_since` is when its owner got it from a pool or a lead.
//! One default pool per corp: `pool_groups.fixed` is 'DEFAULT' on it and
//! NULL elsewhere, under a unique index (NULLs never collide).
use sea_orm_migration::{prelude::*, schema::*, sea_orm::Statement};

use crate::helpers::{a, foreign_key as key, index, tenant_table};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000022_public_pool"
    }
}

async fn exec(m: &SchemaManager<'_>, sql: &str) -> Result<(), DbErr> {
    let db = m.get_connection();
    db.execute_raw(Statement::from_string(db.get_database_backend(), sql.to_string())).await.map(|_| ())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            tenant_table("pool_groups")
                .col(string(a("name")))
                .col(string_null(a("fixed")))
                .col(text(a("department_ids")))
                .col(integer_null(a("claim_block_days")))
                .col(string(a("recall_mode")))
                .col(integer_null(a("never_followed_days")))
                .col(integer_null(a("not_friend_days")))
                .col(integer_null(a("no_new_follow_up_days")))
                .col(integer_null(a("not_won_days")))
                .col(integer_null(a("remind_days")))
                .col(big_integer_null(a("created_by")))
                .col(timestamp_with_time_zone(a("created_at")))
                .col(timestamp_with_time_zone(a("updated_at")))
                .foreign_key(&mut key("pool_groups", "corp_id", "corps", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("pool_groups", "created_by", "employees", ForeignKeyAction::SetNull))
                .to_owned(),
        )
        .await?;
        m.create_index(index("pool_groups", "fixed", &["corp_id", "fixed"], true)).await?;
        m.create_index(index("pool_groups", "creator", &["created_by"], false)).await?;

        m.create_table(
            tenant_table("pool_reasons")
                .col(string(a("name")))
                .col(double(a("sort_index")))
                .col(big_integer_null(a("created_by")))
                .col(timestamp_with_time_zone(a("created_at")))
                .col(timestamp_with_time_zone(a("updated_at")))
                .foreign_key(&mut key("pool_reasons", "corp_id", "corps", ForeignKeyAction::Cascade))
                .foreign_key(&mut key("pool_reasons", "created_by", "employees", ForeignKeyAction::SetNull))
                .to_owned(),
        )
        .await?;
        m.create_index(index("pool_reasons", "name", &["corp_id", "name"], true)).await?;
        m.create_index(index("pool_reasons", "creator", &["created_by"], false)).await?;

        // SQLite takes one change per ALTER TABLE, and a key only with the column.
        for (column, ty, parent, action) in [
            ("pool_id", "BIGINT", Some("pool_groups"), "RESTRICT"),
            ("pool_reason_id", "BIGINT", Some("pool_reasons"), "SET NULL"),
            ("previous_owner_id", "BIGINT", Some("employees"), "SET NULL"),
        ] {
            let reference =
                parent.map(|p| format!(" CONSTRAINT fk_customers_{column} REFERENCES {p} (id) ON DELETE {action}")).unwrap_or_default();
            exec(m, &format!("ALTER TABLE customers ADD COLUMN {column} {ty} NULL{reference}")).await?;
        }
        for column in ["pooled_at", "owner_since"] {
            m.alter_table(Table::alter().table(a("customers")).add_column(timestamp_with_time_zone_null(a(column))).to_owned()).await?;
        }
        // Only pooled customers are indexed by pool: an index that also held
        // every NULL tempted SQLite away from the list's own index (100,000
        // customers: 205 pages/s fell to 9).
        exec(m, "CREATE INDEX ix_customers_pool ON customers (corp_id, pool_id, pooled_at) WHERE pooled_at IS NOT NULL").await?;
        // The customer list now says `pooled_at IS NULL`: its two orders'
        // indexes become partial on that, so both databases walk them in
        // order and count from them alone. (A plain `pooled_at` column in
        // the index served SQLite but not PostgreSQL, which cannot order by
        // an index past an IS NULL term: 31 pages/s against 152.)
        for (old, new, order) in [("first_added", "listed_added", "first_added_at"), ("last_contact", "listed_contact", "last_contact_at")]
        {
            m.drop_index(Index::drop().name(format!("ix_customers_{old}")).table(a("customers")).to_owned()).await?;
            exec(m, &format!("CREATE INDEX ix_customers_{new} ON customers (corp_id, {order}, id) WHERE pooled_at IS NULL")).await?;
        }
        m.create_index(index("customers", "pool_reason", &["pool_reason_id"], false)).await?;
        m.create_index(index("customers", "previous_owner", &["previous_owner_id"], false)).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (old, new, order) in [("first_added", "listed_added", "first_added_at"), ("last_contact", "listed_contact", "last_contact_at")]
        {
            m.drop_index(Index::drop().name(format!("ix_customers_{new}")).table(a("customers")).to_owned()).await?;
            m.create_index(index("customers", old, &["corp_id", order, "id"], false)).await?;
        }
        for ix in ["pool", "pool_reason", "previous_owner"] {
            m.drop_index(Index::drop().name(format!("ix_customers_{ix}")).table(a("customers")).to_owned()).await?;
        }
        for column in ["pool_id", "pool_reason_id", "previous_owner_id", "pooled_at", "owner_since"] {
            m.alter_table(Table::alter().table(a("customers")).drop_column(a(column)).to_owned()).await?;
        }
        m.drop_table(Table::drop().table(a("pool_reasons")).to_owned()).await?;
        m.drop_table(Table::drop().table(a("pool_groups")).to_owned()).await
    }
}
