//! Tenant-filtered lookups by id keep their primary-key plan.
//!
//! Every by-id statement carries `corp_id = ?` (tenancy adds it). Without
//! statistics SQLite took an index starting with `corp_id` for that term and
//! read every row of the corp to find a page of ids, so a 100,000-contact
//! sync got slower with each page. The migrations now give the planner
//! statistics that say a corp has many rows, and `PRAGMA optimize` keeps them
//! current; this test asks both databases for the plan of each tenant
//! table's id lookup and update.

use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::support::TestApp;

/// Tables holding at most one row per corp (a unique index on `corp_id`
/// alone): finding a corp's row through it is as cheap as by id.
const ONE_ROW_PER_CORP: &[&str] = &["group_activity_rules", "wecom_bindings"];

/// Tenant tables with an integer `id` primary key.
async fn tenant_tables(app: &TestApp) -> Vec<String> {
    let db = &app.state.db;
    let sql = match db.get_database_backend() {
        DbBackend::Sqlite => {
            "SELECT m.name FROM sqlite_master m WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' \
             AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) c WHERE c.name = 'corp_id') \
             AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) c WHERE c.name = 'id' AND c.pk = 1) ORDER BY m.name"
        }
        _ => {
            "SELECT c.table_name FROM information_schema.columns c WHERE c.table_schema = current_schema() AND c.column_name = 'corp_id' \
             AND EXISTS (SELECT 1 FROM information_schema.columns i WHERE i.table_schema = c.table_schema AND i.table_name = c.table_name AND i.column_name = 'id') \
             ORDER BY c.table_name"
        }
    };
    let rows = db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
    rows.iter().map(|r| r.try_get_by_index::<String>(0).unwrap()).collect()
}

async fn plan(app: &TestApp, sql: &str) -> String {
    let db = &app.state.db;
    let backend = db.get_database_backend();
    let explain = match backend {
        DbBackend::Sqlite => format!("EXPLAIN QUERY PLAN {sql}"),
        _ => format!("EXPLAIN {sql}"),
    };
    let rows = db.query_all_raw(Statement::from_string(backend, explain)).await.unwrap();
    let column = if backend == DbBackend::Sqlite { 3 } else { 0 };
    rows.iter().map(|r| r.try_get_by_index::<String>(column).unwrap()).collect::<Vec<_>>().join(" | ")
}

#[tokio::test]
async fn every_tenant_id_lookup_and_update_uses_the_primary_key() {
    let app = TestApp::spawn().await;
    let backend = app.state.db.get_database_backend();
    if backend == DbBackend::Postgres {
        // PostgreSQL measures tables itself (autovacuum's ANALYZE); empty
        // ones say nothing about its plans. The measured case is below.
        return;
    }
    let tables = tenant_tables(&app).await;
    assert!(tables.len() > 40, "{tables:?}");
    let mut wrong = Vec::new();
    for t in tables.iter().filter(|t| !ONE_ROW_PER_CORP.contains(&t.as_str())) {
        // The shapes tenancy produces: `scope.select::<E>().filter(Id.is_in(..))` and `scope.update_many::<E>()…`.
        for sql in [
            format!(r#"SELECT "{t}"."id" FROM "{t}" WHERE "{t}"."corp_id" = 1 AND "{t}"."id" IN (1, 2, 3, 4, 5)"#),
            format!(r#"UPDATE "{t}" SET "corp_id" = "corp_id" WHERE "{t}"."corp_id" = 1 AND "{t}"."id" IN (1, 2, 3, 4, 5)"#),
        ] {
            let p = plan(&app, &sql).await;
            let by_pk = match backend {
                DbBackend::Sqlite => p.contains("INTEGER PRIMARY KEY"),
                _ => p.contains(&format!("{t}_pkey")),
            };
            if !by_pk {
                wrong.push(format!("{t}: {p}"));
            }
        }
    }
    assert!(wrong.is_empty(), "id lookups that lost their primary-key plan:\n{}", wrong.join("\n"));
}

#[tokio::test]
async fn a_measured_corp_with_thousands_of_customers_is_read_by_id_on_both_databases() {
    use sea_orm::{ActiveValue::Set, EntityTrait};
    let app = TestApp::spawn().await;
    let corp = app.corp.corp.id;
    let now = chrono::Utc::now();
    for chunk in (0..3000).collect::<Vec<i32>>().chunks(500) {
        entity::customer::Entity::insert_many(chunk.iter().map(|i| entity::customer::ActiveModel {
            corp_id: Set(corp),
            external_userid: Set(format!("wm-plan-{i}")),
            name: Set(format!("客户{i}")),
            contact_type: Set(1),
            gender: Set(0),
            adder_count: Set(0),
            archive_agreed: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }))
        .exec_without_returning(&app.state.db)
        .await
        .unwrap();
    }
    let ids = "10, 200, 1500, 2999";
    let statements = [
        format!(r#"SELECT "customers"."id" FROM "customers" WHERE "customers"."corp_id" = {corp} AND "customers"."id" IN ({ids})"#),
        format!(r#"UPDATE "customers" SET "adder_count" = 0 WHERE "customers"."corp_id" = {corp} AND "customers"."id" IN ({ids})"#),
    ];
    // What the hourly maintenance (and a sync, every 2,000 contacts) runs.
    // PostgreSQL's change counters reach pg_stat_user_tables within a
    // second or so of the inserting transaction, hence the retries.
    let mut plans = Vec::new();
    for _ in 0..20 {
        wecrm::db::keep_planner_statistics(&app.state.db).await.unwrap();
        plans.clear();
        for sql in &statements {
            plans.push(plan(&app, sql).await);
        }
        if plans.iter().all(|p| p.contains("INTEGER PRIMARY KEY") || p.contains("customers_pkey")) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    panic!("id lookups of a measured corp lost their primary-key plan: {plans:#?}");
}

/// SQLite reads planner statistics when a connection opens; a pool opened
/// before migrations wrote them kept planning without them (some pages of a
/// sync took 50 ms instead of 0.2 ms, depending on the connection drawn).
/// Every connection of a freshly migrated server plans by primary key.
#[tokio::test]
async fn every_pooled_connection_of_a_freshly_migrated_server_has_the_statistics() {
    use sea_orm::TransactionTrait;
    let (config, pg_schema, _dir) = crate::support::test_config().await;
    let state = wecrm::app::App::build(config, pg_schema).await.unwrap();
    if state.db.get_database_backend() != DbBackend::Sqlite {
        return;
    }
    // Hold every connection of the pool at once, so each is asked.
    let mut held = Vec::new();
    for _ in 0..8 {
        held.push(state.db.begin().await.unwrap());
    }
    let sql =
        r#"EXPLAIN QUERY PLAN SELECT "customers"."id" FROM "customers" WHERE "customers"."corp_id" = 1 AND "customers"."id" IN (1, 2, 3)"#;
    for (i, txn) in held.iter().enumerate() {
        let rows = txn.query_all_raw(Statement::from_string(DbBackend::Sqlite, sql)).await.unwrap();
        let plan: String = rows.iter().map(|r| r.try_get_by_index::<String>(3).unwrap()).collect();
        assert!(plan.contains("INTEGER PRIMARY KEY"), "connection {i}: {plan}");
    }
}

/// The job claim reads the partial indexes of due work, never the whole
/// queue: with thousands of finished jobs beside a few waiting ones, neither
/// database scans or sorts `jobs` to claim one (PostgreSQL once read and
/// sorted 17,000 rows per claim).
#[tokio::test]
async fn the_job_claim_reads_its_indexes_not_the_queue() {
    use sea_orm::{ActiveValue::Set, EntityTrait};
    let app = TestApp::spawn_with(|c| c.job_workers = 0).await;
    let db = &app.state.db;
    let now = chrono::Utc::now();
    let job = |i: i32, status: &str| entity::job::ActiveModel {
        kind: Set("plan.probe".into()),
        payload: Set("{}".into()),
        status: Set(status.into()),
        dedup_key: Set(Some(format!("plan-{i}"))),
        attempts: Set(1),
        max_attempts: Set(5),
        run_at: Set(now - chrono::Duration::minutes(5)),
        progress: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    for chunk in (0..4000).collect::<Vec<i32>>().chunks(500) {
        entity::job::Entity::insert_many(chunk.iter().map(|i| job(*i, if *i % 200 == 0 { "QUEUED" } else { "SUCCEEDED" })))
            .exec_without_returning(db)
            .await
            .unwrap();
    }
    let backend = db.get_database_backend();
    let claim = wecrm::jobs::lease::claim_statement(backend, &["plan.probe", "other.kind"], "w", now, now + chrono::Duration::minutes(1));
    let explain = Statement::from_sql_and_values(
        backend,
        format!("{} {}", if backend == DbBackend::Sqlite { "EXPLAIN QUERY PLAN" } else { "EXPLAIN" }, claim.sql),
        claim.values.map(|v| v.0).unwrap_or_default(),
    );
    let column = if backend == DbBackend::Sqlite { 3 } else { 0 };
    let mut p = String::new();
    for _ in 0..20 {
        db.execute_unprepared("ANALYZE jobs").await.unwrap();
        let rows = db.query_all_raw(explain.clone()).await.unwrap();
        p = rows.iter().map(|r| r.try_get_by_index::<String>(column).unwrap()).collect::<Vec<_>>().join(" | ");
        let indexed = p.contains("ix_jobs_queued_due") && p.contains("ix_jobs_running_lease");
        let sorts = p.contains("TEMP B-TREE") || p.contains("Sort") || p.contains("Seq Scan on jobs");
        if indexed && !sorts {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert!(p.contains("ix_jobs_queued_due") && p.contains("ix_jobs_running_lease"), "{p}");
    assert!(!(p.contains("TEMP B-TREE") || p.contains("Sort") || p.contains("Seq Scan on jobs")), "{p}");
}
