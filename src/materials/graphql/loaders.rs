//! Batch loaders for material relations: each relation field of a page
//! costs one statement whatever the page size. Created per request, bound
//! to the caller's scope.

use std::collections::HashMap;

use async_graphql::dataloader::{HashMapCache, Loader};
use sea_orm::{ColumnTrait, DatabaseConnection, QueryFilter, QueryOrder};

use crate::{
    error::AppError,
    graphql::loader::{group, id_keys, ids, LoadResult},
    tenancy::Scope,
};
use entity::{knowledge_attachment, marketing_audience, marketing_tag_rule, stored_file};

/// The request's material loader.
pub fn loader<'a>(ctx: &'a async_graphql::Context<'_>) -> &'a async_graphql::dataloader::DataLoader<MaterialLoader, HashMapCache> {
    ctx.data_unchecked()
}

pub struct MaterialLoader {
    pub db: DatabaseConnection,
    pub scope: std::sync::OnceLock<Scope>,
}

id_keys!(AudienceOf, TagRulesOf, FileOf, AttachmentsOf);

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

impl Loader<FileOf> for MaterialLoader {
    type Value = stored_file::Model;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[FileOf]) -> LoadResult<FileOf, Self::Value> {
        let Some(scope) = self.scope.get() else { return Ok(HashMap::new()) };
        let rows = scope
            .select::<stored_file::Entity>()
            .filter(stored_file::Column::Id.is_in(ids(keys, |k| k.0)))
            .all(&self.db)
            .await
            .map_err(AppError::from)?;
        Ok(rows.into_iter().map(|f| (FileOf(f.id), f)).collect())
    }
}

/// A script's attachments in order, with their files: two statements.
impl Loader<AttachmentsOf> for MaterialLoader {
    type Value = Vec<stored_file::Model>;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[AttachmentsOf]) -> LoadResult<AttachmentsOf, Self::Value> {
        let Some(scope) = self.scope.get() else { return Ok(HashMap::new()) };
        let links = scope
            .select::<knowledge_attachment::Entity>()
            .filter(knowledge_attachment::Column::ItemId.is_in(ids(keys, |k| k.0)))
            .order_by_asc(knowledge_attachment::Column::Position)
            .all(&self.db)
            .await
            .map_err(AppError::from)?;
        if links.is_empty() {
            return Ok(HashMap::new());
        }
        let found: HashMap<i64, stored_file::Model> = scope
            .select::<stored_file::Entity>()
            .filter(stored_file::Column::Id.is_in(links.iter().map(|l| l.file_id)))
            .all(&self.db)
            .await
            .map_err(AppError::from)?
            .into_iter()
            .map(|f| (f.id, f))
            .collect();
        let pairs: Vec<_> = links.iter().filter_map(|l| Some((AttachmentsOf(l.item_id), found.get(&l.file_id)?.clone()))).collect();
        Ok(group(keys, pairs))
    }
}
