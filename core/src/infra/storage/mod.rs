//! Where file bytes live (original PDFs, previews, signature images, sealed files and audit
//! trails), behind the `object_store` crate: a folder on the local disk (the default,
//! `<data dir>/blobs`) or any S3-compatible bucket, chosen by `DOJANG_STORAGE_URL`. Keys are
//! relative paths such as `documents/<id>.pdf`; every instance of a deployment shares one store.

mod config;
pub mod migrate;
pub use config::StorageConfig;

use anyhow::Context as _;
use bytes::Bytes;
use futures::stream::{BoxStream, StreamExt as _, TryStreamExt as _};
use object_store::path::Path;
use object_store::{ObjectStore, PutPayload};
use std::sync::Arc;

/// A storage key: lowercase ASCII letters, digits, `-`, `_`, `.` and `/`; no `..`, no leading `/`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BlobKey(String);

impl BlobKey {
    pub fn new(key: impl Into<String>) -> anyhow::Result<Self> {
        let key = key.into();
        let ok = !key.is_empty()
            && key.len() <= 512
            && !key.starts_with('/')
            && !key.split('/').any(|part| part.is_empty() || part == "." || part == "..")
            && key.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_./".contains(&b));
        anyhow::ensure!(ok, "invalid storage key {key:?}");
        Ok(Self(key))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn path(&self) -> Path {
        Path::from(self.0.as_str())
    }
}

/// A stored object read as it streams, with its size (for `Content-Length`).
pub struct BlobStream {
    pub size: u64,
    pub chunks: BoxStream<'static, anyhow::Result<Bytes>>,
}

impl std::fmt::Debug for BlobStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobStream").field("size", &self.size).finish_non_exhaustive()
    }
}

/// The store every part of Dojang uses. Writes are atomic: a reader sees the whole old value
/// or the whole new one, never a half-written object. Cheap to clone.
#[derive(Clone)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
    description: String,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.description)
    }
}

fn not_found(e: &object_store::Error) -> bool {
    matches!(e, object_store::Error::NotFound { .. })
}

impl Storage {
    /// Opens the configured store (creating the local folder if it is missing). Nothing is
    /// contacted yet: a wrong endpoint or credentials show at the first read or write.
    pub fn open(config: &StorageConfig) -> anyhow::Result<Self> {
        Ok(Self { store: config.build()?, description: config.describe() })
    }

    /// Where the bytes are, for logs (never with credentials).
    pub fn describe(&self) -> &str {
        &self.description
    }

    /// Stores `bytes` under `key`, replacing what was there.
    pub async fn put(&self, key: &BlobKey, bytes: impl Into<Bytes>) -> anyhow::Result<()> {
        self.store.put(&key.path(), PutPayload::from_bytes(bytes.into())).await.with_context(|| format!("storing {}", key.as_str()))?;
        Ok(())
    }

    /// The whole object, or `None` when there is none under `key`.
    pub async fn get(&self, key: &BlobKey) -> anyhow::Result<Option<Bytes>> {
        match self.store.get(&key.path()).await {
            Ok(r) => Ok(Some(r.bytes().await.with_context(|| format!("reading {}", key.as_str()))?)),
            Err(e) if not_found(&e) => Ok(None),
            Err(e) => Err(e).with_context(|| format!("reading {}", key.as_str())),
        }
    }

    /// The object as it streams (for downloads: never held whole in memory), or `None`.
    pub async fn stream(&self, key: &BlobKey) -> anyhow::Result<Option<BlobStream>> {
        match self.store.get(&key.path()).await {
            Ok(r) => {
                let size = r.meta.size;
                let what = key.as_str().to_owned();
                let chunks = r.into_stream().map_err(move |e| anyhow::Error::new(e).context(format!("reading {what}"))).boxed();
                Ok(Some(BlobStream { size, chunks }))
            }
            Err(e) if not_found(&e) => Ok(None),
            Err(e) => Err(e).with_context(|| format!("reading {}", key.as_str())),
        }
    }

    pub async fn exists(&self, key: &BlobKey) -> anyhow::Result<bool> {
        match self.store.head(&key.path()).await {
            Ok(_) => Ok(true),
            Err(e) if not_found(&e) => Ok(false),
            Err(e) => Err(e).with_context(|| format!("looking up {}", key.as_str())),
        }
    }

    /// Deletes the object; deleting what is not there is not an error.
    pub async fn delete(&self, key: &BlobKey) -> anyhow::Result<()> {
        match self.store.delete(&key.path()).await {
            Ok(()) => Ok(()),
            Err(e) if not_found(&e) => Ok(()),
            Err(e) => Err(e).with_context(|| format!("deleting {}", key.as_str())),
        }
    }

    /// Every key under `prefix` (a folder such as `documents`, or everything with `None`) and
    /// its size, as the store lists them.
    pub fn list(&self, prefix: Option<&str>) -> BoxStream<'static, anyhow::Result<(BlobKey, u64)>> {
        let prefix = prefix.map(Path::from);
        self.store
            .list(prefix.as_ref())
            .map(|meta| {
                let meta = meta.context("listing the store")?;
                Ok((BlobKey::new(meta.location.to_string())?, meta.size))
            })
            .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_plain_relative_paths() {
        assert!(BlobKey::new("documents/ab12.pdf").is_ok());
        for bad in ["", "/etc/passwd", "a/../b", "a//b", "A.pdf", "a\\b", "./a", "a/"] {
            assert!(BlobKey::new(bad).is_err(), "{bad:?}");
        }
    }

    #[tokio::test]
    async fn a_local_store_round_trips_streams_lists_and_deletes() {
        let dir = std::env::temp_dir().join(format!("dojang-store-{}", uuid::Uuid::new_v4().simple()));
        let url = format!("file://{}", dir.display());
        let store = Storage::open(&StorageConfig::parse(&url, |_| None).unwrap()).unwrap();
        let key = BlobKey::new("previews/x/0-page.jpg").unwrap();
        assert!(!store.exists(&key).await.unwrap());
        assert_eq!(store.get(&key).await.unwrap(), None);
        store.put(&key, b"hello".to_vec()).await.unwrap();
        assert!(store.exists(&key).await.unwrap());
        assert_eq!(store.get(&key).await.unwrap().as_deref(), Some(&b"hello"[..]));
        store.put(&key, Bytes::from_static(b"second")).await.unwrap();
        let s = store.stream(&key).await.unwrap().unwrap();
        assert_eq!(s.size, 6);
        let streamed: Vec<Bytes> = s.chunks.try_collect().await.unwrap();
        assert_eq!(streamed.concat(), b"second");
        assert!(dir.join("previews/x/0-page.jpg").is_file(), "a key is a path under the folder");
        let listed: Vec<(BlobKey, u64)> = store.list(None).try_collect().await.unwrap();
        assert_eq!(listed, vec![(key.clone(), 6)]);
        store.delete(&key).await.unwrap();
        assert!(!store.exists(&key).await.unwrap());
        store.delete(&key).await.unwrap();
        let _ = std::fs::remove_dir_all(dir);
    }
}
