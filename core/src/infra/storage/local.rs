//! Files under a folder on the local disk (the default, in `<data dir>/blobs`).

use super::{BlobKey, BlobStore};
use anyhow::Context as _;
use async_trait::async_trait;
use std::path::PathBuf;
use tokio::io::AsyncWriteExt as _;

#[derive(Debug)]
pub struct LocalDisk {
    root: PathBuf,
}

impl LocalDisk {
    pub fn new(root: PathBuf) -> Self {
        Self { root }
    }

    fn path(&self, key: &BlobKey) -> PathBuf {
        self.root.join(key.as_str())
    }
}

#[async_trait]
impl BlobStore for LocalDisk {
    async fn put(&self, key: &BlobKey, bytes: &[u8]) -> anyhow::Result<()> {
        let path = self.path(key);
        let dir = path.parent().context("a key has a folder")?;
        tokio::fs::create_dir_all(dir).await.with_context(|| format!("creating {}", dir.display()))?;
        // Write beside the target and rename over it: readers never see a partial file.
        let tmp = dir.join(format!(".{}.tmp-{}", uuid::Uuid::new_v4().simple(), std::process::id()));
        let mut f = tokio::fs::File::create(&tmp).await.with_context(|| format!("creating {}", tmp.display()))?;
        let written = async {
            f.write_all(bytes).await?;
            f.sync_all().await?;
            Ok::<_, std::io::Error>(())
        }
        .await;
        drop(f);
        if let Err(e) = written {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(e).with_context(|| format!("writing {}", tmp.display()));
        }
        tokio::fs::rename(&tmp, &path).await.with_context(|| format!("renaming into {}", path.display()))?;
        Ok(())
    }

    async fn get(&self, key: &BlobKey) -> anyhow::Result<Option<Vec<u8>>> {
        match tokio::fs::read(self.path(key)).await {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("reading {}", key.as_str())),
        }
    }

    async fn exists(&self, key: &BlobKey) -> anyhow::Result<bool> {
        Ok(tokio::fs::try_exists(self.path(key)).await?)
    }

    async fn delete(&self, key: &BlobKey) -> anyhow::Result<()> {
        match tokio::fs::remove_file(self.path(key)).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e).with_context(|| format!("deleting {}", key.as_str())),
        }
    }
}
