//! API keys: `dj_live_…` / `dj_test_…`, 160 random bits plus a CRC-32 checksum (so typos and
//! secret scanners can tell a key from noise without a database), and a secret of 256 bits.
//! Both are shown once and stored only as SHA-256 hashes: with that much entropy a slow hash
//! adds nothing, and every API request checks a key.

use crate::actor::Actor;
use crate::api::key_cache::{KeyCache, Lookup};
use crate::api::permissions::Scopes;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::ids::{ApiKeyId, OrganizationId};
use crate::infra::db::{Db, Timestamp};
use crate::model::{ApiKeySummary, Mode, NewApiKey};
use rand::distributions::{Alphanumeric, DistString};
use sha2::{Digest, Sha256};

const BODY_CHARS: usize = 27; // 27 base62 characters ≈ 160 bits
const CHECK_CHARS: usize = 6;
const SECRET_CHARS: usize = 43; // ≈ 256 bits
const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn base62_fixed(mut n: u64, len: usize) -> String {
    let mut out = vec![b'0'; len];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8(out).unwrap_or_default()
}

fn checksum(prefix_and_body: &str) -> String {
    base62_fixed(u64::from(crc32fast::hash(prefix_and_body.as_bytes())), CHECK_CHARS)
}

fn mode_prefix(mode: Mode) -> &'static str {
    match mode {
        Mode::Live => "dj_live_",
        Mode::Test => "dj_test_",
    }
}

/// A new key string for `mode`.
pub fn generate_key(mode: Mode) -> String {
    let body = Alphanumeric.sample_string(&mut rand::thread_rng(), BODY_CHARS);
    let head = format!("{}{body}", mode_prefix(mode));
    let check = checksum(&head);
    format!("{head}{check}")
}

/// The mode a well-formed key belongs to; `None` for anything that is not a key (wrong
/// shape or checksum), without touching the database.
pub fn parse_key(key: &str) -> Option<Mode> {
    let mode = if key.starts_with("dj_live_") {
        Mode::Live
    } else if key.starts_with("dj_test_") {
        Mode::Test
    } else {
        return None;
    };
    if key.len() != 8 + BODY_CHARS + CHECK_CHARS || !key[8..].bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let (head, check) = key.split_at(8 + BODY_CHARS);
    (checksum(head) == check).then_some(mode)
}

pub fn hash(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

fn generate_secret() -> String {
    format!("djs_{}", Alphanumeric.sample_string(&mut rand::thread_rng(), SECRET_CHARS))
}

/// Creates a key for `org` in `mode`. The returned key and secret are never retrievable again.
pub async fn create(db: &Db, org: &OrganizationId, mode: Mode, name: &str) -> AppResult<NewApiKey> {
    create_scoped(db, org, mode, name, Scopes::all()).await
}

/// A key that may do only what `scopes` allow.
pub async fn create_scoped(db: &Db, org: &OrganizationId, mode: Mode, name: &str, scopes: Scopes) -> AppResult<NewApiKey> {
    let name = name.trim();
    if name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(AppError::field("name", "invalid", "Use at most 100 characters, without control characters"));
    }
    let name = if name.is_empty() { format!("{} key", mode.as_str()) } else { name.to_owned() };
    let id = ApiKeyId::new();
    let key = generate_key(mode);
    let secret = generate_secret();
    let prefix = format!("{}…", &key[..12]);
    let now = Timestamp::now();
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO api_keys (id, organization_id, mode, name, prefix, key_hash, secret_hash, scopes, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $9, $8, $8)",
    )
    .bind(&id)
    .bind(org)
    .bind(mode.as_str())
    .bind(&name)
    .bind(&prefix)
    .bind(hash(&key))
    .bind(hash(&secret))
    .bind(now)
    .bind(scopes.to_db())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    tracing::info!(api_key_id = %id, mode = mode.as_str(), "API key created");
    Ok(NewApiKey { id, key, secret, mode, prefix })
}

#[derive(sqlx::FromRow)]
struct KeyRow {
    id: ApiKeyId,
    name: String,
    prefix: String,
    mode: Mode,
    created_at: Timestamp,
    last_used_at: Option<Timestamp>,
    revoked_at: Option<Timestamp>,
    scopes: Option<String>,
}

/// The organization's keys, newest first, revoked ones included (marked).
pub async fn list(db: &Db, org: &OrganizationId) -> AppResult<Vec<ApiKeySummary>> {
    let rows: Vec<KeyRow> = sqlx::query_as(
        "SELECT id, name, prefix, mode, created_at, last_used_at, revoked_at, scopes FROM api_keys \
         WHERE organization_id = $1 ORDER BY created_at DESC, id DESC",
    )
    .bind(org)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ApiKeySummary {
            id: r.id,
            name: r.name,
            prefix: r.prefix,
            mode: r.mode,
            created_at: r.created_at.to_db(),
            last_used_at: r.last_used_at.map(|t| t.to_db()),
            revoked_at: r.revoked_at.map(|t| t.to_db()),
            scopes: Scopes::from_db(r.scopes.as_deref()).names().into_iter().map(str::to_owned).collect(),
        })
        .collect())
}

/// Revokes a key at once: every request with it, and every token derived from it, fails from
/// now on this instance (`cache` forgets it), and on others sharing the database once their
/// cached entry lapses (`DOJANG_API_KEY_CACHE_SECONDS`).
pub async fn revoke(db: &Db, cache: &KeyCache, org: &OrganizationId, id: &ApiKeyId) -> AppResult<()> {
    let now = Timestamp::now();
    // Forgets the key however this ends (committed, failed, or dropped mid-way by a client that
    // went away): a forgotten key that is still active only costs one read.
    let _forget = Forget { cache, id };
    let mut tx = db.begin().await?;
    let res = sqlx::query("UPDATE api_keys SET revoked_at = $3, updated_at = $3 WHERE id = $1 AND organization_id = $2 AND revoked_at IS NULL")
        .bind(id)
        .bind(org)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    if res.rows_affected() != 1 {
        let exists: Option<String> =
            sqlx::query_scalar("SELECT id FROM api_keys WHERE id = $1 AND organization_id = $2").bind(id).bind(org).fetch_optional(&mut *tx).await?;
        if exists.is_none() {
            return Err(AppError::not_found("API key"));
        }
    }
    tx.commit().await?;
    tracing::info!(api_key_id = %id, "API key revoked");
    Ok(())
}

/// Drops a key from the cache when it goes out of scope (after the revocation's commit).
struct Forget<'a> {
    cache: &'a KeyCache,
    id: &'a ApiKeyId,
}

impl Drop for Forget<'_> {
    fn drop(&mut self) {
        self.cache.forget(self.id);
    }
}

/// A key found by its hash, with what it acts as.
#[derive(Clone, Debug)]
pub struct ActiveKey {
    pub id: ApiKeyId,
    pub organization_id: OrganizationId,
    pub mode: Mode,
    pub scopes: Scopes,
}

impl ActiveKey {
    pub fn actor(&self) -> Actor {
        Actor { organization_id: self.organization_id.clone(), user_id: None, mode: self.mode, client_id: None }
    }
}

fn invalid_key() -> AppError {
    AppError::new(ErrorCode::Unauthenticated, "The API key is missing, invalid or revoked")
}

#[derive(sqlx::FromRow)]
struct ActiveRow {
    id: ApiKeyId,
    organization_id: OrganizationId,
    mode: Mode,
    last_used_at: Option<Timestamp>,
    scopes: Option<String>,
}

/// The active key `lookup` names: from `cache` while its entry lives, else from its row, noting
/// its use when its row is read and its last use is over a minute old (a write only then:
/// reading a key costs no write lock), so `last_used_at` is as fresh as the cache's lifetime.
async fn active(db: &Db, cache: &KeyCache, lookup: Lookup) -> AppResult<ActiveKey> {
    let miss = match cache.get(&lookup) {
        Ok(key) => return Ok(key),
        Err(miss) => miss,
    };
    let (column, value) = match &lookup {
        Lookup::Hash(h) => ("key_hash", h.as_str()),
        Lookup::Id(id) => ("id", id.as_str()),
    };
    let sql = format!("SELECT id, organization_id, mode, last_used_at, scopes FROM api_keys WHERE {column} = $1 AND revoked_at IS NULL");
    let row: ActiveRow = sqlx::query_as(&sql).bind(value).fetch_optional(db.pool()).await?.ok_or_else(invalid_key)?;
    let now = Timestamp::now();
    let stale = now.plus(time::Duration::seconds(-60));
    if row.last_used_at.is_none_or(|t| t < stale) {
        touch(db, &row.id, now, stale).await?;
    }
    let key = ActiveKey { scopes: Scopes::from_db(row.scopes.as_deref()), id: row.id, organization_id: row.organization_id, mode: row.mode };
    cache.keep(miss, lookup, &key);
    Ok(key)
}

/// The active key `key` names.
pub async fn authenticate(db: &Db, cache: &KeyCache, key: &str) -> AppResult<ActiveKey> {
    if parse_key(key).is_none() {
        return Err(invalid_key());
    }
    active(db, cache, Lookup::Hash(hash(key))).await
}

/// The active key with this id (tokens name their key; a revoked key voids its tokens).
pub async fn active_by_id(db: &Db, cache: &KeyCache, id: &ApiKeyId) -> AppResult<ActiveKey> {
    active(db, cache, Lookup::Id(id.clone())).await
}

/// Ok when `secret` is the secret of the active key `id` (compared in constant time over the hashes).
pub async fn check_secret(db: &Db, id: &ApiKeyId, secret: &str) -> AppResult<()> {
    let stored: Option<String> =
        sqlx::query_scalar("SELECT secret_hash FROM api_keys WHERE id = $1 AND revoked_at IS NULL").bind(id).fetch_optional(db.pool()).await?;
    let given = hash(secret);
    let same = stored.is_some_and(|s| crate::infra::crypto::constant_time_eq(s.as_bytes(), given.as_bytes()));
    if same {
        Ok(())
    } else {
        Err(AppError::new(ErrorCode::InvalidCredentials, "The secret does not belong to this API key"))
    }
}

async fn touch(db: &Db, id: &ApiKeyId, now: Timestamp, stale: Timestamp) -> AppResult<()> {
    sqlx::query("UPDATE api_keys SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $3)")
        .bind(id)
        .bind(now)
        .bind(stale)
        .execute(db.pool())
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_carry_their_mode_and_a_checksum() {
        let live = generate_key(Mode::Live);
        assert!(live.starts_with("dj_live_"));
        assert_eq!(parse_key(&live), Some(Mode::Live));
        assert_eq!(parse_key(&generate_key(Mode::Test)), Some(Mode::Test));
        let mut typo = live.clone().into_bytes();
        typo[12] = if typo[12] == b'a' { b'b' } else { b'a' };
        assert_eq!(parse_key(&String::from_utf8(typo).unwrap()), None, "a changed character fails the checksum");
        assert_eq!(parse_key("dj_live_short"), None);
        assert_eq!(parse_key(&live.replace("dj_live_", "dj_prod_")), None);
    }

    #[test]
    fn keys_are_unique_and_long_enough() {
        let a = generate_key(Mode::Live);
        let b = generate_key(Mode::Live);
        assert_ne!(a, b);
        // 27 characters from 62 ≥ 160 bits.
        assert!((BODY_CHARS as f64) * 62f64.log2() >= 160.0);
        assert!((SECRET_CHARS as f64) * 62f64.log2() >= 256.0);
    }
}
