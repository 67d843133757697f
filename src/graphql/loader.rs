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
