//! Rate limits per key (an API key, a client address on a surface): two rules together, a
//! token bucket that refills at the sustained rate (default 100 per minute) and holds at most
//! the burst (default 200), kept as its theoretical arrival time (GCRA), and a window that
//! admits at most the burst within the burst window (default 10 s) from its first request.
//! So 200 quick requests pass, the 201st is refused, and the answer says how long to wait.
//!
//! The state lives in this process (`Store::Memory`: one process serves the instance) or in
//! the database (`Store::Database`: every instance counts against the same limit, one atomic
//! upsert per request). Both run the same rule: `step` here, and its SQL twin in `UPSERT`.

use crate::infra::db::Db;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Policy {
    pub per_minute: u32,
    pub burst: u32,
    pub burst_window: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Self { per_minute: 100, burst: 200, burst_window: Duration::from_secs(10) }
    }
}

impl Policy {
    /// The `RateLimit-Policy` header value (IETF httpapi draft syntax).
    pub fn header(&self) -> String {
        format!("\"burst\";q={};w={}, \"sustained\";q={};w=60", self.burst, self.burst_window.as_secs().max(1), self.per_minute)
    }
}

/// One key's state, in milliseconds since the Unix epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct State {
    /// When the bucket would be full again (it is full whenever this is not after now).
    tat: i64,
    /// The current window: when it opened and how many requests it admitted.
    window_start: i64,
    in_window: i64,
}

/// The rule in milliseconds: emission interval, tolerance, window and its cap.
#[derive(Clone, Copy, Debug)]
struct Rule {
    interval: i64,
    tolerance: i64,
    window: i64,
    cap: i64,
}

impl Rule {
    fn of(p: Policy) -> Self {
        let interval = (60_000 / i64::from(p.per_minute.max(1))).max(1);
        let cap = i64::from(p.burst.max(1));
        Self { interval, tolerance: interval * (cap - 1), window: p.burst_window.as_millis() as i64, cap }
    }

    /// A request at `now` against `old` (none: a fresh key): whether it passes, and the state
    /// after it (when `count`) — the rule the database applies in `UPSERT` too.
    fn step(&self, old: Option<State>, now: i64, count: bool) -> (bool, State) {
        let old = old.unwrap_or(State { tat: now, window_start: now, in_window: 0 });
        let tat = old.tat.max(now);
        let open = self.window > 0 && old.window_start + self.window > now;
        let in_window = if open { old.in_window } else { 0 };
        let allowed = tat - now <= self.tolerance && (self.window == 0 || in_window < self.cap);
        let next = State {
            tat: if allowed && count { tat + self.interval } else { old.tat },
            window_start: if open { old.window_start } else { now },
            in_window: if allowed && count && self.window > 0 { in_window + 1 } else { in_window },
        };
        (allowed, next)
    }

    fn decision(&self, allowed: bool, s: State, now: i64) -> Decision {
        let backlog = (s.tat - now).max(0);
        let by_tokens = ((self.tolerance + self.interval - backlog) / self.interval).max(0);
        let by_window = if self.window > 0 { self.cap - s.in_window } else { self.cap };
        let wait_tokens = backlog - self.tolerance;
        let wait_window = if self.window > 0 && s.in_window >= self.cap { s.window_start + self.window - now } else { 0 };
        let secs = |ms: i64| ((ms.max(0) + 999) / 1000) as u64;
        Decision {
            allowed,
            remaining: by_tokens.min(by_window).clamp(0, u32::MAX as i64) as u32,
            reset: secs(backlog),
            retry_after: if allowed { 0 } else { secs(wait_tokens.max(wait_window)).max(1) },
        }
    }
}

/// The outcome for one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    /// Requests left right now.
    pub remaining: u32,
    /// Seconds until the limit has fully recovered.
    pub reset: u64,
    /// Seconds to wait before the next request can pass (0 when allowed).
    pub retry_after: u64,
}

impl Decision {
    /// The `RateLimit` header value.
    pub fn header(&self) -> String {
        format!("\"burst\";r={};t={}", self.remaining, self.reset)
    }
}

/// Keys kept in memory at most; past it the least recently seen are forgotten (a forgotten
/// key starts afresh, which only ever lets a request through that the limit would have let
/// through after a refill).
const MAX_KEYS: usize = 200_000;

/// Where the counts live.
#[derive(Debug)]
pub enum Store {
    Memory(Mutex<Memory>),
    /// Table `rate_limits`, keys hashed; `scope` tells limiters sharing it apart.
    Database {
        db: Db,
        scope: &'static str,
    },
}

#[derive(Debug, Default)]
pub struct Memory {
    map: HashMap<String, State>,
    swept: i64,
}

impl Store {
    pub fn memory() -> Self {
        Self::Memory(Mutex::new(Memory::default()))
    }
}

/// The rule as one upsert (`$1` key, `$2` now, `$3` interval, `$4` tolerance, `$5` window,
/// `$6` cap): every SET reads the old row, as `Rule::step` does.
const UPSERT: &str =
    "INSERT INTO rate_limits (key, tat_ms, window_start_ms, in_window, allowed) VALUES ($1, $2 + $3, $2, CASE WHEN $5 > 0 THEN 1 ELSE 0 END, 1) \
     ON CONFLICT (key) DO UPDATE SET \
       tat_ms = CASE WHEN {ok} THEN {tat} + $3 ELSE rate_limits.tat_ms END, \
       window_start_ms = CASE WHEN {open} THEN rate_limits.window_start_ms ELSE $2 END, \
       in_window = CASE WHEN {ok} AND $5 > 0 THEN {count} + 1 ELSE {count} END, \
       allowed = CASE WHEN {ok} THEN 1 ELSE 0 END \
     RETURNING tat_ms, window_start_ms, in_window, allowed";

fn upsert_sql() -> String {
    let tat = "(CASE WHEN rate_limits.tat_ms > $2 THEN rate_limits.tat_ms ELSE $2 END)";
    let open = "($5 > 0 AND rate_limits.window_start_ms + $5 > $2)";
    let count = format!("(CASE WHEN {open} THEN rate_limits.in_window ELSE 0 END)");
    let ok = format!("({tat} - $2 <= $4 AND ($5 = 0 OR {count} < $6))");
    UPSERT.replace("{ok}", &ok).replace("{tat}", tat).replace("{open}", open).replace("{count}", &count)
}

#[derive(sqlx::FromRow)]
struct Row {
    tat_ms: i64,
    window_start_ms: i64,
    in_window: i64,
    allowed: i64,
}

#[derive(Debug)]
pub struct RateLimiter {
    policy: Policy,
    store: Store,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

impl RateLimiter {
    pub fn new(policy: Policy, store: Store) -> Self {
        Self { policy, store }
    }

    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// Counts one request of `key` now.
    pub async fn check(&self, key: &str) -> Decision {
        self.decide(key, now_ms(), true).await
    }

    /// Whether a request of `key` would pass now, without counting it.
    pub async fn peek(&self, key: &str) -> Decision {
        self.decide(key, now_ms(), false).await
    }

    /// Counts one request of `key` at `now` (milliseconds since the epoch).
    pub async fn check_at(&self, key: &str, now: i64) -> Decision {
        self.decide(key, now, true).await
    }

    async fn decide(&self, key: &str, now: i64, count: bool) -> Decision {
        let rule = Rule::of(self.policy);
        match &self.store {
            Store::Memory(m) => {
                let mut m = m.lock().unwrap_or_else(|e| e.into_inner());
                Self::sweep(&mut m, now, &rule);
                let (allowed, next) = rule.step(m.map.get(key).copied(), now, count);
                if count {
                    m.map.insert(key.to_owned(), next);
                }
                rule.decision(allowed, next, now)
            }
            Store::Database { db, scope } => match Self::in_database(db, scope, key, now, count, &rule).await {
                Ok(d) => d,
                Err(e) => {
                    // The database is what every request needs anyway; without it, let the
                    // request meet that failure rather than refuse it here.
                    tracing::warn!(error = %e, "rate limit store");
                    Decision { allowed: true, remaining: 0, reset: 0, retry_after: 0 }
                }
            },
        }
    }

    async fn in_database(db: &Db, scope: &str, key: &str, now: i64, count: bool, rule: &Rule) -> Result<Decision, sqlx::Error> {
        use sha2::Digest as _;
        let hashed = hex::encode(&sha2::Sha256::digest(format!("{scope}\u{0}{key}").as_bytes())[..16]);
        if !count {
            let row: Option<Row> = sqlx::query_as("SELECT tat_ms, window_start_ms, in_window, allowed FROM rate_limits WHERE key = $1")
                .bind(&hashed)
                .fetch_optional(db.pool())
                .await?;
            let old = row.map(|r| State { tat: r.tat_ms, window_start: r.window_start_ms, in_window: r.in_window });
            let (allowed, state) = rule.step(old, now, false);
            return Ok(rule.decision(allowed, state, now));
        }
        let row: Row = sqlx::query_as(&upsert_sql())
            .bind(&hashed)
            .bind(now)
            .bind(rule.interval)
            .bind(rule.tolerance)
            .bind(rule.window)
            .bind(rule.cap)
            .fetch_one(db.pool())
            .await?;
        Ok(rule.decision(row.allowed == 1, State { tat: row.tat_ms, window_start: row.window_start_ms, in_window: row.in_window }, now))
    }

    /// Forgets keys that have recovered (they are as good as new), at most once a second;
    /// then, if still too many, the least recently changed half.
    fn sweep(m: &mut Memory, now: i64, rule: &Rule) {
        if m.map.len() <= 10_000 || now - m.swept < 1000 {
            return;
        }
        m.swept = now;
        m.map.retain(|_, s| s.tat > now || s.window_start + rule.window > now);
        if m.map.len() > MAX_KEYS {
            let mut seen: Vec<i64> = m.map.values().map(|s| s.tat).collect();
            seen.sort_unstable();
            let cut = seen[seen.len() / 2];
            m.map.retain(|_, s| s.tat > cut);
        }
    }
}

/// Removes recovered keys from the database (run by the sweeper).
pub async fn sweep(db: &Db) -> Result<u64, sqlx::Error> {
    let hour_ago = now_ms() - 3_600_000;
    Ok(sqlx::query("DELETE FROM rate_limits WHERE tat_ms < $1 AND window_start_ms < $1").bind(hour_ago).execute(db.pool()).await?.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn two_hundred_quick_requests_pass_and_the_next_waits() {
        let rl = RateLimiter::new(Policy::default(), Store::memory());
        let t0 = 1_000_000;
        for i in 0..200 {
            // Spread over 3 seconds: the window, not the refill, decides.
            let d = rl.check_at("k", t0 + i * 15).await;
            assert!(d.allowed, "request {}", i + 1);
        }
        let d = rl.check_at("k", t0 + 3000).await;
        assert!(!d.allowed);
        assert_eq!(d.retry_after, 7, "the first request leaves the 10 s window at 10 s");
        let later = t0 + 3000 + d.retry_after as i64 * 1000;
        assert!(rl.check_at("k", later).await.allowed, "honouring Retry-After works");
        assert!(rl.check_at("other", t0).await.allowed, "keys are limited separately");
    }

    #[tokio::test]
    async fn the_sustained_rate_is_one_hundred_a_minute() {
        let rl = RateLimiter::new(Policy::default(), Store::memory());
        let mut passed = 0;
        // Ten minutes of a request every 100 ms: the burst, then 100 a minute.
        for i in 0..6000i64 {
            if rl.check_at("k", 1_000_000 + i * 100).await.allowed {
                passed += 1;
            }
        }
        assert!((1100..=1201).contains(&passed), "{passed}");
    }

    #[test]
    fn a_fresh_key_has_the_whole_burst_and_recovers_fully() {
        let rule = Rule::of(Policy::default());
        let (allowed, s) = rule.step(None, 0, true);
        let d = rule.decision(allowed, s, 0);
        assert!(d.allowed);
        assert_eq!(d.remaining, 199);
        assert_eq!(d.reset, 1, "one request is paid back in 0.6 s");
        let (_, peeked) = rule.step(Some(s), 0, false);
        assert_eq!(peeked, s, "a peek changes nothing");
    }
}
