//! GraphQL surface of customers: thin types over the services.

pub mod export;
pub mod groups;
pub mod inheritance;
pub mod kit;
pub mod loaders;
pub mod objects;
pub mod profile;
pub mod records;
pub mod roots;

pub use kit::{crm_loader, prefetch_links, CrmDataLoader};
pub use objects::{Customer, CustomerGroup, FollowUp};
pub use roots::{CustomerMutation, CustomerQueryRoot};
