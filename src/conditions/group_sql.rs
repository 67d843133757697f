//! A checked group tree compiled to one SQL condition on `customer_groups`
//! (GROUP smart tag rules), with [`super::sql`]'s rules for empty values: a
//! negative condition also selects groups whose field is empty (a group the
//! activity rule has not evaluated counts no active customers). Member
//! counts are correlated counts of the members still in the group; group
//! custom fields compile as customers' do.

use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::{Expr, ExprTrait, Func, SimpleExpr, SubQueryStatement},
    ColumnTrait, Condition, DbBackend,
};

use super::{
    catalogue::Key,
    sql::{col, combine, custom, having, never, number, owner, text, time},
    Cond, Tree,
};
use crate::{custom_fields::FieldEntity, error::AppResult, tenancy::Scope};
use entity::{customer_group, customer_group_tag, group_member};

/// A client's group tree checked against the group catalogue and the
/// corp's group custom fields (refusals point under `path`).
pub async fn checked_group_tree(db: &impl sea_orm::ConnectionTrait, scope: &Scope, raw: &super::RawTree, path: &str) -> AppResult<Tree> {
    let custom = super::sql::custom_fields_for(db, scope, super::Subject::Group, &[raw]).await?;
    super::check(super::Subject::Group, raw, path, &custom)
}

/// The tree as a condition on `customer_groups` (an empty tree: no condition).
pub fn condition(scope: &Scope, backend: DbBackend, tree: &Tree, now: DateTime<Utc>) -> Condition {
    combine(tree, now, |c, now| cond(scope, backend, c, now))
}

/// How many members (only external ones: `customers_only`) are still in each group.
fn members(scope: &Scope, customers_only: bool) -> Expr {
    let mut q = scope.subquery::<group_member::Entity>(group_member::Column::Id);
    q.clear_selects()
        .expr(Func::count(Expr::col((group_member::Entity, group_member::Column::Id))))
        .and_where(
            Expr::col((group_member::Entity, group_member::Column::GroupId)).equals((customer_group::Entity, customer_group::Column::Id)),
        )
        .and_where(group_member::Column::LeftAt.is_null());
    if customers_only {
        q.and_where(group_member::Column::MemberType.eq(2));
    }
    Expr::expr(SimpleExpr::SubQuery(None, Box::new(SubQueryStatement::SelectStatement(q))))
}

fn cond(scope: &Scope, backend: DbBackend, c: &Cond, now: DateTime<Utc>) -> Condition {
    use customer_group::Column as G;
    match c.field.key {
        Key::Custom(id, kind) => custom(scope, backend, (FieldEntity::Group, G::Id), id, kind, c.op, &c.operand, now),
        Key::Name => text(backend, G::Name, c.op, &c.operand),
        Key::Activity => text(backend, G::Activity, c.op, &c.operand),
        Key::CreatedAt => time(G::ChatCreatedAt, c.op, &c.operand, now),
        Key::LastContactAt => time(G::LastContactAt, c.op, &c.operand, now),
        Key::MemberCount => number(members(scope, false), c.op, &c.operand),
        Key::CustomerCount => number(members(scope, true), c.op, &c.operand),
        // Never evaluated counts none.
        Key::ActiveCustomerCount => number(Expr::expr(Func::coalesce([col(G::ActiveCustomerCount), Expr::val(0)])), c.op, &c.operand),
        Key::Tags => having(G::Id, c.op, &c.operand, |tags| {
            scope
                .subquery::<customer_group_tag::Entity>(customer_group_tag::Column::GroupId)
                .and_where(customer_group_tag::Column::TagId.is_in(tags))
                .to_owned()
        }),
        Key::Owner | Key::OwnerDepartment => owner(scope, G::OwnerId, c.field.key, c.op, &c.operand),
        // Not in the group catalogue, so never in a checked group tree.
        _ => never(),
    }
}
