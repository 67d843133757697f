//! Database connections: SQLite (embedded default) and PostgreSQL.

use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

use migration::{Migrator, MigratorTrait};
use sea_orm::{sqlx::sqlite::SqliteJournalMode, ConnectOptions, Database, DatabaseConnection};

/// Counts every SQL statement a connection runs; tests use it to prove a
/// page costs a fixed number of statements.
#[derive(Clone, Default, Debug)]
pub struct StatementCounter(Arc<AtomicU64>);

impl StatementCounter {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

pub struct DbOptions<'a> {
    pub url: &'a str,
    /// PostgreSQL schema to work in (tests give each app its own).
    pub pg_schema: Option<String>,
}

pub async fn connect(opts: DbOptions<'_>) -> anyhow::Result<(DatabaseConnection, StatementCounter)> {
    let url = opts.url;
    if let Some(path) = sqlite_file_path(url) {
        if let Some(dir) = std::path::Path::new(&path).parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir)?;
            }
        }
    }
    let mut co = ConnectOptions::new(url.to_string());
    co.sqlx_logging(false).acquire_timeout(Duration::from_secs(10));
    if url.starts_with("sqlite:") {
        // WAL lets readers run beside the one writer; the busy timeout makes
        // writers queue instead of failing with SQLITE_BUSY.
        co.max_connections(8).map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal).busy_timeout(Duration::from_secs(10)).create_if_missing(true).foreign_keys(true)
        });
    } else {
        co.max_connections(16);
        if let Some(schema) = opts.pg_schema {
            co.set_schema_search_path(schema);
        }
    }
    let mut db = Database::connect(co).await?;
    let counter = StatementCounter::default();
    let c = counter.clone();
    db.set_metric_callback(move |_| {
        c.0.fetch_add(1, Ordering::SeqCst);
    });
    Ok((db, counter))
}

fn sqlite_file_path(url: &str) -> Option<String> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or("");
    (!path.is_empty() && path != ":memory:").then(|| path.to_string())
}

pub async fn migrate_up(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None).await?;
    Ok(())
}

/// Starts a transaction that will write. On SQLite it takes the write lock
/// up front (`BEGIN IMMEDIATE`): a deferred transaction that reads and then
/// writes fails with "database is locked" when another writer got in between,
/// whereas an immediate one waits for the busy timeout. PostgreSQL ignores it.
pub async fn write_txn(db: &DatabaseConnection) -> Result<sea_orm::DatabaseTransaction, sea_orm::DbErr> {
    use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
    db.begin_with_options(TransactionOptions { sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate), ..Default::default() })
        .await
}
