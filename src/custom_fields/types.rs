//! The field model: nine types, three kinds of object, options.

use async_graphql::{Enum, InputObject, SimpleObject};
use serde::{Deserialize, Serialize};

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FieldType {
    SingleLineText,
    MultiLineText,
    Select,
    MultiSelect,
    Datetime,
    Integer,
    Decimal,
    Cascade,
    Phone,
}

impl FieldType {
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::SingleLineText => "SINGLE_LINE_TEXT",
            FieldType::MultiLineText => "MULTI_LINE_TEXT",
            FieldType::Select => "SELECT",
            FieldType::MultiSelect => "MULTI_SELECT",
            FieldType::Datetime => "DATETIME",
            FieldType::Integer => "INTEGER",
            FieldType::Decimal => "DECIMAL",
            FieldType::Cascade => "CASCADE",
            FieldType::Phone => "PHONE",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
    }
    pub fn has_options(self) -> bool {
        matches!(self, FieldType::Select | FieldType::MultiSelect | FieldType::Cascade)
    }
}

/// Which kind of object a field describes.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FieldEntity {
    Employee,
    Customer,
    Group,
    /// Leads (CRM-1, CRM-5).
    Lead,
}

impl FieldEntity {
    pub fn as_str(self) -> &'static str {
        match self {
            FieldEntity::Employee => "EMPLOYEE",
            FieldEntity::Customer => "CUSTOMER",
            FieldEntity::Group => "GROUP",
            FieldEntity::Lead => "LEAD",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
    }
}

/// A choice of a SELECT / MULTI_SELECT field, or a node of a CASCADE tree.
#[derive(SimpleObject, Clone, Debug, Serialize, Deserialize, PartialEq)]
#[graphql(name = "CustomFieldOption")]
pub struct FieldOption {
    /// Stable id, kept across edits; values store it.
    pub id: String,
    pub label: String,
    pub is_default: bool,
    #[serde(default)]
    pub children: Vec<FieldOption>,
}

impl FieldOption {
    /// Every option id of a tree of options, parents before children.
    pub fn ids(options: &[FieldOption]) -> Vec<&str> {
        options.iter().flat_map(|o| std::iter::once(o.id.as_str()).chain(Self::ids(&o.children))).collect()
    }
}

#[derive(InputObject, Clone, Debug)]
#[graphql(name = "CustomFieldOptionInput")]
pub struct FieldOptionInput {
    /// Keep an existing option's id so stored values stay valid; omit for a new option.
    pub id: Option<String>,
    pub label: String,
    #[graphql(default)]
    pub is_default: bool,
    #[graphql(default)]
    pub children: Vec<FieldOptionInput>,
}
