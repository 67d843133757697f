//! Tag rules of marketing materials (MAT-8): a viewer who enters the page,
//! stays 15 s, reaches the bottom or shares it earns the rule's corp tags,
//! applied through WeCom's `mark_tag` by a job queued in the transaction
//! that recorded the behaviour; once per customer, material and trigger.

use chrono::Utc;
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::{
    customers::customer_tagging,
    error::{AppError, AppResult},
    jobs::{JobCtx, JobError, JobHandler, JobKind, NewJob},
    tenancy::Scope,
};
use entity::marketing_tag_rule;

/// Tags a customer earned on a marketing material.
pub struct RadarTagging;

#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(rename_all = "camelCase")]
pub struct TagHit {
    pub customer_id: i64,
    pub tag_ids: Vec<i64>,
}

impl JobKind for RadarTagging {
    const KIND: &'static str = "materials.radar_tags";
    type Payload = TagHit;
}

/// Queues the tagging that `trigger` earns each (material, customer) in
/// `hits`, in the caller's transaction; once per customer, material and
/// trigger (the dedup key), so a replay tags nothing twice.
pub async fn queue_tag_rules(txn: &impl ConnectionTrait, scope: &Scope, trigger: &str, hits: &[(i64, i64)]) -> AppResult<()> {
    if hits.is_empty() {
        return Ok(());
    }
    let rules = scope
        .select::<marketing_tag_rule::Entity>()
        .filter(marketing_tag_rule::Column::MaterialId.is_in(hits.iter().map(|(m, _)| *m)))
        .filter(marketing_tag_rule::Column::Trigger.eq(trigger))
        .all(txn)
        .await?;
    if rules.is_empty() {
        return Ok(());
    }
    let now = Utc::now();
    let mut rows = Vec::new();
    for (material_id, customer_id) in hits {
        let tag_ids: Vec<i64> = rules.iter().filter(|r| r.material_id == *material_id).map(|r| r.corp_tag_id).collect();
        if tag_ids.is_empty() {
            continue;
        }
        let payload = serde_json::to_string(&TagHit { customer_id: *customer_id, tag_ids }).map_err(AppError::internal)?;
        let new = NewJob { corp_id: Some(scope.corp_id()), ..NewJob::system() }
            .dedup(format!("radar-tags:{}:{material_id}:{trigger}:{customer_id}", scope.corp_id()));
        rows.push(crate::jobs::job_row(RadarTagging::KIND, payload, new, now));
    }
    crate::jobs::insert_rows(txn, rows).await?;
    Ok(())
}

pub struct RadarTaggingJob;

#[async_trait::async_trait]
impl JobHandler for RadarTaggingJob {
    type Kind = RadarTagging;

    async fn run(&self, ctx: &JobCtx, hit: TagHit) -> Result<Value, JobError> {
        let Some(corp_id) = ctx.job.corp_id else { return Ok(json!({"skipped": "no corp"})) };
        let state = &ctx.state;
        let link = crate::wecom_sync::link::link(state, corp_id).await?;
        let scope = Scope::system(corp_id);
        let results = customer_tagging::change_tags(&state.db, &scope, link.as_ref(), &[hit.customer_id], &hit.tag_ids, &[]).await?;
        match results.into_iter().next().and_then(|r| r.error) {
            Some(e) => Err(JobError::from_app(e)),
            None => Ok(json!({"tagged": hit.customer_id, "tags": hit.tag_ids})),
        }
    }
}
