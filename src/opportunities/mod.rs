//! Opportunities (CRM-10/11) and their configuration (CFG-13): stages with
//! the won and lost outcomes, lose reasons, the skip and restart flags.

pub mod graphql;
pub mod service;
pub mod stages;
