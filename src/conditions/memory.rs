//! A checked tree evaluated for one customer in memory: what an event that
//! changed the customer (a tag, an owner, a message) asks of rules. Must
//! select exactly what [`super::sql`] selects; see there for each rule's
//! handling of empty values.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, QuerySelect};

use super::{
    catalogue::{CustomKind, FieldType, Key},
    Cond, Join, Node, Op, Operand, Tree,
};
use crate::{custom_fields::FieldEntity, error::AppResult, tenancy::Scope};
use entity::{custom_field_value, customer, customer_follow, employee_department, follow_tag, oa_follower};

/// What the conditions read of one customer.
#[derive(Clone, Debug)]
pub struct CustomerFacts {
    pub customer: customer::Model,
    /// Tags on any of the customer's follow relations.
    pub tag_ids: BTreeSet<i64>,
    /// The employees of those relations.
    pub adder_ids: BTreeSet<i64>,
    /// The owner's departments.
    pub owner_departments: BTreeSet<i64>,
    /// Custom field values by field.
    pub custom: BTreeMap<i64, CustomValue>,
    /// Official Accounts the customer follows now (by unionid).
    pub followed_accounts: BTreeSet<i64>,
}

/// A custom field's stored text and number projections.
pub type CustomValue = (Option<String>, Option<f64>);

/// The facts of the customers with these ids that the caller's corp holds,
/// in five statements whatever their number (an event may change many).
pub async fn facts(db: &impl ConnectionTrait, scope: &Scope, ids: &[i64]) -> AppResult<Vec<CustomerFacts>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let customers = scope.select::<customer::Entity>().filter(customer::Column::Id.is_in(ids.iter().copied())).all(db).await?;
    let mut tags: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
    let tagged = scope.select::<follow_tag::Entity>().filter(follow_tag::Column::CustomerId.is_in(ids.iter().copied())).all(db).await?;
    for t in tagged {
        tags.entry(t.customer_id).or_default().insert(t.tag_id);
    }
    let mut adders: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
    let relations: Vec<(i64, i64)> = scope
        .select::<customer_follow::Entity>()
        .select_only()
        .column(customer_follow::Column::CustomerId)
        .column(customer_follow::Column::EmployeeId)
        .filter(customer_follow::Column::CustomerId.is_in(ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    for (customer, employee) in relations {
        adders.entry(customer).or_default().insert(employee);
    }
    let owners: BTreeSet<i64> = customers.iter().filter_map(|c| c.owner_id).collect();
    let mut departments: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
    if !owners.is_empty() {
        let memberships =
            scope.select::<employee_department::Entity>().filter(employee_department::Column::EmployeeId.is_in(owners)).all(db).await?;
        for m in memberships {
            departments.entry(m.employee_id).or_default().insert(m.department_id);
        }
    }
    // Follows by unionid: one more statement, only when someone has a unionid.
    let unionids: BTreeSet<&str> = customers.iter().filter_map(|c| c.unionid.as_deref()).collect();
    let mut followed: BTreeMap<String, BTreeSet<i64>> = BTreeMap::new();
    if !unionids.is_empty() {
        let follows: Vec<(Option<String>, i64)> = scope
            .select::<oa_follower::Entity>()
            .select_only()
            .column(oa_follower::Column::Unionid)
            .column(oa_follower::Column::AccountId)
            .filter(oa_follower::Column::Unionid.is_in(unionids))
            .filter(oa_follower::Column::Subscribed.eq(true))
            .into_tuple()
            .all(db)
            .await?;
        for (unionid, account) in follows {
            if let Some(u) = unionid {
                followed.entry(u).or_default().insert(account);
            }
        }
    }
    let mut custom: BTreeMap<i64, BTreeMap<i64, CustomValue>> = BTreeMap::new();
    let values = scope
        .select::<custom_field_value::Entity>()
        .filter(custom_field_value::Column::EntityKind.eq(FieldEntity::Customer.as_str()))
        .filter(custom_field_value::Column::EntityId.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    for v in values {
        custom.entry(v.entity_id).or_default().insert(v.field_id, (v.value_text, v.value_num));
    }
    Ok(customers
        .into_iter()
        .map(|c| CustomerFacts {
            custom: custom.remove(&c.id).unwrap_or_default(),
            tag_ids: tags.remove(&c.id).unwrap_or_default(),
            adder_ids: adders.remove(&c.id).unwrap_or_default(),
            owner_departments: c.owner_id.and_then(|o| departments.get(&o).cloned()).unwrap_or_default(),
            followed_accounts: c.unionid.as_ref().and_then(|u| followed.get(u).cloned()).unwrap_or_default(),
            customer: c,
        })
        .collect())
}

fn join(j: Join, mut parts: impl Iterator<Item = bool>) -> bool {
    match j {
        Join::All => parts.all(|p| p),
        Join::Any => parts.any(|p| p),
    }
}

/// Whether the customer meets the tree (an empty tree: always).
pub fn matches<F: Facts>(tree: &Tree, f: &F, now: DateTime<Utc>) -> bool {
    if tree.items.is_empty() {
        return true;
    }
    // Microseconds, as the SQL path binds it.
    let now = chrono::SubsecRound::trunc_subsecs(now, 6);
    join(
        tree.join,
        tree.items.iter().map(|n| match n {
            Node::Cond(c) => cond(c, f, now),
            Node::Group(j, cs) => join(*j, cs.iter().map(|c| cond(c, f, now))),
        }),
    )
}

fn text(op: Op, value: Option<&str>, operand: &Operand) -> bool {
    match (op, operand) {
        (Op::Eq, Operand::Text(t)) => value == Some(t.as_str()),
        (Op::Ne, Operand::Text(t)) => value != Some(t.as_str()),
        (Op::Contains, Operand::Text(t)) => value.is_some_and(|v| v.contains(t.as_str())),
        (Op::NotContains, Operand::Text(t)) => !value.is_some_and(|v| v.contains(t.as_str())),
        (Op::In, Operand::Texts(ts)) => value.is_some_and(|v| ts.iter().any(|t| t == v)),
        (Op::NotIn, Operand::Texts(ts)) => !value.is_some_and(|v| ts.iter().any(|t| t == v)),
        (Op::IsEmpty, _) => value.is_none_or(str::is_empty),
        (Op::IsNotEmpty, _) => value.is_some_and(|v| !v.is_empty()),
        _ => false,
    }
}

/// `value op x` for the comparing operators; `BETWEEN` / `NOT_BETWEEN` against `[x, y]`.
fn compare<T: PartialOrd>(op: Op, value: T, x: T, y: Option<T>) -> bool {
    match (op, y) {
        (Op::Eq, _) => value == x,
        (Op::Ne, _) => value != x,
        (Op::Gt, _) => value > x,
        (Op::Gte, _) => value >= x,
        (Op::Lt, _) => value < x,
        (Op::Lte, _) => value <= x,
        (Op::Between, Some(y)) => x <= value && value <= y,
        (Op::NotBetween, Some(y)) => value < x || value > y,
        _ => false,
    }
}

fn number(op: Op, value: i64, operand: &Operand) -> bool {
    match (op, operand) {
        (_, Operand::Int(n)) => compare(op, value, *n, None),
        (_, Operand::IntRange(a, b)) => compare(op, value, *a, Some(*b)),
        (Op::In, Operand::Ints(ns)) => ns.contains(&value),
        (Op::NotIn, Operand::Ints(ns)) => !ns.contains(&value),
        _ => false,
    }
}

fn time(op: Op, value: Option<DateTime<Utc>>, operand: &Operand, now: DateTime<Utc>) -> bool {
    match (op, operand, value) {
        (Op::IsEmpty, _, v) => v.is_none(),
        (Op::IsNotEmpty, _, v) => v.is_some(),
        // Never is not within any number of days (silence).
        (Op::NotWithinDays, _, None) => true,
        (_, _, None) => false,
        (Op::Gt, Operand::Time(t), Some(v)) => v > *t,
        (Op::Gte, Operand::Time(t), Some(v)) => v >= *t,
        (Op::Lt, Operand::Time(t), Some(v)) => v < *t,
        (Op::Lte, Operand::Time(t), Some(v)) => v <= *t,
        (Op::Between, Operand::TimeRange(a, b), Some(v)) => *a <= v && v <= *b,
        (Op::NotBetween, Operand::TimeRange(a, b), Some(v)) => v < *a || v > *b,
        (Op::WithinDays, Operand::Days(d), Some(v)) => v >= now - Duration::days(*d),
        (Op::NotWithinDays, Operand::Days(d), Some(v)) => v < now - Duration::days(*d),
        _ => false,
    }
}

fn ids(op: Op, have: &BTreeSet<i64>, operand: &Operand) -> bool {
    let Operand::Ints(want) = operand else { return false };
    match op {
        Op::HasAny | Op::In => want.iter().any(|w| have.contains(w)),
        Op::HasAll => want.iter().all(|w| have.contains(w)),
        Op::HasNone | Op::NotIn => !want.iter().any(|w| have.contains(w)),
        _ => false,
    }
}

/// Silence of N days as a time test on when the customer last wrote:
/// `(Some(true), t)` is "at or before t", `(Some(false), t)` "after t"
/// (whole days: more than N ⇔ at least N+1 days ago).
pub fn silence_cutoff(op: Op, n: i64, now: DateTime<Utc>) -> (Option<bool>, DateTime<Utc>) {
    let days = |d: i64| now - Duration::days(d.clamp(-36_500, 36_500));
    match op {
        Op::Gt => (Some(true), days(n.saturating_add(1))),
        Op::Gte => (Some(true), days(n)),
        Op::Lt => (Some(false), days(n)),
        Op::Lte => (Some(false), days(n.saturating_add(1))),
        _ => (None, now),
    }
}

/// A time as a custom DATETIME value compares: whole epoch seconds, the
/// precision its stored projection has.
pub fn epoch(t: DateTime<Utc>) -> f64 {
    t.timestamp() as f64
}

/// A custom field's value against a condition. An empty value (no row) is
/// what negative operators also select, as for system fields.
fn custom(kind: CustomKind, op: Op, value: Option<&CustomValue>, operand: &Operand, now: DateTime<Utc>) -> bool {
    let text = value.and_then(|(t, _)| t.as_deref());
    let num = value.and_then(|(_, n)| *n);
    let has = |id: &String| text.is_some_and(|t| t.contains(&format!(",{id},")));
    match (kind, op, operand) {
        (CustomKind::Text, Op::IsEmpty, _) => text.is_none_or(str::is_empty),
        (CustomKind::Text, Op::IsNotEmpty, _) => text.is_some_and(|t| !t.is_empty()),
        (_, Op::IsEmpty, _) => value.is_none(),
        (_, Op::IsNotEmpty, _) => value.is_some(),
        (CustomKind::Text | CustomKind::Choice, op, operand) => self::text(op, text, operand),
        (CustomKind::Options, Op::HasAny, Operand::Texts(ids)) => ids.iter().any(has),
        (CustomKind::Options, Op::HasAll, Operand::Texts(ids)) => ids.iter().all(has),
        (CustomKind::Options, Op::HasNone, Operand::Texts(ids)) => !ids.iter().any(has),
        (CustomKind::Number, op, operand) => num.is_some_and(|n| number_f(op, n, operand)) || (op == Op::Ne && num.is_none()),
        (CustomKind::Time, Op::NotWithinDays, Operand::Days(d)) => !num.is_some_and(|n| n >= epoch(now - Duration::days(*d))),
        (CustomKind::Time, op, operand) => num.is_some_and(|n| time_f(op, n, operand, now)),
        _ => false,
    }
}

fn number_f(op: Op, n: f64, operand: &Operand) -> bool {
    match operand {
        Operand::Num(v) => compare(op, n, *v, None),
        Operand::NumRange(a, b) => compare(op, n, *a, Some(*b)),
        _ => false,
    }
}

fn time_f(op: Op, n: f64, operand: &Operand, now: DateTime<Utc>) -> bool {
    match (op, operand) {
        (Op::WithinDays, Operand::Days(d)) => n >= epoch(now - Duration::days(*d)),
        (_, Operand::Time(t)) => compare(op, n, epoch(*t), None),
        (_, Operand::TimeRange(a, b)) => compare(op, n, epoch(*a), Some(epoch(*b))),
        _ => false,
    }
}

/// The choice's stored number (see `catalogue::GENDERS` / `KINDS`).
pub fn choice_number(key: Key, choice: &str) -> i64 {
    match (key, choice) {
        (Key::Gender, "MALE") => 1,
        (Key::Gender, "FEMALE") => 2,
        (Key::Kind, "WECHAT") => 1,
        (Key::Kind, "WECOM") => 2,
        _ => 0,
    }
}

/// A choice condition's operand as the stored numbers.
pub fn choice_operand(key: Key, operand: &Operand) -> Operand {
    match operand {
        Operand::Text(t) => Operand::Int(choice_number(key, t)),
        Operand::Texts(ts) => Operand::Ints(ts.iter().map(|t| choice_number(key, t)).collect()),
        other => other.clone(),
    }
}

/// The China date of `now`: what birthdays and ages count on.
pub fn today(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&crate::clock::china()).date_naive()
}

/// The birthdays that make an age within `[a, b]` on `today`: born on or
/// before the first day and after the second (no second: no lower bound;
/// no first: nobody). A year back from 29 February is 28 February.
pub fn age_bounds(a: i64, b: i64, today: NaiveDate) -> (Option<NaiveDate>, Option<NaiveDate>) {
    let back = |years: i64| u32::try_from(years * 12).ok().and_then(|m| today.checked_sub_months(chrono::Months::new(m)));
    (back(a), back(b + 1))
}

fn aged(born: NaiveDate, a: i64, b: i64, today: NaiveDate) -> bool {
    let (latest, before) = age_bounds(a, b, today);
    latest.is_some_and(|l| born <= l) && before.is_none_or(|e| born > e)
}

/// Birthday and age conditions on a birthday (negative ones also select none).
fn birthday(key: Key, op: Op, born: Option<NaiveDate>, operand: &Operand, now: DateTime<Utc>) -> bool {
    match (key, op, born, operand) {
        (_, Op::IsEmpty, b, _) => b.is_none(),
        (_, Op::IsNotEmpty, b, _) => b.is_some(),
        (_, Op::NotBetween, None, _) => true,
        (Key::Birthday, Op::Between, Some(d), Operand::DateRange(a, b)) => d >= *a && d <= *b,
        (Key::Birthday, Op::NotBetween, Some(d), Operand::DateRange(a, b)) => d < *a || d > *b,
        (Key::Age, Op::Between, Some(d), Operand::IntRange(a, b)) => aged(d, *a, *b, today(now)),
        (Key::Age, Op::NotBetween, Some(d), Operand::IntRange(a, b)) => !aged(d, *a, *b, today(now)),
        _ => false,
    }
}

/// What a condition reads of a record; each subject's facts answer for
/// the keys of its catalogue (others read as empty).
pub trait Facts {
    fn text(&self, key: Key) -> Option<&str>;
    /// Counts and the stored numbers of choices.
    fn number(&self, key: Key) -> i64;
    fn time(&self, key: Key) -> Option<DateTime<Utc>>;
    fn tag_ids(&self) -> &BTreeSet<i64>;
    fn owner(&self) -> Option<i64>;
    fn owner_departments(&self) -> &BTreeSet<i64>;
    fn custom(&self, field_id: i64) -> Option<&CustomValue>;
    /// The birthday (subjects without one keep none).
    fn birthday(&self) -> Option<NaiveDate> {
        None
    }
    /// The employees related to the record (subjects without adders have none).
    fn adder_ids(&self) -> &BTreeSet<i64> {
        static NONE: BTreeSet<i64> = BTreeSet::new();
        &NONE
    }
    /// The Official Accounts the subject follows now (only customers follow).
    fn followed_accounts(&self) -> &BTreeSet<i64> {
        static NONE: BTreeSet<i64> = BTreeSet::new();
        &NONE
    }
}

impl Facts for CustomerFacts {
    fn text(&self, key: Key) -> Option<&str> {
        let cu = &self.customer;
        match key {
            Key::Name => Some(cu.name.as_str()),
            Key::Mobile => cu.mobile.as_deref(),
            Key::Channel => cu.channel.as_deref(),
            _ => None,
        }
    }
    fn number(&self, key: Key) -> i64 {
        let cu = &self.customer;
        match key {
            Key::Gender => i64::from(cu.gender),
            Key::Kind => i64::from(cu.contact_type),
            Key::AdderCount => i64::from(cu.adder_count),
            Key::CustomerMessageCount => cu.customer_message_count,
            _ => 0,
        }
    }
    fn time(&self, key: Key) -> Option<DateTime<Utc>> {
        let cu = &self.customer;
        match key {
            Key::AddedAt => cu.first_added_at,
            Key::LastContactAt => cu.last_contact_at,
            Key::LastCustomerMessageAt => cu.last_customer_message_at,
            Key::LastEmployeeMessageAt => cu.last_employee_message_at,
            Key::SilenceDays => Some(cu.last_customer_message_at.or(cu.first_added_at).unwrap_or(cu.created_at)),
            _ => None,
        }
    }
    fn tag_ids(&self) -> &BTreeSet<i64> {
        &self.tag_ids
    }
    fn owner(&self) -> Option<i64> {
        self.customer.owner_id
    }
    fn owner_departments(&self) -> &BTreeSet<i64> {
        &self.owner_departments
    }
    fn custom(&self, field_id: i64) -> Option<&CustomValue> {
        self.custom.get(&field_id)
    }
    fn birthday(&self) -> Option<NaiveDate> {
        self.customer.birthday
    }
    fn adder_ids(&self) -> &BTreeSet<i64> {
        &self.adder_ids
    }
    fn followed_accounts(&self) -> &BTreeSet<i64> {
        &self.followed_accounts
    }
}

fn cond<F: Facts>(c: &Cond, f: &F, now: DateTime<Utc>) -> bool {
    match c.field.key {
        Key::Custom(id, kind) => custom(kind, c.op, f.custom(id), &c.operand, now),
        Key::Tags => ids(c.op, f.tag_ids(), &c.operand),
        Key::Adders => ids(c.op, f.adder_ids(), &c.operand),
        Key::OfficialAccounts => ids(c.op, f.followed_accounts(), &c.operand),
        Key::Owner => match (c.op, f.owner()) {
            (Op::IsEmpty, o) => o.is_none(),
            (Op::IsNotEmpty, o) => o.is_some(),
            (op, Some(o)) => ids(op, &BTreeSet::from([o]), &c.operand),
            (op, None) => op == Op::NotIn,
        },
        Key::SilenceDays => match (
            silence_cutoff(
                c.op,
                match c.operand {
                    Operand::Int(n) => n,
                    _ => return false,
                },
                now,
            ),
            f.time(Key::SilenceDays),
        ) {
            ((Some(true), cutoff), Some(since)) => since <= cutoff,
            ((Some(false), cutoff), Some(since)) => since > cutoff,
            _ => false,
        },
        Key::Birthday | Key::Age => birthday(c.field.key, c.op, f.birthday(), &c.operand, now),
        Key::OwnerDepartment => match f.owner() {
            Some(_) => ids(c.op, f.owner_departments(), &c.operand),
            None => c.op == Op::NotIn,
        },
        key => match c.field.ty {
            FieldType::Text => text(c.op, f.text(key), &c.operand),
            FieldType::Choice => number(c.op, f.number(key), &choice_operand(key, &c.operand)),
            FieldType::Number => number(c.op, f.number(key), &c.operand),
            FieldType::Time => time(c.op, f.time(key), &c.operand, now),
            FieldType::Date => false,
            FieldType::Ids => false,
        },
    }
}
