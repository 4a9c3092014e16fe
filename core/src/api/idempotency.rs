//! `Idempotency-Key` on POST requests: the first response (of a request that did not fail on
//! our side) is kept 24 hours and replayed for the same key; the same key with another body
//! is refused (422), and while the first request still runs a second one gets 409. A request
//! that crashed midway leaves a claim that lapses after a few minutes.
//!
//! A kept response can carry what is otherwise never stored in the clear (signing links,
//! webhook secrets, tokens), so it is stored encrypted (`crypto`); the sweeper removes what
//! is past its 24 hours.

use crate::error::{AppError, AppResult, ErrorCode};
use crate::infra::config::Secret;
use crate::infra::crypto::{self, Purpose};
use crate::infra::db::{Db, Timestamp};
use time::Duration;

pub const KEEP: Duration = Duration::hours(24);
/// A running claim older than this is taken to be a crashed request.
const STALE_CLAIM: Duration = Duration::minutes(5);
pub const MAX_KEY_CHARS: usize = 255;

/// A stored response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stored {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

#[derive(Debug)]
pub enum Begin {
    /// This request runs; call [`finish`] or [`abandon`] afterwards.
    Fresh,
    Replay(Stored),
}

pub fn check_key(key: &str) -> AppResult<()> {
    if key.is_empty() || key.len() > MAX_KEY_CHARS || !key.bytes().all(|b| (0x21..0x7f).contains(&b)) {
        return Err(AppError::field("Idempotency-Key", "invalid", "Use 1–255 visible ASCII characters for Idempotency-Key"));
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct Row {
    request_hash: String,
    state: String,
    status: Option<i64>,
    content_type: Option<String>,
    body: Option<String>,
    expires_at: Timestamp,
    updated_at: Timestamp,
}

fn in_progress() -> AppError {
    AppError::new(ErrorCode::IdempotencyInProgress, "A request with this Idempotency-Key is still running; retry shortly").with_retry_after(1)
}

/// Claims `key` for a request with `request_hash`, or says what to answer instead.
pub async fn begin(db: &Db, secret: &Secret, scope: &str, key: &str, request_hash: &str) -> AppResult<Begin> {
    check_key(key)?;
    let now = Timestamp::now();
    let mut tx = db.begin().await?;
    let row: Option<Row> = sqlx::query_as(
        "SELECT request_hash, state, status, content_type, body, expires_at, updated_at FROM idempotency_keys \
         WHERE credential = $1 AND idem_key = $2",
    )
    .bind(scope)
    .bind(key)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(Row { request_hash: hash, state, status, content_type, body, expires_at, updated_at }) = row {
        let expired = expires_at <= now;
        let stale = state == "running" && updated_at <= now.plus(-STALE_CLAIM);
        if !expired && !stale {
            if state == "running" {
                return Err(in_progress());
            }
            if hash != request_hash {
                return Err(AppError::new(ErrorCode::IdempotencyKeyReused, "This Idempotency-Key was used with a different request"));
            }
            let body = match body {
                Some(sealed) => String::from_utf8(crypto::decrypt(secret, Purpose::IdempotentResponse, &sealed)?)
                    .map_err(|e| AppError::internal(anyhow::anyhow!("a kept response is not text: {e}")))?,
                None => String::new(),
            };
            return Ok(Begin::Replay(Stored {
                status: status.unwrap_or(200) as u16,
                content_type: content_type.unwrap_or_else(|| "application/json".into()),
                body,
            }));
        }
        sqlx::query("DELETE FROM idempotency_keys WHERE credential = $1 AND idem_key = $2").bind(scope).bind(key).execute(&mut *tx).await?;
    }
    // Two first requests at once: the one whose claim lands runs, the other waits its turn.
    let claimed = sqlx::query(
        "INSERT INTO idempotency_keys (credential, idem_key, request_hash, state, expires_at, created_at, updated_at) \
         VALUES ($1, $2, $3, 'running', $4, $5, $5) ON CONFLICT (credential, idem_key) DO NOTHING",
    )
    .bind(scope)
    .bind(key)
    .bind(request_hash)
    .bind(now.plus(KEEP))
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    if claimed.rows_affected() == 0 {
        return Err(in_progress());
    }
    Ok(Begin::Fresh)
}

/// Keeps the response of a request that ran.
pub async fn finish(db: &Db, secret: &Secret, scope: &str, key: &str, stored: &Stored) -> AppResult<()> {
    let body = crypto::encrypt(secret, Purpose::IdempotentResponse, stored.body.as_bytes())?;
    sqlx::query(
        "UPDATE idempotency_keys SET state = 'done', status = $3, content_type = $4, body = $5, updated_at = $6 \
         WHERE credential = $1 AND idem_key = $2",
    )
    .bind(scope)
    .bind(key)
    .bind(i64::from(stored.status))
    .bind(&stored.content_type)
    .bind(&body)
    .bind(Timestamp::now())
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Forgets a claim (the request failed on our side, so a retry may run it again).
pub async fn abandon(db: &Db, scope: &str, key: &str) -> AppResult<()> {
    sqlx::query("DELETE FROM idempotency_keys WHERE credential = $1 AND idem_key = $2").bind(scope).bind(key).execute(db.pool()).await?;
    Ok(())
}

/// Deletes expired entries; returns how many.
pub async fn sweep(db: &Db) -> AppResult<u64> {
    let res = sqlx::query("DELETE FROM idempotency_keys WHERE expires_at <= $1").bind(Timestamp::now()).execute(db.pool()).await?;
    Ok(res.rows_affected())
}
