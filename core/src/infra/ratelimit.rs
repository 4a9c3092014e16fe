//! Rate limits per API key, in memory (one process serves an instance; limits reset on
//! restart). Two rules together: a token bucket that refills at the sustained rate
//! (default 100 per minute) and holds at most the burst (default 200), and a window that
//! admits at most the burst within the burst window (default 10 s) from its first request
//! (a count, not a history: each key costs the same few bytes whatever its burst). So 200 quick
//! requests pass, the 201st is refused, and the answer says how long to wait.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

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

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    updated: Instant,
    /// The current window: when it opened and how many requests it admitted.
    window_start: Instant,
    in_window: u32,
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

/// Keys kept at most; past it the least recently seen are forgotten (a forgotten key starts
/// afresh, which only ever lets a request through that the limit would have let through
/// after a refill).
const MAX_KEYS: usize = 200_000;

#[derive(Debug)]
struct Buckets {
    map: HashMap<String, Bucket>,
    swept: Option<Instant>,
}

#[derive(Debug)]
pub struct RateLimiter {
    policy: Policy,
    buckets: Mutex<Buckets>,
}

impl RateLimiter {
    pub fn new(policy: Policy) -> Self {
        Self { policy, buckets: Mutex::new(Buckets { map: HashMap::new(), swept: None }) }
    }

    /// Forgets buckets that have refilled (they are as good as new), at most once a second;
    /// then, if still too many, the least recently seen half.
    fn sweep(b: &mut Buckets, now: Instant, rate: f64, burst: f64, window: Duration) {
        if b.map.len() <= 10_000 || b.swept.is_some_and(|t| now.saturating_duration_since(t) < Duration::from_secs(1)) {
            return;
        }
        b.swept = Some(now);
        b.map.retain(|_, x| {
            let idle = now.saturating_duration_since(x.updated);
            x.tokens + idle.as_secs_f64() * rate < burst || idle < window
        });
        if b.map.len() > MAX_KEYS {
            let mut seen: Vec<Instant> = b.map.values().map(|x| x.updated).collect();
            seen.sort_unstable();
            let cut = seen[seen.len() / 2];
            b.map.retain(|_, x| x.updated > cut);
        }
    }

    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// Whether a request of `key` would pass now, without counting it.
    pub fn peek(&self, key: &str) -> Decision {
        self.decide(key, Instant::now(), false)
    }

    /// Counts one request of `key` at `now`.
    pub fn check_at(&self, key: &str, now: Instant) -> Decision {
        self.decide(key, now, true)
    }

    fn decide(&self, key: &str, now: Instant, count: bool) -> Decision {
        let p = self.policy;
        let burst = f64::from(p.burst.max(1));
        let rate = f64::from(p.per_minute.max(1)) / 60.0;
        let mut guard = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        Self::sweep(&mut guard, now, rate, burst, p.burst_window);
        if !count && !guard.map.contains_key(key) {
            let cap = p.burst.max(1);
            return Decision { allowed: true, remaining: cap, reset: 0, retry_after: 0 };
        }
        let b = guard.map.entry(key.to_owned()).or_insert_with(|| Bucket { tokens: burst, updated: now, window_start: now, in_window: 0 });
        b.tokens = (b.tokens + now.saturating_duration_since(b.updated).as_secs_f64() * rate).min(burst);
        b.updated = now;
        if now.saturating_duration_since(b.window_start) >= p.burst_window {
            b.window_start = now;
            b.in_window = 0;
        }
        let cap = p.burst.max(1);
        // A zero window is no window: the bucket alone decides.
        let windowed = !p.burst_window.is_zero();
        let allowed = b.tokens >= 1.0 && !(windowed && b.in_window >= cap);
        if allowed && count {
            b.tokens -= 1.0;
            if windowed {
                b.in_window += 1;
            }
        }
        let by_tokens = if b.tokens >= 1.0 { 0.0 } else { (1.0 - b.tokens) / rate };
        let by_window =
            if windowed && b.in_window >= cap { p.burst_window.saturating_sub(now.saturating_duration_since(b.window_start)).as_secs_f64() } else { 0.0 };
        let remaining = (b.tokens.floor() as u32).min(if windowed { cap.saturating_sub(b.in_window) } else { cap });
        let reset = ((burst - b.tokens) / rate).ceil() as u64;
        Decision { allowed, remaining, reset, retry_after: if allowed { 0 } else { by_tokens.max(by_window).ceil().max(1.0) as u64 } }
    }

    pub fn check(&self, key: &str) -> Decision {
        self.check_at(key, Instant::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_hundred_quick_requests_pass_and_the_next_waits() {
        let rl = RateLimiter::new(Policy::default());
        let t0 = Instant::now();
        for i in 0..200 {
            // Spread over 3 seconds: the window, not the refill, decides.
            let d = rl.check_at("k", t0 + Duration::from_millis(i * 15));
            assert!(d.allowed, "request {}", i + 1);
        }
        let d = rl.check_at("k", t0 + Duration::from_millis(3000));
        assert!(!d.allowed);
        assert_eq!(d.retry_after, 7, "the first request leaves the 10 s window at 10 s");
        let later = t0 + Duration::from_millis(3000) + Duration::from_secs(d.retry_after);
        assert!(rl.check_at("k", later).allowed, "honouring Retry-After works");
        assert!(rl.check_at("other", t0).allowed, "keys are limited separately");
    }

    #[test]
    fn the_sustained_rate_is_one_hundred_a_minute() {
        let rl = RateLimiter::new(Policy::default());
        let t0 = Instant::now();
        let mut passed = 0;
        // Ten minutes of a request every 100 ms: the burst, then 100 a minute.
        for i in 0..6000u64 {
            if rl.check_at("k", t0 + Duration::from_millis(i * 100)).allowed {
                passed += 1;
            }
        }
        assert!((1100..=1201).contains(&passed), "{passed}");
    }
}
