//! Benchmark: the employee list page with its relations, over real HTTP.
//!
//! Seeds a corp with N employees (departments, roles, a tag and a custom field
//! value each), starts the server on a free port and fires `employees(first: 50)`
//! with C concurrent clients for D seconds. Prints requests/s, p50/p99 latency
//! and SQL statements per page.
//!
//!   cargo run --release --example employees_page -- [employees=10000] [concurrency=16] [seconds=10]
//!
//! Uses a fresh SQLite file under the temp dir, or `DATABASE_URL` when set
//! (point it at an empty PostgreSQL database).

// Tests and benchmarks may unwrap: a failure there is the failure to see.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Instant;

use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use serde_json::json;
use wecrm::tenancy::Scope;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let (n, concurrency, seconds) = (*args.first().unwrap_or(&10_000), *args.get(1).unwrap_or(&16), *args.get(2).unwrap_or(&10));

    let (state, p, dir) = common::bench_app(100_000).await?;
    let scope = Scope::system(p.corp.id);

    let seed = Instant::now();
    let now = chrono::Utc::now();
    // Bulk rows straight through the scope (the services' per-row validation
    // is not what is measured here).
    for chunk in (0..n).collect::<Vec<_>>().chunks(500) {
        let rows = chunk.iter().map(|i| entity::employee::ActiveModel {
            userid: Set(format!("u{i}")),
            name: Set(format!("员工{i}")),
            mobile: Set(format!("+86 138{i:08}")),
            activated: Set(true),
            system_enabled: Set(false),
            is_super_admin: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        });
        scope.insert_many(&state.db, rows).await.map_err(common::err)?;
    }
    // The super admin already has its department and role.
    let ids: Vec<i64> =
        entity::employee::Entity::find().all(&state.db).await?.into_iter().map(|e| e.id).filter(|id| *id != p.admin.id).collect();
    for chunk in ids.chunks(500) {
        scope
            .insert_many(
                &state.db,
                chunk.iter().map(|id| entity::employee_department::ActiveModel {
                    employee_id: Set(*id),
                    department_id: Set(p.root_department.id),
                    ..Default::default()
                }),
            )
            .await
            .map_err(common::err)?;
        scope
            .insert_many(
                &state.db,
                chunk.iter().map(|id| entity::employee_role::ActiveModel {
                    employee_id: Set(*id),
                    role_id: Set(p.basic_role.id),
                    ..Default::default()
                }),
            )
            .await
            .map_err(common::err)?;
    }
    // Fresh tables have no planner statistics; a live database would.
    if state.db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        state.db.execute_unprepared("ANALYZE").await?;
    }
    println!("seeded {n} employees in {:.1}s", seed.elapsed().as_secs_f64());

    let (url, tx) = common::serve(&state).await?;
    let http = reqwest::Client::new();
    let token = common::login(&http, &url, common::CORP, common::PASSWORD).await?;
    let query = json!({"query": "{employees(first:50){totalCount edges{node{id name mobile departments{name} roles{name} tags{name} customFields{value}}}}}"});
    let per_page = common::statements_per_request(&state, &http, &url, &token, &query).await?;
    let (rps, p50, p99) = common::load(&http, &url, &token, &query, concurrency, seconds).await?;
    println!(
        "employees(first:50) on {n} employees, {concurrency} clients, {seconds}s: {rps:.0} req/s, p50 {p50:.1} ms, p99 {p99:.1} ms, {per_page} SQL statements per page"
    );
    let _ = tx.send(true);
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}
