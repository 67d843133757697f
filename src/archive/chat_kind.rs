//! What kind of chat a message belongs to.

use async_graphql::Enum;
use serde::{Deserialize, Serialize};

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ChatKind {
    /// An employee and a customer.
    Single,
    /// A customer group chat.
    Group,
    /// Between employees (single or internal group).
    Internal,
}

impl ChatKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChatKind::Single => "SINGLE",
            ChatKind::Group => "GROUP",
            ChatKind::Internal => "INTERNAL",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [ChatKind::Single, ChatKind::Group, ChatKind::Internal].into_iter().find(|k| k.as_str() == s)
    }
}
