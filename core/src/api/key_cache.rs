//! Active API keys this process found recently, so a burst of requests with one key reads its
//! row once per lifetime instead of once per request. Entries are found by the key's SHA-256
//! hash or its id (the key itself is never kept), live `DOJANG_API_KEY_CACHE_SECONDS`, and a
//! revocation through this process drops them at once. Only keys that were found are kept, so
//! random keys cannot fill it; it holds at most `MAX_ENTRIES`.
//!
//! A key revoked by another process sharing the database is refused by this one only once its
//! entry lapses: hence the default (README "Decisions"): on with SQLite (one machine), off with
//! PostgreSQL (instances that share it revoke for each other).

use super::keys::ActiveKey;
use crate::ids::ApiKeyId;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Beyond this many keys the cache starts again empty (more keys than this in active use
/// within one lifetime is not a burst the cache is for).
const MAX_ENTRIES: usize = 10_000;

/// How an entry was looked up.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub enum Lookup {
    /// The SHA-256 hash of the key, as stored.
    Hash(String),
    /// The key's id (tokens name their key).
    Id(ApiKeyId),
}

pub struct KeyCache {
    lifetime: Duration,
    inner: Mutex<Inner>,
}

/// Shows the lifetime and the number of entries, not what they hold.
impl std::fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyCache").field("lifetime", &self.lifetime).field("entries", &self.lock().entries.len()).finish()
    }
}

#[derive(Default)]
struct Inner {
    entries: HashMap<Lookup, (ActiveKey, Instant)>,
    /// Counts revocations, so a read that began before one does not put back what it dropped.
    revocations: u64,
}

/// Where a lookup that missed stands: given back to `keep` with what the database said.
#[derive(Clone, Copy, Debug)]
pub struct Miss {
    revocations: u64,
}

impl KeyCache {
    /// A cache whose entries live `lifetime` (zero: nothing is kept).
    pub fn new(lifetime: Duration) -> Self {
        Self { lifetime, inner: Mutex::new(Inner::default()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // Every critical section leaves the map whole, so a panic elsewhere poisons nothing real.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The key kept under `lookup` while it lives, or where a database read begins.
    pub fn get(&self, lookup: &Lookup) -> Result<ActiveKey, Miss> {
        let inner = self.lock();
        match inner.entries.get(lookup) {
            Some((key, until)) if Instant::now() < *until => Ok(key.clone()),
            _ => Err(Miss { revocations: inner.revocations }),
        }
    }

    /// Keeps what the database said after `miss`, unless a key was revoked since that read
    /// began (it might be this one, read just before its revocation committed).
    pub fn keep(&self, miss: Miss, lookup: Lookup, key: &ActiveKey) {
        if self.lifetime.is_zero() {
            return;
        }
        let mut inner = self.lock();
        if inner.revocations != miss.revocations {
            return;
        }
        if inner.entries.len() >= MAX_ENTRIES {
            inner.entries.clear();
        }
        inner.entries.insert(lookup, (key.clone(), Instant::now() + self.lifetime));
    }

    /// Drops the key `id` under every lookup (after its revocation committed).
    pub fn forget(&self, id: &ApiKeyId) {
        let mut inner = self.lock();
        inner.revocations += 1;
        inner.entries.retain(|_, (key, _)| key.id != *id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::permissions::Scopes;
    use crate::ids::OrganizationId;
    use crate::model::Mode;

    fn key(id: &str) -> ActiveKey {
        ActiveKey {
            id: ApiKeyId::parse(id).unwrap(),
            organization_id: OrganizationId::parse(&"b".repeat(32)).unwrap(),
            mode: Mode::Live,
            scopes: Scopes::from_db(None),
        }
    }

    #[test]
    fn a_kept_key_is_found_by_hash_and_id_until_revoked() {
        let cache = KeyCache::new(Duration::from_secs(60));
        let k = key(&"a".repeat(32));
        let by_hash = Lookup::Hash("h1".into());
        let by_id = Lookup::Id(k.id.clone());
        let miss = cache.get(&by_hash).unwrap_err();
        cache.keep(miss, by_hash.clone(), &k);
        let miss = cache.get(&by_id).unwrap_err();
        cache.keep(miss, by_id.clone(), &k);
        assert_eq!(cache.get(&by_hash).unwrap().id, k.id);
        assert_eq!(cache.get(&by_id).unwrap().id, k.id);
        let other = key(&"c".repeat(32));
        let miss = cache.get(&Lookup::Hash("h2".into())).unwrap_err();
        cache.keep(miss, Lookup::Hash("h2".into()), &other);

        cache.forget(&k.id);
        assert!(cache.get(&by_hash).is_err());
        assert!(cache.get(&by_id).is_err());
        assert!(cache.get(&Lookup::Hash("h2".into())).is_ok(), "other keys stay");
    }

    #[test]
    fn a_read_that_began_before_a_revocation_is_not_kept() {
        let cache = KeyCache::new(Duration::from_secs(60));
        let k = key(&"a".repeat(32));
        let lookup = Lookup::Hash("h".into());
        // The read found the key active, then the revocation committed before it was kept.
        let miss = cache.get(&lookup).unwrap_err();
        cache.forget(&k.id);
        cache.keep(miss, lookup.clone(), &k);
        assert!(cache.get(&lookup).is_err());
    }

    #[test]
    fn entries_lapse_and_a_zero_lifetime_keeps_nothing() {
        let cache = KeyCache::new(Duration::from_millis(30));
        let k = key(&"a".repeat(32));
        let lookup = Lookup::Hash("h".into());
        cache.keep(cache.get(&lookup).unwrap_err(), lookup.clone(), &k);
        assert!(cache.get(&lookup).is_ok());
        std::thread::sleep(Duration::from_millis(60));
        assert!(cache.get(&lookup).is_err());

        let off = KeyCache::new(Duration::ZERO);
        off.keep(off.get(&lookup).unwrap_err(), lookup.clone(), &k);
        assert!(off.get(&lookup).is_err());
    }

    #[test]
    fn it_stays_bounded() {
        let cache = KeyCache::new(Duration::from_secs(60));
        let k = key(&"a".repeat(32));
        for i in 0..MAX_ENTRIES + 5 {
            let lookup = Lookup::Hash(format!("h{i}"));
            cache.keep(cache.get(&lookup).unwrap_err(), lookup, &k);
        }
        assert!(cache.lock().entries.len() <= MAX_ENTRIES);
    }
}
