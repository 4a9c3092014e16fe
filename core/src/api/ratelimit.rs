//! Rate limits per API key, in memory (one process serves an instance; limits reset on
//! restart). Two rules together: a token bucket that refills at the sustained rate
//! (default 100 per minute) and holds at most the burst (default 200), and a sliding window
//! that admits at most the burst within the burst window (default 10 s). So 200 quick
//! requests pass, the 201st is refused, and the answer says how long to wait.

use std::collections::{HashMap, VecDeque};
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
    recent: VecDeque<Instant>,
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

#[derive(Debug)]
pub struct RateLimiter {
    policy: Policy,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    pub fn new(policy: Policy) -> Self {
        Self { policy, buckets: Mutex::new(HashMap::new()) }
    }

    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// Counts one request of `key` at `now`.
    pub fn check_at(&self, key: &str, now: Instant) -> Decision {
        let p = self.policy;
        let burst = f64::from(p.burst.max(1));
        let rate = f64::from(p.per_minute.max(1)) / 60.0;
        let mut map = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 10_000 {
            map.retain(|_, b| now.duration_since(b.updated) < Duration::from_secs(600));
        }
        let b = map.entry(key.to_owned()).or_insert_with(|| Bucket { tokens: burst, updated: now, recent: VecDeque::new() });
        b.tokens = (b.tokens + now.saturating_duration_since(b.updated).as_secs_f64() * rate).min(burst);
        b.updated = now;
        while b.recent.front().is_some_and(|t| now.saturating_duration_since(*t) >= p.burst_window) {
            b.recent.pop_front();
        }
        let window_full = b.recent.len() as u32 >= p.burst.max(1);
        let allowed = b.tokens >= 1.0 && !window_full;
        if allowed {
            b.tokens -= 1.0;
            b.recent.push_back(now);
        }
        let by_tokens = if b.tokens >= 1.0 { 0.0 } else { (1.0 - b.tokens) / rate };
        let by_window = if b.recent.len() as u32 >= p.burst.max(1) {
            b.recent.front().map_or(0.0, |t| (p.burst_window.saturating_sub(now.saturating_duration_since(*t))).as_secs_f64())
        } else {
            0.0
        };
        let remaining = (b.tokens.floor() as u32).min(p.burst.saturating_sub(b.recent.len() as u32));
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
