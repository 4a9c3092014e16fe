//! The hosted screens in another company's site. `GET /contract/upload?token=…` exchanges
//! the client token for an embed session (cookie) and redirects to the same screen without
//! the token; an expired or forged token gets a clear page, never a login form. Every HTML
//! page of an embed session or of a signing link may be framed by the origins on its
//! organization's allowlist (`frame-ancestors`), and by nobody else.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use dojang_core::embed;
use dojang_core::error::{AppError, ErrorCode};
use dojang_core::i18n::k;
use dojang_core::model::Language;
use dojang_core::state::AppState;

const EXCHANGE_PATH: &str = "/contract/upload";
/// The client user's contracts (open one, delete a draft), hosted like the editor.
const LIST_PATH: &str = "/contract/list";
/// A template in the same editor (`?templateId=…`), hosted like it.
const TEMPLATE_PATH: &str = "/template/edit";

/// The hosted screens a client token opens.
fn exchanges(path: &str) -> bool {
    path == EXCHANGE_PATH || path == LIST_PATH || path == TEMPLATE_PATH
}

fn query_param(uri: &Uri, name: &str) -> Option<String> {
    let q = uri.query()?;
    url::form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned()).filter(|v| !v.is_empty())
}

/// Where an embed session counts: the hosted editor and the calls it makes. Everywhere else
/// (dashboard, contract details, settings) a browser is only ever its signed-in user.
fn embeddable(path: &str) -> bool {
    exchanges(path)
        || path.starts_with("/_fn/contracts/")
        || matches!(path, "/_fn/templates/editor" | "/_fn/templates/save_editor" | "/_fn/templates/rename" | "/_fn/templates/from_draft")
        || path.starts_with("/_app/documents")
        || matches!(path, "/_fn/auth/embed_csrf_token" | "/_fn/auth/embed_origins")
}

/// Whether the browser is signed in to Dojang (its session names a user).
async fn signed_in(session: Option<tower_sessions::Session>) -> bool {
    match session {
        Some(s) => matches!(dojang_core::accounts::web_session::user_id(&s).await, Ok(Some(_))),
        None => false,
    }
}

/// Exchanges tokens; otherwise resolves the embed cookie once for the whole request (handlers,
/// server functions and pages read the session from the request's extensions) and, for HTML
/// answers of an embed session or a signing link, applies the organization's allowlist.
///
/// An embed session never takes over a signed-in browser: a token is not exchanged while
/// the browser is signed in (the page says why), and when both cookies arrive the signed-in
/// user wins and the embed session ends.
pub async fn layer(State(st): State<AppState>, mut req: Request, next: Next) -> Response {
    let signed_in = signed_in(req.extensions().get::<tower_sessions::Session>().cloned()).await;
    if req.method() == axum::http::Method::GET && exchanges(req.uri().path()) {
        if let Some(token) = query_param(req.uri(), "token") {
            if signed_in {
                let origin = query_param(req.uri(), "origin").and_then(|o| embed::parse_origin(&o));
                return clear_page(&AppError::new(ErrorCode::EmbedSignedIn, "Signed in to Dojang"), origin.as_deref());
            }
            return exchange(&st, req.uri(), &token).await;
        }
    }
    let cookie = embed::cookie_token(req.headers());
    let session = match &cookie {
        Some(token) if !signed_in && embeddable(req.uri().path()) => embed::resolve(&st.db, token).await.ok().flatten(),
        _ => None,
    };
    let sign_token = req.uri().path().strip_prefix("/sign/").map(|rest| rest.split('/').next().unwrap_or("").to_owned());
    if let Some(s) = &session {
        req.extensions_mut().insert(s.clone());
    }
    let mut res = next.run(req).await;
    if let (true, Some(token)) = (signed_in, &cookie) {
        if let Err(e) = embed::end(&st.db, token).await {
            tracing::warn!(error = %e.message, "ending an embed session");
        }
        if let Ok(v) = HeaderValue::from_str(&embed::clear_cookie()) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    let named = res.headers_mut().remove(embed::FRAME_ORIGINS_HEADER);
    let html = res.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/html"));
    if !html {
        return res;
    }
    // A signing link's page follows its own organization; other pages the embed session's.
    match (sign_token, session) {
        (Some(token), _) => {
            // The signing page names them (read with its envelope); anything else on the
            // link's path (a closed link's page) has them looked up.
            let origins = match named.as_ref().and_then(|v| v.to_str().ok()) {
                Some(v) => embed::split_origins(v),
                None => embed::signing_origins(&st.db, &token).await.unwrap_or_default(),
            };
            allow_framing(res.headers_mut(), &origins);
        }
        (None, Some(s)) => {
            allow_framing(res.headers_mut(), &s.allowed_origins);
            no_trace(res.headers_mut());
        }
        (None, None) => {}
    }
    res
}

/// Lets `origins` frame the page (and keep a popup's opener): the page's own CSP keeps
/// everything else and only its `frame-ancestors` changes.
fn allow_framing(h: &mut HeaderMap, origins: &[String]) {
    if origins.is_empty() {
        return;
    }
    if let Some(csp) = h.get(header::CONTENT_SECURITY_POLICY).and_then(|v| v.to_str().ok()) {
        let csp = csp.replace("frame-ancestors 'none'", &format!("frame-ancestors {}", embed::frame_ancestors(origins)));
        if let Ok(v) = HeaderValue::from_str(&csp) {
            h.insert(header::CONTENT_SECURITY_POLICY, v);
        }
    }
    h.remove(header::X_FRAME_OPTIONS);
    h.insert(HeaderName::from_static("cross-origin-opener-policy"), HeaderValue::from_static("unsafe-none"));
}

fn no_trace(h: &mut HeaderMap) {
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

async fn exchange(st: &AppState, uri: &Uri, token: &str) -> Response {
    let named_origin = query_param(uri, "origin");
    let claimed_origin = named_origin.as_deref().and_then(embed::parse_origin);
    let (cookie, session) = match embed::start(&st.db, &st.settings, &st.api_keys, token).await {
        Ok(s) => s,
        Err(e) => return clear_page(&e, claimed_origin.as_deref()),
    };
    let allowed = &session.allowed_origins;
    let mut next = url::form_urlencoded::Serializer::new(String::new());
    next.append_pair("embed", "1");
    for key in ["contractId", "templateId"] {
        if let Some(id) = query_param(uri, key) {
            next.append_pair(key, &id);
        }
    }
    if named_origin.is_some() {
        match claimed_origin.clone().filter(|o| allowed.contains(o)) {
            Some(o) => next.append_pair("origin", &o),
            None => return clear_page(&not_allowed(), None),
        };
    }
    if let Some(r) = query_param(uri, "returnUrl") {
        let ok = url::Url::parse(&r).ok().is_some_and(|u| allowed.contains(&u.origin().ascii_serialization()));
        if !ok {
            return clear_page(&not_allowed(), claimed_origin.as_deref());
        }
        next.append_pair("returnUrl", &r);
    }
    let location = format!("{}?{}", uri.path(), next.finish());
    let mut res = (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response();
    if let Ok(v) = HeaderValue::from_str(&embed::set_cookie(&cookie)) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    no_trace(res.headers_mut());
    // A popup keeps its opener through the redirect.
    res.headers_mut().insert(HeaderName::from_static("cross-origin-opener-policy"), HeaderValue::from_static("unsafe-none"));
    res
}

fn not_allowed() -> AppError {
    AppError::new(ErrorCode::Forbidden, "This site is not allowed to embed Dojang")
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The page for a token that cannot open the screen: what happened, in Korean and English.
/// It can be framed by anyone (it shows nothing of anyone), and tells the host page through
/// an `error` event posted to the origin the host named.
fn clear_page(e: &AppError, host_origin: Option<&str>) -> Response {
    let (status, code, what) = match e.code {
        ErrorCode::TokenExpired => (401, "TOKEN_EXPIRED", k::EMBED_ERROR_EXPIRED),
        ErrorCode::Forbidden => (403, "ORIGIN_NOT_ALLOWED", k::EMBED_ERROR_ORIGIN),
        ErrorCode::EmbedSignedIn => (409, "SIGNED_IN", k::EMBED_ERROR_SIGNED_IN),
        _ => (401, "TOKEN_INVALID", k::EMBED_ERROR_INVALID),
    };
    let (ko, en) = (what.text(Language::Ko), what.text(Language::En));
    let nonce = dojang_core::accounts::web_session::random_token();
    let script = host_origin
        .map(|o| {
            let msg = serde_json::json!({ "source": "dojang", "version": 1, "type": "error", "data": { "code": code, "message": en } });
            let target = serde_json::to_string(o).unwrap_or_default();
            format!(
                "<script nonce=\"{nonce}\">(function(){{var w=window.parent!==window?window.parent:window.opener;if(w)w.postMessage({msg},{target});}})();</script>"
            )
        })
        .unwrap_or_default();
    let body = format!(
        "<!doctype html><html lang=\"ko\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>Dojang</title><style>body{{font-family:system-ui,sans-serif;display:grid;place-items:center;min-height:90vh;margin:0;color:#1f2937}}\
         main{{max-width:28rem;padding:2rem;text-align:center}}.seal{{font-size:2.5rem;color:#b91c1c}}</style></head>\
         <body><main data-testid=\"embed-error\" data-code=\"{code}\"><div class=\"seal\" aria-hidden=\"true\">印</div>\
         <h1>{ko}</h1><p lang=\"en\">{en}</p><p>{reopen_ko} {reopen_en}</p></main>{script}</body></html>",
        ko = escape(ko),
        en = escape(en),
        reopen_ko = escape(k::EMBED_ERROR_REOPEN.text(Language::Ko)),
        reopen_en = escape(k::EMBED_ERROR_REOPEN.text(Language::En)),
    );
    let mut res =
        (StatusCode::from_u16(status).unwrap_or(StatusCode::UNAUTHORIZED), [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response();
    let h = res.headers_mut();
    let csp = format!("default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-{nonce}'; base-uri 'none'; frame-ancestors *");
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(HeaderName::from_static("cross-origin-opener-policy"), HeaderValue::from_static("unsafe-none"));
    no_trace(h);
    res
}
