//! Filter conditions over system columns and custom fields, compiled to SQL
//! that runs the same on SQLite and PostgreSQL (no JSON operators: custom
//! values are matched through their text / number projections).

use async_graphql::{Enum, InputObject, Json, ID};
use sea_orm::{
    sea_query::{IntoCondition, SelectStatement},
    ColumnTrait, Condition,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{
    types::{FieldEntity, FieldOption, FieldType},
    values::validate_value,
};
use crate::error::{AppError, AppResult, Msg};
use crate::tenancy::Scope;
use entity::{custom_field, custom_field_value as cfv};

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ConditionOp {
    Eq,
    Ne,
    /// Substring for text; "has this option" for multi-select and cascade.
    Contains,
    NotContains,
    /// Any of the values in a JSON array.
    In,
    Gt,
    Gte,
    Lt,
    Lte,
    IsEmpty,
    IsNotEmpty,
}

/// One condition: a system field of the object or a custom field, an operator and a value.
#[derive(InputObject, Clone, Debug, Serialize, Deserialize)]
pub struct FieldCondition {
    /// A system field of the filtered object (the list's filter docs name them); or use `customFieldId`.
    pub system_field: Option<String>,
    pub custom_field_id: Option<ID>,
    pub op: ConditionOp,
    /// Value in the field's own shape (text, number, option id, RFC 3339 date-time); an array for `IN`.
    pub value: Option<Json<Value>>,
}

const VALUE_REQUIRED: Msg = Msg::new("VALUE_REQUIRED", "筛选条件缺少值", "The condition needs a value");
const OP_UNSUPPORTED: Msg = Msg::new("OP_UNSUPPORTED", "该字段不支持此筛选方式", "This operator does not apply to the field");

fn need_value<'a>(value: Option<&'a Value>, path: &str) -> AppResult<&'a Value> {
    value.filter(|v| !v.is_null()).ok_or_else(|| AppError::bad_input(path, VALUE_REQUIRED))
}

fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A condition on a plain text column of the filtered table.
pub fn text_column_condition(col: impl ColumnTrait, op: ConditionOp, value: Option<&Value>, path: &str) -> AppResult<Condition> {
    Ok(match op {
        ConditionOp::Eq => col.eq(as_text(need_value(value, path)?)).into_condition(),
        ConditionOp::Ne => Condition::any().add(col.ne(as_text(need_value(value, path)?))).add(col.is_null()),
        ConditionOp::Contains => col.contains(as_text(need_value(value, path)?)).into_condition(),
        ConditionOp::NotContains => {
            Condition::any().add(Condition::all().add(col.contains(as_text(need_value(value, path)?))).not()).add(col.is_null())
        }
        ConditionOp::In => {
            let arr = need_value(value, path)?.as_array().ok_or_else(|| AppError::bad_input(path, VALUE_REQUIRED))?;
            col.is_in(arr.iter().map(as_text)).into_condition()
        }
        ConditionOp::IsEmpty => Condition::any().add(col.is_null()).add(col.eq("")),
        ConditionOp::IsNotEmpty => Condition::all().add(col.is_not_null()).add(col.ne("")),
        ConditionOp::Gt | ConditionOp::Gte | ConditionOp::Lt | ConditionOp::Lte => return Err(AppError::bad_input(path, OP_UNSUPPORTED)),
    })
}

fn field_rows(scope: &Scope, kind: FieldEntity, field_id: i64) -> SelectStatement {
    scope
        .subquery::<cfv::Entity>(cfv::Column::EntityId)
        .and_where(cfv::Column::EntityKind.eq(kind.as_str()))
        .and_where(cfv::Column::FieldId.eq(field_id))
        .to_owned()
}

/// A condition on a custom field, as `id IN (matching value rows)`.
pub fn custom_field_condition(
    scope: &Scope,
    kind: FieldEntity,
    id_col: impl ColumnTrait,
    field: &custom_field::Model,
    op: ConditionOp,
    value: Option<&Value>,
    path: &str,
) -> AppResult<Condition> {
    let ty = FieldType::parse(&field.field_type).ok_or_else(|| AppError::internal(anyhow::anyhow!("bad field type")))?;
    let options: Vec<FieldOption> = serde_json::from_str(&field.options).unwrap_or_default();
    let rows = || field_rows(scope, kind, field.id);
    let with = |pred: Condition| id_col.in_subquery(rows().cond_where(pred).to_owned()).into_condition();
    let without = |pred: Condition| id_col.not_in_subquery(rows().cond_where(pred).to_owned()).into_condition();
    let numeric = matches!(ty, FieldType::Integer | FieldType::Decimal | FieldType::Datetime);
    let list_like = matches!(ty, FieldType::MultiSelect | FieldType::Cascade);

    // Canonical projection of the operand, validated as a value of the field.
    let operand = |v: &Value| -> AppResult<super::values::StoredValue> {
        match ty {
            // An option id is compared on its own, not as a whole list.
            FieldType::MultiSelect | FieldType::Cascade => {
                let id = v.as_str().ok_or_else(|| AppError::bad_input(path, VALUE_REQUIRED))?;
                Ok(super::values::StoredValue { json: v.clone(), text: Some(format!(",{id},")), num: None })
            }
            _ => validate_value(ty, &field.name, &options, v, path),
        }
    };
    let eq_pred = |v: &Value| -> AppResult<Condition> {
        let s = operand(v)?;
        Ok(if numeric {
            cfv::Column::ValueNum.eq(s.num).into_condition()
        } else if list_like {
            cfv::Column::ValueText.contains(s.text.unwrap_or_default()).into_condition()
        } else {
            cfv::Column::ValueText.eq(s.text).into_condition()
        })
    };
    Ok(match op {
        ConditionOp::Eq => with(eq_pred(need_value(value, path)?)?),
        ConditionOp::Ne => without(eq_pred(need_value(value, path)?)?),
        ConditionOp::Contains | ConditionOp::NotContains => {
            let v = need_value(value, path)?;
            let pred = if list_like {
                eq_pred(v)?
            } else if numeric {
                return Err(AppError::bad_input(path, OP_UNSUPPORTED));
            } else {
                cfv::Column::ValueText.contains(as_text(v)).into_condition()
            };
            if op == ConditionOp::Contains {
                with(pred)
            } else {
                without(pred)
            }
        }
        ConditionOp::In => {
            let arr = need_value(value, path)?.as_array().ok_or_else(|| AppError::bad_input(path, VALUE_REQUIRED))?;
            let mut any = Condition::any();
            for v in arr {
                any = any.add(eq_pred(v)?);
            }
            with(any)
        }
        ConditionOp::Gt | ConditionOp::Gte | ConditionOp::Lt | ConditionOp::Lte => {
            if !numeric {
                return Err(AppError::bad_input(path, OP_UNSUPPORTED));
            }
            let n = operand(need_value(value, path)?)?.num;
            let c = cfv::Column::ValueNum;
            with(
                match op {
                    ConditionOp::Gt => c.gt(n),
                    ConditionOp::Gte => c.gte(n),
                    ConditionOp::Lt => c.lt(n),
                    _ => c.lte(n),
                }
                .into_condition(),
            )
        }
        ConditionOp::IsEmpty => without(Condition::all()),
        ConditionOp::IsNotEmpty => with(Condition::all()),
    })
}

const UNKNOWN_SYSTEM_FIELD: Msg = Msg::new("UNKNOWN_SYSTEM_FIELD", "不支持的系统字段", "Unknown system field");
const CONDITION_FIELD: Msg = Msg::new("CONDITION_FIELD", "请选择系统字段或自定义字段", "Choose a system field or a custom field");
const UNKNOWN_FIELD: Msg = Msg::new("CONDITION_UNKNOWN_FIELD", "字段不存在", "Unknown field");

/// A list's `conditions`, AND-ed: each names a system column (through
/// `system_column`) or a custom field of `kind`, matched against `id_col`.
pub async fn compile<C: ColumnTrait + Copy>(
    db: &impl sea_orm::ConnectionTrait,
    scope: &crate::tenancy::Scope,
    kind: FieldEntity,
    id_col: C,
    conditions: &[FieldCondition],
    system_column: impl Fn(&str) -> Option<C>,
) -> AppResult<Condition> {
    use sea_orm::QueryFilter;
    let mut cond = Condition::all();
    for (i, c) in conditions.iter().enumerate() {
        let path = format!("filter.conditions.{i}");
        let value = c.value.as_ref().map(|j| &j.0);
        let part = match (&c.system_field, &c.custom_field_id) {
            (Some(name), None) => {
                let col = system_column(name).ok_or_else(|| AppError::bad_input(&path, UNKNOWN_SYSTEM_FIELD))?;
                text_column_condition(col, c.op, value, &path)?
            }
            (None, Some(fid)) => {
                let fid = crate::ids::parse_id(fid, &path)?;
                let field = scope
                    .select::<custom_field::Entity>()
                    .filter(custom_field::Column::Id.eq(fid))
                    .filter(custom_field::Column::EntityKind.eq(kind.as_str()))
                    .one(db)
                    .await?
                    .ok_or_else(|| AppError::bad_input(&path, UNKNOWN_FIELD))?;
                custom_field_condition(scope, kind, id_col, &field, c.op, value, &path)?
            }
            _ => return Err(AppError::bad_input(&path, CONDITION_FIELD)),
        };
        cond = cond.add(part);
    }
    Ok(cond)
}
