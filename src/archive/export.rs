//! The sensitive-behaviour export (ARC-8): the review queue, as the
//! starter may see it, written to a CSV file in the file store.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, QueryFilter};

use super::queries::BehaviorFilter;
use crate::{
    data_centre::{self, sheet, Outcome, TransferRef},
    error::AppError,
    jobs::{JobCtx, JobError, JobHandler, JobKind},
};
use entity::{customer, employee};

/// Writes the review queue, as the starter may see it, to a CSV file in
/// the download centre (CFG-2).
pub struct ExportBehaviorsJob;

impl JobKind for ExportBehaviorsJob {
    const KIND: &'static str = "archive.export_behaviors";
    type Payload = TransferRef;
}

const HEADER: [&str; 10] = ["触发时间", "类型", "员工", "客户", "内容", "状态", "审核结果", "备注", "审核人", "审核时间"];

#[async_trait::async_trait]
impl JobHandler for ExportBehaviorsJob {
    type Kind = Self;

    async fn run(&self, ctx: &JobCtx, r: TransferRef) -> Result<serde_json::Value, JobError> {
        data_centre::run(ctx, r, async |t: &mut data_centre::Transfer| {
            let filter: BehaviorFilter = t.params()?;
            let scope = t.scope.clone();
            let state = t.state().clone();
            let db = &state.db;
            let rows = filter.select(&scope)?.all(db).await.map_err(AppError::from)?;
            let people: HashMap<i64, String> = scope
                .select::<employee::Entity>()
                .filter(employee::Column::Id.is_in(rows.iter().flat_map(|r| [r.employee_id, r.reviewer_id]).flatten()))
                .all(db)
                .await
                .map_err(AppError::from)?
                .into_iter()
                .map(|e| (e.id, e.name))
                .collect();
            let customers: HashMap<i64, String> = scope
                .select::<customer::Entity>()
                .filter(customer::Column::Id.is_in(rows.iter().filter_map(|r| r.customer_id)))
                .all(db)
                .await
                .map_err(AppError::from)?
                .into_iter()
                .map(|c| (c.id, c.name))
                .collect();
            let name = |m: &HashMap<i64, String>, id: Option<i64>| id.and_then(|i| m.get(&i).cloned()).unwrap_or_default();
            let china = crate::clock::china_text;
            let lines: Vec<[String; 10]> = rows
                .iter()
                .map(|r| {
                    [
                        china(r.occurred_at),
                        r.kind.clone(),
                        name(&people, r.employee_id),
                        name(&customers, r.customer_id),
                        r.detail.clone(),
                        if r.status == "PENDING" { "待审核" } else { "已审核" }.to_string(),
                        match r.verdict.as_deref() {
                            Some("VIOLATION") => "违规属实",
                            Some("FALSE_ALARM") => "误报",
                            _ => "",
                        }
                        .to_string(),
                        r.remark.clone().unwrap_or_default(),
                        name(&people, r.reviewer_id),
                        r.reviewed_at.map(china).unwrap_or_default(),
                    ]
                })
                .collect();
            let total = lines.len() as i64;
            let path = tokio::task::spawn_blocking(move || -> Result<tempfile::TempPath, AppError> {
                let mut out = sheet::Writer::new(sheet::Format::Csv)?;
                out.row(&HEADER)?;
                for l in &lines {
                    out.row(l)?;
                }
                out.finish()
            })
            .await
            .map_err(|e| JobError::Retry(e.into()))??;
            let file = crate::files::save_path(&state, &scope, &t.row.file_name, sheet::Format::Csv.content_type(), &path).await?;
            Ok(Outcome { total, succeeded: total, failed: 0, file: Some(file) })
        })
        .await
    }
}
