//! Server-only helpers for pages and server functions: the shared state, the session, the
//! signed-in user, CSRF checks and response headers.

use axum::extract::ConnectInfo;
use dojang_core::error::{AppError, ErrorCode};
use dojang_core::model::CurrentUser;
use dojang_core::state::AppState;
use dojang_core::{accounts, web_session};
use http::request::Parts;
use http::{HeaderValue, StatusCode};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;
use std::net::SocketAddr;
use tower_sessions::Session;

pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| AppError::internal_msg("AppState missing from context"))
}

pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>()
        .await
        .map_err(|e| AppError::internal_msg(format!("no session layer: {e:?}")))
}

pub async fn current_user() -> Result<Option<CurrentUser>, AppError> {
    let st = state()?;
    let session = session().await?;
    match web_session::user_id(&session).await? {
        Some(id) => accounts::find_user(&st.db, &id).await,
        None => Ok(None),
    }
}

pub async fn require_user() -> Result<CurrentUser, AppError> {
    current_user().await?.ok_or_else(AppError::unauthenticated)
}

/// The embed session of this request (a hosted screen opened with a client token), if any;
/// the server's embed layer resolved its cookie once for the request.
pub fn embed_session() -> Option<dojang_core::embed::EmbedSession> {
    use_context::<Parts>().and_then(|p| p.extensions.get::<dojang_core::embed::EmbedSession>().cloned())
}

/// Who the contract editor acts for: the embed session's client user, else the signed-in user.
pub async fn require_actor() -> Result<dojang_core::actor::Actor, AppError> {
    if let Some(e) = embed_session() {
        return Ok(e.actor);
    }
    Ok(dojang_core::actor::Actor::from(&require_user().await?))
}

/// The CSRF token forms must carry: the embed session's, else the browser session's.
pub async fn csrf_token() -> Result<String, AppError> {
    if let Some(e) = embed_session() {
        return Ok(e.csrf);
    }
    web_session::csrf_token(&session().await?).await
}

pub async fn check_csrf(token: &str) -> Result<Session, AppError> {
    let session = session().await?;
    match embed_session() {
        Some(e) => web_session::check_csrf_token(Some(&e.csrf), token)?,
        None => web_session::verify_csrf(&session, token).await?,
    }
    Ok(session)
}

/// Where this request came from, for the audit log.
pub fn origin() -> dojang_core::audit::Origin {
    let ua = use_context::<Parts>()
        .and_then(|p| p.headers.get(http::header::USER_AGENT).and_then(|v| v.to_str().ok()).map(|s| s.chars().take(500).collect()));
    dojang_core::audit::Origin { ip: Some(client_ip()), user_agent: ua }
}

/// The peer address of this request.
pub fn client_ip() -> String {
    use_context::<Parts>()
        .and_then(|p| p.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string()))
        .unwrap_or_else(|| "unknown".into())
}

/// Gives a server function's error response the status of its code (not a blanket 500).
pub fn respond<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(e) = &result {
        if let Some(opts) = use_context::<ResponseOptions>() {
            opts.set_status(StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
            if let Some(secs) = e.retry_after {
                opts.insert_header(http::header::RETRY_AFTER, HeaderValue::from(secs));
            }
        }
        if e.code == ErrorCode::Internal {
            tracing::warn!("server function failed");
        }
    }
    result
}

/// Content-Security-Policy for an HTML page: scripts only by this response's nonce (the
/// hydration script) and what it loads, wasm allowed, nothing framed.
pub fn set_page_headers() {
    let Some(opts) = use_context::<ResponseOptions>() else { return };
    let nonce = leptos::nonce::use_nonce().map(|n| n.to_string()).unwrap_or_default();
    let csp = format!(
        "default-src 'self'; script-src 'nonce-{nonce}' 'strict-dynamic' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self'; \
         connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        opts.insert_header(http::header::CONTENT_SECURITY_POLICY, v);
    }
    opts.insert_header(http::header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}
