//! Marketing materials (MAT-8…12): articles, posters, brochures and forms,
//! filed in one category tree, published and withdrawn, visible to the
//! whole corp or to chosen departments (and everything below them) and
//! employees, and carrying tag rules that tag their viewers. Every share of
//! one is a tracked link (SIDE-6).

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::Utc;
use sea_orm::{
    sea_query::Query, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};
use serde_json::Value;

use super::{categories, forms, Tree};
use crate::{
    error::{AppError, AppResult, Msg},
    tenancy::Scope,
};
use entity::{corp_tag, department, employee, employee_department, marketing_audience, marketing_material, marketing_tag_rule};

pub const ARTICLE: &str = "ARTICLE";
pub const POSTER: &str = "POSTER";
pub const BROCHURE: &str = "BROCHURE";
pub const FORM: &str = "FORM";
pub const UNPUBLISHED: &str = "UNPUBLISHED";
pub const PUBLISHED: &str = "PUBLISHED";
/// The manual's four tag-rule triggers (进入页面 / 停留15s以上 / 浏览到底部 / 分享).
pub const TRIGGERS: [&str; 4] = ["ENTER_PAGE", "STAY_OVER_15S", "SCROLL_TO_BOTTOM", "SHARE"];
/// The dwell time STAY_OVER_15S asks for, within one visit.
pub const STAY_RULE_SECONDS: i32 = 15;

const TITLE_INVALID: Msg = Msg::new("MARKETING_TITLE_INVALID", "标题为1-64个字", "Titles are 1-64 characters");
const SUMMARY_TOO_LONG: Msg = Msg::new("MARKETING_SUMMARY_TOO_LONG", "摘要不能超过200个字", "Summaries are at most 200 characters");
const URL_INVALID: Msg =
    Msg::new("MARKETING_URL_INVALID", "请填写以http://或https://开头的链接", "Enter a URL starting with http:// or https://");
const ARTICLE_TYPE_REQUIRED: Msg = Msg::new(
    "ARTICLE_TYPE_REQUIRED",
    "请选择文章类型，转载和公众号文章需填写原文链接",
    "Choose the article type; reprints and Official Account articles need the original's URL",
);
const CONTENT_INVALID: Msg = Msg::new(
    "MARKETING_CONTENT_INVALID",
    "素材内容格式不正确：文章需有正文，海报和表单需有组件，宣传册需有页面",
    "The content is malformed: an article needs a body, a poster or form its components, a brochure its pages",
);
const JUMP_INVALID: Msg = Msg::new(
    "MARKETING_JUMP_INVALID",
    "文章只能跳转到表单，宣传册和海报可跳转到表单或文章，表单不能设置跳转",
    "Articles may jump only to forms; brochures and posters to forms or articles; forms have no jump button",
);
const NOT_PUBLISHED: Msg = Msg::new("MARKETING_NOT_PUBLISHED", "素材未发布，不能发送", "The material is not published and cannot be sent");
const ALREADY_PUBLISHED: Msg = Msg::new("MARKETING_ALREADY_PUBLISHED", "素材已发布", "The material is already published");
const NOT_WITHDRAWABLE: Msg = Msg::new(
    "MARKETING_NOT_WITHDRAWABLE",
    "仅已发布的文章、宣传册和表单可以撤回",
    "Only published articles, brochures and forms can be withdrawn",
);
const TRIGGER_INVALID: Msg = Msg::new(
    "TAG_RULE_TRIGGER_INVALID",
    "标签规则可选：进入页面、停留15s以上、浏览到页面底部、分享",
    "Tag rules fire on ENTER_PAGE, STAY_OVER_15S, SCROLL_TO_BOTTOM or SHARE",
);

/// A material as an editor describes it.
#[derive(Clone, Debug, Default)]
pub struct Draft {
    pub kind: &'static str,
    pub article_type: Option<String>,
    pub category_id: Option<i64>,
    pub title: String,
    pub summary: String,
    pub cover_url: Option<String>,
    pub content: Value,
    pub source_url: Option<String>,
    pub jump_material_id: Option<i64>,
    pub visible_to_all: bool,
    pub department_ids: Vec<i64>,
    pub employee_ids: Vec<i64>,
    /// (trigger, corp tag ids).
    pub tag_rules: Vec<(String, Vec<i64>)>,
}

fn url(raw: Option<&str>, field: &str) -> AppResult<Option<String>> {
    raw.map(str::trim).filter(|u| !u.is_empty()).map(|u| super::http_url(u, field, URL_INVALID)).transpose()
}

/// The content each kind needs: an article's `body`, a poster's or form's
/// `components`, a brochure's `pages` (forms are checked component by component).
fn check_content(kind: &str, content: &Value) -> AppResult<()> {
    let bad = || AppError::bad_input("content", CONTENT_INVALID);
    let non_empty_array = |key: &str| content.get(key).and_then(Value::as_array).is_some_and(|a| !a.is_empty());
    let ok = match kind {
        ARTICLE => content.get("body").and_then(Value::as_str).is_some_and(|b| !b.trim().is_empty()),
        POSTER => non_empty_array("components"),
        BROCHURE => non_empty_array("pages"),
        _ => return forms::schema(content).map(|_| ()),
    };
    ok.then_some(()).ok_or_else(bad)
}

async fn checked(db: &impl ConnectionTrait, scope: &Scope, d: &Draft) -> AppResult<marketing_material::ActiveModel> {
    let title = d.title.trim();
    if title.is_empty() || title.chars().count() > 64 {
        return Err(AppError::bad_input("title", TITLE_INVALID));
    }
    if d.summary.chars().count() > 200 {
        return Err(AppError::bad_input("summary", SUMMARY_TOO_LONG));
    }
    check_content(d.kind, &d.content)?;
    let source_url = url(d.source_url.as_deref(), "sourceUrl")?;
    let article_type = match d.kind {
        ARTICLE => match d.article_type.as_deref() {
            Some("NORMAL") => Some("NORMAL"),
            Some(t @ ("REPRINT" | "OFFICIAL_ACCOUNT")) if source_url.is_some() => Some(t),
            _ => return Err(AppError::bad_input("articleType", ARTICLE_TYPE_REQUIRED)),
        },
        _ => None,
    };
    if let Some(jump) = d.jump_material_id {
        let target = scope.get::<marketing_material::Entity>(db, jump).await.map_err(|e| e.with_field("jumpMaterialId"))?;
        let allowed = match d.kind {
            ARTICLE => target.kind == FORM,
            POSTER | BROCHURE => target.kind == FORM || target.kind == ARTICLE,
            _ => false,
        };
        if !allowed {
            return Err(AppError::bad_input("jumpMaterialId", JUMP_INVALID));
        }
    }
    let tag_ids: BTreeSet<i64> = d.tag_rules.iter().flat_map(|(_, tags)| tags.iter().copied()).collect();
    for (trigger, _) in &d.tag_rules {
        if !TRIGGERS.contains(&trigger.as_str()) {
            return Err(AppError::bad_input("tagRules", TRIGGER_INVALID));
        }
    }
    let found = count_rows(scope.select::<corp_tag::Entity>().filter(corp_tag::Column::Id.is_in(tag_ids.iter().copied())), db).await?;
    if found != tag_ids.len() {
        return Err(AppError::not_found().with_field("tagRules"));
    }
    let departments = d.department_ids.iter().collect::<HashSet<_>>().len();
    if count_rows(scope.select::<department::Entity>().filter(department::Column::Id.is_in(d.department_ids.clone())), db).await?
        != departments
    {
        return Err(AppError::not_found().with_field("departmentIds"));
    }
    let employees = d.employee_ids.iter().collect::<HashSet<_>>().len();
    if count_rows(scope.select::<employee::Entity>().filter(employee::Column::Id.is_in(d.employee_ids.clone())), db).await? != employees {
        return Err(AppError::not_found().with_field("employeeIds"));
    }
    Ok(marketing_material::ActiveModel {
        kind: Set(d.kind.to_string()),
        article_type: Set(article_type.map(str::to_string)),
        title: Set(title.to_string()),
        summary: Set(d.summary.trim().to_string()),
        cover_url: Set(url(d.cover_url.as_deref(), "coverUrl")?),
        content: Set(d.content.to_string()),
        source_url: Set(source_url),
        jump_material_id: Set(d.jump_material_id),
        visible_to_all: Set(d.visible_to_all),
        updated_at: Set(Utc::now()),
        ..Default::default()
    })
}

async fn count_rows<E: EntityTrait>(q: Select<E>, db: &impl ConnectionTrait) -> AppResult<usize>
where
    E::Model: Sync,
{
    Ok(sea_orm::PaginatorTrait::count(q, db).await? as usize)
}

/// Replaces a material's audience and tag rules (in the caller's transaction).
async fn write_children(db: &impl ConnectionTrait, scope: &Scope, material_id: i64, d: &Draft) -> AppResult<()> {
    scope.delete_many::<marketing_audience::Entity>().filter(marketing_audience::Column::MaterialId.eq(material_id)).exec(db).await?;
    scope.delete_many::<marketing_tag_rule::Entity>().filter(marketing_tag_rule::Column::MaterialId.eq(material_id)).exec(db).await?;
    let audience = d
        .department_ids
        .iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .map(|dep| marketing_audience::ActiveModel { material_id: Set(material_id), department_id: Set(Some(*dep)), ..Default::default() })
        .chain(d.employee_ids.iter().collect::<BTreeSet<_>>().into_iter().map(|e| marketing_audience::ActiveModel {
            material_id: Set(material_id),
            employee_id: Set(Some(*e)),
            ..Default::default()
        }));
    scope.insert_many(db, audience).await?;
    let rules: BTreeSet<(&str, i64)> = d.tag_rules.iter().flat_map(|(t, tags)| tags.iter().map(move |tag| (t.as_str(), *tag))).collect();
    scope
        .insert_many(
            db,
            rules.into_iter().map(|(trigger, tag)| marketing_tag_rule::ActiveModel {
                material_id: Set(material_id),
                trigger: Set(trigger.to_string()),
                corp_tag_id: Set(tag),
                ..Default::default()
            }),
        )
        .await
}

pub async fn create(db: &DatabaseConnection, scope: &Scope, d: &Draft) -> AppResult<marketing_material::Model> {
    let txn = crate::db::write_txn(db).await?;
    let mut am = checked(&txn, scope, d).await?;
    am.category_id = Set(categories::file_under(&txn, scope, &Tree::marketing(), d.category_id).await?.id);
    am.status = Set(UNPUBLISHED.into());
    am.view_count = Set(0);
    am.viewer_count = Set(0);
    am.created_by = Set(scope.employee_id());
    am.created_at = Set(Utc::now());
    let m = scope.insert(&txn, am).await?;
    write_children(&txn, scope, m.id, d).await?;
    txn.commit().await?;
    Ok(m)
}

/// Replaces everything but the kind; a published material stays published.
pub async fn update(
    db: &DatabaseConnection,
    scope: &Scope,
    m: marketing_material::Model,
    d: &Draft,
) -> AppResult<marketing_material::Model> {
    let d = Draft { kind: kind_of(&m), ..d.clone() };
    if d.jump_material_id == Some(m.id) {
        return Err(AppError::bad_input("jumpMaterialId", JUMP_INVALID));
    }
    let txn = crate::db::write_txn(db).await?;
    let mut am = checked(&txn, scope, &d).await?;
    am.id = Set(m.id);
    am.category_id = Set(categories::file_under(&txn, scope, &Tree::marketing(), d.category_id.or(Some(m.category_id))).await?.id);
    let saved = scope.update(&txn, am).await?;
    write_children(&txn, scope, m.id, &d).await?;
    txn.commit().await?;
    Ok(saved)
}

/// The kind constant of a stored material.
pub fn kind_of(m: &marketing_material::Model) -> &'static str {
    [ARTICLE, POSTER, BROCHURE].into_iter().find(|k| *k == m.kind).unwrap_or(FORM)
}

pub async fn publish(db: &DatabaseConnection, scope: &Scope, m: marketing_material::Model) -> AppResult<marketing_material::Model> {
    if m.status == PUBLISHED {
        return Err(AppError::conflict(ALREADY_PUBLISHED));
    }
    let mut am: marketing_material::ActiveModel = m.into();
    am.status = Set(PUBLISHED.into());
    am.published_at = Set(Some(Utc::now()));
    scope.update(db, am).await
}

/// 撤回: back to unpublished; links already sent stop opening (MAT-8).
/// SPEC states it for articles, brochures and forms, not posters.
pub async fn withdraw(db: &DatabaseConnection, scope: &Scope, m: marketing_material::Model) -> AppResult<marketing_material::Model> {
    if m.status != PUBLISHED || m.kind == POSTER {
        return Err(AppError::conflict(NOT_WITHDRAWABLE));
    }
    let mut am: marketing_material::ActiveModel = m.into();
    am.status = Set(UNPUBLISHED.into());
    scope.update(db, am).await
}

/// Its shares, viewers and submissions go with it; timeline entries stay.
pub async fn delete(db: &DatabaseConnection, scope: &Scope, m: &marketing_material::Model) -> AppResult<()> {
    scope.delete_many::<marketing_material::Entity>().filter(marketing_material::Column::Id.eq(m.id)).exec(db).await?;
    Ok(())
}

/// Materials the caller may send: all of them, or those for everyone, for
/// the caller, or for one of the caller's departments or a department above one.
pub async fn audience_condition(db: &impl ConnectionTrait, scope: &Scope) -> AppResult<Condition> {
    let Some(me) = scope.employee_id() else { return Ok(Condition::all()) };
    let mine: Vec<i64> = scope
        .select::<employee_department::Entity>()
        .select_only()
        .column(employee_department::Column::DepartmentId)
        .filter(employee_department::Column::EmployeeId.eq(me))
        .into_tuple()
        .all(db)
        .await?;
    // A department chosen covers those below it: the caller's departments and all above them.
    let parent: HashMap<i64, Option<i64>> = crate::org::departments::parent_links(db, scope).await?.into_iter().collect();
    let mut above: HashSet<i64> = HashSet::new();
    for d in mine {
        let mut at = Some(d);
        while let Some(x) = at.filter(|x| above.insert(*x)) {
            at = parent.get(&x).copied().flatten();
        }
    }
    let chosen = Query::select()
        .column(marketing_audience::Column::MaterialId)
        .from(marketing_audience::Entity)
        .cond_where(scope.tenant_condition::<marketing_audience::Entity>())
        .cond_where(
            Condition::any().add(marketing_audience::Column::EmployeeId.eq(me)).add(marketing_audience::Column::DepartmentId.is_in(above)),
        )
        .to_owned();
    Ok(Condition::any().add(marketing_material::Column::VisibleToAll.eq(true)).add(marketing_material::Column::Id.in_subquery(chosen)))
}

/// What a list asks for.
#[derive(Default)]
pub struct Filter<'a> {
    pub kind: Option<&'static str>,
    pub status: Option<&'static str>,
    pub category_id: Option<i64>,
    /// In the title or the creator's name.
    pub keyword: Option<&'a str>,
    /// Only what the caller may send (the sidebar): published and in its audience.
    pub sendable_only: bool,
}

/// Newest first. Editors see every material; others what they may send.
pub async fn list(db: &DatabaseConnection, scope: &Scope, manages: bool, f: Filter<'_>) -> AppResult<Select<marketing_material::Entity>> {
    let mut q = scope.select::<marketing_material::Entity>();
    if let Some(k) = f.kind {
        q = q.filter(marketing_material::Column::Kind.eq(k));
    }
    if let Some(s) = f.status {
        q = q.filter(marketing_material::Column::Status.eq(s));
    }
    if let Some(id) = f.category_id {
        q = q.filter(marketing_material::Column::CategoryId.is_in(categories::with_descendants(db, scope, &Tree::marketing(), id).await?));
    }
    if let Some(k) = f.keyword.map(str::trim).filter(|k| !k.is_empty()) {
        let creators = Query::select()
            .column(employee::Column::Id)
            .from(employee::Entity)
            .cond_where(scope.tenant_condition::<employee::Entity>())
            .and_where(super::holds_keyword(employee::Column::Name, k))
            .to_owned();
        q = q.filter(
            Condition::any()
                .add(super::holds_keyword(marketing_material::Column::Title, k))
                .add(marketing_material::Column::CreatedBy.in_subquery(creators)),
        );
    }
    if f.sendable_only || !manages {
        q = q.filter(marketing_material::Column::Status.eq(PUBLISHED)).filter(audience_condition(db, scope).await?);
    }
    Ok(q.order_by_desc(marketing_material::Column::Id))
}

/// One material the caller may see (editors: any; others: a sendable one).
pub async fn get(db: &DatabaseConnection, scope: &Scope, manages: bool, id: i64) -> AppResult<marketing_material::Model> {
    let q = list(db, scope, manages, Filter::default()).await?;
    q.filter(marketing_material::Column::Id.eq(id)).one(db).await?.ok_or_else(AppError::not_found)
}

/// A material the caller may send now: published and in its audience.
pub async fn sendable(db: &DatabaseConnection, scope: &Scope, id: i64) -> AppResult<marketing_material::Model> {
    let m = scope.get::<marketing_material::Entity>(db, id).await?;
    if m.status != PUBLISHED {
        return Err(AppError::conflict(NOT_PUBLISHED));
    }
    scope
        .select::<marketing_material::Entity>()
        .filter(marketing_material::Column::Id.eq(id))
        .filter(audience_condition(db, scope).await?)
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)
}

/// Departments and employees a material is shown to.
pub async fn audience(db: &impl ConnectionTrait, scope: &Scope, material_id: i64) -> AppResult<Vec<marketing_audience::Model>> {
    Ok(scope.select::<marketing_audience::Entity>().filter(marketing_audience::Column::MaterialId.eq(material_id)).all(db).await?)
}

/// A material's tag rules.
pub async fn tag_rules(db: &impl ConnectionTrait, scope: &Scope, material_id: i64) -> AppResult<Vec<marketing_tag_rule::Model>> {
    Ok(scope
        .select::<marketing_tag_rule::Entity>()
        .filter(marketing_tag_rule::Column::MaterialId.eq(material_id))
        .order_by_asc(marketing_tag_rule::Column::Id)
        .all(db)
        .await?)
}

/// A poster's canvas for one sending employee: `{{employee.name}}`,
/// `{{employee.position}}`, `{{employee.mobile}}`, `{{employee.email}}` and
/// `{{employee.avatar}}` in any string become theirs (MAT-10).
pub fn personalise(content: &Value, e: &employee::Model) -> Value {
    match content {
        Value::String(s) => Value::String(
            s.replace("{{employee.name}}", &e.name)
                .replace("{{employee.position}}", e.position.as_deref().unwrap_or_default())
                .replace("{{employee.mobile}}", &e.mobile)
                .replace("{{employee.email}}", e.email.as_deref().unwrap_or_default())
                .replace("{{employee.avatar}}", e.avatar.as_deref().unwrap_or_default()),
        ),
        Value::Array(a) => Value::Array(a.iter().map(|v| personalise(v, e)).collect()),
        Value::Object(o) => Value::Object(o.iter().map(|(k, v)| (k.clone(), personalise(v, e))).collect()),
        other => other.clone(),
    }
}
