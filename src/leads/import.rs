//! The lead import (CRM-2 through CFG-1's centre): an uploaded XLSX or CSV
//! laid out like the template, read as a stream on a blocking thread, its
//! rows checked and written in batches (each batch one transaction, rules
//! applied in it), each row's result written to a result file of the same
//! format. Rows are keyed `<transfer>:<row>`, so a retried job inserts each
//! row once and reports the rows an earlier attempt wrote as imported.
//! Columns named as the corp's lead custom fields import them
//! ([`super::import_fields`]), written in the row's transaction.

use std::collections::{HashMap, HashSet};

use sea_orm::{sea_query::OnConflict, ColumnTrait, QueryFilter};
use serde_json::{json, Value};

use super::{
    import_fields::{self, ImportField},
    model::{event, log_row},
    rules, service,
};
use crate::{
    data_centre::{self, sheet, Outcome, TransferRef},
    error::{AppError, Msg},
    jobs::{JobCtx, JobError, JobHandler, JobKind},
};
use entity::{custom_field_value, lead, stored_file};

/// The template's columns; `*` marks the required one.
pub const COLUMNS: &[&str] = &["线索名称*", "手机号", "性别", "公司", "职位", "渠道", "邮箱", "备注"];
/// Rows one import takes.
pub const MAX_ROWS: usize = 100_000;
/// Rows checked and written per transaction.
const BATCH: usize = 500;

const HEADER_MISMATCH: Msg = Msg::new(
    "IMPORT_TEMPLATE_MISMATCH",
    "文件表头与模板不符，第一行须包含“线索名称”",
    "The first row must be the template's header, with 线索名称",
);

const COLUMN_REPEATED: Msg = Msg::new("IMPORT_COLUMN_REPEATED", "文件表头中有重复的列", "A column appears twice in the file's header");

pub struct ImportLeadsJob;

impl JobKind for ImportLeadsJob {
    const KIND: &'static str = "leads.import";
    type Payload = TransferRef;
}

/// Which template field each column of the file holds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Col {
    Name,
    Mobile,
    Gender,
    Company,
    Position,
    Channel,
    Email,
    Remark,
    /// A custom field, by position among the corp's enabled lead fields.
    Custom(usize),
}

/// The header's columns; a system name wins over a custom field of the
/// same name (as in the template).
fn columns(header: &[String], fields: &[ImportField]) -> Vec<Option<Col>> {
    header
        .iter()
        .map(|h| match h.trim().trim_end_matches('*').trim() {
            "线索名称" | "姓名" | "名称" => Some(Col::Name),
            "手机号" | "手机" => Some(Col::Mobile),
            "性别" => Some(Col::Gender),
            "公司" => Some(Col::Company),
            "职位" => Some(Col::Position),
            "渠道" => Some(Col::Channel),
            "邮箱" => Some(Col::Email),
            "备注" => Some(Col::Remark),
            other => import_fields::column(fields, other).map(Col::Custom),
        })
        .collect()
}

fn gender(s: &str) -> Result<i32, &'static str> {
    match s.trim() {
        "" | "未知" => Ok(0),
        "男" => Ok(1),
        "女" => Ok(2),
        _ => Err("性别须为男、女或未知"),
    }
}

/// A row's lead and its custom field values.
type Checked = (service::Draft, Vec<(i64, crate::custom_fields::StoredValue)>);

fn draft(cols: &[Option<Col>], fields: &[ImportField], row: &[String]) -> Result<Checked, String> {
    let mut d = service::Draft::default();
    let mut custom: Vec<(usize, &str)> = Vec::new();
    for (i, col) in cols.iter().enumerate() {
        let (Some(col), Some(v)) = (col, row.get(i)) else { continue };
        let some = || (!v.trim().is_empty()).then(|| v.clone());
        match col {
            Col::Name => d.name = v.clone(),
            Col::Mobile => d.mobile = some(),
            Col::Gender => d.gender = gender(v).map_err(str::to_string)?,
            Col::Company => d.company_name = some(),
            Col::Position => d.position = some(),
            Col::Channel => d.channel = some(),
            Col::Email => d.email = some(),
            Col::Remark => d.remark = some(),
            Col::Custom(at) => custom.push((*at, v.as_str())),
        }
    }
    let d = service::check(&d).map_err(|(_, msg)| msg.zh.into_owned())?;
    Ok((d, import_fields::row_values(fields, &custom)?))
}

/// One row of the file on its way through.
struct Row {
    number: usize,
    cells: Vec<String>,
    checked: Result<service::Draft, String>,
    custom: Vec<(i64, crate::custom_fields::StoredValue)>,
}

#[async_trait::async_trait]
impl JobHandler for ImportLeadsJob {
    type Kind = Self;

    async fn run(&self, ctx: &JobCtx, r: TransferRef) -> Result<Value, JobError> {
        data_centre::run(ctx, r, async |t: &mut data_centre::Transfer| {
            let state = t.state().clone();
            let scope = t.scope.clone();
            let source = scope.find::<stored_file::Entity>(&state.db, t.row.source_file_id).await?.ok_or_else(AppError::not_found)?;
            let local = crate::files::local_copy(&state, &source).await?;
            let mut file = local.reopen().map_err(AppError::internal)?;
            let format = sheet::Format::sniff(&mut file)?;

            // The reader thread hands over batches of rows; the writer thread
            // takes result rows. Both channels are bounded: memory stays flat.
            let (rows_tx, mut rows_rx) = tokio::sync::mpsc::channel::<(Vec<(usize, Vec<String>)>, f64)>(4);
            let reader = tokio::task::spawn_blocking(move || {
                let mut batch = Vec::with_capacity(BATCH);
                let (mut number, mut done) = (0usize, 0.0);
                let read = sheet::each_row(file, format, |cells, read| {
                    number += 1;
                    done = read;
                    batch.push((number, cells));
                    if batch.len() == BATCH {
                        return rows_tx.blocking_send((std::mem::replace(&mut batch, Vec::with_capacity(BATCH)), read)).is_ok();
                    }
                    true
                });
                if !batch.is_empty() {
                    let _ = rows_tx.blocking_send((batch, done));
                }
                read
            });
            let (out_tx, mut out_rx) = tokio::sync::mpsc::channel::<Vec<Vec<String>>>(4);
            let writer = tokio::task::spawn_blocking(move || -> Result<tempfile::TempPath, AppError> {
                let mut w = sheet::Writer::new(format)?;
                while let Some(rows) = out_rx.blocking_recv() {
                    for row in rows {
                        w.row(&row)?;
                    }
                }
                w.finish()
            });

            let mut cols: Option<Vec<Option<Col>>> = None;
            let mut width = 0usize;
            let (mut total, mut succeeded, mut failed) = (0i64, 0i64, 0i64);
            let loaded_rules = rules::enabled(&state.db, &scope).await?;
            let fields = import_fields::load(&state.db, &scope).await?;
            let mut assigned: Vec<(i64, i64)> = Vec::new();
            let mut mobiles_seen: HashSet<String> = HashSet::new();
            while let Some((batch, read)) = rows_rx.recv().await {
                let mut rows: Vec<Row> = Vec::with_capacity(batch.len());
                let mut results: Vec<Vec<String>> = Vec::with_capacity(batch.len() + 1);
                for (number, cells) in batch {
                    let Some(c) = &cols else {
                        let found = columns(&cells, &fields);
                        if !found.contains(&Some(Col::Name)) {
                            return Err(JobError::Permanent { code: crate::error::Code::BadUserInput, msg: HEADER_MISMATCH });
                        }
                        // Which of two cells would count is anyone's guess: refuse the file.
                        let named: Vec<Col> = found.iter().flatten().copied().collect();
                        if named.iter().enumerate().any(|(i, c)| named[..i].contains(c)) {
                            return Err(JobError::Permanent { code: crate::error::Code::BadUserInput, msg: COLUMN_REPEATED });
                        }
                        width = cells.len();
                        let mut header = cells.clone();
                        header.extend(["导入结果".to_string(), "失败原因".to_string()]);
                        results.push(header);
                        cols = Some(found);
                        continue;
                    };
                    if cells.iter().all(|c| c.trim().is_empty()) {
                        continue;
                    }
                    total += 1;
                    let checked = if total as usize > MAX_ROWS {
                        Err(format!("超过单次导入上限{MAX_ROWS}条"))
                    } else {
                        draft(c, &fields, &cells)
                    };
                    let (checked, custom) = match checked {
                        Ok((d, custom)) => (Ok(d), custom),
                        Err(e) => (Err(e), Vec::new()),
                    };
                    rows.push(Row { number, cells, checked, custom });
                }
                let key = |n: usize| format!("{}:{n}", t.row.id);
                // Mobiles repeated in the file: the first one wins.
                for row in rows.iter_mut() {
                    if let Ok(d) = &row.checked {
                        if let Some(m) = &d.mobile {
                            if !mobiles_seen.insert(m.clone()) {
                                row.checked = Err("文件中手机号重复".into());
                            }
                        }
                    }
                }
                let mobiles: Vec<String> = rows.iter().filter_map(|r| r.checked.as_ref().ok()?.mobile.clone()).collect();
                let now = state.clock.now();
                let txn = crate::db::write_txn(&state.db).await.map_err(AppError::from)?;
                let existing: HashMap<String, Option<String>> = if mobiles.is_empty() {
                    HashMap::new()
                } else {
                    scope
                        .select::<lead::Entity>()
                        .filter(lead::Column::Mobile.is_in(mobiles))
                        .all(&txn)
                        .await
                        .map_err(AppError::from)?
                        .into_iter()
                        .filter_map(|l| Some((l.mobile?, l.import_row)))
                        .collect()
                };
                let mut fresh = Vec::new();
                let mut fresh_rows: Vec<usize> = Vec::new();
                for (at, row) in rows.iter_mut().enumerate() {
                    let Ok(d) = &row.checked else { continue };
                    if let Some(by) = d.mobile.as_ref().and_then(|m| existing.get(m)) {
                        // Written by an earlier attempt of this import: done.
                        if by.as_deref() != Some(key(row.number).as_str()) {
                            row.checked = Err(service::MOBILE_TAKEN.zh.into_owned());
                        }
                        continue;
                    }
                    let mut am = service::new_row(d.clone(), scope.employee_id(), now);
                    am.import_row = sea_orm::ActiveValue::Set(Some(key(row.number)));
                    fresh.push(am);
                    fresh_rows.push(at);
                }
                // Any unique key may refuse a row: its import row (written by an
                // earlier attempt) or its mobile (a lead saved meanwhile).
                let mut inserted = Vec::new();
                for chunk in fresh.chunks(BATCH) {
                    inserted.extend(
                        scope.insert_many_ignoring_returning(&txn, chunk.to_vec(), OnConflict::new().do_nothing().to_owned()).await?,
                    );
                }
                if inserted.len() < fresh.len() {
                    let written: HashSet<String> = inserted.iter().filter_map(|l| l.import_row.clone()).collect();
                    let missing: Vec<String> = fresh_rows.iter().map(|at| key(rows[*at].number)).filter(|k| !written.contains(k)).collect();
                    let earlier: HashSet<String> = scope
                        .select::<lead::Entity>()
                        .filter(lead::Column::ImportRow.is_in(missing.clone()))
                        .all(&txn)
                        .await
                        .map_err(AppError::from)?
                        .into_iter()
                        .filter_map(|l| l.import_row)
                        .collect();
                    for at in &fresh_rows {
                        let k = key(rows[*at].number);
                        if !written.contains(&k) && !earlier.contains(&k) {
                            rows[*at].checked = Err(service::MOBILE_TAKEN.zh.into_owned());
                        }
                    }
                }
                // The custom values of the rows written now (an earlier attempt wrote its own).
                let lead_of: HashMap<&str, i64> = inserted.iter().filter_map(|l| Some((l.import_row.as_deref()?, l.id))).collect();
                let values: Vec<custom_field_value::ActiveModel> = rows
                    .iter()
                    .filter_map(|r| Some((lead_of.get(key(r.number).as_str()).copied()?, &r.custom)))
                    .flat_map(|(lead_id, custom)| {
                        custom.iter().map(move |(field_id, v)| custom_field_value::ActiveModel {
                            entity_kind: sea_orm::ActiveValue::Set(crate::custom_fields::FieldEntity::Lead.as_str().into()),
                            entity_id: sea_orm::ActiveValue::Set(lead_id),
                            field_id: sea_orm::ActiveValue::Set(*field_id),
                            value_json: sea_orm::ActiveValue::Set(v.json.to_string()),
                            value_text: sea_orm::ActiveValue::Set(v.text.clone()),
                            value_num: sea_orm::ActiveValue::Set(v.num),
                            ..Default::default()
                        })
                    })
                    .collect();
                for chunk in values.chunks(BATCH) {
                    scope.insert_many(&txn, chunk.to_vec()).await?;
                }
                let import = json!({"import": t.row.id});
                scope
                    .insert_many(&txn, inserted.iter().map(|l| log_row(l.id, event::CREATED, scope.employee_id(), import.clone(), now)))
                    .await?;
                assigned.extend(rules::apply(&txn, &scope, &loaded_rules, &inserted, now).await?);
                txn.commit().await.map_err(AppError::from)?;

                for row in rows {
                    let mut cells = row.cells;
                    cells.resize(width.max(cells.len()), String::new());
                    match row.checked {
                        Ok(_) => {
                            succeeded += 1;
                            cells.extend(["成功".to_string(), String::new()]);
                        }
                        Err(reason) => {
                            failed += 1;
                            cells.extend(["失败".to_string(), reason]);
                        }
                    }
                    results.push(cells);
                }
                out_tx.send(results).await.map_err(|_| JobError::Retry(anyhow::anyhow!("result writer stopped")))?;
                // The bar stops at 99 until the result file is stored.
                t.progress((read * 100.0) as i32, total, succeeded, failed).await?;
            }
            drop(out_tx);
            reader.await.map_err(|e| JobError::Retry(e.into()))??;
            if cols.is_none() {
                return Err(JobError::Permanent { code: crate::error::Code::BadUserInput, msg: HEADER_MISMATCH });
            }
            let path = writer.await.map_err(|e| JobError::Retry(e.into()))??;
            let stem = source.name.rsplit_once('.').map_or(source.name.as_str(), |(s, _)| s);
            let name = format!("导入结果_{stem}.{}", format.extension());
            let file = crate::files::save_path(&state, &scope, &name, format.content_type(), &path).await?;
            super::assignment::notify(&state, &scope, &assigned).await;
            Ok(Outcome { total, succeeded, failed, file: Some(file) })
        })
        .await
    }
}

/// The template as XLSX bytes: the header row and one example row.
pub fn template() -> Result<Vec<u8>, AppError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let xlsx = |e: rust_xlsxwriter::XlsxError| AppError::internal(anyhow::anyhow!("xlsx: {e}"));
    let example = ["张三", "13800000000", "男", "示例科技有限公司", "采购经理", "展会", "zhangsan@example.com", ""];
    for (i, (h, e)) in COLUMNS.iter().zip(example).enumerate() {
        sheet.write_string(0, i as u16, *h).map_err(xlsx)?;
        sheet.write_string(1, i as u16, e).map_err(xlsx)?;
        sheet.set_column_width(i as u16, 16).map_err(xlsx)?;
    }
    book.save_to_buffer().map_err(xlsx)
}
