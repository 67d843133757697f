//! Organisation (ORG): departments, employees, roles and data scopes, employee tags.

pub mod departments;
pub mod employee_tags;
pub mod employees;
pub mod graphql;
pub mod internal_groups;
pub mod permissions;
pub mod roles;
pub mod wecom_consent;

use crate::jobs::{JobCtx, JobError, JobHandler, JobKind, JobRegistry};

/// Bulk employee operation (ORG-7), run as a job with the starter's data scope.
pub struct BatchJob;

impl JobKind for BatchJob {
    const KIND: &'static str = "org.employee_batch";
    type Payload = employees::BatchRequest;
}

#[async_trait::async_trait]
impl JobHandler for BatchJob {
    type Kind = Self;

    async fn run(&self, ctx: &JobCtx, req: <Self as JobKind>::Payload) -> Result<serde_json::Value, JobError> {
        let scope = ctx.starter_scope().await?;
        ctx.progress(10, "running").await?;
        let outcome = employees::run_batch(&ctx.state.db, &scope, &req).await.map_err(JobError::from_app)?;
        Ok(serde_json::to_value(outcome).map_err(|e| JobError::Retry(e.into()))?)
    }
}

/// The organisation's job kinds.
pub fn jobs(registry: JobRegistry) -> JobRegistry {
    registry.register(BatchJob).register(internal_groups::CreateInternalGroupsJob)
}
