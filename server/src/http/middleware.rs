//! Layers every response goes through: a request id (set, logged, echoed), a tracing span per
//! request (path only: query strings can carry tokens), and the security headers. Plus the
//! cross-site request check for cookie-authenticated forms.

use axum::extract::{Request, State};
use axum::http::{header, HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use dojang_core::config::Settings;
use dojang_core::error::{AppError, ErrorCode};
use std::sync::Arc;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub fn wrap(router: Router, settings: Arc<Settings>) -> Router {
    let trace = TraceLayer::new_for_http().make_span_with(|req: &Request| {
        let id = req
            .extensions()
            .get::<RequestId>()
            .and_then(|id| id.header_value().to_str().ok())
            .unwrap_or("-")
            .to_owned();
        tracing::info_span!("request", request_id = %id, method = %req.method(), path = %redact(req.uri().path()))
    });
    router
        .layer(axum::middleware::from_fn_with_state(settings, security_headers))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(trace)
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
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
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'; base-uri 'none'"));
    // Older browsers only know X-Frame-Options; pages an allowlist may frame (embedding) go without.
    let framable = h.get(header::CONTENT_SECURITY_POLICY).and_then(|v| v.to_str().ok()).is_some_and(|c| !c.contains("frame-ancestors 'none'"));
    if !framable {
        h.entry(header::X_FRAME_OPTIONS).or_insert(HeaderValue::from_static("DENY"));
    }
    h.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
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
                origin == settings.public_url
                    || origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://")) == Some(host)
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
