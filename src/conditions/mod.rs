//! The one condition engine (#14): customers (later groups and leads)
//! selected by a typed tree of conditions, two levels deep (conditions and
//! groups of conditions, AND or OR at each level), over a catalogue of
//! fields per subject.
//!
//! A tree is checked once against the catalogue ([`check`]: unknown fields,
//! operators or values are BAD_USER_INPUT naming their path), then either
//! compiled to one SQL condition ([`sql`], identical on SQLite and
//! PostgreSQL) or evaluated in memory for one record ([`memory`], for the
//! event that changed it). The two must agree; a property test holds them to it.

pub mod catalogue;
pub mod graphql;
pub mod group_sql;
pub mod memory;
pub mod sql;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use catalogue::{Field, FieldType, Join, Op, Subject};

use crate::{
    custom_fields::FieldOption,
    error::{AppError, AppResult, Msg},
};
use catalogue::{CustomKind, Key};
use entity::custom_field;

/// One condition as a client wrote it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RawCondition {
    pub field: String,
    pub op: Op,
    #[serde(default)]
    pub value: Value,
}

/// A part of a tree as a client wrote it: a condition or a group of them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RawNode {
    Condition(RawCondition),
    Group { join: Join, conditions: Vec<RawCondition> },
}

/// A tree as a client wrote it (and as rules store it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RawTree {
    pub join: Join,
    pub items: Vec<RawNode>,
}

/// A condition's value, checked against its field.
#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    None,
    Text(String),
    Texts(Vec<String>),
    Int(i64),
    Ints(Vec<i64>),
    IntRange(i64, i64),
    Time(DateTime<Utc>),
    TimeRange(DateTime<Utc>, DateTime<Utc>),
    Days(i64),
    /// Calendar days, inclusive.
    DateRange(NaiveDate, NaiveDate),
    /// A custom number (integer or decimal).
    Num(f64),
    NumRange(f64, f64),
}

/// A checked condition: a catalogue field, an operator it allows, a value of its shape.
#[derive(Clone, Debug, PartialEq)]
pub struct Cond {
    pub field: Field,
    pub op: Op,
    pub operand: Operand,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    Cond(Cond),
    Group(Join, Vec<Cond>),
}

/// A checked tree; an empty one selects everything.
#[derive(Clone, Debug, PartialEq)]
pub struct Tree {
    pub join: Join,
    pub items: Vec<Node>,
}

/// The most conditions a whole tree may hold.
pub const MAX_PARTS: usize = 50;
/// The most values its lists may hold together, and one `HAS_ALL` list
/// (each of its values is a subquery): bind parameters are finite.
pub const MAX_VALUES: usize = 500;
pub const MAX_HAS_ALL: usize = 20;
/// The longest text a condition compares (a long text field's limit).
const MAX_TEXT: usize = 2000;

const UNKNOWN_FIELD: Msg = Msg::new("CONDITION_UNKNOWN_FIELD", "字段不存在", "Unknown field");
const OP_UNSUPPORTED: Msg = Msg::new("OP_UNSUPPORTED", "该字段不支持此筛选方式", "This operator does not apply to the field");
const VALUE_INVALID: Msg = Msg::new("CONDITION_VALUE_INVALID", "筛选条件的值不正确", "The condition's value does not fit its field");
const TOO_MANY: Msg =
    Msg::new("CONDITION_TOO_MANY", "条件最多50个，列表值合计最多500个", "At most 50 conditions and 500 listed values in all");
const EMPTY_GROUP: Msg = Msg::new("CONDITION_GROUP_EMPTY", "条件组不能为空", "A condition group needs a condition");

fn bad(path: &str, msg: Msg) -> AppError {
    AppError::bad_input(path, msg)
}

fn int(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

/// A time as both databases keep it: microseconds (PostgreSQL binds no
/// finer), years 1900–9999 (SQLite compares times as text, which a fifth
/// year digit would break), no leap second.
fn time(v: &Value) -> Option<DateTime<Utc>> {
    use chrono::{Datelike, SubsecRound, Timelike};
    let t = v.as_str().and_then(|s| DateTime::parse_from_rfc3339(s).ok())?.with_timezone(&Utc);
    ((1900..=9999).contains(&t.year()) && t.nanosecond() < 1_000_000_000).then(|| t.trunc_subsecs(6))
}

/// A day as `YYYY-MM-DD`, years 1900–9999 (as times).
fn date(v: &Value) -> Option<NaiveDate> {
    use chrono::Datelike;
    v.as_str().and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()).filter(|d| (1900..=9999).contains(&d.year()))
}

/// The oldest age a condition may name (older bounds would leave the calendar).
pub const MAX_AGE: i64 = 150;

fn text(v: &Value) -> Option<String> {
    v.as_str().filter(|s| !s.is_empty() && s.chars().count() <= MAX_TEXT).map(str::to_string)
}

fn pair<T>(v: &Value, f: impl Fn(&Value) -> Option<T>) -> Option<(T, T)> {
    match v.as_array().map(Vec::as_slice) {
        Some([a, b]) => Some((f(a)?, f(b)?)),
        _ => None,
    }
}

fn list<T>(v: &Value, f: impl Fn(&Value) -> Option<T>) -> Option<Vec<T>> {
    let items = v.as_array()?;
    if items.is_empty() || items.len() > 1000 {
        return None;
    }
    items.iter().map(f).collect()
}

/// The operand `op` needs on a field of type `ty`, read from `v`.
fn operand(ty: FieldType, op: Op, v: &Value) -> Option<Operand> {
    use FieldType as T;
    Some(match (ty, op) {
        (_, Op::IsEmpty | Op::IsNotEmpty) => Operand::None,
        (T::Text, Op::Eq | Op::Ne | Op::Contains | Op::NotContains) => Operand::Text(text(v)?),
        (T::Text | T::Choice, Op::In | Op::NotIn) => Operand::Texts(list(v, text)?),
        (T::Choice, Op::Eq | Op::Ne) => Operand::Text(text(v)?),
        (T::Number, Op::Eq | Op::Ne | Op::Gt | Op::Gte | Op::Lt | Op::Lte) => Operand::Int(int(v)?),
        (T::Number, Op::Between | Op::NotBetween) => pair(v, int).filter(|(a, b)| a <= b).map(|(a, b)| Operand::IntRange(a, b))?,
        (T::Time, Op::Gt | Op::Gte | Op::Lt | Op::Lte) => Operand::Time(time(v)?),
        (T::Time, Op::Between | Op::NotBetween) => pair(v, time).filter(|(a, b)| a <= b).map(|(a, b)| Operand::TimeRange(a, b))?,
        (T::Time, Op::WithinDays | Op::NotWithinDays) => Operand::Days(int(v).filter(|d| (0..=3650).contains(d))?),
        (T::Date, Op::Between | Op::NotBetween) => pair(v, date).filter(|(a, b)| a <= b).map(|(a, b)| Operand::DateRange(a, b))?,
        (T::Ids, Op::In | Op::NotIn | Op::HasAny | Op::HasAll | Op::HasNone) => Operand::Ints(list(v, int)?),
        _ => return None,
    })
}

/// A custom field's operand; option ids must be the field's own.
fn custom_operand(kind: CustomKind, op: Op, v: &Value, options: &[String]) -> Option<Operand> {
    // Multi-choice values are stored as `,a,b,`: an id holding a comma could not be told apart.
    let option = |v: &Value| text(v).filter(|id| options.contains(id) && !id.contains(','));
    let num = |v: &Value| v.as_f64().filter(|n| n.is_finite());
    Some(match (kind, op) {
        (_, Op::IsEmpty | Op::IsNotEmpty) => Operand::None,
        (CustomKind::Text, _) => Operand::Text(text(v)?),
        (CustomKind::Choice, Op::Eq | Op::Ne) => Operand::Text(option(v)?),
        (CustomKind::Choice, _) | (CustomKind::Options, _) => Operand::Texts(list(v, option)?),
        (CustomKind::Number, Op::Between | Op::NotBetween) => pair(v, num).filter(|(a, b)| a <= b).map(|(a, b)| Operand::NumRange(a, b))?,
        (CustomKind::Number, _) => Operand::Num(num(v)?),
        (CustomKind::Time, op) => operand(FieldType::Time, op, v)?,
    })
}

fn check_custom(subject: Subject, raw: &RawCondition, path: &str, custom: &[custom_field::Model]) -> AppResult<Cond> {
    let unknown = || bad(&format!("{path}.field"), UNKNOWN_FIELD);
    let id: i64 = raw.field.strip_prefix(catalogue::CUSTOM_PREFIX).and_then(|i| i.parse().ok()).ok_or_else(unknown)?;
    let kind = subject.field_entity().ok_or_else(unknown)?.as_str();
    let model = custom.iter().find(|f| f.id == id && f.enabled && f.entity_kind == kind).ok_or_else(unknown)?;
    let field = catalogue::custom(id, &model.field_type).ok_or_else(unknown)?;
    if !field.ops.contains(&raw.op) {
        return Err(bad(&format!("{path}.op"), OP_UNSUPPORTED));
    }
    let Key::Custom(_, kind) = field.key else { return Err(unknown()) };
    let tree = serde_json::from_str::<Vec<FieldOption>>(&model.options).unwrap_or_default();
    let options: Vec<String> = FieldOption::ids(&tree).into_iter().map(str::to_string).collect();
    let value = custom_operand(kind, raw.op, &raw.value, &options).ok_or_else(|| bad(&format!("{path}.value"), VALUE_INVALID))?;
    Ok(Cond { field, op: raw.op, operand: value })
}

fn check_cond(subject: Subject, raw: &RawCondition, path: &str, custom: &[custom_field::Model]) -> AppResult<Cond> {
    if raw.field.starts_with(catalogue::CUSTOM_PREFIX) {
        return check_custom(subject, raw, path, custom);
    }
    let field = catalogue::find(subject, &raw.field).ok_or_else(|| bad(&format!("{path}.field"), UNKNOWN_FIELD))?;
    if !field.ops.contains(&raw.op) {
        return Err(bad(&format!("{path}.op"), OP_UNSUPPORTED));
    }
    let value = operand(field.ty, raw.op, &raw.value).ok_or_else(|| bad(&format!("{path}.value"), VALUE_INVALID))?;
    if let (Key::Age, Operand::IntRange(a, b)) = (field.key, &value) {
        if *a < 0 || *b > MAX_AGE {
            return Err(bad(&format!("{path}.value"), VALUE_INVALID));
        }
    }
    if let (Some(choices), Operand::Text(t)) = (field.choices, &value) {
        if !choices.contains(&t.as_str()) {
            return Err(bad(&format!("{path}.value"), VALUE_INVALID));
        }
    }
    if let (Some(choices), Operand::Texts(ts)) = (field.choices, &value) {
        if ts.iter().any(|t| !choices.contains(&t.as_str())) {
            return Err(bad(&format!("{path}.value"), VALUE_INVALID));
        }
    }
    Ok(Cond { field, op: raw.op, operand: value })
}

/// Whether a tree names any custom field (then `check` needs the corp's).
pub fn names_custom_fields(raw: &RawTree) -> bool {
    raw.items.iter().any(|n| match n {
        RawNode::Condition(c) => c.field.starts_with(catalogue::CUSTOM_PREFIX),
        RawNode::Group { conditions, .. } => conditions.iter().any(|c| c.field.starts_with(catalogue::CUSTOM_PREFIX)),
    })
}

/// Checks a tree against the subject's catalogue and `custom`, the corp's
/// enabled custom fields of the subject; `path` names where it sits in the
/// request (`filter.tree`), so refusals point at the faulty part.
pub fn check(subject: Subject, raw: &RawTree, path: &str, custom: &[custom_field::Model]) -> AppResult<Tree> {
    let conditions = raw
        .items
        .iter()
        .map(|n| match n {
            RawNode::Condition(_) => 1,
            RawNode::Group { conditions, .. } => conditions.len(),
        })
        .sum::<usize>();
    if conditions > MAX_PARTS {
        return Err(bad(&format!("{path}.items"), TOO_MANY));
    }
    let mut items = Vec::with_capacity(raw.items.len());
    for (i, node) in raw.items.iter().enumerate() {
        // Paths name the input as written: `items.0.condition.op`, `items.1.group.conditions.0.value`.
        items.push(match node {
            RawNode::Condition(c) => Node::Cond(check_cond(subject, c, &format!("{path}.items.{i}.condition"), custom)?),
            RawNode::Group { join, conditions } => {
                let at = format!("{path}.items.{i}.group");
                if conditions.is_empty() {
                    return Err(bad(&format!("{at}.conditions"), EMPTY_GROUP));
                }
                let checked = conditions
                    .iter()
                    .enumerate()
                    .map(|(j, c)| check_cond(subject, c, &format!("{at}.conditions.{j}"), custom))
                    .collect::<AppResult<Vec<_>>>()?;
                Node::Group(*join, checked)
            }
        });
    }
    let tree = Tree { join: raw.join, items };
    let conds = tree.items.iter().flat_map(|n| match n {
        Node::Cond(c) => std::slice::from_ref(c),
        Node::Group(_, cs) => cs.as_slice(),
    });
    let mut values = 0;
    for c in conds {
        let n = match &c.operand {
            Operand::Texts(t) => t.len(),
            Operand::Ints(i) => i.len(),
            _ => 1,
        };
        if c.op == Op::HasAll && n > MAX_HAS_ALL {
            return Err(bad(&format!("{path}.items"), TOO_MANY));
        }
        values += n;
    }
    if values > MAX_VALUES {
        return Err(bad(&format!("{path}.items"), TOO_MANY));
    }
    Ok(tree)
}
