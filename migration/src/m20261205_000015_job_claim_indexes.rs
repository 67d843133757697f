//! Indexes that serve the job claim (`jobs::lease`): due queued jobs in
//! claim order, and running jobs by lease end. Partial, so each holds only
//! the rows a claim can take; finished jobs (most of the table) stay out.
//! Without them PostgreSQL read and sorted the whole queue on every claim
//! (7 ms with 17,000 jobs waiting). They replace `ix_jobs_due (status,
//! run_at)`, which SQLite preferred and then sorted running jobs with.
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261205_000015_job_claim_indexes"
    }
}

// The same statements on SQLite and PostgreSQL.
const UP: [&str; 3] = [
    "DROP INDEX IF EXISTS ix_jobs_due",
    "CREATE INDEX IF NOT EXISTS ix_jobs_queued_due ON jobs (run_at, id) WHERE status = 'QUEUED'",
    "CREATE INDEX IF NOT EXISTS ix_jobs_running_lease ON jobs (locked_until) WHERE status = 'RUNNING'",
];
const DOWN: [&str; 3] = [
    "DROP INDEX IF EXISTS ix_jobs_queued_due",
    "DROP INDEX IF EXISTS ix_jobs_running_lease",
    "CREATE INDEX IF NOT EXISTS ix_jobs_due ON jobs (status, run_at)",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for sql in UP {
            m.get_connection().execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for sql in DOWN {
            m.get_connection().execute_unprepared(sql).await?;
        }
        Ok(())
    }
}
