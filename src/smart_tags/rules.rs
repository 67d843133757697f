//! Smart tag rules (TAG-5): a name, a tag type, the tags to put on, and
//! conditions (the condition engine): CUSTOMER rules put corp tags on the
//! customers they match, GROUP rules group tags on customer groups. Saving a
//! rule queues a pass over what it matches ([`super::apply`],
//! [`super::groups`]); a changed tag list bumps the rule's tags version, so
//! matches already tagged get the new tags too. Tags a rule put on are never
//! taken off by it.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::{Expr, ExprTrait},
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder, Select,
};

use super::{apply, tag_type::TagType};
use crate::{
    conditions::{self, RawTree},
    error::{AppError, AppResult, Msg},
    jobs::JobQueue,
    tenancy::Scope,
};
use entity::{corp_tag, corp_tag_group, group_tag, group_tag_group, smart_tag_rule, smart_tag_rule_group_tag, smart_tag_rule_tag};

const NAME_INVALID: Msg = Msg::new("SMART_TAG_RULE_NAME_INVALID", "规则名称为1-30个字", "Rule names must be 1-30 characters");
const NAME_TAKEN: Msg = Msg::new("SMART_TAG_RULE_NAME_TAKEN", "规则名称已存在", "A rule with this name already exists");
const TAGS_REQUIRED: Msg = Msg::new("SMART_TAG_RULE_TAGS_INVALID", "请选择1-20个标签", "Choose 1 to 20 tags");
const EXCLUSIVE_TWICE: Msg =
    Msg::new("SMART_TAG_RULE_EXCLUSIVE_TAGS", "互斥标签组内只能选择一个标签", "Only one tag of a mutually exclusive group can be chosen");
const CONDITIONS_REQUIRED: Msg =
    Msg::new("SMART_TAG_RULE_CONDITIONS_REQUIRED", "请设置打标签的条件", "Set the conditions that earn the tags");
const TYPE_FIXED: Msg = Msg::new("SMART_TAG_RULE_TYPE_FIXED", "规则的标签类型不能修改", "A rule's tag type cannot change");

/// The most tags one rule puts on (each is a `mark_tag` entry per adder).
pub const MAX_TAGS: usize = 20;

pub struct RuleInput {
    pub name: String,
    /// A new rule's type (CUSTOMER when none); an edit's must be the rule's own.
    pub tag_type: Option<TagType>,
    pub tag_ids: Vec<i64>,
    pub conditions: RawTree,
}

/// The name, distinct tags and stored conditions of a valid input.
async fn checked(db: &impl ConnectionTrait, scope: &Scope, ty: TagType, input: &RuleInput) -> AppResult<(String, BTreeSet<i64>, String)> {
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 30 {
        return Err(AppError::bad_input("input.name", NAME_INVALID));
    }
    let tags: BTreeSet<i64> = input.tag_ids.iter().copied().collect();
    if tags.is_empty() || tags.len() > MAX_TAGS {
        return Err(AppError::bad_input("input.tagIds", TAGS_REQUIRED));
    }
    // Each tag's group, and which groups are exclusive: two tags of one
    // exclusive group would push each other out on every match.
    let (groups_of_tags, exclusive): (Vec<i64>, BTreeSet<i64>) = match ty {
        TagType::Customer => {
            let found = scope.select::<corp_tag::Entity>().filter(corp_tag::Column::Id.is_in(tags.iter().copied())).all(db).await?;
            let of: Vec<i64> = found.iter().map(|t| t.group_id).collect();
            let exclusive = scope
                .select::<corp_tag_group::Entity>()
                .filter(corp_tag_group::Column::Id.is_in(of.iter().copied()))
                .filter(corp_tag_group::Column::Exclusive.eq(true))
                .all(db)
                .await?;
            (of, exclusive.into_iter().map(|g| g.id).collect())
        }
        TagType::Group => {
            let found = scope.select::<group_tag::Entity>().filter(group_tag::Column::Id.is_in(tags.iter().copied())).all(db).await?;
            let of: Vec<i64> = found.iter().map(|t| t.tag_group_id).collect();
            let exclusive = scope
                .select::<group_tag_group::Entity>()
                .filter(group_tag_group::Column::Id.is_in(of.iter().copied()))
                .filter(group_tag_group::Column::Exclusive.eq(true))
                .all(db)
                .await?;
            (of, exclusive.into_iter().map(|g| g.id).collect())
        }
    };
    if groups_of_tags.len() != tags.len() {
        return Err(AppError::not_found().with_field("input.tagIds"));
    }
    if exclusive.iter().any(|g| groups_of_tags.iter().filter(|t| *t == g).count() > 1) {
        return Err(AppError::bad_input("input.tagIds", EXCLUSIVE_TWICE));
    }
    if input.conditions.items.is_empty() {
        return Err(AppError::bad_input("input.conditions.items", CONDITIONS_REQUIRED));
    }
    match ty {
        TagType::Customer => conditions::sql::checked_customer_tree(db, scope, &input.conditions, "input.conditions").await?,
        TagType::Group => conditions::group_sql::checked_group_tree(db, scope, &input.conditions, "input.conditions").await?,
    };
    Ok((name.to_string(), tags, serde_json::to_string(&input.conditions).map_err(AppError::internal)?))
}

async fn write_tags(db: &impl ConnectionTrait, scope: &Scope, ty: TagType, rule_id: i64, tags: &BTreeSet<i64>) -> AppResult<()> {
    match ty {
        TagType::Customer => {
            scope.delete_many::<smart_tag_rule_tag::Entity>().filter(smart_tag_rule_tag::Column::RuleId.eq(rule_id)).exec(db).await?;
            let rows =
                tags.iter().map(|t| smart_tag_rule_tag::ActiveModel { rule_id: Set(rule_id), tag_id: Set(*t), ..Default::default() });
            scope.insert_many(db, rows).await
        }
        TagType::Group => {
            scope
                .delete_many::<smart_tag_rule_group_tag::Entity>()
                .filter(smart_tag_rule_group_tag::Column::RuleId.eq(rule_id))
                .exec(db)
                .await?;
            let rows =
                tags.iter().map(|t| smart_tag_rule_group_tag::ActiveModel { rule_id: Set(rule_id), tag_id: Set(*t), ..Default::default() });
            scope.insert_many(db, rows).await
        }
    }
}

/// The rule's tags (corp or group tags, by its type), in id order.
pub async fn tags_of(db: &impl ConnectionTrait, scope: &Scope, ty: TagType, rule_id: i64) -> AppResult<Vec<i64>> {
    Ok(match ty {
        TagType::Customer => scope
            .select::<smart_tag_rule_tag::Entity>()
            .filter(smart_tag_rule_tag::Column::RuleId.eq(rule_id))
            .order_by_asc(smart_tag_rule_tag::Column::TagId)
            .all(db)
            .await?
            .into_iter()
            .map(|r| r.tag_id)
            .collect(),
        TagType::Group => scope
            .select::<smart_tag_rule_group_tag::Entity>()
            .filter(smart_tag_rule_group_tag::Column::RuleId.eq(rule_id))
            .order_by_asc(smart_tag_rule_group_tag::Column::TagId)
            .all(db)
            .await?
            .into_iter()
            .map(|r| r.tag_id)
            .collect(),
    })
}

/// Creates a rule and queues the pass tagging its current matches.
pub async fn create(
    db: &sea_orm::DatabaseConnection,
    queue: &JobQueue,
    scope: &Scope,
    input: &RuleInput,
) -> AppResult<smart_tag_rule::Model> {
    let ty = input.tag_type.unwrap_or(TagType::Customer);
    let (name, tags, conditions) = checked(db, scope, ty, input).await?;
    let now = queue.clock().now();
    let txn = crate::db::write_txn(db).await?;
    let mut am = smart_tag_rule::ActiveModel {
        name: Set(name),
        tag_type: Set(ty.as_str().to_string()),
        conditions: Set(conditions),
        tags_version: Set(1),
        created_by: Set(scope.employee_id()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    crate::tenancy::TenantActiveModel::stamp_corp(&mut am, scope.corp_id());
    let rule = sea_orm::ActiveModelTrait::insert(am, &txn).await.map_err(|e| AppError::on_unique(e, NAME_TAKEN, "input.name"))?;
    write_tags(&txn, scope, ty, rule.id, &tags).await?;
    apply::queue_pass(&txn, scope, &rule, now).await?;
    txn.commit().await?;
    queue.wake_workers();
    Ok(rule)
}

/// Edits a rule. Its current matches are tagged again with its tags: all of
/// them when the tags changed (a new tags version), otherwise those it has
/// not tagged yet (new matches of edited conditions). Nothing is untagged.
pub async fn update(
    db: &sea_orm::DatabaseConnection,
    queue: &JobQueue,
    scope: &Scope,
    id: i64,
    input: &RuleInput,
) -> AppResult<smart_tag_rule::Model> {
    let ty = TagType::of(&scope.get::<smart_tag_rule::Entity>(db, id).await?);
    if input.tag_type.is_some_and(|t| t != ty) {
        return Err(AppError::bad_input("input.tagType", TYPE_FIXED));
    }
    let (name, tags, conditions) = checked(db, scope, ty, input).await?;
    let now = queue.clock().now();
    let txn = crate::db::write_txn(db).await?;
    // The rule's row first: a concurrent edit waits here, then reads the tags this one wrote.
    scope
        .update_many::<smart_tag_rule::Entity>()
        .col_expr(smart_tag_rule::Column::Name, Expr::value(name))
        .col_expr(smart_tag_rule::Column::Conditions, Expr::value(conditions))
        .col_expr(smart_tag_rule::Column::UpdatedAt, Expr::value(now))
        .filter(smart_tag_rule::Column::Id.eq(id))
        .exec(&txn)
        .await
        .map_err(|e| AppError::on_unique(e, NAME_TAKEN, "input.name"))?;
    let old_tags: BTreeSet<i64> = tags_of(&txn, scope, ty, id).await?.into_iter().collect();
    if old_tags != tags {
        // New tags are a new version, counted in the database.
        write_tags(&txn, scope, ty, id, &tags).await?;
        scope
            .update_many::<smart_tag_rule::Entity>()
            .col_expr(smart_tag_rule::Column::TagsVersion, Expr::col(smart_tag_rule::Column::TagsVersion).add(1))
            .filter(smart_tag_rule::Column::Id.eq(id))
            .exec(&txn)
            .await?;
    }
    let rule = scope.get::<smart_tag_rule::Entity>(&txn, id).await?;
    apply::queue_pass(&txn, scope, &rule, now).await?;
    txn.commit().await?;
    queue.wake_workers();
    Ok(rule)
}

pub async fn delete(db: &impl ConnectionTrait, scope: &Scope, id: i64) -> AppResult<smart_tag_rule::Model> {
    let rule = scope.get::<smart_tag_rule::Entity>(db, id).await?;
    scope.delete_many::<smart_tag_rule::Entity>().filter(smart_tag_rule::Column::Id.eq(id)).exec(db).await?;
    Ok(rule)
}

/// The list's filter (TAG-5: name, created time).
#[derive(Clone, Debug, Default)]
pub struct RuleFilter {
    pub name: Option<String>,
    pub tag_type: Option<TagType>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
}

/// The corp's rules, newest first.
pub fn list(scope: &Scope, f: &RuleFilter) -> Select<smart_tag_rule::Entity> {
    let mut q = scope.select::<smart_tag_rule::Entity>();
    if let Some(n) = f.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        q = q.filter(smart_tag_rule::Column::Name.contains(n));
    }
    if let Some(t) = f.tag_type {
        q = q.filter(smart_tag_rule::Column::TagType.eq(t.as_str()));
    }
    if let Some(t) = f.created_from {
        q = q.filter(smart_tag_rule::Column::CreatedAt.gte(t));
    }
    if let Some(t) = f.created_to {
        q = q.filter(smart_tag_rule::Column::CreatedAt.lte(t));
    }
    q.order_by_desc(smart_tag_rule::Column::CreatedAt).order_by_desc(smart_tag_rule::Column::Id)
}
