//! Server-only helpers for pages and server functions: the shared state, the session, the
//! signed-in user, CSRF checks and response headers.

use dojang_core::accounts::{self, web_session};
use dojang_core::error::{AppError, ErrorCode};
use dojang_core::model::CurrentUser;
use dojang_core::state::AppState;
use http::request::Parts;
use http::{HeaderValue, StatusCode};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;
use tower_sessions::Session;

pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| AppError::internal_msg("AppState missing from context"))
}

pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(|e| AppError::internal_msg(format!("no session layer: {e:?}")))
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
pub async fn editor_actor() -> Result<dojang_core::actor::Actor, AppError> {
    if let Some(e) = embed_session() {
        return Ok(e.actor);
    }
    Ok(dojang_core::actor::Actor::from(&require_user().await?))
}

/// Who sends and follows envelopes: the signed-in user only (an embed session edits, it
/// never sends).
pub async fn sender_actor() -> Result<dojang_core::actor::Actor, AppError> {
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
    use_context::<Parts>().map(|p| dojang_core::audit::Origin::of_request(&p.extensions, &p.headers)).unwrap_or_default()
}

/// The cookies of the request (a signer's sessions are among them).
pub fn cookies() -> dojang_core::identity::gate::Cookies {
    use_context::<Parts>().map(|p| dojang_core::identity::gate::Cookies::from_headers(&p.headers)).unwrap_or_default()
}

/// The client's address (behind trusted proxies, the one they forwarded; see `client_ip`).
pub fn client_ip() -> String {
    use_context::<Parts>()
        .and_then(|p| p.extensions.get::<dojang_core::infra::client_ip::ClientIp>().map(|c| c.0.to_string()))
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

/// The signer page's module and the stylesheet, inlined into a signing page: one response
/// carries everything, which saves a phone on a slow network a whole round trip (see
/// `pages::sign`). The wasm travels deflated and in base64 (the page's own compression cannot
/// shrink base64 of raw wasm well) and is inflated by the browser's `DecompressionStream`; a
/// browser without it fetches `/signer/dojang-signer_bg.wasm`. Read once from the site folder;
/// `None` when the module is not built.
///
/// The page renders only their markers; the server puts the texts in after rendering
/// (compressed once, not for every page: `server/src/http/inline_assets.rs`).
pub struct SignerAssets {
    pub css: Inline,
    /// The module's JavaScript, its wasm, and the call that starts it.
    pub script: Inline,
}

/// A large constant text of a page, rendered as its marker and put in by the server.
pub struct Inline {
    /// Unguessable (a page's own content cannot name it) and never sent.
    pub marker: String,
    pub text: axum::body::Bytes,
}

impl Inline {
    fn new(text: String) -> Self {
        Self { marker: format!("dojang-inline-{:032x}", rand::random::<u128>()), text: text.into() }
    }
}

/// Whether a page of `path` is a signing page (it inlines `SignerAssets`).
pub fn is_signer_path(path: &str) -> bool {
    path.starts_with("/sign/")
}

pub fn signer_assets(site_root: &std::path::Path) -> Option<&'static SignerAssets> {
    use base64::Engine as _;
    use std::io::Write as _;
    static ASSETS: std::sync::OnceLock<Option<SignerAssets>> = std::sync::OnceLock::new();
    ASSETS
        .get_or_init(|| {
            let read = |p: &str| std::fs::read(site_root.join(p)).ok();
            let js = String::from_utf8(read("signer/dojang-signer.js")?).ok()?;
            let mut deflate = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
            deflate.write_all(&read("signer/dojang-signer_bg.wasm")?).ok()?;
            let wasm = base64::engine::general_purpose::STANDARD.encode(deflate.finish().ok()?);
            let css = String::from_utf8(read("pkg/dojang.css")?).ok()?;
            if js.contains("</script") || css.contains("</style") {
                return None;
            }
            // In a block of its own: the glue's top-level names stay untouched.
            let script = format!(
                "{js}\n{{\n\
                 const b64 = \"{wasm}\";\n\
                 const bytes = () => {{ try {{\n\
                   const z = Uint8Array.fromBase64 ? Uint8Array.fromBase64(b64) : Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));\n\
                   return new Response(new Blob([z]).stream().pipeThrough(new DecompressionStream(\"deflate-raw\"))).arrayBuffer();\n\
                 }} catch {{ return fetch(\"/signer/dojang-signer_bg.wasm\").then((r) => r.arrayBuffer()); }} }};\n\
                 bytes().then((m) => __wbg_init({{ module_or_path: m }}));\n}}\n"
            );
            Some(SignerAssets { css: Inline::new(css), script: Inline::new(script) })
        })
        .as_ref()
}
