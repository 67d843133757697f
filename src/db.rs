//! Database connections: SQLite (embedded default) and PostgreSQL.

use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

pub mod group_commit;

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

/// Applies pending migrations and planner statistics. `true` when statistics
/// were written: SQLite reads them only when a connection opens, so the
/// caller should open its pool afresh.
pub async fn migrate_up(db: &DatabaseConnection) -> anyhow::Result<bool> {
    Migrator::up(db, None).await?;
    Ok(keep_planner_statistics(db).await?)
}

/// Rows and rows-per-corp the SQLite planner assumes for a tenant index until
/// ANALYZE has measured it: a corp has many rows, so `corp_id = ?` never
/// looks like a better way in than a list of ids.
const ASSUMED_TABLE_ROWS: u64 = 1_000_000;
const ASSUMED_ROWS_PER_CORP: u64 = 100_000;

/// SQLite plans without statistics as if an equality on an index's first
/// column matched ~10 rows. Every tenant statement carries `corp_id = ?`, so
/// a lookup of 100 ids by primary key became a walk over every row of the
/// corp through whichever index starts with `corp_id` (a 100,000-contact
/// sync slowed with each page). So: `PRAGMA optimize` measures the tables
/// whose size changed, and every tenant index still unmeasured gets the
/// assumption above (SQLite lets applications write `sqlite_stat1`). Run
/// after migrations and hourly (connections opened later, or recycled by
/// the pool within 30 minutes, read them). PostgreSQL keeps its own
/// statistics. `true` when it wrote assumptions.
pub async fn keep_planner_statistics(db: &DatabaseConnection) -> Result<bool, sea_orm::DbErr> {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    if db.get_database_backend() != DbBackend::Sqlite {
        refresh_statistics(db).await?;
        return Ok(false);
    }
    db.execute_unprepared("PRAGMA optimize").await?;
    // sqlite_stat1 cannot be created directly; analysing the (tiny) migration table creates it.
    db.execute_unprepared("ANALYZE seaql_migrations").await?;
    let unmeasured = db
        .query_all_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT m.tbl_name, m.name, l.\"unique\", (SELECT count(*) FROM pragma_index_info(m.name)) \
             FROM sqlite_master m JOIN pragma_index_list(m.tbl_name) l ON l.name = m.name \
             WHERE m.type = 'index' AND (SELECT i.name FROM pragma_index_info(m.name) i WHERE i.seqno = 0) = 'corp_id' \
             AND NOT EXISTS (SELECT 1 FROM sqlite_stat1 s WHERE s.idx = m.name)",
        ))
        .await?;
    if unmeasured.is_empty() {
        return Ok(false);
    }
    for row in &unmeasured {
        let (table, index): (String, String) = (row.try_get_by_index(0)?, row.try_get_by_index(1)?);
        let (unique, columns): (bool, i64) = (row.try_get_by_index::<i64>(2)? == 1, row.try_get_by_index(3)?);
        if unique && columns == 1 {
            // One row per corp (settings-like tables): that index is the best way in.
            continue;
        }
        // "rows, rows per corp, then per each further column": 10 each, 1 at the end of a unique index.
        let mut stat = format!("{ASSUMED_TABLE_ROWS} {ASSUMED_ROWS_PER_CORP}");
        for column in 1..columns {
            stat.push_str(if unique && column == columns - 1 { " 1" } else { " 10" });
        }
        db.execute_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "INSERT INTO sqlite_stat1(tbl, idx, stat) VALUES (?, ?, ?)",
            [table.into(), index.into(), stat.into()],
        ))
        .await?;
    }
    // This connection reloads them now; others read them when they open.
    db.execute_unprepared("ANALYZE sqlite_schema").await?;
    Ok(true)
}

/// PostgreSQL: ANALYZE the tables that changed by more than half (or 1,000
/// rows) since they were last measured — enough to keep index plans while a
/// table grows, since the planner scales old statistics by the table's
/// current size, and each ANALYZE of a large table costs tens of ms. Autovacuum does this when it
/// is on, minutes later; a bulk load (a first WeCom sync) calls this every
/// few thousand rows so its own lookups keep their index plans: without
/// statistics PostgreSQL reads every row of the corp to find a page of ids.
/// SQLite keeps its assumptions until `PRAGMA optimize` measures (hourly).
pub async fn refresh_statistics(db: &DatabaseConnection) -> Result<(), sea_orm::DbErr> {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let stale = db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT relname::text FROM pg_stat_user_tables WHERE schemaname = current_schema() \
             AND n_mod_since_analyze > greatest(1000, n_live_tup / 2)",
        ))
        .await?;
    for row in stale {
        let table: String = row.try_get_by_index(0)?;
        db.execute_unprepared(&format!("ANALYZE \"{}\"", table.replace('"', "\"\""))).await?;
    }
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

/// How durable a write transaction's commit must be before it returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// Flushed to disk before the commit returns (everything by default).
    Flushed,
    /// Data the next sync rebuilds from WeCom (full-sync pages). On PostgreSQL
    /// the commit does not wait for its WAL flush (`synchronous_commit = off`,
    /// this transaction only): a crash can lose the last moments of such
    /// commits, never half of one, and never one older than a later flushed
    /// commit (the WAL is one sequence), so a sync checkpoint saved after a
    /// page never outlives the page. SQLite in WAL mode is unchanged.
    Rebuildable,
}

/// [`write_txn`] with the given commit durability.
pub async fn write_txn_with(db: &DatabaseConnection, durability: Durability) -> Result<sea_orm::DatabaseTransaction, sea_orm::DbErr> {
    use sea_orm::ConnectionTrait;
    let txn = write_txn(db).await?;
    if durability == Durability::Rebuildable && txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        txn.execute_unprepared("SET LOCAL synchronous_commit = off").await?;
    }
    Ok(txn)
}
