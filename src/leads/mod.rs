//! Leads (CRM-1…5, CFG-12): people the corp may sell to who are not (yet)
//! WeCom contacts. A lead is created or imported, tagged, assigned to an
//! employee (by hand, or at once by the first auto-assignment rule whose
//! conditions it meets), discarded and restored, deleted; every change goes
//! to its change log. An assigned lead becomes a customer owned by its
//! assignee when WeCom reports that the assignee added the person
//! ([`conversion`]): matched by the add's `state` (`L<lead id>`) or by the
//! lead's mobile among the contact's remark mobiles.

pub mod assignment;
pub mod conversion;
pub mod graphql;
pub mod http;
pub mod import;
pub mod import_fields;
pub mod model;
pub mod rules;
pub mod service;

pub use model::{add_state, LeadStatus};

use crate::jobs::JobRegistry;

pub fn jobs(registry: JobRegistry) -> JobRegistry {
    registry.register(import::ImportLeadsJob)
}
