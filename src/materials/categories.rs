//! Category trees (MAT-2): a fixed root "全部问题" with a fixed first-level
//! "未分类"; at most four levels below the root; names of 1–30 characters;
//! the two fixed categories are never renamed, moved or deleted; a category
//! with children or items is not deleted; siblings are ordered by a decimal
//! sort index. A tree's two fixed categories are made the first time the
//! tree is used (a unique index keeps one of each under concurrent use).

use chrono::Utc;
use sea_orm::{
    sea_query::OnConflict, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::Tree;
use crate::{
    error::{AppError, AppResult, Msg},
    tenancy::Scope,
};
use entity::{knowledge_item, material_category};

/// Levels below the root (未分类 is level 1).
pub const MAX_DEPTH: i32 = 4;
pub const ROOT: &str = "ROOT";
pub const UNCATEGORISED: &str = "UNCATEGORISED";

const NAME_INVALID: Msg = Msg::new("MATERIAL_CATEGORY_NAME_INVALID", "分类名称为1-30个字", "Category names must be 1-30 characters");
const FIXED: Msg = Msg::new(
    "MATERIAL_CATEGORY_FIXED",
    "“全部问题”和“未分类”不能编辑、移动或删除，也不能在“未分类”下建分类",
    "The root and 未分类 cannot be renamed, moved or deleted, and 未分类 takes no sub-categories",
);
const TOO_DEEP: Msg = Msg::new("MATERIAL_CATEGORY_TOO_DEEP", "分类最多4级", "Categories go at most 4 levels deep");
pub const NOT_EMPTY: Msg =
    Msg::new("MATERIAL_CATEGORY_NOT_EMPTY", "请先清除该分类下内容在进行删除", "Clear the category's contents before deleting it");
const SORT_INVALID: Msg = Msg::new("SORT_INDEX_INVALID", "排序值应为有限的数字", "The sort index must be a finite number");

fn name(n: &str) -> AppResult<String> {
    let n = n.trim();
    if n.is_empty() || n.chars().count() > 30 {
        return Err(AppError::bad_input("name", NAME_INVALID));
    }
    Ok(n.to_string())
}

/// A sort index as entered (e.g. 1.17): any finite number.
pub fn sort_index(v: f64, field: &str) -> AppResult<f64> {
    if !v.is_finite() {
        return Err(AppError::bad_input(field, SORT_INVALID));
    }
    Ok(v)
}

/// The tree's categories, parents before children, siblings by sort index;
/// its fixed root and 未分类 are made on first use.
pub async fn list(db: &DatabaseConnection, scope: &Scope, tree: &Tree) -> AppResult<Vec<material_category::Model>> {
    ensure_fixed(db, scope, tree).await?;
    Ok(scope
        .select::<material_category::Entity>()
        .filter(material_category::Column::Tree.eq(tree.key()))
        .order_by_asc(material_category::Column::Depth)
        .order_by_asc(material_category::Column::SortIndex)
        .order_by_asc(material_category::Column::Id)
        .all(db)
        .await?)
}

/// The tree's 未分类 (where entries without a category go), made on first use.
pub async fn uncategorised(db: &impl ConnectionTrait, scope: &Scope, tree: &Tree) -> AppResult<material_category::Model> {
    ensure_fixed(db, scope, tree).await?;
    fixed(db, scope, tree, UNCATEGORISED).await?.ok_or_else(|| AppError::internal(anyhow::anyhow!("未分类 missing after insert")))
}

/// Where an entry goes: the named category of `tree`, or its 未分类.
pub async fn file_under(db: &impl ConnectionTrait, scope: &Scope, tree: &Tree, id: Option<i64>) -> AppResult<material_category::Model> {
    match id {
        Some(id) => in_tree(db, scope, tree, id).await,
        None => uncategorised(db, scope, tree).await,
    }
}

async fn fixed(db: &impl ConnectionTrait, scope: &Scope, tree: &Tree, which: &str) -> AppResult<Option<material_category::Model>> {
    Ok(scope
        .select::<material_category::Entity>()
        .filter(material_category::Column::Tree.eq(tree.key()))
        .filter(material_category::Column::Fixed.eq(which))
        .one(db)
        .await?)
}

async fn ensure_fixed(db: &impl ConnectionTrait, scope: &Scope, tree: &Tree) -> AppResult<()> {
    if fixed(db, scope, tree, UNCATEGORISED).await?.is_some() {
        return Ok(());
    }
    let on_conflict = || {
        OnConflict::columns([material_category::Column::CorpId, material_category::Column::Tree, material_category::Column::Fixed])
            .do_nothing()
            .to_owned()
    };
    let row = |parent_id: Option<i64>, name: &str, depth: i32, which: &str| {
        let now = Utc::now();
        material_category::ActiveModel {
            tree: Set(tree.key()),
            owner_id: Set(tree.owner_id),
            parent_id: Set(parent_id),
            name: Set(name.into()),
            depth: Set(depth),
            fixed: Set(Some(which.into())),
            sort_index: Set(0.0),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
    };
    // Two first uses at once both insert; the unique index keeps one of each.
    scope.insert_many_ignoring(db, [row(None, "全部问题", 0, ROOT)], on_conflict()).await?;
    let root = fixed(db, scope, tree, ROOT).await?.ok_or_else(|| AppError::internal(anyhow::anyhow!("root missing after insert")))?;
    scope.insert_many_ignoring(db, [row(Some(root.id), "未分类", 1, UNCATEGORISED)], on_conflict()).await?;
    Ok(())
}

/// A category of `tree` by id: NOT_FOUND for another tree's (another
/// employee's personal tree included).
pub async fn in_tree(db: &impl ConnectionTrait, scope: &Scope, tree: &Tree, id: i64) -> AppResult<material_category::Model> {
    let c = scope.get::<material_category::Entity>(db, id).await?;
    if c.tree != tree.key() {
        return Err(AppError::not_found());
    }
    Ok(c)
}

/// The tree a category belongs to, if the caller may see it (else NOT_FOUND).
pub async fn tree_of(db: &DatabaseConnection, scope: &Scope, id: i64) -> AppResult<(Tree, material_category::Model)> {
    let c = scope.get::<material_category::Entity>(db, id).await?;
    match Tree::parse(&c.tree) {
        Some(tree) if tree.readable_by(scope) => Ok((tree, c)),
        _ => Err(AppError::not_found()),
    }
}

/// A new category under `parent_id` (the root when `None`), last among its siblings.
pub async fn create(
    db: &DatabaseConnection,
    scope: &Scope,
    tree: &Tree,
    parent_id: Option<i64>,
    new_name: &str,
) -> AppResult<material_category::Model> {
    let new_name = name(new_name)?;
    let txn = crate::db::write_txn(db).await?;
    ensure_fixed(&txn, scope, tree).await?;
    let parent = match parent_id {
        Some(id) => in_tree(&txn, scope, tree, id).await?,
        None => fixed(&txn, scope, tree, ROOT).await?.ok_or_else(AppError::not_found)?,
    };
    if parent.fixed.as_deref() == Some(UNCATEGORISED) {
        return Err(AppError::conflict(FIXED).with_field("parentId"));
    }
    if parent.depth + 1 > MAX_DEPTH {
        return Err(AppError::bad_input("parentId", TOO_DEEP));
    }
    let last: Option<f64> = scope
        .select::<material_category::Entity>()
        .filter(material_category::Column::ParentId.eq(parent.id))
        .select_only()
        .column_as(material_category::Column::SortIndex.max(), "m")
        .into_tuple()
        .one(&txn)
        .await?
        .flatten();
    let now = Utc::now();
    let c = scope
        .insert(
            &txn,
            material_category::ActiveModel {
                tree: Set(tree.key()),
                owner_id: Set(tree.owner_id),
                parent_id: Set(Some(parent.id)),
                name: Set(new_name),
                depth: Set(parent.depth + 1),
                fixed: Set(None),
                sort_index: Set(last.map_or(1.0, |l| l.floor() + 1.0)),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            },
        )
        .await?;
    txn.commit().await?;
    Ok(c)
}

fn changeable(c: &material_category::Model) -> AppResult<()> {
    if c.fixed.is_some() {
        return Err(AppError::conflict(FIXED));
    }
    Ok(())
}

pub async fn rename(
    db: &DatabaseConnection,
    scope: &Scope,
    c: material_category::Model,
    new_name: &str,
) -> AppResult<material_category::Model> {
    changeable(&c)?;
    let mut am: material_category::ActiveModel = c.into();
    am.name = Set(name(new_name)?);
    am.updated_at = Set(Utc::now());
    scope.update(db, am).await
}

/// Places a category among its siblings by a decimal index (e.g. 1.17 between 1 and 2).
pub async fn set_sort_index(
    db: &DatabaseConnection,
    scope: &Scope,
    c: material_category::Model,
    index: f64,
) -> AppResult<material_category::Model> {
    changeable(&c)?;
    let mut am: material_category::ActiveModel = c.into();
    am.sort_index = Set(sort_index(index, "sortIndex")?);
    am.updated_at = Set(Utc::now());
    scope.update(db, am).await
}

/// Refused for the fixed two, and while children or entries remain:
/// "请先清除该分类下内容在进行删除".
pub async fn delete(db: &DatabaseConnection, scope: &Scope, c: material_category::Model) -> AppResult<()> {
    changeable(&c)?;
    let txn = crate::db::write_txn(db).await?;
    let children = scope.select::<material_category::Entity>().filter(material_category::Column::ParentId.eq(c.id)).count(&txn).await?;
    let items = scope.select::<knowledge_item::Entity>().filter(knowledge_item::Column::CategoryId.eq(c.id)).count(&txn).await?;
    if children > 0 || items > 0 {
        return Err(AppError::conflict(NOT_EMPTY));
    }
    // A row filed here after the count is refused by the key, not orphaned.
    scope
        .delete_many::<material_category::Entity>()
        .filter(material_category::Column::Id.eq(c.id))
        .exec(&txn)
        .await
        .map_err(|e| AppError::from_delete(e, NOT_EMPTY))?;
    txn.commit().await?;
    Ok(())
}

/// The ids of category `id` of `tree` and every category below it (a tree
/// has tens of categories: read whole); NOT_FOUND when `id` is not in it.
pub async fn with_descendants(db: &DatabaseConnection, scope: &Scope, tree: &Tree, id: i64) -> AppResult<Vec<i64>> {
    let all = list(db, scope, tree).await?;
    if !all.iter().any(|c| c.id == id) {
        return Err(AppError::not_found().with_field("categoryId"));
    }
    let mut out = vec![id];
    let mut i = 0;
    while i < out.len() {
        let parent = out[i];
        out.extend(all.iter().filter(|c| c.parent_id == Some(parent)).map(|c| c.id));
        i += 1;
    }
    Ok(out)
}
