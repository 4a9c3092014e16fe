//! What every authenticated API request passes through, outermost first: authentication
//! (API key, admin token or client token as Bearer), the rate limit of the key, and
//! idempotent replay of POST requests that carry an `Idempotency-Key`.

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use dojang_core::api::idempotency::{self, Begin, Stored};
use dojang_core::api::{keys, permissions, tokens, AuthKind, Caller};
use dojang_core::error::{AppError, ErrorCode};
use dojang_core::infra::ratelimit::RateLimiter;
use dojang_core::state::AppState;
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// Authenticates the request and records the caller for the handlers.
pub async fn authenticate(State(st): State<AppState>, mut req: Request, next: Next) -> Response {
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .map(str::to_owned);
    let Some(token) = token else {
        return challenge(AppError::new(ErrorCode::Unauthenticated, "Send an API key or a token as Authorization: Bearer …"));
    };
    let caller = if tokens::looks_like_jwt(&token) {
        tokens::verify(&st.db, &st.api_keys, &st.settings.secret_key, &st.settings.public_url, &token).await
    } else {
        keys::authenticate(&st.db, &st.api_keys, &token).await.map(|k| Caller {
            actor: k.actor(),
            key_id: k.id.clone(),
            kind: AuthKind::ApiKey,
            scopes: k.scopes,
        })
    };
    match caller {
        Ok(caller) => {
            req.extensions_mut().insert(caller);
            next.run(req).await
        }
        Err(e) if e.code == ErrorCode::Internal => e.into_response(),
        Err(e) => challenge(e),
    }
}

fn challenge(e: AppError) -> Response {
    let mut res = e.into_response();
    res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"dojang\""));
    res
}

/// Refuses (403) what the key's scopes do not allow, before anything runs.
pub async fn check_scopes(req: Request, next: Next) -> Response {
    let Some(caller) = req.extensions().get::<Caller>() else { return next.run(req).await };
    let read = matches!(*req.method(), Method::GET | Method::HEAD);
    match permissions::allow(caller.scopes, permissions::Area::of(req.uri().path()), read) {
        Ok(()) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

/// Counts the request against its key's limit; refuses with 429 and `Retry-After` beyond it.
pub async fn rate_limit(State(limiter): State<Arc<RateLimiter>>, req: Request, next: Next) -> Response {
    let Some(caller) = req.extensions().get::<Caller>() else { return next.run(req).await };
    let d = limiter.check(caller.key_id.as_str()).await;
    let mut res = if d.allowed {
        next.run(req).await
    } else {
        tracing::info!(api_key_id = %caller.key_id, retry_after = d.retry_after, "rate limited");
        metrics::counter!("dojang_rate_limited_total", "limit" => "api-key").increment(1);
        AppError::new(ErrorCode::RateLimited, "Too many requests; wait and retry").with_retry_after(d.retry_after).into_response()
    };
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&limiter.policy().header()) {
        h.insert(HeaderName::from_static("ratelimit-policy"), v);
    }
    if let Ok(v) = HeaderValue::from_str(&d.header()) {
        h.insert(HeaderName::from_static("ratelimit"), v);
    }
    res
}

/// The request's identity for idempotency: method, path and body (a multipart body with its
/// boundary taken out, since clients pick a new boundary for every attempt).
fn request_hash(method: &Method, path: &str, content_type: Option<&str>, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(method.as_str());
    h.update(b"\n");
    h.update(path);
    h.update(b"\n");
    let boundary = content_type
        .filter(|c| c.starts_with("multipart/"))
        .and_then(|c| c.split(';').find_map(|p| p.trim().strip_prefix("boundary=")))
        .map(|b| b.trim_matches('"').as_bytes().to_vec())
        .filter(|b| !b.is_empty());
    match boundary {
        Some(b) => {
            let mut rest = body;
            while let Some(i) = rest.windows(b.len()).position(|w| w == b.as_slice()) {
                h.update(&rest[..i]);
                rest = &rest[i + b.len()..];
            }
            h.update(rest);
        }
        None => h.update(body),
    }
    hex::encode(h.finalize())
}

/// Replays the first response of a POST with the same `Idempotency-Key`.
pub async fn idempotent(State(st): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let Some(key) = req.headers().get("idempotency-key").map(|v| v.to_str().map(str::to_owned)) else {
        return next.run(req).await;
    };
    let Ok(key) = key else {
        return AppError::field("Idempotency-Key", "invalid", "Use visible ASCII characters for Idempotency-Key").into_response();
    };
    let Some(scope) = req.extensions().get::<Caller>().map(Caller::idempotency_scope) else {
        return next.run(req).await;
    };
    let (parts, body) = req.into_parts();
    let limit = st.settings.max_upload_bytes as usize + 1024 * 1024;
    let bytes = match to_bytes(body, limit).await {
        Ok(b) => b,
        Err(_) => return AppError::new(ErrorCode::PayloadTooLarge, "The body is too large").into_response(),
    };
    let content_type = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let hash = request_hash(&parts.method, parts.uri.path(), content_type, &bytes);
    match idempotency::begin(&st.db, &st.settings.secret_key, &scope, &key, &hash).await {
        Err(e) => return e.into_response(),
        Ok(Begin::Replay(stored)) => return replay(stored),
        Ok(Begin::Fresh) => {}
    }
    let res = next.run(Request::from_parts(parts, Body::from(bytes))).await;
    let (parts, body) = res.into_parts();
    let Ok(body) = to_bytes(body, 16 * 1024 * 1024).await else {
        let _ = idempotency::abandon(&st.db, &scope, &key).await;
        return AppError::internal_msg("response too large to keep for idempotency").into_response();
    };
    let status = parts.status.as_u16();
    let text = String::from_utf8(body.to_vec());
    match text {
        Ok(text) if status < 500 => {
            let stored = Stored {
                status,
                content_type: parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("application/json").to_owned(),
                body: text,
            };
            if let Err(e) = idempotency::finish(&st.db, &st.settings.secret_key, &scope, &key, &stored).await {
                tracing::warn!(error = ?e, "could not keep an idempotent response");
            }
        }
        _ => {
            let _ = idempotency::abandon(&st.db, &scope, &key).await;
        }
    }
    Response::from_parts(parts, Body::from(body))
}

fn replay(stored: Stored) -> Response {
    let status = http::StatusCode::from_u16(stored.status).unwrap_or(http::StatusCode::OK);
    let mut res = (status, stored.body).into_response();
    if let Ok(v) = HeaderValue::from_str(&stored.content_type) {
        res.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    res.headers_mut().insert(HeaderName::from_static("idempotent-replayed"), HeaderValue::from_static("true"));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_multipart_boundary_is_the_same_request() {
        let a = b"--AAA\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nPDF\r\n--AAA--\r\n";
        let b = b"--BBBBB\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nPDF\r\n--BBBBB--\r\n";
        let ha = request_hash(&Method::POST, "/api/v1/documents", Some("multipart/form-data; boundary=AAA"), a);
        let hb = request_hash(&Method::POST, "/api/v1/documents", Some("multipart/form-data; boundary=BBBBB"), b);
        assert_eq!(ha, hb);
        let other = request_hash(&Method::POST, "/api/v1/documents", Some("multipart/form-data; boundary=AAA"), b"--AAA\r\nX\r\n--AAA--");
        assert_ne!(ha, other);
        assert_ne!(request_hash(&Method::POST, "/a", Some("application/json"), b"{}"), request_hash(&Method::POST, "/b", Some("application/json"), b"{}"));
    }
}
