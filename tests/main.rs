//! The one integration-test binary: every module below starts the real app
//! on an ephemeral port and speaks HTTP / WebSocket GraphQL to it.
//! Default storage is SQLite; `TEST_DATABASE_URL=postgres://…` runs the same
//! suite on PostgreSQL (a schema per app), and `REDIS_URL` moves the shared
//! counters to Redis (a key prefix per app).

// Tests and benchmarks may unwrap: a failure there is the failure to see.
#![allow(clippy::unwrap_used, clippy::expect_used)]
// `&[id.clone()]` reads better than `slice::from_ref(&id)` in test set-up.
#![allow(clippy::cloned_ref_to_slice_refs)]

mod support;

mod alerts;
mod archive;
mod auth;
mod companies;
mod conditions;
mod custom_fields;
mod customers;
mod data_scope;
mod departments;
mod employee_tags;
mod employees;
mod foreign_keys;
mod http_protocol;
mod inbox;
mod jobs;
mod lead_import;
mod leads;
mod marketing;
mod materials;
mod official_accounts;
mod opportunities;
mod pool;
mod probes;
mod query_plans;
mod readme_tour;
mod roles;
mod sandbox_fidelity;
mod schema;
mod segments;
mod smart_tags;
mod statements;
mod subscriptions;
mod tenancy;
mod uploads;
mod wecom;
mod wecom_directory;
mod wecom_employee_tags;
mod wecom_events;
