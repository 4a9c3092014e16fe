//! Login throttling: failures are counted per account-and-address and per address within a
//! window; past the limit, logins are refused (before the password is even checked) until
//! the window ends. Counts live in the database so they survive restarts and are shared by
//! every server process.

use crate::db::{Db, Timestamp};
use crate::error::{AppError, ErrorCode};
use time::Duration;

const WINDOW: Duration = Duration::minutes(15);
/// Failures allowed for one account from one address.
pub const ACCOUNT_LIMIT: i64 = 5;
/// Failures allowed from one address across accounts.
pub const ADDRESS_LIMIT: i64 = 30;

pub struct LoginKeys {
    account: String,
    address: String,
}

impl LoginKeys {
    pub fn new(email: &str, ip: &str) -> Self {
        Self { account: format!("acct:{email}|{ip}"), address: format!("ip:{ip}") }
    }

    fn with_limits(&self) -> [(&str, i64); 2] {
        [(&self.account, ACCOUNT_LIMIT), (&self.address, ADDRESS_LIMIT)]
    }
}

/// Refuses with `LOGIN_THROTTLED` and a `Retry-After` when any key is over its limit.
pub async fn check(db: &Db, keys: &LoginKeys) -> Result<(), AppError> {
    let now = Timestamp::now();
    let since = now.plus(-WINDOW);
    for (key, limit) in keys.with_limits() {
        let row: Option<(i64, Timestamp)> =
            sqlx::query_as("SELECT failures, window_start FROM login_throttle WHERE key = $1")
                .bind(key)
                .fetch_optional(db.pool())
                .await?;
        if let Some((failures, start)) = row {
            if start > since && failures >= limit {
                let retry = (start.plus(WINDOW).unix_seconds() - now.unix_seconds()).max(1) as u64;
                return Err(AppError::new(
                    ErrorCode::LoginThrottled,
                    "Too many failed sign-in attempts. Wait a few minutes and try again.",
                )
                .with_retry_after(retry));
            }
        }
    }
    Ok(())
}

pub async fn record_failure(db: &Db, keys: &LoginKeys) -> Result<(), AppError> {
    let now = Timestamp::now();
    let since = now.plus(-WINDOW);
    for (key, _) in keys.with_limits() {
        sqlx::query(
            "INSERT INTO login_throttle (key, failures, window_start, created_at, updated_at) \
             VALUES ($1, 1, $2, $2, $2) \
             ON CONFLICT (key) DO UPDATE SET \
               failures = CASE WHEN login_throttle.window_start < $3 THEN 1 ELSE login_throttle.failures + 1 END, \
               window_start = CASE WHEN login_throttle.window_start < $3 THEN $2 ELSE login_throttle.window_start END, \
               updated_at = $2",
        )
        .bind(key)
        .bind(now)
        .bind(since)
        .execute(db.pool())
        .await?;
    }
    Ok(())
}

/// A successful login forgets the account's failures (not the address's).
pub async fn clear_account(db: &Db, keys: &LoginKeys) -> Result<(), AppError> {
    sqlx::query("DELETE FROM login_throttle WHERE key = $1").bind(&keys.account).execute(db.pool()).await?;
    Ok(())
}
