//! Custom-field definitions and the values objects hold.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, QueryFilter, QueryOrder, QuerySelect};
use serde_json::Value;

use super::{
    types::{FieldEntity, FieldOption, FieldOptionInput, FieldType},
    values::validate_value,
};
use crate::{
    error::{AppError, AppResult, Msg},
    tenancy::Scope,
};
use entity::{custom_field, custom_field_value as cfv};

const NAME_INVALID: Msg = Msg::new("CUSTOM_FIELD_NAME_INVALID", "字段名称为1-20个字", "Field name must be 1-20 characters");
const OPTIONS_REQUIRED: Msg = Msg::new("OPTIONS_REQUIRED", "请至少添加一个选项", "Add at least one option");
const ONE_DEFAULT: Msg = Msg::new("ONE_DEFAULT_OPTION", "只能设置一个默认选项", "Only one option can be the default");
const OPTION_LABEL: Msg = Msg::new("OPTION_LABEL_REQUIRED", "选项名称不能为空", "Option labels are required");
const UNKNOWN_FIELD: Msg = Msg::new("CUSTOM_FIELD_UNKNOWN_FIELD", "字段不存在或已停用", "Unknown or disabled field");

pub struct NewField {
    pub kind: FieldEntity,
    pub name: String,
    pub field_type: FieldType,
    pub enabled: bool,
    pub required: bool,
    pub options: Vec<FieldOptionInput>,
}

#[derive(Default)]
pub struct FieldChanges {
    pub name: Option<String>,
    pub enabled: Option<bool>,
    pub required: Option<bool>,
    pub options: Option<Vec<FieldOptionInput>>,
}

const OPTION_ID_INVALID: Msg = Msg::new(
    "CUSTOM_FIELD_OPTION_ID_INVALID",
    "选项ID只能包含字母、数字、-和_（最多64个），且不能重复",
    "Option ids are letters, digits, - and _ (at most 64), each used once",
);

fn validate_name(name: &str) -> AppResult<String> {
    let name = name.trim();
    let n = name.chars().count();
    if n == 0 || n > 20 {
        return Err(AppError::bad_input("name", NAME_INVALID));
    }
    Ok(name.to_string())
}

fn build_options(ty: FieldType, input: Vec<FieldOptionInput>) -> AppResult<Vec<FieldOption>> {
    if !ty.has_options() {
        return Ok(Vec::new());
    }
    if input.is_empty() {
        return Err(AppError::bad_input("options", OPTIONS_REQUIRED));
    }
    fn convert(input: Vec<FieldOptionInput>, cascade: bool) -> AppResult<Vec<FieldOption>> {
        input
            .into_iter()
            .map(|o| {
                let label = o.label.trim().to_string();
                if label.is_empty() {
                    return Err(AppError::bad_input("options", OPTION_LABEL));
                }
                Ok(FieldOption {
                    id: o.id.filter(|s| !s.is_empty()).unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string()[..12].to_string()),
                    label,
                    is_default: o.is_default,
                    children: if cascade { convert(o.children, true)? } else { Vec::new() },
                })
            })
            .collect()
    }
    let options = convert(input, ty == FieldType::Cascade)?;
    if options.iter().filter(|o| o.is_default).count() > 1 {
        return Err(AppError::bad_input("options", ONE_DEFAULT));
    }
    // Values of multi-choice fields are stored as `,a,b,` and matched by id:
    // ids are plain and unique across the whole tree.
    let mut all = FieldOption::ids(&options);
    let plain = |id: &str| id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    let count = all.len();
    all.sort_unstable();
    all.dedup();
    if all.len() != count || !all.iter().all(|id| plain(id)) {
        return Err(AppError::bad_input("options", OPTION_ID_INVALID));
    }
    Ok(options)
}

pub async fn list(
    db: &impl ConnectionTrait,
    scope: &Scope,
    kind: FieldEntity,
    include_disabled: bool,
) -> AppResult<Vec<custom_field::Model>> {
    let mut q = scope
        .select::<custom_field::Entity>()
        .filter(custom_field::Column::EntityKind.eq(kind.as_str()))
        .order_by_asc(custom_field::Column::Sort)
        .order_by_asc(custom_field::Column::Id);
    if !include_disabled {
        q = q.filter(custom_field::Column::Enabled.eq(true));
    }
    Ok(q.all(db).await?)
}

pub async fn create(db: &DatabaseConnection, scope: &Scope, field: NewField) -> AppResult<custom_field::Model> {
    let name = validate_name(&field.name)?;
    let options = build_options(field.field_type, field.options)?;
    let max: Option<Option<i32>> = scope
        .select::<custom_field::Entity>()
        .select_only()
        .column_as(custom_field::Column::Sort.max(), "m")
        .filter(custom_field::Column::EntityKind.eq(field.kind.as_str()))
        .into_tuple()
        .one(db)
        .await?;
    let now = Utc::now();
    scope
        .insert(
            db,
            custom_field::ActiveModel {
                entity_kind: Set(field.kind.as_str().into()),
                name: Set(name),
                field_type: Set(field.field_type.as_str().into()),
                enabled: Set(field.enabled),
                required: Set(field.required),
                options: Set(crate::json::text(&options)),
                sort: Set(max.flatten().map(|m| m + 1).unwrap_or(0)),
                created_by: Set(scope.employee_id()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            },
        )
        .await
}

pub async fn update(db: &DatabaseConnection, scope: &Scope, id: i64, changes: FieldChanges) -> AppResult<custom_field::Model> {
    let current = scope.get::<custom_field::Entity>(db, id).await?;
    let ty = FieldType::parse(&current.field_type).ok_or_else(|| AppError::internal(anyhow::anyhow!("bad field type")))?;
    let mut am: custom_field::ActiveModel = current.into();
    if let Some(name) = changes.name {
        am.name = Set(validate_name(&name)?);
    }
    if let Some(e) = changes.enabled {
        am.enabled = Set(e);
    }
    if let Some(r) = changes.required {
        am.required = Set(r);
    }
    if let Some(options) = changes.options {
        am.options = Set(crate::json::text(&build_options(ty, options)?));
    }
    am.updated_at = Set(Utc::now());
    scope.update(db, am).await
}

/// Permanent: the field and every value of it go together.
pub async fn delete(db: &DatabaseConnection, scope: &Scope, id: i64) -> AppResult<()> {
    let txn = crate::db::write_txn(db).await?;
    scope.get::<custom_field::Entity>(&txn, id).await?;
    scope.delete_many::<cfv::Entity>().filter(cfv::Column::FieldId.eq(id)).exec(&txn).await?;
    scope.delete_by_id::<custom_field::Entity>(&txn, id, crate::error::msg::STILL_REFERENCED).await?;
    txn.commit().await?;
    Ok(())
}

/// Validates and writes the given values of one object (null clears a value).
/// On create, required fields must be present and absent choice fields take
/// their default option. Runs inside the caller's transaction.
pub async fn write_values(
    db: &impl ConnectionTrait,
    scope: &Scope,
    kind: FieldEntity,
    entity_id: i64,
    values: &[(i64, Option<Value>)],
    creating: bool,
) -> AppResult<()> {
    let fields = list(db, scope, kind, false).await?;
    let by_id: HashMap<i64, &custom_field::Model> = fields.iter().map(|f| (f.id, f)).collect();
    let mut planned: Vec<(i64, Option<super::values::StoredValue>)> = Vec::new();
    for (i, (field_id, value)) in values.iter().enumerate() {
        let path = format!("customFields.{i}");
        let field = by_id.get(field_id).ok_or_else(|| AppError::bad_input(&path, UNKNOWN_FIELD))?;
        let ty = FieldType::parse(&field.field_type).ok_or_else(|| AppError::internal(anyhow::anyhow!("bad field type")))?;
        let empty = match value {
            None | Some(Value::Null) => true,
            Some(Value::String(s)) => s.trim().is_empty(),
            Some(Value::Array(a)) => a.is_empty(),
            _ => false,
        };
        if empty {
            if field.required {
                return Err(AppError::bad_input(
                    &path,
                    Msg::owned("CUSTOM_FIELD_REQUIRED", format!("{}为必填项", field.name), format!("{} is required", field.name)),
                ));
            }
            planned.push((*field_id, None));
            continue;
        }
        let options: Vec<FieldOption> = serde_json::from_str(&field.options).unwrap_or_default();
        let Some(value) = value.as_ref() else { continue };
        let stored = validate_value(ty, &field.name, &options, value, &path)?;
        planned.push((*field_id, Some(stored)));
    }
    if creating {
        for f in &fields {
            if planned.iter().any(|(id, _)| *id == f.id) {
                continue;
            }
            let options: Vec<FieldOption> = serde_json::from_str(&f.options).unwrap_or_default();
            let default = options.iter().find(|o| o.is_default).map(|o| o.id.clone());
            let ty = FieldType::parse(&f.field_type);
            match (ty, default) {
                (Some(FieldType::Select), Some(d)) => {
                    planned.push((f.id, Some(validate_value(FieldType::Select, &f.name, &options, &Value::String(d), "customFields")?)))
                }
                (Some(FieldType::MultiSelect), Some(d)) => planned.push((
                    f.id,
                    Some(validate_value(FieldType::MultiSelect, &f.name, &options, &Value::Array(vec![Value::String(d)]), "customFields")?),
                )),
                _ if f.required => {
                    return Err(AppError::bad_input(
                        "customFields",
                        Msg::owned("CUSTOM_FIELD_REQUIRED", format!("{}为必填项", f.name), format!("{} is required", f.name)),
                    ))
                }
                _ => {}
            }
        }
    }
    for (field_id, stored) in planned {
        scope
            .delete_many::<cfv::Entity>()
            .filter(cfv::Column::EntityKind.eq(kind.as_str()))
            .filter(cfv::Column::EntityId.eq(entity_id))
            .filter(cfv::Column::FieldId.eq(field_id))
            .exec(db)
            .await?;
        if let Some(s) = stored {
            scope
                .insert(
                    db,
                    cfv::ActiveModel {
                        entity_kind: Set(kind.as_str().into()),
                        entity_id: Set(entity_id),
                        field_id: Set(field_id),
                        value_json: Set(s.json.to_string()),
                        value_text: Set(s.text),
                        value_num: Set(s.num),
                        ..Default::default()
                    },
                )
                .await?;
        }
    }
    Ok(())
}

/// Values of enabled fields for many objects, two statements in all.
pub async fn values_for(
    db: &impl ConnectionTrait,
    scope: &Scope,
    kind: FieldEntity,
    ids: &[i64],
) -> AppResult<HashMap<i64, Vec<(custom_field::Model, Value)>>> {
    let fields = list(db, scope, kind, false).await?;
    let by_id: HashMap<i64, custom_field::Model> = fields.into_iter().map(|f| (f.id, f)).collect();
    let rows = scope
        .select::<cfv::Entity>()
        .filter(cfv::Column::EntityKind.eq(kind.as_str()))
        .filter(cfv::Column::EntityId.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    let mut out: HashMap<i64, Vec<(custom_field::Model, Value)>> = HashMap::new();
    for r in rows {
        if let Some(f) = by_id.get(&r.field_id) {
            let v = serde_json::from_str(&r.value_json).unwrap_or(Value::Null);
            out.entry(r.entity_id).or_default().push((f.clone(), v));
        }
    }
    for list in out.values_mut() {
        list.sort_by_key(|(f, _)| (f.sort, f.id));
    }
    Ok(out)
}

/// Removes every value of an object (when the object is deleted).
pub async fn delete_values(db: &impl ConnectionTrait, scope: &Scope, kind: FieldEntity, entity_id: i64) -> AppResult<()> {
    scope
        .delete_many::<cfv::Entity>()
        .filter(cfv::Column::EntityKind.eq(kind.as_str()))
        .filter(cfv::Column::EntityId.eq(entity_id))
        .exec(db)
        .await?;
    Ok(())
}
