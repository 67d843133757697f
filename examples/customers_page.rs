//! Benchmark: the customer list page with its relations, over real HTTP.
//!
//! Seeds a corp with N customers (owner, one or two adders, a tag per adder,
//! a follow-up on every second one, a custom field value each), starts the
//! server on a free port and fires `customers(first: 100)` with owner,
//! adders, tags, last follow-up and custom fields from C concurrent clients
//! for D seconds; then the same page filtered by a two-level tree of six
//! conditions. Prints requests/s, p50/p99 latency and SQL statements per page.
//!
//!   cargo run --release --example customers_page -- [customers=100000] [concurrency=16] [seconds=10]
//!
//! Uses a fresh SQLite file under the temp dir, or `DATABASE_URL` when set
//! (point it at an empty PostgreSQL database).

// Tests and benchmarks may unwrap: a failure there is the failure to see.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Instant;

use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use serde_json::json;
use wecrm::{
    custom_fields::{service as fields, FieldEntity, FieldType},
    tenancy::Scope,
};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let (n, concurrency, seconds) = (*args.first().unwrap_or(&100_000), *args.get(1).unwrap_or(&16), *args.get(2).unwrap_or(&10));

    let (state, p, dir) = common::bench_app(1_000).await?;
    let scope = Scope::system(p.corp.id);
    let db = &state.db;

    let seed = Instant::now();
    let now = chrono::Utc::now();
    // 50 sales reps, 3 tag groups of 5 tags, one customer custom field.
    scope
        .insert_many(
            db,
            (0..50).map(|i| entity::employee::ActiveModel {
                userid: Set(format!("rep{i}")),
                name: Set(format!("销售{i}")),
                mobile: Set(format!("+86 138{i:08}")),
                activated: Set(true),
                system_enabled: Set(false),
                is_super_admin: Set(false),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }),
        )
        .await
        .map_err(common::err)?;
    let staff: Vec<i64> =
        entity::employee::Entity::find().all(db).await?.into_iter().map(|e| e.id).filter(|id| *id != p.admin.id).collect();
    let mut tags = Vec::new();
    for g in 0..3 {
        let names: Vec<String> = (0..5).map(|t| format!("标签{g}-{t}")).collect();
        let group =
            wecrm::corp_tags::service::create_group(db, &scope, None, &format!("标签组{g}"), &names, false).await.map_err(common::err)?;
        let mine = entity::corp_tag::Entity::find().all(db).await?;
        tags.extend(mine.into_iter().filter(|t| t.group_id == group.id).map(|t| t.id));
    }
    wecrm::customers::seed::customers(db, &scope, n, &staff, &tags).await.map_err(common::err)?;
    let field = fields::create(
        db,
        &scope,
        fields::NewField {
            kind: FieldEntity::Customer,
            name: "预算".into(),
            field_type: FieldType::Integer,
            enabled: true,
            required: false,
            options: vec![],
        },
    )
    .await
    .map_err(common::err)?;
    let ids: Vec<i64> = entity::customer::Entity::find().all(db).await?.into_iter().map(|c| c.id).collect();
    for chunk in ids.chunks(1000) {
        scope
            .insert_many(
                db,
                chunk.iter().map(|id| entity::custom_field_value::ActiveModel {
                    entity_kind: Set(FieldEntity::Customer.as_str().into()),
                    entity_id: Set(*id),
                    field_id: Set(field.id),
                    value_json: Set((id % 100_000).to_string()),
                    value_text: Set(None),
                    value_num: Set(Some((id % 100_000) as f64)),
                    ..Default::default()
                }),
            )
            .await
            .map_err(common::err)?;
    }
    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        db.execute_unprepared("ANALYZE").await?;
    }
    println!("seeded {n} customers in {:.1}s", seed.elapsed().as_secs_f64());

    let (url, tx) = common::serve(&state).await?;
    let http = reqwest::Client::new();
    let token = common::login(&http, &url, common::CORP, common::PASSWORD).await?;
    let query = json!({"query": "{customers(first:100){totalCount edges{node{id name mobile owner{name} adders{employee{name} addedAt remark} tags{name} lastFollowUp{content createdAt} customFields{value}}}}}"});
    let per_page = common::statements_per_request(&state, &http, &url, &token, &query).await?;
    let (rps, p50, p99) = common::load(&http, &url, &token, &query, concurrency, seconds).await?;
    println!(
        "customers(first:100) on {n} customers, {concurrency} clients, {seconds}s: {rps:.0} req/s, p50 {p50:.1} ms, p99 {p99:.1} ms, {per_page} SQL statements per page"
    );

    // The same page filtered by a two-level tree of six conditions (the condition engine).
    let tree = json!({"join": "ALL", "items": [
        {"group": {"join": "ANY", "conditions": [
            {"field": "tags", "op": "HAS_ANY", "value": [tags[0], tags[6]]},
            {"field": "gender", "op": "EQ", "value": "FEMALE"},
            {"field": "adderCount", "op": "GTE", "value": 2},
        ]}},
        {"group": {"join": "ALL", "conditions": [
            {"field": "addedAt", "op": "WITHIN_DAYS", "value": 300},
            {"field": "lastContactAt", "op": "NOT_WITHIN_DAYS", "value": 7},
            {"field": "name", "op": "CONTAINS", "value": "客户"},
        ]}},
    ]});
    let query = json!({
        "query": "query($t:ConditionTreeInput!){customers(first:100,filter:{tree:$t}){totalCount edges{node{id name mobile owner{name} adders{employee{name} addedAt remark} tags{name} lastFollowUp{content createdAt} customFields{value}}}}}",
        "variables": {"t": tree},
    });
    let per_page = common::statements_per_request(&state, &http, &url, &token, &query).await?;
    let (rps, p50, p99) = common::load(&http, &url, &token, &query, concurrency, seconds).await?;
    println!(
        "customers(first:100, filter:{{tree: 2 levels, 6 conditions}}): {rps:.0} req/s, p50 {p50:.1} ms, p99 {p99:.1} ms, {per_page} SQL statements per page"
    );
    let _ = tx.send(true);
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}
