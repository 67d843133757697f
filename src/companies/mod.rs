//! Companies (CRM-9) and industry types (CFG-11): the B2B accounts customers
//! belong to, with their related customers, and the industry dictionary.

pub mod graphql;
pub mod service;
