//! wecrm: a headless GraphQL back end for a WeCom social CRM.
//!
//! Four layers; a file imports its own layer or lower ones, never higher
//! (`tests/layers.rs` checks it):
//! - **L0 infrastructure** knows no area: `config`, `clock`, `crypto`, `kv`,
//!   `db`, `error`, `settings`, `bus`, `ports`, `jobs`, `tenancy`, `state`,
//!   `integrations` (wire clients) and the WeChat `sandbox`.
//! - **L1 areas**, one folder per SPEC area: its services (the rules), its
//!   jobs (registered by its `jobs()`), its HTTP handlers if any.
//! - **L2 GraphQL**: `graphql` (the shared kit) and each area's `graphql`
//!   module, thin over the area's services.
//! - **L3 `app`**: the composition root (state, schema roots, job registry
//!   and runner, router and transports, the demo).
#![recursion_limit = "256"]

// L0: infrastructure
pub mod bus;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod db;
pub mod error;
pub mod ids;
pub mod integrations;
pub mod jobs;
pub mod json;
pub mod kv;
pub mod ports;
pub mod sandbox;
pub mod settings;
pub mod state;
pub mod tenancy;

// L1 areas (each with its L2 `graphql` module)
pub mod alerts;
pub mod archive;
pub mod auth;
pub mod companies;
pub mod conditions;
pub mod corp_tags;
pub mod custom_fields;
pub mod customers;
pub mod data_centre;
pub mod files;
pub mod leads;
pub mod materials;
pub mod official_accounts;
pub mod opportunities;
pub mod ops;
pub mod org;
pub mod platform;
pub mod pool;
pub mod segments;
pub mod smart_tags;
pub mod wecom_sync;

// L2: the GraphQL kit
pub mod graphql;

// L3: the composition root
pub mod app;
