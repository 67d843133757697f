//! What every area's DataLoaders share. A loader is made per request and
//! bound to the caller's scope (a shared cache would leak across users and
//! tenants); each relation field of a page costs one statement whatever the
//! page size.

use std::{collections::HashMap, hash::Hash};

pub type LoadResult<K, V> = Result<HashMap<K, V>, async_graphql::Error>;

/// Key types: one per relation, each wrapping a row id.
macro_rules! id_keys {
    ($($name:ident),* $(,)?) => {$(
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub struct $name(pub i64);
    )*};
}
pub(crate) use id_keys;

/// Groups values by key, with an entry (maybe empty) for every requested
/// key, so a cached "nothing" is not fetched again.
pub fn group<K: Hash + Eq + Copy, V>(keys: &[K], pairs: impl IntoIterator<Item = (K, V)>) -> HashMap<K, Vec<V>> {
    let mut out: HashMap<K, Vec<V>> = keys.iter().map(|k| (*k, Vec::new())).collect();
    for (k, v) in pairs {
        out.entry(k).or_default().push(v);
    }
    out
}

/// The ids inside the requested keys.
pub fn ids<K: Copy>(keys: &[K], f: impl Fn(K) -> i64) -> Vec<i64> {
    keys.iter().map(|k| f(*k)).collect()
}

/// A row of a tenant table by its id: the one-statement relation to small
/// tables other rows point at (pool groups, stages, reasons, industries).
pub struct RowById<E>(pub i64, std::marker::PhantomData<fn() -> E>);

impl<E> RowById<E> {
    pub fn new(id: i64) -> Self {
        RowById(id, std::marker::PhantomData)
    }
}

impl<E> Clone for RowById<E> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<E> Copy for RowById<E> {}
impl<E> PartialEq for RowById<E> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}
impl<E> Eq for RowById<E> {}
impl<E> Hash for RowById<E> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state)
    }
}

/// Loads [`RowById`] keys of any tenant table, bound to the caller's scope.
pub struct RowLoader {
    pub db: sea_orm::DatabaseConnection,
    pub scope: std::sync::OnceLock<crate::tenancy::Scope>,
}

/// The request's [`RowLoader`].
pub fn rows<'a>(
    ctx: &'a async_graphql::Context<'_>,
) -> &'a async_graphql::dataloader::DataLoader<RowLoader, async_graphql::dataloader::HashMapCache> {
    ctx.data_unchecked()
}

impl<E> async_graphql::dataloader::Loader<RowById<E>> for RowLoader
where
    E: crate::tenancy::TenantEntity + 'static,
    E::PrimaryKey: sea_orm::PrimaryKeyTrait<ValueType = i64>,
    E::Model: Clone + Send + Sync + 'static,
{
    type Value = E::Model;
    type Error = async_graphql::Error;
    async fn load(&self, keys: &[RowById<E>]) -> LoadResult<RowById<E>, E::Model> {
        use sea_orm::{ColumnTrait, Iterable, ModelTrait, PrimaryKeyToColumn, QueryFilter};
        let Some(scope) = self.scope.get() else { return Ok(HashMap::new()) };
        let pk = E::PrimaryKey::iter()
            .next()
            .map(|k| k.into_column())
            .ok_or_else(|| crate::error::AppError::internal(anyhow::anyhow!("no primary key")))?;
        let found =
            scope.select::<E>().filter(pk.is_in(keys.iter().map(|k| k.0))).all(&self.db).await.map_err(crate::error::AppError::from)?;
        Ok(found
            .into_iter()
            .filter_map(|m| match m.get(pk) {
                sea_orm::Value::BigInt(Some(id)) => Some((RowById::new(id), m)),
                _ => None,
            })
            .collect())
    }
}
