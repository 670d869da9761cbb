//! Document bytes in an object store (`object_store`): a local directory by default, S3-compatible storage by
//! URL (`s3://bucket/prefix`, credentials from the usual `AWS_*` environment variables). Objects are named by
//! their SHA-256, so storing the same bytes twice stores them once.

use std::sync::Arc;

use async_trait::async_trait;
use object_store::path::Path;
use object_store::{ObjectStore, PutPayload};
use sscard_app::ports::{BlobError, BlobStore};

#[derive(Debug, Clone)]
pub struct ObjectBlobStore {
    store: Arc<dyn ObjectStore>,
}

fn unavailable(e: impl std::fmt::Display) -> BlobError {
    BlobError::Unavailable(e.to_string())
}

impl ObjectBlobStore {
    /// A directory on this machine (created if missing).
    pub fn local(dir: &std::path::Path) -> Result<ObjectBlobStore, BlobError> {
        std::fs::create_dir_all(dir).map_err(unavailable)?;
        let fs = object_store::local::LocalFileSystem::new_with_prefix(dir).map_err(unavailable)?;
        Ok(ObjectBlobStore { store: Arc::new(fs) })
    }

    /// In memory (tests).
    pub fn memory() -> ObjectBlobStore {
        ObjectBlobStore {
            store: Arc::new(object_store::memory::InMemory::new()),
        }
    }

    /// A store named by URL: `file:///path` or `s3://bucket/prefix` (options from the environment).
    pub fn from_url(url: &str) -> Result<ObjectBlobStore, BlobError> {
        let parsed = url::Url::parse(url).map_err(unavailable)?;
        if parsed.scheme() == "file" {
            return ObjectBlobStore::local(std::path::Path::new(parsed.path()));
        }
        let options: Vec<(String, String)> = std::env::vars()
            .filter(|(k, _)| k.starts_with("AWS_"))
            .map(|(k, v)| (k.to_ascii_lowercase(), v))
            .collect();
        let (store, prefix) = object_store::parse_url_opts(&parsed, options).map_err(unavailable)?;
        let store: Arc<dyn ObjectStore> = Arc::from(store);
        let store: Arc<dyn ObjectStore> = if prefix.as_ref().is_empty() {
            store
        } else {
            Arc::new(object_store::prefix::PrefixStore::new(store, prefix))
        };
        Ok(ObjectBlobStore { store })
    }

    fn path(hash: &str) -> Path {
        // Two levels of fan-out keep any one directory small.
        let (a, b) = (hash.get(..2).unwrap_or("xx"), hash.get(2..4).unwrap_or("xx"));
        Path::from(format!("{a}/{b}/{hash}"))
    }
}

#[async_trait]
impl BlobStore for ObjectBlobStore {
    async fn put(&self, hash: &str, bytes: Vec<u8>) -> Result<(), BlobError> {
        self.store
            .put(&Self::path(hash), PutPayload::from(bytes))
            .await
            .map(|_| ())
            .map_err(unavailable)
    }

    async fn get(&self, hash: &str) -> Result<Option<Vec<u8>>, BlobError> {
        match self.store.get(&Self::path(hash)).await {
            Ok(r) => Ok(Some(r.bytes().await.map_err(unavailable)?.to_vec())),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }
}
