//! GraphQL surface of custom fields.

use async_graphql::{Context, InputObject, Json, Object, ID};
use chrono::{DateTime, Utc};
use entity::custom_field;

use super::{
    service,
    types::{FieldEntity, FieldOption, FieldOptionInput, FieldType},
};
use crate::{
    graphql::{
        connection::{id, parse_id},
        context::CtxExt,
        guard::{LoggedIn, Perm},
        DeletePayload,
    },
    org::permissions as perm,
};

pub struct CustomField(pub custom_field::Model);

#[Object]
impl CustomField {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn entity(&self) -> Option<FieldEntity> {
        FieldEntity::parse(&self.0.entity_kind)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn field_type(&self) -> Option<FieldType> {
        FieldType::parse(&self.0.field_type)
    }
    async fn enabled(&self) -> bool {
        self.0.enabled
    }
    async fn required(&self) -> bool {
        self.0.required
    }
    /// Choices (SELECT, MULTI_SELECT) or the option tree (CASCADE); empty otherwise.
    async fn options(&self) -> Vec<FieldOption> {
        serde_json::from_str(&self.0.options).unwrap_or_default()
    }
    async fn sort(&self) -> i32 {
        self.0.sort
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A value held by an object. Shapes: text → string; SELECT → option id;
/// MULTI_SELECT → array of option ids; CASCADE → array of option ids from the
/// root down; DATETIME → RFC 3339 string; INTEGER / DECIMAL → number; PHONE → string.
pub struct CustomFieldValue {
    pub field: custom_field::Model,
    pub value: serde_json::Value,
}

#[Object]
impl CustomFieldValue {
    async fn field(&self) -> CustomField {
        CustomField(self.field.clone())
    }
    async fn value(&self) -> Json<serde_json::Value> {
        Json(self.value.clone())
    }
}

/// Sets (or with `null`, clears) one custom field of an object.
#[derive(InputObject, Clone)]
pub struct CustomFieldValueInput {
    pub field_id: ID,
    pub value: Option<Json<serde_json::Value>>,
}

pub fn parse_values(input: &[CustomFieldValueInput]) -> crate::error::AppResult<Vec<(i64, Option<serde_json::Value>)>> {
    input
        .iter()
        .enumerate()
        .map(|(i, v)| Ok((parse_id(&v.field_id, &format!("customFields.{i}.fieldId"))?, v.value.clone().map(|j| j.0))))
        .collect()
}

#[derive(InputObject)]
pub struct CreateCustomFieldInput {
    pub entity: FieldEntity,
    /// 1–20 characters.
    pub name: String,
    pub field_type: FieldType,
    #[graphql(default = true)]
    pub enabled: bool,
    #[graphql(default)]
    pub required: bool,
    /// Required for SELECT, MULTI_SELECT and CASCADE; at most one default.
    #[graphql(default)]
    pub options: Vec<FieldOptionInput>,
}

#[derive(InputObject)]
pub struct UpdateCustomFieldInput {
    pub id: ID,
    pub name: Option<String>,
    pub enabled: Option<bool>,
    pub required: Option<bool>,
    pub options: Option<Vec<FieldOptionInput>>,
}

#[derive(Default)]
pub struct CustomFieldQuery;

#[Object]
impl CustomFieldQuery {
    /// Fields of one kind of object, in display order. Disabled fields are
    /// hidden unless `includeDisabled` (for the settings page).
    #[graphql(guard = "LoggedIn")]
    async fn custom_fields(
        &self,
        ctx: &Context<'_>,
        entity: FieldEntity,
        #[graphql(default)] include_disabled: bool,
    ) -> async_graphql::Result<Vec<CustomField>> {
        let scope = ctx.scope()?;
        let rows = service::list(ctx.db(), scope, entity, include_disabled).await?;
        Ok(rows.into_iter().map(CustomField).collect())
    }
}

#[derive(Default)]
pub struct CustomFieldMutation;

#[Object]
impl CustomFieldMutation {
    #[graphql(guard = "Perm(perm::CFG_CUSTOM_FIELD_MANAGE)")]
    async fn create_custom_field(&self, ctx: &Context<'_>, input: CreateCustomFieldInput) -> async_graphql::Result<CustomField> {
        let f = service::create(
            ctx.db(),
            ctx.scope()?,
            service::NewField {
                kind: input.entity,
                name: input.name,
                field_type: input.field_type,
                enabled: input.enabled,
                required: input.required,
                options: input.options,
            },
        )
        .await?;
        Ok(CustomField(f))
    }

    /// Name, status, required flag and options; the type never changes.
    #[graphql(guard = "Perm(perm::CFG_CUSTOM_FIELD_MANAGE)")]
    async fn update_custom_field(&self, ctx: &Context<'_>, input: UpdateCustomFieldInput) -> async_graphql::Result<CustomField> {
        let f = service::update(
            ctx.db(),
            ctx.scope()?,
            parse_id(&input.id, "id")?,
            service::FieldChanges { name: input.name, enabled: input.enabled, required: input.required, options: input.options },
        )
        .await?;
        Ok(CustomField(f))
    }

    /// Permanent: every stored value of the field goes too.
    #[graphql(guard = "Perm(perm::CFG_CUSTOM_FIELD_MANAGE)")]
    async fn delete_custom_field(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<DeletePayload> {
        service::delete(ctx.db(), ctx.scope()?, parse_id(&id, "id")?).await?;
        Ok(DeletePayload { id })
    }
}
