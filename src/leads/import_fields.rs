//! Custom fields in the lead import: a column headed with the name of an
//! enabled lead field imports that field. Cells hold what people type:
//! option labels (several joined by `,`, `，` or `、`), cascade paths as
//! `parent/child`, times in China time (`2026-12-07 09:30` or a day), plain
//! numbers. Each value is then checked as any value of its field is; a
//! field the row leaves empty takes its default option, and a required one
//! without a default fails the row.

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use serde_json::Value;

use crate::{
    custom_fields::{self, FieldEntity, FieldOption, FieldType, StoredValue},
    error::AppResult,
    tenancy::Scope,
};
use entity::custom_field;

/// An enabled lead field, ready to read cells.
pub struct ImportField {
    pub model: custom_field::Model,
    pub ty: FieldType,
    pub options: Vec<FieldOption>,
}

/// The corp's enabled lead fields, in their order.
pub async fn load(db: &impl sea_orm::ConnectionTrait, scope: &Scope) -> AppResult<Vec<ImportField>> {
    Ok(custom_fields::service::list(db, scope, FieldEntity::Lead, false)
        .await?
        .into_iter()
        .filter_map(|model| {
            let ty = FieldType::parse(&model.field_type)?;
            let options = serde_json::from_str(&model.options).unwrap_or_default();
            Some(ImportField { model, ty, options })
        })
        .collect())
}

/// The field a header cell names (its `*` mark ignored), by position in
/// `fields`; a name two fields share names neither (the file cannot say which).
pub fn column(fields: &[ImportField], header: &str) -> Option<usize> {
    let mut named = fields.iter().enumerate().filter(|(_, f)| f.model.name == header);
    match (named.next(), named.next()) {
        (Some((at, _)), None) => Some(at),
        _ => None,
    }
}

fn by_label<'a>(options: &'a [FieldOption], label: &str) -> Option<&'a FieldOption> {
    options.iter().find(|o| o.label == label.trim())
}

/// A time typed in China time, or with its own offset.
fn china_time(s: &str) -> Option<String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.to_rfc3339());
    }
    let at = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .or_else(|| ["%Y-%m-%d", "%Y/%m/%d"].iter().find_map(|f| NaiveDate::parse_from_str(s, f).ok()?.and_hms_opt(0, 0, 0)))?;
    Some(at.and_local_timezone(crate::clock::china()).single()?.to_rfc3339())
}

/// The JSON value a cell stands for, before the field's own checks.
fn typed(f: &ImportField, s: &str) -> Result<Value, String> {
    let name = &f.model.name;
    let unknown = |label: &str| format!("{name}：选项“{label}”不存在");
    Ok(match f.ty {
        FieldType::SingleLineText | FieldType::MultiLineText | FieldType::Phone => Value::String(s.to_string()),
        FieldType::Select => Value::String(by_label(&f.options, s).ok_or_else(|| unknown(s))?.id.clone()),
        FieldType::MultiSelect => Value::Array(
            s.split([',', '，', '、'])
                .filter(|l| !l.trim().is_empty())
                .map(|l| by_label(&f.options, l).map(|o| Value::String(o.id.clone())).ok_or_else(|| unknown(l.trim())))
                .collect::<Result<_, _>>()?,
        ),
        FieldType::Cascade => {
            let mut level = f.options.as_slice();
            let mut path = Vec::new();
            for label in s.split('/') {
                let o = by_label(level, label).ok_or_else(|| unknown(label.trim()))?;
                path.push(Value::String(o.id.clone()));
                level = &o.children;
            }
            Value::Array(path)
        }
        FieldType::Datetime => Value::String(china_time(s).ok_or_else(|| format!("{name}：日期时间格式不正确"))?),
        FieldType::Integer => s.parse::<i64>().map(Value::from).map_err(|_| format!("{name}：请输入整数"))?,
        FieldType::Decimal => {
            s.parse::<f64>().ok().filter(|n| n.is_finite()).map(Value::from).ok_or_else(|| format!("{name}：请输入数字"))?
        }
    })
}

/// The values a row imports: `cells` are (field position, cell) of the
/// file's custom columns. Errors are the row's reason, in Chinese as the
/// result file's other reasons.
pub fn row_values(fields: &[ImportField], cells: &[(usize, &str)]) -> Result<Vec<(i64, StoredValue)>, String> {
    let mut out: Vec<(i64, StoredValue)> = Vec::new();
    for (at, f) in fields.iter().enumerate() {
        let typed_in = cells.iter().find(|(i, c)| *i == at && !c.trim().is_empty()).map(|(_, c)| c.trim());
        // A cell of separators only holds no option: it is empty.
        let value = typed_in.map(|s| typed(f, s)).transpose()?.filter(|v| v.as_array().is_none_or(|a| !a.is_empty()));
        let value = match value {
            Some(v) => v,
            None => match (f.ty, f.options.iter().find(|o| o.is_default)) {
                (FieldType::Select, Some(d)) => Value::String(d.id.clone()),
                (FieldType::MultiSelect, Some(d)) => Value::Array(vec![Value::String(d.id.clone())]),
                _ if f.model.required => return Err(format!("{}为必填项", f.model.name)),
                _ => continue,
            },
        };
        let stored =
            custom_fields::validate_value(f.ty, &f.model.name, &f.options, &value, "customFields").map_err(|e| e.msg.zh.into_owned())?;
        out.push((f.model.id, stored));
    }
    Ok(out)
}
