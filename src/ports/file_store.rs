//! Where uploaded files' bytes live, through the `object_store` crate: a local
//! directory by default, any store `object_store` can open (an S3-compatible
//! bucket, say) when `WECRM_OBJECT_STORE_URL` names one. Callers see keys and
//! streams, never which store it is.

use std::{path::Path, sync::Arc};

use axum::body::Bytes;
use futures_util::{stream::BoxStream, StreamExt, TryStreamExt};
use object_store::{buffered::BufWriter, local::LocalFileSystem, path::Path as ObjectPath, GetOptions, GetRange, ObjectStore, PutPayload};
use tokio::io::AsyncWriteExt;

/// Where file bytes live.
#[async_trait::async_trait]
pub trait FileStore: Send + Sync {
    /// Stores small bytes at once.
    async fn put(&self, key: &str, bytes: &[u8]) -> anyhow::Result<()>;
    /// Streams a file into the store in parts (never the whole file in memory).
    async fn put_file(&self, key: &str, file: tokio::fs::File) -> anyhow::Result<()>;
    /// Removes an object (no error when it is already gone).
    async fn delete(&self, key: &str) -> anyhow::Result<()>;
    /// The bytes, as a stream of chunks.
    async fn stream(&self, key: &str) -> anyhow::Result<BoxStream<'static, std::io::Result<Bytes>>>;
    /// Bytes `start..end` (end exclusive), as a stream of chunks: what a
    /// video player's Range requests ask for.
    async fn stream_range(&self, key: &str, start: u64, end: u64) -> anyhow::Result<BoxStream<'static, std::io::Result<Bytes>>>;
    /// The bytes, whole (for callers that must forward them in one piece).
    async fn get(&self, key: &str) -> anyhow::Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut chunks = self.stream(key).await?;
        while let Some(chunk) = chunks.next().await {
            out.extend_from_slice(&chunk?);
        }
        Ok(out)
    }
}

const PART_BYTES: usize = 5 * 1024 * 1024;

/// Any `object_store` store.
pub struct ObjectFiles {
    store: Arc<dyn ObjectStore>,
}

impl ObjectFiles {
    /// A directory on the local disk (created when missing).
    pub fn local_dir(root: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(root)?;
        Ok(ObjectFiles { store: Arc::new(LocalFileSystem::new_with_prefix(root)?) })
    }

    /// The store a URL names: `s3://bucket/prefix` (credentials, region and
    /// endpoint from the usual `AWS_*` variables, so MinIO and other
    /// S3-compatible stores work), `file:///dir` or `memory:///`.
    pub fn from_url(url: &str) -> anyhow::Result<Self> {
        let parsed = reqwest::Url::parse(url)?;
        let store: Arc<dyn ObjectStore> = if parsed.scheme() == "s3" {
            let prefix = parsed.path().trim_matches('/').to_string();
            let s3 = object_store::aws::AmazonS3Builder::from_env().with_url(url).build()?;
            if prefix.is_empty() {
                Arc::new(s3)
            } else {
                Arc::new(object_store::prefix::PrefixStore::new(s3, prefix))
            }
        } else {
            let (store, prefix) = object_store::parse_url(&parsed)?;
            Arc::new(object_store::prefix::PrefixStore::new(store, prefix))
        };
        Ok(ObjectFiles { store })
    }
}

#[async_trait::async_trait]
impl FileStore for ObjectFiles {
    async fn put(&self, key: &str, bytes: &[u8]) -> anyhow::Result<()> {
        self.store.put(&ObjectPath::from(key), PutPayload::from(bytes.to_vec())).await?;
        Ok(())
    }

    async fn put_file(&self, key: &str, mut file: tokio::fs::File) -> anyhow::Result<()> {
        // Files up to one part go in one request, larger ones as a multipart
        // upload of 5 MB parts (S3's smallest), two in flight: at most
        // ~10 MB of a file is in memory at once.
        let mut writer = BufWriter::with_capacity(self.store.clone(), ObjectPath::from(key), PART_BYTES).with_max_concurrency(2);
        let copied = match tokio::io::copy(&mut file, &mut writer).await {
            Ok(_) => writer.shutdown().await,
            Err(e) => Err(e),
        };
        if let Err(e) = copied {
            let _ = writer.abort().await;
            return Err(e.into());
        }
        Ok(())
    }

    async fn delete(&self, key: &str) -> anyhow::Result<()> {
        match self.store.delete(&ObjectPath::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    async fn stream(&self, key: &str) -> anyhow::Result<BoxStream<'static, std::io::Result<Bytes>>> {
        let found = self.store.get(&ObjectPath::from(key)).await?;
        Ok(found.into_stream().map_err(std::io::Error::other).boxed())
    }

    async fn stream_range(&self, key: &str, start: u64, end: u64) -> anyhow::Result<BoxStream<'static, std::io::Result<Bytes>>> {
        let options = GetOptions { range: Some(GetRange::Bounded(start..end)), ..Default::default() };
        let found = self.store.get_opts(&ObjectPath::from(key), options).await?;
        Ok(found.into_stream().map_err(std::io::Error::other).boxed())
    }
}

pub type Files = Arc<dyn FileStore>;
