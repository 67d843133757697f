//! The custom-field engine (ORG-12, CFG-16): tenant-defined typed attributes
//! for employees, customers and groups. One model, nine types, values
//! validated by type on every write, and filter conditions that compile to SQL
//! on every backend.

pub mod conditions;
pub mod graphql;
pub mod service;
pub mod types;
mod values;

pub use conditions::{ConditionOp, FieldCondition};
pub use types::{FieldEntity, FieldOption, FieldOptionInput, FieldType};
pub use values::{validate_value, StoredValue};
