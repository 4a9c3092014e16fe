//! Rate limits per client address for what anyone may call without an account: the signing
//! page and its calls, public verification, sign-up and log-in, and download links. Past a
//! limit the answer is `429 RATE_LIMITED` with `Retry-After`. The address is the one
//! `client_ip` resolved (behind trusted proxies, the real client's).

use crate::api::ratelimit::{Decision, Policy, RateLimiter};
use std::net::IpAddr;
use std::time::Duration;

/// A group of routes limited together.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Surface {
    /// `/sign/{token}`, its page images and the signer's server functions.
    Signing,
    /// `POST /api/v1/verify`: every request scans a whole PDF.
    Verify,
    /// Sign-up and log-in: every request costs a password hash.
    Account,
    /// `/download/{token}…`.
    Download,
}

impl Surface {
    pub const ALL: [Surface; 4] = [Self::Signing, Self::Verify, Self::Account, Self::Download];

    /// Requests per minute, sustained and at once, before `DOJANG_ADDRESS_RATE_SCALE`.
    fn base(self) -> (u32, u32) {
        match self {
            Self::Signing => (300, 300),
            Self::Verify => (10, 10),
            Self::Account => (30, 30),
            Self::Download => (60, 60),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Signing => "signing",
            Self::Verify => "verify",
            Self::Account => "account",
            Self::Download => "download",
        }
    }

    /// The surface a request belongs to, if it is limited by address.
    pub fn of(method: &http::Method, path: &str) -> Option<Self> {
        if path.starts_with("/sign/") || path.starts_with("/_app/sign/") || path.starts_with("/_fn/sign/") {
            return Some(Self::Signing);
        }
        if path.starts_with("/download/") {
            return Some(Self::Download);
        }
        if method == http::Method::POST {
            match path {
                "/api/v1/verify" => return Some(Self::Verify),
                "/_fn/auth/sign_up" | "/_fn/auth/log_in" => return Some(Self::Account),
                _ => {}
            }
        }
        None
    }
}

/// One limiter per surface, keyed by address.
#[derive(Debug)]
pub struct AddressLimits {
    limiters: Vec<(Surface, RateLimiter)>,
}

impl AddressLimits {
    /// `scale` multiplies every limit (operators with many people behind one address).
    pub fn new(scale: f64) -> Self {
        let limiters = Surface::ALL
            .into_iter()
            .map(|s| {
                let (per_minute, burst) = s.base();
                let scaled = |n: u32| ((f64::from(n) * scale).round() as u32).max(1);
                let policy = Policy { per_minute: scaled(per_minute), burst: scaled(burst), burst_window: Duration::from_secs(60) };
                (s, RateLimiter::new(policy))
            })
            .collect();
        Self { limiters }
    }

    pub fn check(&self, surface: Surface, ip: IpAddr) -> Decision {
        let limiter = &self.limiters.iter().find(|(s, _)| *s == surface).expect("a limiter per surface").1;
        limiter.check(&ip.to_string())
    }

    pub fn policy(&self, surface: Surface) -> Policy {
        self.limiters.iter().find(|(s, _)| *s == surface).expect("a limiter per surface").1.policy()
    }
}
