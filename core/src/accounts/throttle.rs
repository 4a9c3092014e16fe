//! Login throttling: attempts are counted per account-and-address and per address within a
//! window; past the limit, logins are refused (before the password is even checked) until
//! the window ends. Each attempt is counted atomically *before* the password is checked, so
//! guesses sent at once cannot all pass a check that none of them has recorded yet; a
//! successful login then takes its attempt back. Counts live in the database so they survive
//! restarts and are shared by every server process.

use crate::error::{AppError, ErrorCode};
use crate::infra::db::{Db, Timestamp};
use time::Duration;

const WINDOW: Duration = Duration::minutes(15);
/// Failures allowed for one account from one address.
pub const ACCOUNT_LIMIT: i64 = 5;
/// Failures allowed from one address across accounts.
pub const ADDRESS_LIMIT: i64 = 30;

/// Failures allowed for one account from all addresses together (guesses spread over many
/// addresses; past it the account waits out the window whoever tries).
pub const ACCOUNT_ANYWHERE_LIMIT: i64 = 50;

pub struct LoginKeys {
    account: String,
    address: String,
    anywhere: String,
}

impl LoginKeys {
    /// The keys of an attempt on `email` from `ip` (an IPv6 address counts by its /64).
    pub fn new(email: &str, ip: &str) -> Self {
        let ip = ip.parse().map(crate::infra::client_ip::subscriber).unwrap_or_else(|_| ip.to_owned());
        Self { account: format!("acct:{email}|{ip}"), address: format!("ip:{ip}"), anywhere: format!("acct:{email}") }
    }

    fn with_limits(&self) -> [(&str, i64); 3] {
        [(&self.account, ACCOUNT_LIMIT), (&self.address, ADDRESS_LIMIT), (&self.anywhere, ACCOUNT_ANYWHERE_LIMIT)]
    }
}

/// Counts one attempt on every key; refuses with `LOGIN_THROTTLED` and a `Retry-After` when
/// the attempt goes past a key's limit. Call before checking the password.
pub async fn attempt(db: &Db, keys: &LoginKeys) -> Result<(), AppError> {
    let now = Timestamp::now();
    let since = now.plus(-WINDOW);
    for (key, limit) in keys.with_limits() {
        let (count, start): (i64, Timestamp) = sqlx::query_as(
            "INSERT INTO login_throttle (key, failures, window_start, created_at, updated_at) \
             VALUES ($1, 1, $2, $2, $2) \
             ON CONFLICT (key) DO UPDATE SET \
               failures = CASE WHEN login_throttle.window_start < $3 THEN 1 ELSE login_throttle.failures + 1 END, \
               window_start = CASE WHEN login_throttle.window_start < $3 THEN $2 ELSE login_throttle.window_start END, \
               updated_at = $2 \
             RETURNING failures, window_start",
        )
        .bind(key)
        .bind(now)
        .bind(since)
        .fetch_one(db.pool())
        .await?;
        if count > limit {
            let retry = (start.plus(WINDOW).unix_seconds() - now.unix_seconds()).max(1) as u64;
            return Err(AppError::new(ErrorCode::LoginThrottled, "Too many failed sign-in attempts. Wait a few minutes and try again.").with_retry_after(retry));
        }
    }
    Ok(())
}

/// A successful login: the account's failures from this address are forgotten and the
/// attempt is taken back from the other counts (it was not a failure).
pub async fn succeeded(db: &Db, keys: &LoginKeys) -> Result<(), AppError> {
    sqlx::query("DELETE FROM login_throttle WHERE key = $1").bind(&keys.account).execute(db.pool()).await?;
    for key in [&keys.address, &keys.anywhere] {
        sqlx::query("UPDATE login_throttle SET failures = failures - 1, updated_at = $2 WHERE key = $1 AND failures > 0")
            .bind(key)
            .bind(Timestamp::now())
            .execute(db.pool())
            .await?;
    }
    Ok(())
}
