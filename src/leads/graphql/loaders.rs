//! Batch loaders for lead relations: a page's tags in one statement.

use std::collections::HashMap;

use async_graphql::dataloader::{HashMapCache, Loader};
use sea_orm::{ColumnTrait, DatabaseConnection, QueryFilter, QueryOrder};

use crate::{
    error::AppError,
    graphql::loader::{group, id_keys, ids, LoadResult},
    tenancy::Scope,
};
use entity::{corp_tag, lead_tag};

pub fn loader<'a>(ctx: &'a async_graphql::Context<'_>) -> &'a async_graphql::dataloader::DataLoader<LeadLoader, HashMapCache> {
    ctx.data_unchecked()
}

pub struct LeadLoader {
    pub db: DatabaseConnection,
    pub scope: std::sync::OnceLock<Scope>,
}

id_keys!(TagsOfLead, LeadFieldValues);

impl Loader<LeadFieldValues> for LeadLoader {
    type Value = Vec<(entity::custom_field::Model, serde_json::Value)>;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[LeadFieldValues]) -> LoadResult<LeadFieldValues, Self::Value> {
        let Some(scope) = self.scope.get() else { return Ok(HashMap::new()) };
        let mut values =
            crate::custom_fields::service::values_for(&self.db, scope, crate::custom_fields::FieldEntity::Lead, &ids(keys, |k| k.0))
                .await?;
        Ok(keys.iter().map(|k| (*k, values.remove(&k.0).unwrap_or_default())).collect())
    }
}

impl Loader<TagsOfLead> for LeadLoader {
    type Value = Vec<corp_tag::Model>;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[TagsOfLead]) -> LoadResult<TagsOfLead, Self::Value> {
        let Some(scope) = self.scope.get() else { return Ok(HashMap::new()) };
        let links = scope
            .select::<lead_tag::Entity>()
            .filter(lead_tag::Column::LeadId.is_in(ids(keys, |k| k.0)))
            .order_by_asc(lead_tag::Column::Id)
            .all(&self.db)
            .await
            .map_err(AppError::from)?;
        let tags: HashMap<i64, corp_tag::Model> = scope
            .select::<corp_tag::Entity>()
            .filter(corp_tag::Column::Id.is_in(links.iter().map(|l| l.tag_id)))
            .all(&self.db)
            .await
            .map_err(AppError::from)?
            .into_iter()
            .map(|t| (t.id, t))
            .collect();
        Ok(group(keys, links.into_iter().filter_map(|l| Some((TagsOfLead(l.lead_id), tags.get(&l.tag_id)?.clone())))))
    }
}
