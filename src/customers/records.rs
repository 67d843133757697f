//! Business record templates (CFG-5) and business records (CUS-12, GRP-5).
//! A template picks custom fields of its subject (customer or group fields),
//! each enabled / required and ordered; who may use it is a list of employees
//! and departments (none: everyone). The first submission freezes it.

use std::collections::{BTreeSet, HashMap};

use chrono::Utc;
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, QueryFilter, QueryOrder, Select};
use serde_json::{json, Value};

use super::{
    subjects::writable_subject,
    subjects::Subject,
    timeline::{self, EventKind, NewEvent},
};
use crate::{
    custom_fields::{validate_value, FieldEntity, FieldOption, FieldType},
    error::{AppError, AppResult, Msg},
    tenancy::Scope,
};
use entity::{
    business_record, custom_field, department, employee, employee_department, record_template, record_template_field, record_template_scope,
};

pub const NO_TEMPLATE: Msg =
    Msg::new("NO_RECORD_TEMPLATE", "暂无业务记录模板，请至业务记录模板处添加", "No business record template yet; add one first");
const TEMPLATE_USED: Msg = Msg::new(
    "RECORD_TEMPLATE_USED",
    "该模板已被使用，不支持编辑或删除",
    "The template has been used and can no longer be edited or deleted",
);
const NAME_INVALID: Msg = Msg::new("RECORD_TEMPLATE_NAME_INVALID", "模板名称为1-30个字", "Template names must be 1-30 characters");
const DESCRIPTION_TOO_LONG: Msg =
    Msg::new("RECORD_TEMPLATE_DESCRIPTION_TOO_LONG", "模板描述不能超过200个字", "The description must be at most 200 characters");
const FIELDS_REQUIRED: Msg = Msg::new("RECORD_FIELDS_REQUIRED", "请至少选择一个字段", "Choose at least one field");
const FIELD_TWICE: Msg = Msg::new("FIELD_TWICE", "字段不能重复", "A field can appear only once");
const FIELD_NOT_IN_TEMPLATE: Msg = Msg::new("FIELD_NOT_IN_TEMPLATE", "该字段不在模板中", "The field is not part of the template");

const LEAD_UNSUPPORTED: Msg =
    Msg::new("SUBJECT_NOT_SUPPORTED", "线索仅支持跟进记录", "Leads take follow-ups only, not business records or work orders");

/// Whose custom fields a template of `subject` uses; leads have no records.
fn entity_of(subject: Subject) -> AppResult<FieldEntity> {
    match subject {
        Subject::Customer => Ok(FieldEntity::Customer),
        Subject::Group => Ok(FieldEntity::Group),
        Subject::Lead => Err(AppError::bad_input("subjectKind", LEAD_UNSUPPORTED)),
    }
}

pub struct TemplateField {
    pub field_id: i64,
    pub enabled: bool,
    pub required: bool,
}

pub struct TemplateInput {
    pub name: String,
    pub description: Option<String>,
    pub subject: Subject,
    /// In display order.
    pub fields: Vec<TemplateField>,
    pub employee_ids: Vec<i64>,
    pub department_ids: Vec<i64>,
}

/// Templates in order, optionally of one subject and with a name substring (CFG-5's search).
pub fn list(scope: &Scope, subject: Option<Subject>, name: Option<&str>) -> Select<record_template::Entity> {
    let mut q = scope.select::<record_template::Entity>();
    if let Some(s) = subject {
        q = q.filter(record_template::Column::SubjectKind.eq(s.as_str()));
    }
    if let Some(n) = name.map(str::trim).filter(|n| !n.is_empty()) {
        q = q.filter(record_template::Column::Name.contains(n));
    }
    q.order_by_asc(record_template::Column::Sort).order_by_asc(record_template::Column::Id)
}

/// Templates of `subject` the caller may use, in order (the first is the default).
pub async fn usable(db: &impl ConnectionTrait, scope: &Scope, subject: Subject) -> AppResult<Vec<record_template::Model>> {
    let all = list(scope, Some(subject), None).all(db).await?;
    let scopes = scope
        .select::<record_template_scope::Entity>()
        .filter(record_template_scope::Column::TemplateId.is_in(all.iter().map(|t| t.id)))
        .all(db)
        .await?;
    let Some(me) = scope.employee_id() else { return Ok(all) };
    let mine: BTreeSet<i64> = scope
        .select::<employee_department::Entity>()
        .filter(employee_department::Column::EmployeeId.eq(me))
        .all(db)
        .await?
        .into_iter()
        .map(|d| d.department_id)
        .collect();
    Ok(all
        .into_iter()
        .filter(|t| {
            let rows: Vec<&record_template_scope::Model> = scopes.iter().filter(|s| s.template_id == t.id).collect();
            rows.is_empty() || rows.iter().any(|s| s.employee_id == Some(me) || s.department_id.is_some_and(|d| mine.contains(&d)))
        })
        .collect())
}

async fn check_input(db: &impl ConnectionTrait, scope: &Scope, input: &TemplateInput) -> AppResult<(String, Option<String>)> {
    let name = input.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 30 {
        return Err(AppError::bad_input("name", NAME_INVALID));
    }
    let description = input.description.as_ref().map(|d| d.trim().to_string()).filter(|d| !d.is_empty());
    if description.as_ref().is_some_and(|d| d.chars().count() > 200) {
        return Err(AppError::bad_input("description", DESCRIPTION_TOO_LONG));
    }
    if input.fields.is_empty() {
        return Err(AppError::bad_input("fields", FIELDS_REQUIRED));
    }
    let ids: BTreeSet<i64> = input.fields.iter().map(|f| f.field_id).collect();
    if ids.len() != input.fields.len() {
        return Err(AppError::bad_input("fields", FIELD_TWICE));
    }
    let found = scope
        .select::<custom_field::Entity>()
        .filter(custom_field::Column::Id.is_in(ids.iter().copied()))
        .filter(custom_field::Column::EntityKind.eq(entity_of(input.subject)?.as_str()))
        .all(db)
        .await?;
    if found.len() != ids.len() {
        return Err(AppError::not_found().with_field("fields"));
    }
    let people = scope.select::<employee::Entity>().filter(employee::Column::Id.is_in(input.employee_ids.clone())).all(db).await?;
    let depts = scope.select::<department::Entity>().filter(department::Column::Id.is_in(input.department_ids.clone())).all(db).await?;
    if people.len() != input.employee_ids.iter().collect::<BTreeSet<_>>().len()
        || depts.len() != input.department_ids.iter().collect::<BTreeSet<_>>().len()
    {
        return Err(AppError::not_found());
    }
    Ok((name, description))
}

async fn write_parts(db: &impl ConnectionTrait, scope: &Scope, template_id: i64, input: &TemplateInput) -> AppResult<()> {
    scope.delete_many::<record_template_field::Entity>().filter(record_template_field::Column::TemplateId.eq(template_id)).exec(db).await?;
    scope.delete_many::<record_template_scope::Entity>().filter(record_template_scope::Column::TemplateId.eq(template_id)).exec(db).await?;
    scope
        .insert_many(
            db,
            input.fields.iter().enumerate().map(|(i, f)| record_template_field::ActiveModel {
                template_id: Set(template_id),
                field_id: Set(f.field_id),
                enabled: Set(f.enabled),
                required: Set(f.required && f.enabled),
                sort: Set(i as i32),
                ..Default::default()
            }),
        )
        .await?;
    let employees = input.employee_ids.iter().map(|e| (Some(*e), None));
    let departments = input.department_ids.iter().map(|d| (None, Some(*d)));
    scope
        .insert_many(
            db,
            employees.chain(departments).map(|(employee_id, department_id)| record_template_scope::ActiveModel {
                template_id: Set(template_id),
                employee_id: Set(employee_id),
                department_id: Set(department_id),
                ..Default::default()
            }),
        )
        .await
}

/// A new template goes last in its subject's order.
pub async fn create_template(db: &DatabaseConnection, scope: &Scope, input: TemplateInput) -> AppResult<record_template::Model> {
    let (name, description) = check_input(db, scope, &input).await?;
    let txn = crate::db::write_txn(db).await?;
    let last = list(scope, Some(input.subject), None).all(&txn).await?.iter().map(|t| t.sort).max().unwrap_or(-1);
    let now = Utc::now();
    let t = scope
        .insert(
            &txn,
            record_template::ActiveModel {
                name: Set(name),
                description: Set(description),
                subject_kind: Set(input.subject.as_str().into()),
                sort: Set(last + 1),
                used: Set(false),
                created_by: Set(scope.employee_id()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            },
        )
        .await?;
    write_parts(&txn, scope, t.id, &input).await?;
    txn.commit().await?;
    Ok(t)
}

/// Replaces a template's definition; refused once it has been used.
pub async fn update_template(db: &DatabaseConnection, scope: &Scope, id: i64, input: TemplateInput) -> AppResult<record_template::Model> {
    let t = scope.get::<record_template::Entity>(db, id).await?;
    if t.used {
        return Err(AppError::conflict(TEMPLATE_USED));
    }
    let input = TemplateInput { subject: Subject::parse(&t.subject_kind).unwrap_or(input.subject), ..input };
    let (name, description) = check_input(db, scope, &input).await?;
    let txn = crate::db::write_txn(db).await?;
    let mut am: record_template::ActiveModel = t.into();
    am.name = Set(name);
    am.description = Set(description);
    am.updated_at = Set(Utc::now());
    let saved = scope.update(&txn, am).await?;
    write_parts(&txn, scope, id, &input).await?;
    txn.commit().await?;
    Ok(saved)
}

pub async fn delete_template(db: &DatabaseConnection, scope: &Scope, id: i64) -> AppResult<()> {
    let t = scope.get::<record_template::Entity>(db, id).await?;
    if t.used {
        return Err(AppError::conflict(TEMPLATE_USED));
    }
    let txn = crate::db::write_txn(db).await?;
    scope.delete_many::<record_template_field::Entity>().filter(record_template_field::Column::TemplateId.eq(id)).exec(&txn).await?;
    scope.delete_many::<record_template_scope::Entity>().filter(record_template_scope::Column::TemplateId.eq(id)).exec(&txn).await?;
    scope.delete_by_id::<record_template::Entity>(&txn, id, TEMPLATE_USED).await?;
    txn.commit().await?;
    Ok(())
}

/// Moves a template to `position` (0-based) among its subject's templates.
pub async fn move_template(db: &DatabaseConnection, scope: &Scope, id: i64, position: usize) -> AppResult<()> {
    let t = scope.get::<record_template::Entity>(db, id).await?;
    let txn = crate::db::write_txn(db).await?;
    let mut all = scope
        .select::<record_template::Entity>()
        .filter(record_template::Column::SubjectKind.eq(&t.subject_kind))
        .order_by_asc(record_template::Column::Sort)
        .order_by_asc(record_template::Column::Id)
        .all(&txn)
        .await?;
    let from = all.iter().position(|x| x.id == id).ok_or_else(AppError::not_found)?;
    let moved = all.remove(from);
    all.insert(position.min(all.len()), moved);
    for (i, x) in all.iter().enumerate() {
        if x.sort != i as i32 {
            scope
                .update_many::<record_template::Entity>()
                .col_expr(record_template::Column::Sort, (i as i32).into())
                .filter(record_template::Column::Id.eq(x.id))
                .exec(&txn)
                .await?;
        }
    }
    txn.commit().await?;
    Ok(())
}

/// The fields of templates, in each template's order.
pub async fn fields_of(
    db: &impl ConnectionTrait,
    scope: &Scope,
    template_ids: &[i64],
) -> AppResult<HashMap<i64, Vec<(record_template_field::Model, custom_field::Model)>>> {
    let rows = scope
        .select::<record_template_field::Entity>()
        .filter(record_template_field::Column::TemplateId.is_in(template_ids.iter().copied()))
        .order_by_asc(record_template_field::Column::Sort)
        .all(db)
        .await?;
    let defs: HashMap<i64, custom_field::Model> = scope
        .select::<custom_field::Entity>()
        .filter(custom_field::Column::Id.is_in(rows.iter().map(|r| r.field_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|f| (f.id, f))
        .collect();
    let mut out: HashMap<i64, Vec<_>> = template_ids.iter().map(|t| (*t, Vec::new())).collect();
    for r in rows {
        if let Some(f) = defs.get(&r.field_id) {
            out.entry(r.template_id).or_default().push((r, f.clone()));
        }
    }
    Ok(out)
}

/// Submits a record about a visible customer or group with a template the
/// caller may use (the first one when none is named); required fields are
/// enforced and values validated by field type. One transaction: the record,
/// the template's lock, and the customer's timeline entry.
pub async fn submit(
    db: &DatabaseConnection,
    scope: &Scope,
    subject: Subject,
    subject_id: i64,
    template_id: Option<i64>,
    values: &[(i64, Option<Value>)],
) -> AppResult<business_record::Model> {
    let submitter = scope.employee_id().ok_or_else(AppError::forbidden)?;
    entity_of(subject)?;
    writable_subject(db, scope, subject, subject_id).await?;
    let usable = usable(db, scope, subject).await?;
    let template = match template_id {
        Some(id) => usable.into_iter().find(|t| t.id == id).ok_or_else(AppError::not_found)?,
        None => usable.into_iter().next().ok_or_else(|| AppError::bad_input("templateId", NO_TEMPLATE))?,
    };
    let fields = fields_of(db, scope, &[template.id]).await?.remove(&template.id).unwrap_or_default();
    let given: HashMap<i64, &Option<Value>> = values.iter().map(|(f, v)| (*f, v)).collect();
    for (i, (field_id, _)) in values.iter().enumerate() {
        if !fields.iter().any(|(tf, _)| tf.field_id == *field_id && tf.enabled) {
            return Err(AppError::bad_input(format!("values.{i}"), FIELD_NOT_IN_TEMPLATE));
        }
    }
    let mut stored = Vec::new();
    for (tf, f) in fields.iter().filter(|(tf, _)| tf.enabled) {
        let path = format!("values.{}", values.iter().position(|(id, _)| *id == f.id).unwrap_or(0));
        let value = given.get(&f.id).and_then(|v| v.as_ref()).filter(|v| !v.is_null() && v.as_str() != Some(""));
        match value {
            None if tf.required => {
                return Err(AppError::bad_input(
                    path,
                    Msg::owned("RECORD_FIELD_REQUIRED", format!("{}为必填项", f.name), format!("{} is required", f.name)),
                ));
            }
            None => {}
            Some(v) => {
                let ty = FieldType::parse(&f.field_type).ok_or_else(|| AppError::internal(anyhow::anyhow!("bad field type")))?;
                let options: Vec<FieldOption> = serde_json::from_str(&f.options).unwrap_or_default();
                let s = validate_value(ty, &f.name, &options, v, &path)?;
                stored.push(json!({"fieldId": f.id, "value": s.json}));
            }
        }
    }
    let now = Utc::now();
    let txn = crate::db::write_txn(db).await?;
    let record = scope
        .insert(
            &txn,
            business_record::ActiveModel {
                template_id: Set(template.id),
                subject_kind: Set(subject.as_str().into()),
                subject_id: Set(subject_id),
                submitter_id: Set(submitter),
                field_values: Set(Value::Array(stored.clone()).to_string()),
                created_at: Set(now),
                ..Default::default()
            },
        )
        .await?;
    if !template.used {
        scope
            .update_many::<record_template::Entity>()
            .col_expr(record_template::Column::Used, true.into())
            .filter(record_template::Column::Id.eq(template.id))
            .exec(&txn)
            .await?;
    }
    if subject == Subject::Customer {
        timeline::append(
            &txn,
            scope,
            vec![NewEvent::new(subject_id, EventKind::BusinessRecord, now)
                .by(Some(submitter))
                .with(json!({"recordId": record.id, "template": template.name, "values": stored}))],
        )
        .await?;
    }
    txn.commit().await?;
    Ok(record)
}

/// A subject's records, newest first.
pub fn of_subject(scope: &Scope, subject: Subject, id: i64) -> Select<business_record::Entity> {
    scope
        .select::<business_record::Entity>()
        .filter(
            Condition::all().add(business_record::Column::SubjectKind.eq(subject.as_str())).add(business_record::Column::SubjectId.eq(id)),
        )
        .order_by_desc(business_record::Column::CreatedAt)
        .order_by_desc(business_record::Column::Id)
}
