//! Batch loaders for material relations: each relation field of a page
//! costs one statement whatever the page size. Created per request, bound
//! to the caller's scope.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use sea_orm::{ColumnTrait, DatabaseConnection, QueryFilter, QueryOrder};

use crate::{
    error::AppError,
    graphql::loader::{group, id_keys, ids, LoadResult},
    tenancy::Scope,
};
use entity::{marketing_audience, marketing_tag_rule};

pub struct MaterialLoader {
    pub db: DatabaseConnection,
    pub scope: std::sync::OnceLock<Scope>,
}

id_keys!(AudienceOf, TagRulesOf);

impl Loader<AudienceOf> for MaterialLoader {
    type Value = Vec<marketing_audience::Model>;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[AudienceOf]) -> LoadResult<AudienceOf, Self::Value> {
        let Some(scope) = self.scope.get() else { return Ok(HashMap::new()) };
        let rows = scope
            .select::<marketing_audience::Entity>()
            .filter(marketing_audience::Column::MaterialId.is_in(ids(keys, |k| k.0)))
            .order_by_asc(marketing_audience::Column::Id)
            .all(&self.db)
            .await
            .map_err(AppError::from)?;
        Ok(group(keys, rows.into_iter().map(|a| (AudienceOf(a.material_id), a))))
    }
}

impl Loader<TagRulesOf> for MaterialLoader {
    type Value = Vec<marketing_tag_rule::Model>;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[TagRulesOf]) -> LoadResult<TagRulesOf, Self::Value> {
        let Some(scope) = self.scope.get() else { return Ok(HashMap::new()) };
        let rows = scope
            .select::<marketing_tag_rule::Entity>()
            .filter(marketing_tag_rule::Column::MaterialId.is_in(ids(keys, |k| k.0)))
            .order_by_asc(marketing_tag_rule::Column::Id)
            .all(&self.db)
            .await
            .map_err(AppError::from)?;
        Ok(group(keys, rows.into_iter().map(|r| (TagRulesOf(r.material_id), r))))
    }
}
