//! The fields a condition may name, per subject, with the operators each
//! takes: what consoles build their rule editors from (`conditionCatalogue`).

use serde::{Deserialize, Serialize};

/// How a level combines its parts.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[graphql(name = "ConditionJoin")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Join {
    /// Every part holds (AND).
    All,
    /// At least one part holds (OR).
    Any,
}

/// What a condition asks of its field.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[graphql(name = "ConditionOperator")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Op {
    Eq,
    Ne,
    /// Case-sensitive substring.
    Contains,
    NotContains,
    In,
    NotIn,
    Gt,
    Gte,
    Lt,
    Lte,
    /// Inclusive `[from, to]`.
    Between,
    NotBetween,
    /// A time within the last N days (`value`: N).
    WithinDays,
    /// Not within the last N days, or never (silence).
    NotWithinDays,
    IsEmpty,
    IsNotEmpty,
    /// Tags: carries any of them.
    HasAny,
    /// Tags: carries all of them.
    HasAll,
    /// Tags: carries none of them.
    HasNone,
}

/// What a tree selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subject {
    Customer,
    /// Leads, for auto-assignment rules (CFG-12); evaluated in memory only.
    Lead,
    /// Customer groups (and their custom fields), for GROUP smart tag rules; compiled to SQL only.
    Group,
}

impl Subject {
    /// Whose custom fields its conditions may name.
    pub fn field_entity(self) -> Option<crate::custom_fields::FieldEntity> {
        match self {
            Subject::Customer => Some(crate::custom_fields::FieldEntity::Customer),
            Subject::Lead => Some(crate::custom_fields::FieldEntity::Lead),
            Subject::Group => Some(crate::custom_fields::FieldEntity::Group),
        }
    }
}

/// A field's value shape, which decides its operators and operands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldType {
    Text,
    /// One of fixed choices (`Field::choices`).
    Choice,
    Number,
    Time,
    /// A calendar day (`YYYY-MM-DD`).
    Date,
    /// Ids of other rows (tags, employees, departments).
    Ids,
}

/// How a custom field's stored value is read (its `value_text` / `value_num`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CustomKind {
    /// Single- and multi-line text, phone: the text.
    Text,
    /// SELECT: the option id.
    Choice,
    /// MULTI_SELECT, CASCADE: option ids, stored as `,a,b,`.
    Options,
    /// INTEGER, DECIMAL: the number.
    Number,
    /// DATETIME: epoch seconds.
    Time,
}

/// Which fact of the subject a field reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    /// A custom field of the corp (`custom:<id>`).
    Custom(i64, CustomKind),
    Name,
    Mobile,
    Channel,
    Gender,
    Kind,
    AddedAt,
    LastContactAt,
    AdderCount,
    Tags,
    /// Employees with a current relation to the customer (添加人).
    Adders,
    /// Official Accounts the customer follows now, by unionid (OA-7).
    OfficialAccounts,
    Owner,
    OwnerDepartment,
    // Leads only.
    Company,
    Position,
    CreatedAt,
    LastFollowUpAt,
    // Customers' chats (the archive).
    LastCustomerMessageAt,
    LastEmployeeMessageAt,
    CustomerMessageCount,
    /// Whole days since the customer last wrote (or, never having written, was added).
    SilenceDays,
    Birthday,
    /// Whole years since the birthday, on today's China date.
    Age,
    // Customer groups only.
    /// Members still in the group (employees and customers).
    MemberCount,
    /// External members still in the group.
    CustomerCount,
    /// Members the activity rule (GRP-3) last counted as active customers.
    ActiveCustomerCount,
    /// ACTIVE or INACTIVE by the activity rule.
    Activity,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    pub key: Key,
    /// The name conditions use.
    pub name: &'static str,
    pub label_zh: &'static str,
    pub label_en: &'static str,
    pub ty: FieldType,
    pub ops: &'static [Op],
    pub choices: Option<&'static [&'static str]>,
}

const TEXT_OPS: &[Op] = &[Op::Eq, Op::Ne, Op::Contains, Op::NotContains, Op::In, Op::NotIn, Op::IsEmpty, Op::IsNotEmpty];
const CHOICE_OPS: &[Op] = &[Op::Eq, Op::Ne, Op::In, Op::NotIn];
const NUMBER_OPS: &[Op] = &[Op::Eq, Op::Ne, Op::Gt, Op::Gte, Op::Lt, Op::Lte, Op::Between, Op::NotBetween];
const TIME_OPS: &[Op] =
    &[Op::Gt, Op::Gte, Op::Lt, Op::Lte, Op::Between, Op::NotBetween, Op::WithinDays, Op::NotWithinDays, Op::IsEmpty, Op::IsNotEmpty];
const SILENCE_OPS: &[Op] = &[Op::Gt, Op::Gte, Op::Lt, Op::Lte];
const RANGE_OPS: &[Op] = &[Op::Between, Op::NotBetween, Op::IsEmpty, Op::IsNotEmpty];
const TAG_OPS: &[Op] = &[Op::HasAny, Op::HasAll, Op::HasNone];
const OWNER_OPS: &[Op] = &[Op::In, Op::NotIn, Op::IsEmpty, Op::IsNotEmpty];
const CUSTOM_TEXT_OPS: &[Op] = &[Op::Eq, Op::Ne, Op::Contains, Op::NotContains, Op::IsEmpty, Op::IsNotEmpty];
const CUSTOM_CHOICE_OPS: &[Op] = &[Op::Eq, Op::Ne, Op::In, Op::NotIn, Op::IsEmpty, Op::IsNotEmpty];
const CUSTOM_OPTIONS_OPS: &[Op] = &[Op::HasAny, Op::HasAll, Op::HasNone, Op::IsEmpty, Op::IsNotEmpty];
const CUSTOM_NUMBER_OPS: &[Op] =
    &[Op::Eq, Op::Ne, Op::Gt, Op::Gte, Op::Lt, Op::Lte, Op::Between, Op::NotBetween, Op::IsEmpty, Op::IsNotEmpty];

/// Gender as WeCom reports it.
pub const GENDERS: &[&str] = &["UNKNOWN", "MALE", "FEMALE"];
/// A WeChat user or a WeCom user.
pub const KINDS: &[&str] = &["WECHAT", "WECOM"];

const fn field(key: Key, name: &'static str, zh: &'static str, en: &'static str, ty: FieldType, ops: &'static [Op]) -> Field {
    Field { key, name, label_zh: zh, label_en: en, ty, ops, choices: None }
}

const CUSTOMER: &[Field] = &[
    field(Key::Name, "name", "客户名称", "Name", FieldType::Text, TEXT_OPS),
    field(Key::Mobile, "mobile", "手机号", "Mobile", FieldType::Text, TEXT_OPS),
    field(Key::Channel, "channel", "渠道", "Channel", FieldType::Text, TEXT_OPS),
    Field { choices: Some(GENDERS), ..field(Key::Gender, "gender", "性别", "Gender", FieldType::Choice, CHOICE_OPS) },
    Field { choices: Some(KINDS), ..field(Key::Kind, "kind", "客户类型", "Kind", FieldType::Choice, CHOICE_OPS) },
    field(Key::AddedAt, "addedAt", "添加时间", "Added at", FieldType::Time, TIME_OPS),
    field(Key::LastContactAt, "lastContactAt", "最近沟通时间", "Last contact", FieldType::Time, TIME_OPS),
    field(Key::LastCustomerMessageAt, "lastCustomerMessageAt", "客户最后沟通时间", "Customer's last message", FieldType::Time, TIME_OPS),
    field(Key::LastEmployeeMessageAt, "lastEmployeeMessageAt", "员工最后沟通时间", "Employee's last message", FieldType::Time, TIME_OPS),
    field(Key::CustomerMessageCount, "customerMessageCount", "客户消息数", "Customer's messages", FieldType::Number, NUMBER_OPS),
    field(Key::SilenceDays, "silenceDays", "客户沉默天数", "Days of silence", FieldType::Number, SILENCE_OPS),
    field(Key::AdderCount, "adderCount", "添加人数", "Adders", FieldType::Number, NUMBER_OPS),
    field(Key::Birthday, "birthday", "生日", "Birthday", FieldType::Date, RANGE_OPS),
    field(Key::Age, "age", "年龄", "Age", FieldType::Number, RANGE_OPS),
    field(Key::Tags, "tags", "客户标签", "Tags", FieldType::Ids, TAG_OPS),
    field(Key::Adders, "adders", "添加人", "Added by", FieldType::Ids, TAG_OPS),
    field(Key::OfficialAccounts, "officialAccounts", "关注的公众号", "Follows Official Accounts", FieldType::Ids, TAG_OPS),
    field(Key::Owner, "owner", "跟进人", "Owner", FieldType::Ids, OWNER_OPS),
    field(Key::OwnerDepartment, "ownerDepartment", "跟进人所在部门", "Owner's department", FieldType::Ids, &[Op::In, Op::NotIn]),
];

const LEAD: &[Field] = &[
    field(Key::Name, "name", "线索名称", "Name", FieldType::Text, TEXT_OPS),
    field(Key::Mobile, "mobile", "手机号", "Mobile", FieldType::Text, TEXT_OPS),
    field(Key::Channel, "channel", "渠道", "Channel", FieldType::Text, TEXT_OPS),
    field(Key::Company, "company", "公司", "Company", FieldType::Text, TEXT_OPS),
    field(Key::Position, "position", "职位", "Position", FieldType::Text, TEXT_OPS),
    Field { choices: Some(GENDERS), ..field(Key::Gender, "gender", "性别", "Gender", FieldType::Choice, CHOICE_OPS) },
    field(Key::CreatedAt, "createdAt", "创建时间", "Created at", FieldType::Time, TIME_OPS),
    field(Key::LastFollowUpAt, "lastFollowUpAt", "最近跟进时间", "Last follow-up", FieldType::Time, TIME_OPS),
    field(Key::Tags, "tags", "标签", "Tags", FieldType::Ids, TAG_OPS),
];

/// A group's activity label (GRP-3).
pub const ACTIVITIES: &[&str] = &["ACTIVE", "INACTIVE"];

const GROUP: &[Field] = &[
    field(Key::Name, "name", "群名称", "Group name", FieldType::Text, TEXT_OPS),
    field(Key::Owner, "owner", "群主", "Owner", FieldType::Ids, OWNER_OPS),
    field(Key::OwnerDepartment, "ownerDepartment", "群主所在部门", "Owner's department", FieldType::Ids, &[Op::In, Op::NotIn]),
    field(Key::CreatedAt, "createdAt", "建群时间", "Created at", FieldType::Time, TIME_OPS),
    field(Key::LastContactAt, "lastContactAt", "最近沟通时间", "Last contact", FieldType::Time, TIME_OPS),
    field(Key::MemberCount, "memberCount", "群成员数", "Members", FieldType::Number, NUMBER_OPS),
    field(Key::CustomerCount, "customerCount", "群客户数", "Customers", FieldType::Number, NUMBER_OPS),
    field(Key::ActiveCustomerCount, "activeCustomerCount", "活跃客户数", "Active customers", FieldType::Number, NUMBER_OPS),
    Field { choices: Some(ACTIVITIES), ..field(Key::Activity, "activity", "群活跃度", "Activity", FieldType::Choice, CHOICE_OPS) },
    field(Key::Tags, "tags", "群标签", "Group tags", FieldType::Ids, TAG_OPS),
];

/// Every field of a subject, in catalogue order.
pub fn fields(subject: Subject) -> &'static [Field] {
    match subject {
        Subject::Customer => CUSTOMER,
        Subject::Lead => LEAD,
        Subject::Group => GROUP,
    }
}

pub fn find(subject: Subject, name: &str) -> Option<Field> {
    fields(subject).iter().find(|f| f.name == name).copied()
}

/// The prefix naming a custom field in conditions: `custom:<id>`.
pub const CUSTOM_PREFIX: &str = "custom:";

/// How conditions read a custom field of a stored `field_type`, and its operators.
pub fn custom(id: i64, field_type: &str) -> Option<Field> {
    let (kind, ty, ops) = match field_type {
        "SINGLE_LINE_TEXT" | "MULTI_LINE_TEXT" | "PHONE" => (CustomKind::Text, FieldType::Text, CUSTOM_TEXT_OPS),
        "SELECT" => (CustomKind::Choice, FieldType::Choice, CUSTOM_CHOICE_OPS),
        "MULTI_SELECT" | "CASCADE" => (CustomKind::Options, FieldType::Ids, CUSTOM_OPTIONS_OPS),
        "INTEGER" | "DECIMAL" => (CustomKind::Number, FieldType::Number, CUSTOM_NUMBER_OPS),
        "DATETIME" => (CustomKind::Time, FieldType::Time, TIME_OPS),
        _ => return None,
    };
    Some(Field { key: Key::Custom(id, kind), name: "custom", label_zh: "", label_en: "", ty, ops, choices: None })
}
