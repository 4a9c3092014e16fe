//! Layers every response goes through: a request id (set, logged, echoed), a tracing span per
//! request (path only: query strings can carry tokens), and the security headers. Plus the
//! cross-site request check for cookie-authenticated forms.

use axum::extract::ConnectInfo;
use axum::extract::{Request, State};
use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use dojang_core::error::{AppError, ErrorCode};
use dojang_core::infra::address_limits::{AddressLimits, Counting, Surface};
use dojang_core::infra::client_ip::{self, ClientIp};
use dojang_core::infra::config::Settings;
use dojang_core::infra::ratelimit::Store;
use dojang_core::state::AppState;
use std::net::SocketAddr;
use std::sync::Arc;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub fn wrap(router: Router, state: &AppState) -> Router {
    let settings = state.settings.clone();
    let limits = Arc::new(AddressLimits::new(settings.address_rate_scale, |surface| {
        if settings.shared_rate_limits {
            Store::Database { db: state.db.clone(), scope: surface.name() }
        } else {
            Store::memory()
        }
    }));
    let trace = TraceLayer::new_for_http().make_span_with(|req: &Request| {
        let id = req.extensions().get::<RequestId>().and_then(|id| id.header_value().to_str().ok()).unwrap_or("-").to_owned();
        tracing::info_span!("request", request_id = %id, method = %req.method(), path = %redact(req.uri().path()))
    });
    router
        .layer(axum::middleware::from_fn(super::metrics::track))
        .layer(axum::middleware::from_fn_with_state(limits, limit_by_address))
        .layer(axum::middleware::from_fn_with_state(settings.clone(), resolve_client_ip))
        .layer(axum::middleware::from_fn_with_state(settings, security_headers))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(trace)
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

/// Resolves the client's address once (`client_ip`: forwarding headers only from trusted
/// proxies) for everything after: the audit log, throttles and rate limits.
async fn resolve_client_ip(State(settings): State<Arc<Settings>>, mut req: Request, next: Next) -> Response {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    if let Some(peer) = peer {
        let ip = client_ip::resolve(peer, req.headers(), &settings.trusted_proxies);
        req.extensions_mut().insert(ClientIp(ip));
    }
    next.run(req).await
}

/// The per-address limits of the public surfaces (see `address_limits`).
async fn limit_by_address(State(limits): State<Arc<AddressLimits>>, req: Request, next: Next) -> Response {
    let (Some(surface), Some(ClientIp(ip))) = (Surface::of(req.method(), req.uri()), req.extensions().get::<ClientIp>().copied()) else {
        return next.run(req).await;
    };
    match surface.counting() {
        Counting::Every => {
            let d = limits.check(surface, ip).await;
            if !d.allowed {
                return refused(&limits, surface, ip, d.retry_after);
            }
            next.run(req).await
        }
        Counting::Refused => {
            let d = limits.peek(surface, ip).await;
            if !d.allowed {
                return refused(&limits, surface, ip, d.retry_after);
            }
            let res = next.run(req).await;
            if res.status() == StatusCode::UNAUTHORIZED {
                limits.check(surface, ip).await;
            }
            res
        }
    }
}

fn refused(limits: &AddressLimits, surface: Surface, ip: std::net::IpAddr, retry_after: u64) -> Response {
    tracing::info!(surface = surface.name(), ip = %ip, retry_after, "rate limited by address");
    metrics::counter!("dojang_rate_limited_total", "limit" => surface.name()).increment(1);
    let mut res = AppError::new(ErrorCode::RateLimited, "Too many requests from your address; wait and retry").with_retry_after(retry_after).into_response();
    if let Ok(v) = HeaderValue::from_str(&limits.policy(surface).header()) {
        res.headers_mut().insert(HeaderName::from_static("ratelimit-policy"), v);
    }
    res
}

/// A path fit for logs: signing-link tokens replaced by `<token>`.
pub fn redact(path: &str) -> String {
    let mut out = Vec::new();
    let mut hide_next = false;
    for part in path.split('/') {
        out.push(if hide_next && !part.is_empty() { "<token>" } else { part });
        hide_next = part == "sign";
    }
    out.join("/")
}

/// Headers for every response; pages set their own nonce-based CSP, everything else gets a
/// policy that allows nothing to run or frame it.
async fn security_headers(State(settings): State<Arc<Settings>>, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.entry(header::REFERRER_POLICY).or_insert(HeaderValue::from_static("strict-origin-when-cross-origin"));
    h.entry(header::CONTENT_SECURITY_POLICY).or_insert(HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'; base-uri 'none'"));
    // Older browsers only know X-Frame-Options; pages an allowlist may frame (embedding) go without.
    let framable = h.get(header::CONTENT_SECURITY_POLICY).and_then(|v| v.to_str().ok()).is_some_and(|c| !c.contains("frame-ancestors 'none'"));
    if !framable {
        h.entry(header::X_FRAME_OPTIONS).or_insert(HeaderValue::from_static("DENY"));
    }
    h.insert(HeaderName::from_static("permissions-policy"), HeaderValue::from_static("camera=(), microphone=(), geolocation=()"));
    h.entry(HeaderName::from_static("cross-origin-opener-policy")).or_insert(HeaderValue::from_static("same-origin"));
    if settings.is_https() {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=63072000; includeSubDomains"));
    }
    res
}

/// Refuses state-changing requests that a browser says come from another site: by
/// `Sec-Fetch-Site` where the browser sends it, else by `Origin`. Forms also carry a
/// per-session token; this is the first of the two locks.
pub async fn check_fetch_site(State(settings): State<Arc<Settings>>, req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let headers = req.headers();
    let site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    let allowed = match site {
        Some(s) => s == "same-origin" || s == "none",
        None => match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
            None => true,
            Some(origin) => {
                let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
                origin == settings.public_url || origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://")) == Some(host)
            }
        },
    };
    if allowed {
        next.run(req).await
    } else {
        tracing::warn!(sec_fetch_site = ?site, "cross-site request refused");
        AppError::new(ErrorCode::CsrfFailed, "Cross-site requests are not allowed").into_response()
    }
}

/// Largest body of a server function call: its arguments as a form or JSON.
pub const FN_BODY_LIMIT: usize = 2 * 1024 * 1024;
/// Largest signer submission: values and the signature images (each at most 1 MB, 20 at most;
/// a submission as a whole at most this).
pub const SUBMIT_BODY_LIMIT: usize = 8 * 1024 * 1024;
/// Largest bulk CSV from the web app: 10 000 rows of many columns (the API takes its own).
pub const BULK_BODY_LIMIT: usize = 16 * 1024 * 1024;

/// The body limit of a server function.
fn fn_body_limit(path: &str) -> usize {
    match path {
        "/_fn/sign/submit" => SUBMIT_BODY_LIMIT,
        "/_fn/bulk/preview" | "/_fn/bulk/send" => BULK_BODY_LIMIT,
        _ => FN_BODY_LIMIT,
    }
}

/// Bounds the body of every server function call before any of it is parsed: larger bodies
/// get `413 PAYLOAD_TOO_LARGE` in the error shape, whether they announce their length or not.
pub async fn limit_fn_body(req: Request, next: Next) -> Response {
    if !req.uri().path().starts_with("/_fn/") {
        return next.run(req).await;
    }
    let limit = fn_body_limit(req.uri().path());
    let too_large = || AppError::new(ErrorCode::PayloadTooLarge, format!("The request is larger than {} MB", limit / (1024 * 1024))).into_response();
    let announced = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > limit as u64) {
        return too_large();
    }
    let (parts, body) = req.into_parts();
    match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => {
            // The body is read and bounded here: the server function reads it under the same
            // limit, not the extractors' default (2 MB), which would cut the larger ones short.
            let req = Request::from_parts(parts, axum::body::Body::from(bytes));
            let run = tower::Layer::layer(&axum::extract::DefaultBodyLimit::max(limit), next);
            match tower::ServiceExt::oneshot(run, req).await {
                Ok(res) => with_error_status(res).await,
                Err(never) => match never {},
            }
        }
        Err(e) if is_length_limit(&e) => too_large(),
        Err(e) => AppError::new(ErrorCode::BadRequest, format!("The request body could not be read: {e}")).into_response(),
    }
}

/// A server function's error that never reached its body (arguments that do not decode) comes
/// back from Leptos as 500 whatever its code; it gets the status its code stands for.
async fn with_error_status(res: Response) -> Response {
    if res.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "").into_response();
    };
    let code = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| serde_json::from_value::<dojang_core::error::ErrorCode>(v.get("code")?.clone()).ok());
    if let Some(code) = code {
        parts.status = StatusCode::from_u16(code.status()).unwrap_or(parts.status);
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

fn is_length_limit(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if s.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = s.source();
    }
    false
}
