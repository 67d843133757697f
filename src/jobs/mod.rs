//! Durable jobs: one table, the same code on SQLite and PostgreSQL. Areas
//! queue work by kind (`queue`) and register the code that runs it
//! (`handler`); the runner that claims and runs jobs sits in `app::runner`.

pub mod graphql;
pub mod handler;
pub mod lease;
pub mod maintenance;
pub mod queue;

pub use handler::{ErasedHandler, JobCtx, JobError, JobHandler, JobRegistry, Schedule};
pub use queue::{insert, insert_job, insert_row, insert_rows, job_row, status, JobKind, JobQueue, NewJob};
