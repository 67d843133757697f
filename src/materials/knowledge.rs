//! Knowledge-base entries (MAT-3/4/5): scripts (question names, similar
//! questions, an answer of at most 300 characters), phrases and links,
//! filed in their tree's categories, listed by manual sort index, searched
//! by keyword, and counted when the sidebar sends one. (Attachments and the
//! import centre come with the uploads part of issue #13.)

use chrono::Utc;
use sea_orm::{
    sea_query::{Expr, ExprTrait},
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};

use super::{categories, KnowledgeKind, Tree};
use crate::{
    error::{AppError, AppResult, Msg},
    tenancy::Scope,
};
use entity::{knowledge_attachment, knowledge_item, stored_file};

/// A script's answer, a phrase's text (MAT-3; phrases share the limit).
pub const MAX_CONTENT: usize = 300;
/// A question name, similar question or link name.
pub const MAX_NAME: usize = 100;
/// Question names and similar questions per script.
pub const MAX_NAMES: usize = 20;

const NAME_REQUIRED: Msg = Msg::new(
    "KNOWLEDGE_NAME_REQUIRED",
    "请填写名称（每个不超过100字，最多20个）",
    "A name is required (each up to 100 characters, at most 20)",
);
const CONTENT_INVALID: Msg =
    Msg::new("KNOWLEDGE_CONTENT_INVALID", "内容必填，且不超过300字", "Content is required and at most 300 characters");
const URL_INVALID: Msg =
    Msg::new("KNOWLEDGE_URL_INVALID", "请填写以http://或https://开头的链接", "Enter a link starting with http:// or https://");

/// What a client sends to create or replace an entry; which fields count
/// depends on the kind.
#[derive(Clone, Debug, Default)]
pub struct Draft {
    pub category_id: Option<i64>,
    /// Scripts: the question names (at least one); links: the name (exactly one).
    pub names: Vec<String>,
    pub similar_questions: Vec<String>,
    /// Scripts: the answer; phrases: the text; links: an optional description.
    pub content: String,
    pub url: Option<String>,
    pub sort_index: Option<f64>,
    /// Scripts: uploaded files sent with the answer, in order (`None`:
    /// unchanged on update, none on create).
    pub attachment_ids: Option<Vec<i64>>,
}

/// Attachments a script's answer may carry (WeCom sends at most 9 with a message).
pub const MAX_ATTACHMENTS: usize = 9;
const ATTACHMENTS_INVALID: Msg =
    Msg::new("KNOWLEDGE_ATTACHMENTS_INVALID", "话术最多9个附件，且仅话术可带附件", "Only scripts take attachments, at most 9");

fn names(list: &[String], field: &str, required: bool) -> AppResult<Vec<String>> {
    let list: Vec<String> = list.iter().map(|n| n.trim().to_string()).filter(|n| !n.is_empty()).collect();
    if (required && list.is_empty()) || list.len() > MAX_NAMES || list.iter().any(|n| n.chars().count() > MAX_NAME) {
        return Err(AppError::bad_input(field, NAME_REQUIRED));
    }
    Ok(list)
}

/// The stored fields of a valid draft: (names, similar questions, content, url).
type Checked = (Vec<String>, Vec<String>, String, Option<String>);

fn check(kind: KnowledgeKind, d: &Draft) -> AppResult<Checked> {
    let content = d.content.trim().to_string();
    let content_ok = content.chars().count() <= MAX_CONTENT;
    match kind {
        KnowledgeKind::Script => {
            let n = names(&d.names, "names", true)?;
            let similar = names(&d.similar_questions, "similarQuestions", false)?;
            if content.is_empty() || !content_ok {
                return Err(AppError::bad_input("content", CONTENT_INVALID));
            }
            Ok((n, similar, content, None))
        }
        KnowledgeKind::Phrase => {
            if content.is_empty() || !content_ok {
                return Err(AppError::bad_input("content", CONTENT_INVALID));
            }
            Ok((Vec::new(), Vec::new(), content, None))
        }
        KnowledgeKind::Link => {
            let n = names(&d.names, "names", true)?;
            if n.len() != 1 {
                return Err(AppError::bad_input("names", NAME_REQUIRED));
            }
            if !content_ok {
                return Err(AppError::bad_input("content", CONTENT_INVALID));
            }
            let url = super::http_url(d.url.as_deref().unwrap_or_default(), "url", URL_INVALID)?;
            Ok((n, Vec::new(), content, Some(url)))
        }
    }
}

pub fn kind_of(item: &knowledge_item::Model) -> KnowledgeKind {
    KnowledgeKind::parse(&item.kind).unwrap_or(KnowledgeKind::Phrase)
}

/// An entry by id with its tree, if the caller may see it (else NOT_FOUND:
/// another employee's personal entries do not exist for the caller).
pub async fn get(db: &DatabaseConnection, scope: &Scope, id: i64) -> AppResult<(Tree, knowledge_item::Model)> {
    let item = scope.get::<knowledge_item::Entity>(db, id).await?;
    match Tree::parse(&item.tree) {
        Some(tree) if tree.readable_by(scope) && tree.kind().is_ok() => Ok((tree, item)),
        _ => Err(AppError::not_found()),
    }
}

pub async fn create(db: &DatabaseConnection, scope: &Scope, tree: &Tree, d: &Draft) -> AppResult<knowledge_item::Model> {
    let kind = tree.kind()?;
    let (names, similar, content, url) = check(kind, d)?;
    let txn = crate::db::write_txn(db).await?;
    let category = categories::file_under(&txn, scope, tree, d.category_id).await?;
    // New entries go last unless a sort index is given.
    let last: Option<f64> = scope
        .select::<knowledge_item::Entity>()
        .filter(knowledge_item::Column::Tree.eq(tree.key()))
        .select_only()
        .column_as(knowledge_item::Column::SortIndex.max(), "m")
        .into_tuple()
        .one(&txn)
        .await?
        .flatten();
    let sort_index = match d.sort_index {
        Some(v) => categories::sort_index(v, "sortIndex")?,
        None => last.map_or(1.0, |l| l.floor() + 1.0),
    };
    let now = Utc::now();
    let item = scope
        .insert(
            &txn,
            knowledge_item::ActiveModel {
                tree: Set(tree.key()),
                kind: Set(kind.code().into()),
                owner_id: Set(tree.owner_id),
                category_id: Set(category.id),
                names: Set(crate::json::text(&names)),
                similar_questions: Set(crate::json::text(&similar)),
                content: Set(content),
                url: Set(url),
                sort_index: Set(sort_index),
                usage_count: Set(0),
                created_by: Set(scope.employee_id()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            },
        )
        .await?;
    replace_attachments(&txn, scope, kind, item.id, d.attachment_ids.as_deref()).await?;
    txn.commit().await?;
    Ok(item)
}

/// Sets a script's attachments to `ids` (uploaded files of the corp, any
/// kind: each was checked against its kind's limits when uploaded).
async fn replace_attachments(
    txn: &impl ConnectionTrait,
    scope: &Scope,
    kind: KnowledgeKind,
    item_id: i64,
    ids: Option<&[i64]>,
) -> AppResult<()> {
    let Some(ids) = ids else { return Ok(()) };
    let mut unique = ids.to_vec();
    unique.sort_unstable();
    unique.dedup();
    if (kind != KnowledgeKind::Script && !ids.is_empty()) || ids.len() > MAX_ATTACHMENTS || unique.len() != ids.len() {
        return Err(AppError::bad_input("attachmentIds", ATTACHMENTS_INVALID));
    }
    let found = scope.select::<stored_file::Entity>().filter(stored_file::Column::Id.is_in(unique.clone())).count(txn).await?;
    if found as usize != unique.len() {
        return Err(AppError::not_found().with_field("attachmentIds"));
    }
    scope.delete_many::<knowledge_attachment::Entity>().filter(knowledge_attachment::Column::ItemId.eq(item_id)).exec(txn).await?;
    if ids.is_empty() {
        return Ok(());
    }
    let rows = ids.iter().enumerate().map(|(position, file_id)| knowledge_attachment::ActiveModel {
        corp_id: Set(scope.corp_id()),
        item_id: Set(item_id),
        file_id: Set(*file_id),
        position: Set(position as i32),
        ..Default::default()
    });
    knowledge_attachment::Entity::insert_many(rows).exec_without_returning(txn).await?;
    Ok(())
}

/// Replaces an entry's content (and category or sort index when given).
/// A link's URL is fixed once created, as MAT-6 has it for web links.
pub async fn update(
    db: &DatabaseConnection,
    scope: &Scope,
    tree: &Tree,
    item: knowledge_item::Model,
    d: &Draft,
) -> AppResult<knowledge_item::Model> {
    let kind = tree.kind()?;
    let mut d = d.clone();
    if kind == KnowledgeKind::Link {
        d.url = item.url.clone();
    }
    let (names, similar, content, _) = check(kind, &d)?;
    let txn = crate::db::write_txn(db).await?;
    let mut am: knowledge_item::ActiveModel = item.into();
    if let Some(id) = d.category_id {
        am.category_id = Set(categories::in_tree(&txn, scope, tree, id).await?.id);
    }
    if let Some(v) = d.sort_index {
        am.sort_index = Set(categories::sort_index(v, "sortIndex")?);
    }
    am.names = Set(crate::json::text(&names));
    am.similar_questions = Set(crate::json::text(&similar));
    am.content = Set(content);
    am.updated_at = Set(Utc::now());
    let item = scope.update(&txn, am).await?;
    replace_attachments(&txn, scope, kind, item.id, d.attachment_ids.as_deref()).await?;
    txn.commit().await?;
    Ok(item)
}

pub async fn delete(db: &DatabaseConnection, scope: &Scope, item: &knowledge_item::Model) -> AppResult<()> {
    scope.delete_many::<knowledge_item::Entity>().filter(knowledge_item::Column::Id.eq(item.id)).exec(db).await?;
    Ok(())
}

/// Counts one use (the sidebar sent it), in one statement so concurrent
/// sends all count.
pub async fn record_use(db: &DatabaseConnection, scope: &Scope, item: &knowledge_item::Model) -> AppResult<knowledge_item::Model> {
    scope
        .update_many::<knowledge_item::Entity>()
        .col_expr(knowledge_item::Column::UsageCount, Expr::col(knowledge_item::Column::UsageCount).add(1))
        .filter(knowledge_item::Column::Id.eq(item.id))
        .exec(db)
        .await?;
    scope.get::<knowledge_item::Entity>(db, item.id).await
}

/// Entries with `keyword` in a name, similar question, content or URL, any case.
pub fn keyword_condition(keyword: Option<&str>) -> Option<Condition> {
    let k = keyword.map(str::trim).filter(|k| !k.is_empty())?;
    let matches = |c: knowledge_item::Column| super::holds_keyword(c, k);
    Some(
        Condition::any()
            .add(matches(knowledge_item::Column::Names))
            .add(matches(knowledge_item::Column::SimilarQuestions))
            .add(matches(knowledge_item::Column::Content))
            .add(matches(knowledge_item::Column::Url)),
    )
}

/// A tree's entries by sort index (then newest first), optionally of one
/// category and those below it, and matching a keyword in any name,
/// similar question, content or URL.
pub async fn list(
    db: &DatabaseConnection,
    scope: &Scope,
    tree: &Tree,
    category_id: Option<i64>,
    keyword: Option<&str>,
) -> AppResult<Select<knowledge_item::Entity>> {
    let mut q = scope.select::<knowledge_item::Entity>().filter(knowledge_item::Column::Tree.eq(tree.key()));
    if let Some(id) = category_id {
        q = q.filter(knowledge_item::Column::CategoryId.is_in(categories::with_descendants(db, scope, tree, id).await?));
    }
    if let Some(matches) = keyword_condition(keyword) {
        q = q.filter(matches);
    }
    Ok(q.order_by_asc(knowledge_item::Column::SortIndex).order_by_desc(knowledge_item::Column::Id))
}
