//! The condition engine's GraphQL face: the catalogue consoles build rule
//! editors from, and the tree input every list and rule takes.

use async_graphql::{Context, Enum, InputObject, Json, Object, OneofObject, SimpleObject};
use serde_json::Value;

use crate::{
    conditions::{catalogue, Join, Op, RawCondition, RawNode, RawTree, Subject},
    custom_fields::{self, FieldOption},
    error::Lang,
    graphql::{context::CtxExt, guard::LoggedIn},
};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ConditionSubject {
    Customer,
    /// Lead fields, for auto-assignment rules.
    Lead,
    /// Customer group fields, for GROUP smart tag rules.
    Group,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ConditionFieldType {
    Text,
    Choice,
    Number,
    /// RFC 3339 date-times; `WITHIN_DAYS` / `NOT_WITHIN_DAYS` take a number of days.
    Time,
    /// `YYYY-MM-DD` days; `BETWEEN` / `NOT_BETWEEN` take `[from, to]`.
    Date,
    /// Ids: of tags, employees or departments; a custom multi-choice or
    /// cascade field's option ids (see `options`).
    Ids,
}

/// A field conditions may name.
#[derive(SimpleObject)]
pub struct ConditionField {
    /// What `ConditionInput.field` takes.
    pub name: String,
    pub label: String,
    #[graphql(name = "type")]
    pub ty: ConditionFieldType,
    pub operators: Vec<Op>,
    /// A system CHOICE field's values (a custom one's are its `options`' ids).
    pub choices: Option<Vec<String>>,
    /// A custom field's options (SELECT, MULTI_SELECT, CASCADE): conditions take their ids.
    pub options: Option<Vec<FieldOption>>,
}

/// One condition: `value` is a string, number, RFC 3339 time, or a list
/// (`IN`, `NOT_IN`, the tag operators; `[from, to]` for `BETWEEN`), as the
/// field's type and the operator ask; none for `IS_EMPTY` / `IS_NOT_EMPTY`.
#[derive(InputObject)]
pub struct ConditionInput {
    pub field: String,
    pub op: Op,
    pub value: Option<Json<Value>>,
}

#[derive(InputObject)]
pub struct ConditionGroupInput {
    #[graphql(default_with = "Join::All")]
    pub join: Join,
    pub conditions: Vec<ConditionInput>,
}

/// A condition, or a group of conditions (two levels at most).
#[derive(OneofObject)]
pub enum ConditionNodeInput {
    Condition(ConditionInput),
    Group(ConditionGroupInput),
}

/// A tree of conditions: the top level's parts combined by `join`.
#[derive(InputObject)]
pub struct ConditionTreeInput {
    #[graphql(default_with = "Join::All")]
    pub join: Join,
    pub items: Vec<ConditionNodeInput>,
}

fn raw_condition(c: ConditionInput) -> RawCondition {
    RawCondition { field: c.field, op: c.op, value: c.value.map(|j| j.0).unwrap_or(Value::Null) }
}

impl ConditionTreeInput {
    pub fn into_raw(self) -> RawTree {
        let items = self
            .items
            .into_iter()
            .map(|n| match n {
                ConditionNodeInput::Condition(c) => RawNode::Condition(raw_condition(c)),
                ConditionNodeInput::Group(g) => {
                    RawNode::Group { join: g.join, conditions: g.conditions.into_iter().map(raw_condition).collect() }
                }
            })
            .collect();
        RawTree { join: self.join, items }
    }
}

#[derive(Default)]
pub struct ConditionQuery;

#[Object]
impl ConditionQuery {
    /// The fields a subject's conditions may name, with their operators: the
    /// system's, then the corp's enabled custom fields (`custom:<id>`).
    #[graphql(guard = "LoggedIn")]
    async fn condition_catalogue(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "ConditionSubject::Customer")] subject: ConditionSubject,
    ) -> async_graphql::Result<Vec<ConditionField>> {
        let subject = match subject {
            ConditionSubject::Customer => Subject::Customer,
            ConditionSubject::Lead => Subject::Lead,
            ConditionSubject::Group => Subject::Group,
        };
        let english = ctx.lang() == Lang::En;
        let ty = |t: catalogue::FieldType| match t {
            catalogue::FieldType::Text => ConditionFieldType::Text,
            catalogue::FieldType::Choice => ConditionFieldType::Choice,
            catalogue::FieldType::Number => ConditionFieldType::Number,
            catalogue::FieldType::Time => ConditionFieldType::Time,
            catalogue::FieldType::Date => ConditionFieldType::Date,
            catalogue::FieldType::Ids => ConditionFieldType::Ids,
        };
        let mut out: Vec<ConditionField> = catalogue::fields(subject)
            .iter()
            .map(|f| ConditionField {
                name: f.name.to_string(),
                label: if english { f.label_en } else { f.label_zh }.to_string(),
                ty: ty(f.ty),
                operators: f.ops.to_vec(),
                choices: f.choices.map(|c| c.iter().map(|s| s.to_string()).collect()),
                options: None,
            })
            .collect();
        let custom = match subject.field_entity() {
            Some(entity) => custom_fields::service::list(ctx.db(), ctx.scope()?, entity, false).await?,
            None => Vec::new(),
        };
        for m in custom {
            let Some(f) = catalogue::custom(m.id, &m.field_type) else { continue };
            let options: Vec<FieldOption> = serde_json::from_str(&m.options).unwrap_or_default();
            out.push(ConditionField {
                name: format!("{}{}", catalogue::CUSTOM_PREFIX, m.id),
                label: m.name,
                ty: ty(f.ty),
                operators: f.ops.to_vec(),
                choices: None,
                options: (!options.is_empty()).then_some(options),
            });
        }
        Ok(out)
    }
}
