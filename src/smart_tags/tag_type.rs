//! What a smart tag rule tags: customers or customer groups.

use entity::smart_tag_rule;

/// What a rule tags (TAG-5's tag type).
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "SmartTagType")]
pub enum TagType {
    /// Corp tags on customers, through WeCom.
    Customer,
    /// Group tags on customer groups (local to the product).
    Group,
}

impl TagType {
    pub fn as_str(self) -> &'static str {
        match self {
            TagType::Customer => "CUSTOMER",
            TagType::Group => "GROUP",
        }
    }

    /// A stored rule's type (anything but GROUP is a customer rule, as before types existed).
    pub fn of(rule: &smart_tag_rule::Model) -> TagType {
        match rule.tag_type.as_str() {
            "GROUP" => TagType::Group,
            _ => TagType::Customer,
        }
    }
}
