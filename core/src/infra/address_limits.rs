//! Rate limits per client address for what anyone may call without an account: the signing
//! page and its calls, public verification, sign-up and log-in and the session token they
//! start with, download links, embed token exchanges, and failed API authentication. Past a
//! limit the answer is `429 RATE_LIMITED` with `Retry-After`. The address is the one
//! `client_ip` resolved (behind trusted proxies, the real client's).

use crate::infra::ratelimit::{Decision, Policy, RateLimiter, Store};
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
    /// `/download/{token}…` and the download page's server function.
    Download,
    /// `/_fn/auth/csrf_token`: every call may start a stored session.
    Session,
    /// `GET /contract/upload|/contract/list|/template/edit?token=…`: every call checks a token and
    /// may start an embed session.
    EmbedExchange,
    /// API requests whose credentials were refused (only those count: see `Counting`).
    ApiAuthFailure,
}

/// When a request counts against its surface.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Counting {
    /// Every request, before it runs.
    Every,
    /// Only requests answered 401; once over, every request waits.
    Refused,
}

impl Surface {
    pub const ALL: [Surface; 7] = [Self::Signing, Self::Verify, Self::Account, Self::Download, Self::Session, Self::EmbedExchange, Self::ApiAuthFailure];

    /// Requests per minute, sustained and at once, before `DOJANG_ADDRESS_RATE_SCALE`.
    fn base(self) -> (u32, u32) {
        match self {
            Self::Signing => (300, 300),
            Self::Verify => (10, 10),
            Self::Account => (30, 30),
            Self::Download => (60, 60),
            Self::Session => (120, 120),
            Self::EmbedExchange => (60, 60),
            Self::ApiAuthFailure => (60, 60),
        }
    }

    pub fn counting(self) -> Counting {
        match self {
            Self::ApiAuthFailure => Counting::Refused,
            _ => Counting::Every,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Signing => "signing",
            Self::Verify => "verify",
            Self::Account => "account",
            Self::Download => "download",
            Self::Session => "session",
            Self::EmbedExchange => "embed-exchange",
            Self::ApiAuthFailure => "api-auth-failure",
        }
    }

    /// The surface a request belongs to, if it is limited by address.
    pub fn of(method: &http::Method, uri: &http::Uri) -> Option<Self> {
        let path = uri.path();
        if path.starts_with("/sign/") || path.starts_with("/_app/sign/") || path.starts_with("/_fn/sign/") {
            return Some(Self::Signing);
        }
        if path.starts_with("/download/") || path.starts_with("/_fn/download/") {
            return Some(Self::Download);
        }
        if method == http::Method::POST {
            match path {
                "/api/v1/verify" => return Some(Self::Verify),
                "/_fn/auth/sign_up" | "/_fn/auth/log_in" => return Some(Self::Account),
                "/_fn/auth/csrf_token" => return Some(Self::Session),
                _ => {}
            }
        }
        let exchange = matches!(path, "/contract/upload" | "/contract/list" | "/template/edit");
        if exchange && uri.query().is_some_and(|q| q.split('&').any(|p| p.starts_with("token="))) {
            return Some(Self::EmbedExchange);
        }
        if path.starts_with("/api/v1/") && path != "/api/v1/openapi.json" {
            return Some(Self::ApiAuthFailure);
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
    /// `scale` multiplies every limit (operators with many people behind one address); `store`
    /// makes each surface's counts (in memory, or in the database shared by all instances).
    pub fn new(scale: f64, store: impl Fn(Surface) -> Store) -> Self {
        let limiters = Surface::ALL
            .into_iter()
            .map(|s| {
                let (per_minute, burst) = s.base();
                let scaled = |n: u32| ((f64::from(n) * scale).round() as u32).max(1);
                let policy = Policy { per_minute: scaled(per_minute), burst: scaled(burst), burst_window: Duration::from_secs(60) };
                (s, RateLimiter::new(policy, store(s)))
            })
            .collect();
        Self { limiters }
    }

    /// Counts a request from `ip` (an IPv6 address by its /64: one subscriber's network).
    pub async fn check(&self, surface: Surface, ip: IpAddr) -> Decision {
        self.limiter(surface).check(&crate::infra::client_ip::subscriber(ip)).await
    }

    /// Whether a request from `ip` would pass, without counting it.
    pub async fn peek(&self, surface: Surface, ip: IpAddr) -> Decision {
        self.limiter(surface).peek(&crate::infra::client_ip::subscriber(ip)).await
    }

    fn limiter(&self, surface: Surface) -> &RateLimiter {
        &self.limiters.iter().find(|(s, _)| *s == surface).expect("a limiter per surface").1
    }

    pub fn policy(&self, surface: Surface) -> Policy {
        self.limiter(surface).policy()
    }
}
