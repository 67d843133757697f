//! Group tags (TAG-4): tag groups and tags for customer groups, local to the
//! product (no WeCom sync), with the same limits, exclusivity and delete
//! guards as corp tags.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::Utc;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, PaginatorTrait, QueryFilter, QueryOrder};

use crate::{
    corp_tags::service::{name, GROUP_NEEDS_TAG, GROUP_NOT_EMPTY, TAG_IN_USE},
    error::{AppError, AppResult, Msg},
    tenancy::Scope,
};
use entity::{customer_group, customer_group_tag, group_tag, group_tag_group};

const EXCLUSIVE_TWICE: Msg =
    Msg::new("EXCLUSIVE_TAG_TWICE", "互斥标签组内只能选择一个标签", "Only one tag of a mutually exclusive group can be chosen");
const NOTHING_TO_DO: Msg = Msg::new("NO_TAGS_CHOSEN", "请选择要添加或移除的标签", "Choose tags to add or remove");
const TOO_MANY: Msg = Msg::new("GROUP_TAGGING_TOO_MANY", "单次最多操作100个客户群", "At most 100 customer groups at a time");

/// Every tag group with its tags, in order.
pub async fn groups(db: &impl ConnectionTrait, scope: &Scope) -> AppResult<Vec<(group_tag_group::Model, Vec<group_tag::Model>)>> {
    let groups = scope
        .select::<group_tag_group::Entity>()
        .order_by_asc(group_tag_group::Column::Sort)
        .order_by_asc(group_tag_group::Column::Id)
        .all(db)
        .await?;
    let tags =
        scope.select::<group_tag::Entity>().order_by_asc(group_tag::Column::Sort).order_by_asc(group_tag::Column::Id).all(db).await?;
    Ok(groups
        .into_iter()
        .map(|g| {
            let mine = tags.iter().filter(|t| t.tag_group_id == g.id).cloned().collect();
            (g, mine)
        })
        .collect())
}

pub async fn create_group(
    db: &DatabaseConnection,
    scope: &Scope,
    group_name: &str,
    tag_names: &[String],
    exclusive: bool,
) -> AppResult<group_tag_group::Model> {
    let group_name = name(group_name, "name")?;
    if tag_names.is_empty() {
        return Err(AppError::bad_input("tags", GROUP_NEEDS_TAG));
    }
    let tag_names = tag_names.iter().map(|t| name(t, "tags")).collect::<AppResult<Vec<_>>>()?;
    let now = Utc::now();
    let txn = crate::db::write_txn(db).await?;
    let sort = scope.select::<group_tag_group::Entity>().count(&txn).await? as i32;
    let g = scope
        .insert(
            &txn,
            group_tag_group::ActiveModel {
                name: Set(group_name),
                exclusive: Set(exclusive),
                sort: Set(sort),
                created_by: Set(scope.employee_id()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            },
        )
        .await?;
    scope
        .insert_many(
            &txn,
            tag_names.iter().enumerate().map(|(i, n)| group_tag::ActiveModel {
                tag_group_id: Set(g.id),
                name: Set(n.clone()),
                color: Set(None),
                sort: Set(i as i32),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }),
        )
        .await?;
    txn.commit().await?;
    Ok(g)
}

/// Renames a tag group and/or switches its exclusivity.
pub async fn update_group(
    db: &DatabaseConnection,
    scope: &Scope,
    id: i64,
    new_name: Option<&str>,
    exclusive: Option<bool>,
) -> AppResult<group_tag_group::Model> {
    let g = scope.get::<group_tag_group::Entity>(db, id).await?;
    let mut am: group_tag_group::ActiveModel = g.into();
    if let Some(n) = new_name {
        am.name = Set(name(n, "name")?);
    }
    if let Some(e) = exclusive {
        am.exclusive = Set(e);
    }
    am.updated_at = Set(Utc::now());
    scope.update(db, am).await
}

/// Refused while the group still has tags.
pub async fn delete_group(db: &DatabaseConnection, scope: &Scope, id: i64) -> AppResult<()> {
    scope.get::<group_tag_group::Entity>(db, id).await?;
    if scope.select::<group_tag::Entity>().filter(group_tag::Column::TagGroupId.eq(id)).count(db).await? > 0 {
        return Err(AppError::conflict(GROUP_NOT_EMPTY));
    }
    scope.delete_by_id::<group_tag_group::Entity>(db, id, GROUP_NOT_EMPTY).await?;
    Ok(())
}

/// A new tag goes last in its group.
pub async fn create_tag(db: &DatabaseConnection, scope: &Scope, tag_group_id: i64, tag_name: &str) -> AppResult<group_tag::Model> {
    let tag_name = name(tag_name, "name")?;
    scope.get::<group_tag_group::Entity>(db, tag_group_id).await?;
    let sort = scope.select::<group_tag::Entity>().filter(group_tag::Column::TagGroupId.eq(tag_group_id)).count(db).await? as i32;
    let now = Utc::now();
    scope
        .insert(
            db,
            group_tag::ActiveModel {
                tag_group_id: Set(tag_group_id),
                name: Set(tag_name),
                color: Set(None),
                sort: Set(sort),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            },
        )
        .await
}

pub async fn rename_tag(db: &DatabaseConnection, scope: &Scope, id: i64, new_name: &str) -> AppResult<group_tag::Model> {
    let t = scope.get::<group_tag::Entity>(db, id).await?;
    let mut am: group_tag::ActiveModel = t.into();
    am.name = Set(name(new_name, "name")?);
    am.updated_at = Set(Utc::now());
    scope.update(db, am).await
}

/// Refused while any customer group carries it.
pub async fn delete_tag(db: &DatabaseConnection, scope: &Scope, id: i64) -> AppResult<()> {
    scope.get::<group_tag::Entity>(db, id).await?;
    if scope.select::<customer_group_tag::Entity>().filter(customer_group_tag::Column::TagId.eq(id)).count(db).await? > 0 {
        return Err(AppError::conflict(TAG_IN_USE));
    }
    scope.delete_by_id::<group_tag::Entity>(db, id, TAG_IN_USE).await?;
    Ok(())
}

/// Adds and removes group tags on customer groups (in one transaction). In an
/// exclusive tag group the newest tag wins: adding one removes its siblings.
pub async fn tag_groups(db: &DatabaseConnection, scope: &Scope, group_ids: &[i64], add: &[i64], remove: &[i64]) -> AppResult<()> {
    if group_ids.len() > 100 {
        return Err(AppError::bad_input("groupIds", TOO_MANY));
    }
    if add.is_empty() && remove.is_empty() {
        return Err(AppError::bad_input("addTagIds", NOTHING_TO_DO));
    }
    let wanted: BTreeSet<i64> = add.iter().chain(remove).copied().collect();
    let tags = scope.select::<group_tag::Entity>().filter(group_tag::Column::Id.is_in(wanted.iter().copied())).all(db).await?;
    if tags.len() != wanted.len() {
        return Err(AppError::not_found());
    }
    let of: HashMap<i64, i64> = tags.iter().map(|t| (t.id, t.tag_group_id)).collect();
    let exclusive: HashSet<i64> = scope
        .select::<group_tag_group::Entity>()
        .filter(group_tag_group::Column::Id.is_in(of.values().copied()))
        .filter(group_tag_group::Column::Exclusive.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|g| g.id)
        .collect();
    let mut seen = HashSet::new();
    if add.iter().any(|t| exclusive.contains(&of[t]) && !seen.insert(of[t])) {
        return Err(AppError::bad_input("addTagIds", EXCLUSIVE_TWICE));
    }
    let visible = scope
        .select_visible::<customer_group::Entity>()
        .filter(customer_group::Column::Id.is_in(group_ids.iter().copied()))
        .count(db)
        .await?;
    if visible as usize != group_ids.iter().collect::<BTreeSet<_>>().len() {
        return Err(AppError::not_found());
    }
    let displaced: Vec<i64> = if seen.is_empty() {
        Vec::new()
    } else {
        scope
            .select::<group_tag::Entity>()
            .filter(group_tag::Column::TagGroupId.is_in(seen.iter().copied()))
            .all(db)
            .await?
            .into_iter()
            .map(|t| t.id)
            .filter(|t| !add.contains(t))
            .collect()
    };
    let gone: Vec<i64> = remove.iter().copied().chain(displaced).chain(add.iter().copied()).collect();
    let now = Utc::now();
    let txn = crate::db::write_txn(db).await?;
    // Re-adding a tag a group already has is a no-op: clear it with the removed ones first.
    scope
        .delete_many::<customer_group_tag::Entity>()
        .filter(customer_group_tag::Column::GroupId.is_in(group_ids.iter().copied()))
        .filter(customer_group_tag::Column::TagId.is_in(gone))
        .exec(&txn)
        .await?;
    let mut rows = Vec::new();
    for g in group_ids {
        for t in add {
            rows.push(customer_group_tag::ActiveModel { group_id: Set(*g), tag_id: Set(*t), created_at: Set(now), ..Default::default() });
        }
    }
    scope.insert_many(&txn, rows).await?;
    txn.commit().await?;
    Ok(())
}
