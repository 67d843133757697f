//! Benchmark: importing a big lead spreadsheet through the import centre.
//!
//! Writes an XLSX of N leads (the template's columns; every 100th row has a
//! bad mobile, half come from 展会, which an auto-assignment rule hands to
//! 10 reps in turn), uploads it over real HTTP (`uploadFile`), starts
//! `importLeads` and follows the transfer until it completes. Prints rows/s
//! and the process's peak resident memory before and after the import (the
//! sheet is streamed, so the import should add little).
//!
//!   cargo run --release --example lead_import -- [rows=100000]
//!
//! Uses a fresh SQLite file under the temp dir, or `DATABASE_URL` when set
//! (point it at an empty PostgreSQL database).

// Tests and benchmarks may unwrap: a failure there is the failure to see.
#![allow(clippy::unwrap_used, clippy::expect_used)]

// Shared with the page benchmarks; this one uses only part of it.
#[allow(dead_code)]
mod common;

use std::time::Instant;

use sea_orm::{ActiveValue::Set, EntityTrait};
use serde_json::{json, Value};
use wecrm::tenancy::Scope;

/// Peak resident set size so far, in MiB (Linux; 0 elsewhere).
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok()))
        .map_or(0.0, |kb| kb / 1024.0)
}

fn sheet(rows: usize, path: &std::path::Path) -> anyhow::Result<()> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet_with_constant_memory()?;
    for (c, h) in wecrm::leads::import::COLUMNS.iter().enumerate() {
        ws.write_string(0, c as u16, *h)?;
    }
    for i in 0..rows {
        let r = i as u32 + 1;
        ws.write_string(r, 0, format!("线索{i}"))?;
        if i % 100 == 99 {
            ws.write_string(r, 1, "12ab")?;
        } else {
            ws.write_number(r, 1, 13_000_000_000f64 + i as f64)?;
        }
        ws.write_string(r, 2, if i % 2 == 0 { "男" } else { "女" })?;
        ws.write_string(r, 3, format!("公司{}", i % 5000))?;
        ws.write_string(r, 4, "采购经理")?;
        ws.write_string(r, 5, if i % 2 == 0 { "展会" } else { "官网" })?;
        ws.write_string(r, 6, format!("lead{i}@example.com"))?;
    }
    book.save(path)?;
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let rows: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let (state, p, dir) = common::bench_app_with(1_000, |c| {
        c.job_workers = 1;
        c.job_schedules = false;
    })
    .await?;
    let (_stop_jobs, jobs_stopped) = tokio::sync::watch::channel(false);
    state.start_background(jobs_stopped);
    let scope = Scope::system(p.corp.id);
    let now = chrono::Utc::now();
    scope
        .insert_many(
            &state.db,
            (0..10).map(|i| entity::employee::ActiveModel {
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
    let reps: Vec<i64> =
        entity::employee::Entity::find().all(&state.db).await?.into_iter().map(|e| e.id).filter(|id| *id != p.admin.id).collect();

    let file = dir.join("leads.xlsx");
    let t = Instant::now();
    sheet(rows, &file)?;
    let bytes = std::fs::read(&file)?;
    println!("lead_import: wrote {rows} rows, {:.1} MB XLSX in {:.1} s", bytes.len() as f64 / 1e6, t.elapsed().as_secs_f64());

    let (url, _stop) = common::serve(&state).await?;
    let http = reqwest::Client::new();
    let token = common::login(&http, &url, common::CORP, common::PASSWORD).await?;
    let gql = |q: &str, v: Value| {
        let (http, url, token) = (http.clone(), url.clone(), token.clone());
        let body = json!({"query": q, "variables": v});
        async move {
            let r: Value = http.post(&url).bearer_auth(&token).json(&body).send().await?.json().await?;
            anyhow::ensure!(r.get("errors").is_none(), "{r}");
            Ok::<Value, anyhow::Error>(r["data"].clone())
        }
    };
    gql(
        "mutation($i:LeadRuleInput!){createLeadRule(input:$i){id}}",
        json!({"i": {"name": "展会", "employeeIds": reps.iter().map(|r| r.to_string()).collect::<Vec<_>>(),
            "conditions": {"items": [{"condition": {"field": "channel", "op": "EQ", "value": "展会"}}]}}}),
    )
    .await?;

    let operations = json!({"query": "mutation($f:Upload!){uploadFile(file:$f,kind:FILE){id}}", "variables": {"f": null}});
    let form = reqwest::multipart::Form::new()
        .text("operations", operations.to_string())
        .text("map", json!({"0": ["variables.f"]}).to_string())
        .part("0", reqwest::multipart::Part::bytes(bytes).file_name("leads.xlsx"));
    let up: Value = http.post(&url).bearer_auth(&token).multipart(form).send().await?.json().await?;
    let file_id = up["data"]["uploadFile"]["id"].as_str().ok_or_else(|| anyhow::anyhow!("upload failed: {up}"))?.to_string();

    let before = peak_rss_mib();
    let started = Instant::now();
    let transfer = gql("mutation($f:ID!){importLeads(fileId:$f){id}}", json!({"f": file_id})).await?["importLeads"]["id"].clone();
    let mut last = -10;
    let done = loop {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let t = gql(
            "query($id:ID!){dataTransfer(id:$id){status progress totalRows succeededRows failedRows error{reason}}}",
            json!({"id": transfer}),
        )
        .await?["dataTransfer"]
            .clone();
        let progress = t["progress"].as_i64().unwrap_or(0);
        if progress / 10 != last / 10 {
            println!("  {progress:>3}% after {:.1} s", started.elapsed().as_secs_f64());
            last = progress;
        }
        if t["status"] == "COMPLETED" || t["status"] == "FAILED" {
            break t;
        }
    };
    let secs = started.elapsed().as_secs_f64();
    anyhow::ensure!(done["status"] == "COMPLETED", "import failed: {done}");
    let total = done["totalRows"].as_f64().unwrap_or(0.0);
    println!(
        "lead_import: {} rows ({} imported, {} refused) in {secs:.1} s = {:.0} rows/s; peak RSS {before:.0} MiB before, {:.0} MiB after",
        done["totalRows"],
        done["succeededRows"],
        done["failedRows"],
        total / secs,
        peak_rss_mib()
    );
    let assigned = gql("{leads(filter:{unassigned:false},first:1){totalCount}}", json!({})).await?["leads"]["totalCount"].clone();
    println!("lead_import: {assigned} leads assigned by the rule");
    drop(state);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
