//! wecrm: a headless GraphQL back end for a WeCom social CRM.
//!
//! Layout: one folder per domain area (`auth`, `org`, `custom_fields`, …),
//! each with its service (the rules) and its GraphQL types (thin); shared
//! plumbing in `graphql`, `tenancy`, `jobs`, `error`.

pub mod alerts;
pub mod app;
pub mod archive;
pub mod auth;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod custom_fields;
pub mod customers;
pub mod db;
pub mod demo;
pub mod error;
pub mod files;
pub mod graphql;
pub mod integrations;
pub mod jobs;
pub mod kv;
pub mod ops;
pub mod org;
pub mod sandbox;
pub mod settings;
pub mod tags;
pub mod tenancy;
pub mod tenants;
pub mod wecom;
