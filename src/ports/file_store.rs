//! Where uploaded files' bytes live: a local directory by default; an object
//! store can stand in behind the same trait.

use std::{path::PathBuf, sync::Arc};

/// Where file bytes live.
#[async_trait::async_trait]
pub trait FileStore: Send + Sync {
    async fn put(&self, key: &str, bytes: &[u8]) -> anyhow::Result<()>;
    async fn get(&self, key: &str) -> anyhow::Result<Vec<u8>>;
}

/// A directory on the local disk (`<data_dir>/files` by default).
pub struct LocalDirStore {
    root: PathBuf,
}

impl LocalDirStore {
    pub fn new(root: PathBuf) -> Self {
        LocalDirStore { root }
    }
    fn path(&self, key: &str) -> PathBuf {
        // Keys are generated here (corp/uuid), never taken from clients.
        self.root.join(key)
    }
}

#[async_trait::async_trait]
impl FileStore for LocalDirStore {
    async fn put(&self, key: &str, bytes: &[u8]) -> anyhow::Result<()> {
        let path = self.path(key);
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        tokio::fs::write(path, bytes).await?;
        Ok(())
    }
    async fn get(&self, key: &str) -> anyhow::Result<Vec<u8>> {
        Ok(tokio::fs::read(self.path(key)).await?)
    }
}

pub type Files = Arc<dyn FileStore>;
