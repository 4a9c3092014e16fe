//! Where file bytes live (original PDFs, previews, sealed files), behind one interface so a
//! deployment can move from the local disk to S3-compatible storage without touching callers.
//! Keys are relative paths such as `documents/<sha256>.pdf`.

mod local;
pub use local::LocalDisk;

use async_trait::async_trait;
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
}

/// A place to keep bytes. Writes are atomic: a reader sees the whole old value or the whole
/// new one, never a half-written file.
#[async_trait]
pub trait BlobStore: Send + Sync + std::fmt::Debug {
    async fn put(&self, key: &BlobKey, bytes: &[u8]) -> anyhow::Result<()>;
    async fn get(&self, key: &BlobKey) -> anyhow::Result<Option<Vec<u8>>>;
    async fn exists(&self, key: &BlobKey) -> anyhow::Result<bool>;
    async fn delete(&self, key: &BlobKey) -> anyhow::Result<()>;
}

/// The storage every part of Dojang uses.
pub type Storage = Arc<dyn BlobStore>;

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
    async fn local_disk_round_trips_and_deletes() {
        let dir = tempfile_dir();
        let store = LocalDisk::new(dir.clone());
        let key = BlobKey::new("previews/x/0-page.jpg").unwrap();
        assert!(!store.exists(&key).await.unwrap());
        assert_eq!(store.get(&key).await.unwrap(), None);
        store.put(&key, b"hello").await.unwrap();
        assert!(store.exists(&key).await.unwrap());
        assert_eq!(store.get(&key).await.unwrap().as_deref(), Some(&b"hello"[..]));
        store.put(&key, b"second").await.unwrap();
        assert_eq!(store.get(&key).await.unwrap().as_deref(), Some(&b"second"[..]));
        store.delete(&key).await.unwrap();
        assert!(!store.exists(&key).await.unwrap());
        store.delete(&key).await.unwrap();
        let leftovers: Vec<_> = walk(&dir);
        assert!(leftovers.iter().all(|p| !p.contains(".tmp")), "no temp files left: {leftovers:?}");
        let _ = std::fs::remove_dir_all(dir);
    }

    fn tempfile_dir() -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("dojang-store-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn walk(dir: &std::path::Path) -> Vec<String> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p.display().to_string());
            }
        }
        out
    }
}
