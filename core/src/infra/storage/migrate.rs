//! Copying every object from one store to another (`dojang admin migrate-storage`), each
//! checked by reading it back from the destination and comparing SHA-256. Objects already
//! there with the same bytes are skipped, so an interrupted copy is simply run again.

use super::{BlobKey, Storage};
use anyhow::Context as _;
use futures::TryStreamExt as _;
use sha2::{Digest, Sha256};

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Migrated {
    /// Objects written to the destination and verified there.
    pub copied: u64,
    /// Objects the destination already held, byte for byte.
    pub unchanged: u64,
    /// Bytes of all objects examined.
    pub bytes: u64,
}

/// The SHA-256 of what `store` holds under `key`, read as it streams; `None` when absent.
async fn stored_sha256(store: &Storage, key: &BlobKey) -> anyhow::Result<Option<[u8; 32]>> {
    let Some(mut s) = store.stream(key).await? else {
        return Ok(None);
    };
    let mut h = Sha256::new();
    while let Some(chunk) = s.chunks.try_next().await? {
        h.update(&chunk);
    }
    Ok(Some(h.finalize().into()))
}

/// Copies everything in `from` to `to`, calling `each` after every object.
pub async fn copy_all(from: &Storage, to: &Storage, mut each: impl FnMut(&BlobKey, bool)) -> anyhow::Result<Migrated> {
    let mut out = Migrated::default();
    let mut listed = from.list(None);
    while let Some((key, _)) = listed.try_next().await? {
        let bytes = from.get(&key).await?.with_context(|| format!("{} vanished from the source while copying", key.as_str()))?;
        let want: [u8; 32] = Sha256::digest(&bytes).into();
        out.bytes += bytes.len() as u64;
        if stored_sha256(to, &key).await? == Some(want) {
            out.unchanged += 1;
            each(&key, false);
            continue;
        }
        to.put(&key, bytes).await?;
        let got = stored_sha256(to, &key).await?;
        anyhow::ensure!(got == Some(want), "{} reads back differently from {} (SHA-256 mismatch)", key.as_str(), to.describe());
        out.copied += 1;
        each(&key, true);
    }
    Ok(out)
}
