//! The sensitive-behaviour export (ARC-8): the review queue, as the
//! starter may see it, written to a CSV file in the file store.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, QueryFilter};

use super::queries::BehaviorFilter;
use crate::{
    error::AppError,
    jobs::{JobCtx, JobError, JobHandler, JobKind},
};
use entity::{customer, employee};

/// Writes the review queue, as the starter may see it, to a CSV file.
pub struct ExportBehaviorsJob;

impl JobKind for ExportBehaviorsJob {
    const KIND: &'static str = "archive.export_behaviors";
    type Payload = BehaviorFilter;
}

#[async_trait::async_trait]
impl JobHandler for ExportBehaviorsJob {
    type Kind = Self;

    async fn run(&self, ctx: &JobCtx, filter: BehaviorFilter) -> Result<serde_json::Value, JobError> {
        let scope = ctx.starter_scope().await?;
        let db = &ctx.state.db;
        let q = filter.select(&scope)?;
        let rows = q.all(db).await.map_err(AppError::from)?;
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
        let mut out = csv::Writer::from_writer(Vec::new());
        let name = |m: &HashMap<i64, String>, id: Option<i64>| id.and_then(|i| m.get(&i).cloned()).unwrap_or_default();
        let csv_err = |e: csv::Error| JobError::Retry(e.into());
        out.write_record(["触发时间", "类型", "员工", "客户", "内容", "状态", "审核结果", "备注", "审核人", "审核时间"])
            .map_err(csv_err)?;
        for r in &rows {
            let china = r.occurred_at.with_timezone(&crate::clock::china()).format("%Y-%m-%d %H:%M:%S").to_string();
            let reviewed =
                r.reviewed_at.map(|t| t.with_timezone(&crate::clock::china()).format("%Y-%m-%d %H:%M:%S").to_string()).unwrap_or_default();
            out.write_record([
                china.as_str(),
                r.kind.as_str(),
                &name(&people, r.employee_id),
                &name(&customers, r.customer_id),
                r.detail.as_str(),
                if r.status == "PENDING" { "待审核" } else { "已审核" },
                match r.verdict.as_deref() {
                    Some("VIOLATION") => "违规属实",
                    Some("FALSE_ALARM") => "误报",
                    _ => "",
                },
                r.remark.as_deref().unwrap_or(""),
                &name(&people, r.reviewer_id),
                &reviewed,
            ])
            .map_err(csv_err)?;
        }
        let bytes = out.into_inner().map_err(|e| JobError::Retry(anyhow::anyhow!("csv: {e}")))?;
        // A UTF-8 BOM, so spreadsheet programs read the Chinese correctly.
        let file = crate::files::save(
            &ctx.state,
            &scope,
            "敏感行为.csv",
            "text/csv; charset=utf-8",
            &[b"\xEF\xBB\xBF".as_slice(), &bytes].concat(),
        )
        .await
        .map_err(JobError::from_app)?;
        Ok(serde_json::json!({"fileId": file.id.to_string(), "rows": rows.len()}))
    }
}
