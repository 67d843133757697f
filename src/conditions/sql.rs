//! A checked tree compiled to one SQL condition on `customers`, the same on
//! SQLite and PostgreSQL. Empty values follow one rule throughout: a
//! negative condition (`NE`, `NOT_CONTAINS`, `NOT_IN`, `NOT_WITHIN_DAYS`)
//! also selects rows whose field is empty, a positive one never does (so a
//! condition and its negation split every customer in two; for a custom
//! field, "empty" is "no value"). Substrings are
//! case-sensitive (`instr` / `strpos`: SQLite's LIKE folds ASCII case and
//! PostgreSQL's does not).

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    sea_query::{Alias, Expr, ExprTrait, Func, IntoCondition, SelectStatement, SimpleExpr},
    ColumnTrait, Condition, DbBackend,
};

use super::{
    catalogue::{CustomKind, Key},
    memory::{age_bounds, choice_operand, epoch, silence_cutoff, today},
    Cond, Join, Node, Op, Operand, Tree,
};
use crate::{custom_fields::FieldEntity, tenancy::Scope};
use entity::{custom_field_value, customer, customer_follow, employee_department, follow_tag, oa_follower};

/// What `check` never lets through (an operator its field does not take).
pub(super) fn never() -> Condition {
    Expr::val(1).eq(0).into_condition()
}

fn level(j: Join) -> Condition {
    match j {
        Join::All => Condition::all(),
        Join::Any => Condition::any(),
    }
}

/// A client's customer tree checked (with the corp's custom fields when it
/// names any; refusals point under `path`) and compiled.
pub async fn customer_condition(
    db: &impl sea_orm::ConnectionTrait,
    scope: &Scope,
    raw: &super::RawTree,
    path: &str,
    now: DateTime<Utc>,
) -> crate::error::AppResult<Condition> {
    let tree = checked_customer_tree(db, scope, raw, path).await?;
    Ok(condition(scope, db.get_database_backend(), &tree, now))
}

/// A client's customer tree checked against the catalogue and the corp's custom fields.
pub async fn checked_customer_tree(
    db: &impl sea_orm::ConnectionTrait,
    scope: &Scope,
    raw: &super::RawTree,
    path: &str,
) -> crate::error::AppResult<Tree> {
    let custom = custom_fields_for(db, scope, super::Subject::Customer, &[raw]).await?;
    super::check(super::Subject::Customer, raw, path, &custom)
}

/// The subject's enabled custom fields when any of `trees` names one (one
/// read for them all), else none: what `check` needs, read no more than that.
pub async fn custom_fields_for(
    db: &impl sea_orm::ConnectionTrait,
    scope: &Scope,
    subject: super::Subject,
    trees: &[&super::RawTree],
) -> crate::error::AppResult<Vec<entity::custom_field::Model>> {
    match (subject.field_entity(), trees.iter().any(|t| super::names_custom_fields(t))) {
        (Some(entity), true) => crate::custom_fields::service::list(db, scope, entity, false).await,
        _ => Ok(Vec::new()),
    }
}

/// How many rows of `base` (customers, or groups) each keyed condition
/// selects, in one statement whatever their number (a `SUM(CASE …)` column
/// per key): what a page of rules or packs shows as counts.
pub async fn count_each<E: sea_orm::EntityTrait>(
    db: &impl sea_orm::ConnectionTrait,
    base: sea_orm::Select<E>,
    conditions: Vec<(i64, Condition)>,
) -> crate::error::AppResult<std::collections::HashMap<i64, i64>> {
    use sea_orm::{QuerySelect, QueryTrait};
    let mut out = std::collections::HashMap::new();
    if conditions.is_empty() {
        return Ok(out);
    }
    // 50 trees a statement keep bind parameters far below either database's limit.
    for part in conditions.chunks(50) {
        let mut q = base.clone().select_only();
        for (key, cond) in part {
            let sum = Func::sum(Expr::case(cond.clone(), 1).finally(0));
            q = q.expr_as(Func::coalesce([Expr::expr(sum), Expr::val(0)]), format!("c{key}"));
        }
        if let Some(row) = db.query_one_raw(q.build(db.get_database_backend())).await? {
            for (key, _) in part {
                out.insert(*key, row.try_get::<i64>("", &format!("c{key}"))?);
            }
        }
    }
    Ok(out)
}

/// The tree as a condition on `customers` (an empty tree: no condition).
pub fn condition(scope: &Scope, backend: DbBackend, tree: &Tree, now: DateTime<Utc>) -> Condition {
    combine(tree, now, |c, now| cond(scope, backend, c, now))
}

/// A tree's levels combined over `compile` of each condition (any subject's).
pub(super) fn combine(tree: &Tree, now: DateTime<Utc>, compile: impl Fn(&Cond, DateTime<Utc>) -> Condition) -> Condition {
    if tree.items.is_empty() {
        return Condition::all();
    }
    // PostgreSQL binds microseconds; the in-memory path truncates alike.
    let now = chrono::SubsecRound::trunc_subsecs(now, 6);
    tree.items.iter().fold(level(tree.join), |acc, n| {
        acc.add(match n {
            Node::Cond(c) => compile(c, now),
            Node::Group(j, cs) => cs.iter().fold(level(*j), |g, c| g.add(compile(c, now))),
        })
    })
}

pub(super) fn col<C: ColumnTrait>(c: C) -> Expr {
    Expr::col((c.entity_name(), c))
}

pub(super) fn either(a: impl IntoCondition, b: impl IntoCondition) -> Condition {
    Condition::any().add(a).add(b)
}

/// `haystack` holds `needle`, case-sensitively on both databases.
pub(super) fn holds(backend: DbBackend, haystack: Expr, needle: &str) -> SimpleExpr {
    let function = if backend == DbBackend::Postgres { "strpos" } else { "instr" };
    Expr::expr(Func::cust(Alias::new(function)).arg(haystack).arg(needle)).gt(0)
}

pub(super) fn text<C: ColumnTrait>(backend: DbBackend, c: C, op: Op, operand: &Operand) -> Condition {
    let null = || col(c).is_null();
    match (op, operand) {
        (Op::Eq, Operand::Text(t)) => col(c).eq(t.as_str()).into_condition(),
        (Op::Ne, Operand::Text(t)) => either(col(c).ne(t.as_str()), null()),
        (Op::Contains, Operand::Text(t)) => holds(backend, col(c), t).into_condition(),
        (Op::NotContains, Operand::Text(t)) => either(holds(backend, col(c), t).not(), null()),
        (Op::In, Operand::Texts(ts)) => col(c).is_in(ts.iter().map(String::as_str)).into_condition(),
        (Op::NotIn, Operand::Texts(ts)) => either(col(c).is_not_in(ts.iter().map(String::as_str)), null()),
        (Op::IsEmpty, _) => either(null(), col(c).eq("")),
        (Op::IsNotEmpty, _) => Condition::all().add(col(c).is_not_null()).add(col(c).ne("")),
        _ => never(),
    }
}

/// `e` (a column or a counting subquery) against a number.
pub(super) fn number(e: Expr, op: Op, operand: &Operand) -> Condition {
    let e = || e.clone();
    match (op, operand) {
        (Op::Eq, Operand::Int(n)) => e().eq(*n).into_condition(),
        (Op::Ne, Operand::Int(n)) => e().ne(*n).into_condition(),
        (Op::Gt, Operand::Int(n)) => e().gt(*n).into_condition(),
        (Op::Gte, Operand::Int(n)) => e().gte(*n).into_condition(),
        (Op::Lt, Operand::Int(n)) => e().lt(*n).into_condition(),
        (Op::Lte, Operand::Int(n)) => e().lte(*n).into_condition(),
        (Op::Between, Operand::IntRange(a, b)) => Condition::all().add(e().gte(*a)).add(e().lte(*b)),
        (Op::NotBetween, Operand::IntRange(a, b)) => either(e().lt(*a), e().gt(*b)),
        (Op::In, Operand::Ints(ns)) => e().is_in(ns.iter().copied()).into_condition(),
        (Op::NotIn, Operand::Ints(ns)) => e().is_not_in(ns.iter().copied()).into_condition(),
        _ => never(),
    }
}

/// Times compare through the column's own type (`ColumnTrait`), so values
/// bind as the column stores them on either database.
pub(super) fn time<C: ColumnTrait>(c: C, op: Op, operand: &Operand, now: DateTime<Utc>) -> Condition {
    match (op, operand) {
        (Op::IsEmpty, _) => c.is_null().into_condition(),
        (Op::IsNotEmpty, _) => c.is_not_null().into_condition(),
        (Op::Gt, Operand::Time(t)) => c.gt(*t).into_condition(),
        (Op::Gte, Operand::Time(t)) => c.gte(*t).into_condition(),
        (Op::Lt, Operand::Time(t)) => c.lt(*t).into_condition(),
        (Op::Lte, Operand::Time(t)) => c.lte(*t).into_condition(),
        (Op::Between, Operand::TimeRange(a, b)) => Condition::all().add(c.gte(*a)).add(c.lte(*b)),
        (Op::NotBetween, Operand::TimeRange(a, b)) => either(c.lt(*a), c.gt(*b)),
        (Op::WithinDays, Operand::Days(d)) => c.gte(now - Duration::days(*d)).into_condition(),
        (Op::NotWithinDays, Operand::Days(d)) => either(c.lt(now - Duration::days(*d)), c.is_null()),
        _ => never(),
    }
}

/// Silence compares when the customer last wrote (else was added) with the
/// cutoffs whole days make: more than N days ⇔ at or before now − (N+1) days.
fn silence(op: Op, operand: &Operand, now: DateTime<Utc>) -> Condition {
    let Operand::Int(n) = operand else { return never() };
    let since = Expr::expr(Func::coalesce([
        Expr::col((customer::Entity, customer::Column::LastCustomerMessageAt)),
        Expr::col((customer::Entity, customer::Column::FirstAddedAt)),
        Expr::col((customer::Entity, customer::Column::CreatedAt)),
    ]));
    let (before, cutoff) = silence_cutoff(op, *n, now);
    match before {
        Some(true) => since.lte(cutoff).into_condition(),
        Some(false) => since.gt(cutoff).into_condition(),
        None => never(),
    }
}

/// Birthday and age conditions (see `memory::age_bounds`); negative ones also select none.
fn birthday(key: Key, op: Op, operand: &Operand, now: DateTime<Utc>) -> Condition {
    let b = customer::Column::Birthday;
    let aged = |from: i64, to: i64| match age_bounds(from, to, today(now)) {
        (Some(latest), Some(before)) => Condition::all().add(b.lte(latest)).add(b.gt(before)),
        (Some(latest), None) => b.lte(latest).into_condition(),
        (None, _) => never(),
    };
    match (key, op, operand) {
        (_, Op::IsEmpty, _) => b.is_null().into_condition(),
        (_, Op::IsNotEmpty, _) => b.is_not_null().into_condition(),
        (Key::Birthday, Op::Between, Operand::DateRange(from, to)) => Condition::all().add(b.gte(*from)).add(b.lte(*to)),
        (Key::Birthday, Op::NotBetween, Operand::DateRange(from, to)) => either(either(b.lt(*from), b.gt(*to)), b.is_null()),
        (Key::Age, Op::Between, Operand::IntRange(from, to)) => aged(*from, *to),
        (Key::Age, Op::NotBetween, Operand::IntRange(from, to)) => either(aged(*from, *to).not(), b.is_null()),
        _ => never(),
    }
}

/// The tag, adder and similar operators: `id` among the rows `listing`
/// selects for some of the wanted ids (HAS_ANY), for each of them
/// (HAS_ALL), or for none (HAS_NONE).
pub(super) fn having<C: ColumnTrait + Copy>(id: C, op: Op, operand: &Operand, listing: impl Fn(Vec<i64>) -> SelectStatement) -> Condition {
    let Operand::Ints(want) = operand else { return never() };
    match op {
        Op::HasAny => id.in_subquery(listing(want.clone())).into_condition(),
        Op::HasAll => want.iter().fold(Condition::all(), |acc, w| acc.add(id.in_subquery(listing(vec![*w])))),
        Op::HasNone => id.not_in_subquery(listing(want.clone())).into_condition(),
        _ => never(),
    }
}

/// Following Official Accounts now: the same person by unionid (a customer
/// without one follows none of them).
fn follows(scope: &Scope, op: Op, operand: &Operand) -> Condition {
    use customer::Column as C;
    let Operand::Ints(want) = operand else { return never() };
    let followers = |accounts: Vec<i64>| {
        scope
            .subquery::<oa_follower::Entity>(oa_follower::Column::Unionid)
            .and_where(oa_follower::Column::AccountId.is_in(accounts))
            .and_where(oa_follower::Column::Subscribed.eq(true))
            .and_where(oa_follower::Column::Unionid.is_not_null())
            .to_owned()
    };
    match op {
        Op::HasAny => C::Unionid.in_subquery(followers(want.clone())).into_condition(),
        Op::HasAll => want.iter().fold(Condition::all(), |acc, w| acc.add(C::Unionid.in_subquery(followers(vec![*w])))),
        Op::HasNone => either(C::Unionid.not_in_subquery(followers(want.clone())), C::Unionid.is_null()),
        _ => never(),
    }
}

/// Owner conditions on an owner column (empty, employees, departments);
/// the negative ones also select rows without an owner.
pub(super) fn owner<C: ColumnTrait + Copy>(scope: &Scope, o: C, key: Key, op: Op, operand: &Operand) -> Condition {
    match (key, op, operand) {
        (_, Op::IsEmpty, _) => o.is_null().into_condition(),
        (_, Op::IsNotEmpty, _) => o.is_not_null().into_condition(),
        (Key::Owner, Op::In, Operand::Ints(ids)) => o.is_in(ids.iter().copied()).into_condition(),
        (Key::Owner, Op::NotIn, Operand::Ints(ids)) => either(o.is_not_in(ids.iter().copied()), o.is_null()),
        (Key::OwnerDepartment, op, Operand::Ints(ids)) => {
            let members = scope
                .subquery::<employee_department::Entity>(employee_department::Column::EmployeeId)
                .and_where(employee_department::Column::DepartmentId.is_in(ids.iter().copied()))
                .to_owned();
            if op == Op::In {
                o.in_subquery(members).into_condition()
            } else {
                either(o.not_in_subquery(members), o.is_null())
            }
        }
        _ => never(),
    }
}

/// Where a custom condition looks: the kind of object and its id column.
pub(super) type CustomOf<C> = (FieldEntity, C);

/// `<id> IN` (or `NOT IN`) the rows (customers, groups) whose value of a
/// custom field meets `pred`: a negative condition is the positive one's
/// complement, so rows without a value fall on its side.
#[allow(clippy::too_many_arguments)]
pub(super) fn custom<C: ColumnTrait + Copy>(
    scope: &Scope,
    backend: DbBackend,
    (entity, id): CustomOf<C>,
    field_id: i64,
    kind: CustomKind,
    op: Op,
    operand: &Operand,
    now: DateTime<Utc>,
) -> Condition {
    use custom_field_value::Column as V;
    let rows = |pred: Condition| {
        scope
            .subquery::<custom_field_value::Entity>(V::EntityId)
            .and_where(V::EntityKind.eq(entity.as_str()))
            .and_where(V::FieldId.eq(field_id))
            .cond_where(pred)
            .to_owned()
    };
    let with = |pred: Condition| id.in_subquery(rows(pred)).into_condition();
    let without = |pred: Condition| id.not_in_subquery(rows(pred)).into_condition();
    let text = || Expr::col((custom_field_value::Entity, V::ValueText));
    let holds = |needle: &str| holds(backend, text(), needle).into_condition();
    let n = V::ValueNum;
    match (kind, op, operand) {
        (CustomKind::Text, Op::IsEmpty, _) => without(Condition::all().add(text().is_not_null()).add(text().ne(""))),
        (CustomKind::Text, Op::IsNotEmpty, _) => with(Condition::all().add(text().is_not_null()).add(text().ne(""))),
        (_, Op::IsEmpty, _) => without(Condition::all()),
        (_, Op::IsNotEmpty, _) => with(Condition::all()),
        (CustomKind::Text | CustomKind::Choice, Op::Eq, Operand::Text(t)) => with(text().eq(t.as_str()).into_condition()),
        (CustomKind::Text | CustomKind::Choice, Op::Ne, Operand::Text(t)) => without(text().eq(t.as_str()).into_condition()),
        (CustomKind::Text, Op::Contains, Operand::Text(t)) => with(holds(t)),
        (CustomKind::Text, Op::NotContains, Operand::Text(t)) => without(holds(t)),
        (CustomKind::Choice, Op::In, Operand::Texts(ts)) => with(text().is_in(ts.iter().map(String::as_str)).into_condition()),
        (CustomKind::Choice, Op::NotIn, Operand::Texts(ts)) => without(text().is_in(ts.iter().map(String::as_str)).into_condition()),
        (CustomKind::Options, Op::HasAny, Operand::Texts(ids)) => {
            with(ids.iter().fold(Condition::any(), |acc, id| acc.add(holds(&format!(",{id},")))))
        }
        (CustomKind::Options, Op::HasAll, Operand::Texts(ids)) => {
            ids.iter().fold(Condition::all(), |acc, id| acc.add(with(holds(&format!(",{id},")))))
        }
        (CustomKind::Options, Op::HasNone, Operand::Texts(ids)) => {
            without(ids.iter().fold(Condition::any(), |acc, id| acc.add(holds(&format!(",{id},")))))
        }
        (CustomKind::Number, Op::Eq, Operand::Num(v)) => with(n.eq(*v).into_condition()),
        (CustomKind::Number, Op::Ne, Operand::Num(v)) => without(n.eq(*v).into_condition()),
        (CustomKind::Number, Op::Gt, Operand::Num(v)) => with(n.gt(*v).into_condition()),
        (CustomKind::Number, Op::Gte, Operand::Num(v)) => with(n.gte(*v).into_condition()),
        (CustomKind::Number, Op::Lt, Operand::Num(v)) => with(n.lt(*v).into_condition()),
        (CustomKind::Number, Op::Lte, Operand::Num(v)) => with(n.lte(*v).into_condition()),
        (CustomKind::Number, Op::Between, Operand::NumRange(a, b)) => with(Condition::all().add(n.gte(*a)).add(n.lte(*b))),
        (CustomKind::Number, Op::NotBetween, Operand::NumRange(a, b)) => with(either(n.lt(*a), n.gt(*b))),
        (CustomKind::Time, Op::Gt, Operand::Time(t)) => with(n.gt(epoch(*t)).into_condition()),
        (CustomKind::Time, Op::Gte, Operand::Time(t)) => with(n.gte(epoch(*t)).into_condition()),
        (CustomKind::Time, Op::Lt, Operand::Time(t)) => with(n.lt(epoch(*t)).into_condition()),
        (CustomKind::Time, Op::Lte, Operand::Time(t)) => with(n.lte(epoch(*t)).into_condition()),
        (CustomKind::Time, Op::Between, Operand::TimeRange(a, b)) => with(Condition::all().add(n.gte(epoch(*a))).add(n.lte(epoch(*b)))),
        (CustomKind::Time, Op::NotBetween, Operand::TimeRange(a, b)) => with(either(n.lt(epoch(*a)), n.gt(epoch(*b)))),
        (CustomKind::Time, Op::WithinDays, Operand::Days(d)) => with(n.gte(epoch(now - Duration::days(*d))).into_condition()),
        (CustomKind::Time, Op::NotWithinDays, Operand::Days(d)) => without(n.gte(epoch(now - Duration::days(*d))).into_condition()),
        _ => never(),
    }
}

fn cond(scope: &Scope, backend: DbBackend, c: &Cond, now: DateTime<Utc>) -> Condition {
    use customer::Column as C;
    match c.field.key {
        Key::Custom(id, kind) => custom(scope, backend, (FieldEntity::Customer, C::Id), id, kind, c.op, &c.operand, now),
        Key::Name => text(backend, C::Name, c.op, &c.operand),
        Key::Mobile => text(backend, C::Mobile, c.op, &c.operand),
        Key::Channel => text(backend, C::Channel, c.op, &c.operand),
        Key::Gender => number(col(C::Gender), c.op, &choice_operand(Key::Gender, &c.operand)),
        Key::Kind => number(col(C::ContactType), c.op, &choice_operand(Key::Kind, &c.operand)),
        Key::AddedAt => time(C::FirstAddedAt, c.op, &c.operand, now),
        Key::LastContactAt => time(C::LastContactAt, c.op, &c.operand, now),
        Key::LastCustomerMessageAt => time(C::LastCustomerMessageAt, c.op, &c.operand, now),
        Key::LastEmployeeMessageAt => time(C::LastEmployeeMessageAt, c.op, &c.operand, now),
        Key::CustomerMessageCount => number(col(C::CustomerMessageCount), c.op, &c.operand),
        Key::SilenceDays => silence(c.op, &c.operand, now),
        Key::AdderCount => number(col(C::AdderCount), c.op, &c.operand),
        Key::Birthday | Key::Age => birthday(c.field.key, c.op, &c.operand, now),
        Key::Tags => having(C::Id, c.op, &c.operand, |tags| {
            scope.subquery::<follow_tag::Entity>(follow_tag::Column::CustomerId).and_where(follow_tag::Column::TagId.is_in(tags)).to_owned()
        }),
        Key::Adders => having(C::Id, c.op, &c.operand, |employees| {
            scope
                .subquery::<customer_follow::Entity>(customer_follow::Column::CustomerId)
                .and_where(customer_follow::Column::EmployeeId.is_in(employees))
                .to_owned()
        }),
        Key::OfficialAccounts => follows(scope, c.op, &c.operand),
        Key::Owner | Key::OwnerDepartment => owner(scope, C::OwnerId, c.field.key, c.op, &c.operand),
        // Lead and group fields: not in the customer catalogue, so never in a checked customer tree.
        Key::Company
        | Key::Position
        | Key::CreatedAt
        | Key::LastFollowUpAt
        | Key::MemberCount
        | Key::CustomerCount
        | Key::ActiveCustomerCount
        | Key::Activity => never(),
    }
}
