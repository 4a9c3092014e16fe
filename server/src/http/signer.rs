//! The signer's HTTP endpoints besides the page and its server functions: page previews, and
//! the identity checks (asking for a code, answering a check) on the signing page and on a
//! recipient's download page — plain form posts, so the checks work before any script runs.
//! A form post is answered with a redirect back to the page (`?verify_error=CODE` when it
//! failed); `Accept: application/json` gets JSON with the status of the error code instead.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use dojang_core::audit::Origin;
use dojang_core::error::{AppError, ErrorCode};
use dojang_core::identity::gate::{self, Answer, Cookies};
use dojang_core::ids::DocumentId;
use dojang_core::model::AuthMethod;
use dojang_core::pdf::render::PreviewSize;
use dojang_core::seal::files;
use dojang_core::signing::link::Signer;
use dojang_core::signing::signer;
use dojang_core::state::AppState;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/_app/sign/{token}/documents/{id}/pages/{page}", get(preview))
        .route("/sign/{token}/verify/send", post(send_code))
        .route("/sign/{token}/verify", post(answer))
        .route("/download/{token}/verify/send", post(download_send_code))
        .route("/download/{token}/verify", post(download_answer))
        .route("/s/{token}", get(short_link))
}

/// Where a check is taken: on the signing page while the envelope is open, or on the
/// download page of a recipient's own link once it is complete.
#[derive(Clone, Copy)]
enum Place {
    Signing,
    Download,
}

impl Place {
    fn page(self, token: &str) -> String {
        match self {
            Self::Signing => format!("/sign/{token}"),
            Self::Download => format!("/download/{token}"),
        }
    }

    /// The recipient the link belongs to, while checks can be taken through it.
    async fn holder(self, st: &AppState, token: &str) -> Result<Signer, AppError> {
        match self {
            Self::Signing => {
                let s = Signer::resolve(st, token).await?;
                s.ensure_open()?;
                Ok(s)
            }
            Self::Download => {
                files::download_link(st, token).await?.holder.ok_or_else(|| AppError::field("method", "not_required", "This download link asks for no check"))
            }
        }
    }
}

#[derive(Deserialize)]
struct SizeQuery {
    size: Option<String>,
}

async fn preview(
    State(st): State<AppState>,
    Path((token, id, page)): Path<(String, String, String)>,
    Query(q): Query<SizeQuery>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let id = DocumentId::parse(&id)?;
    let page: u32 = page.parse().map_err(|_| AppError::not_found("Page"))?;
    let size = q.size.as_deref().and_then(PreviewSize::parse).unwrap_or(PreviewSize::Page);
    let jpeg = signer::preview(&st, &token, &Cookies::from_headers(&headers), &id, page, size).await?;
    let mut res = jpeg.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
    // Shown only to a browser that passed the recipient's checks: never kept by a cache.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    Ok(res)
}

/// An SMS's short link: on to the signing page (the token is the link's own).
async fn short_link(Path(token): Path<String>) -> Response {
    if dojang_core::infra::crypto::SigningToken::parse(&token).is_none() {
        return AppError::new(ErrorCode::SigningLinkInvalid, "This signing link is not valid").into_response();
    }
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/sign/{token}")) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r.headers_mut().insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    r
}

#[derive(Deserialize)]
struct VerifyForm {
    method: String,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    birth_date: Option<String>,
}

fn method_of(f: &VerifyForm) -> Result<AuthMethod, AppError> {
    AuthMethod::parse(&f.method).ok_or_else(|| AppError::field("method", "invalid", "Name a check: emailCode, smsCode, accessCode or knowledge"))
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("application/json"))
}

/// Back to the page (with the error's code when there was one), or JSON.
fn reply(headers: &HeaderMap, page: &str, result: Result<Option<String>, AppError>) -> Response {
    let json = wants_json(headers);
    let (cookie, error) = match result {
        Ok(c) => (c, None),
        Err(e) => (None, Some(e)),
    };
    let mut res = match (&error, json) {
        (Some(e), true) => e.clone().into_response(),
        (None, true) => (StatusCode::OK, Json(serde_json::json!({ "ok": true }))).into_response(),
        (e, false) => {
            let query = e.as_ref().map(|e| format!("?verify_error={}", e.code.as_str())).unwrap_or_default();
            let mut r = StatusCode::SEE_OTHER.into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("{page}{query}")) {
                r.headers_mut().insert(header::LOCATION, v);
            }
            r
        }
    };
    if let Some(v) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res.headers_mut().insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// A form body as sent by the page (`application/x-www-form-urlencoded`) or as JSON.
fn parse_form(headers: &HeaderMap, body: &[u8]) -> Result<VerifyForm, AppError> {
    let json = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("application/json"));
    if json {
        serde_json::from_slice(body).map_err(|e| AppError::new(ErrorCode::InvalidJson, format!("The body is not the JSON expected: {e}")))
    } else {
        serde_urlencoded::from_bytes(body).map_err(|_| AppError::new(ErrorCode::BadRequest, "The form is incomplete"))
    }
}

async fn send_code(State(st): State<AppState>, Path(token): Path<String>, headers: HeaderMap, origin: Origin, body: axum::body::Bytes) -> Response {
    request_code(&st, Place::Signing, &token, &headers, &origin, &body).await
}

async fn answer(State(st): State<AppState>, Path(token): Path<String>, headers: HeaderMap, origin: Origin, body: axum::body::Bytes) -> Response {
    take_answer(&st, Place::Signing, &token, &headers, &origin, &body).await
}

async fn download_send_code(State(st): State<AppState>, Path(token): Path<String>, headers: HeaderMap, origin: Origin, body: axum::body::Bytes) -> Response {
    request_code(&st, Place::Download, &token, &headers, &origin, &body).await
}

async fn download_answer(State(st): State<AppState>, Path(token): Path<String>, headers: HeaderMap, origin: Origin, body: axum::body::Bytes) -> Response {
    take_answer(&st, Place::Download, &token, &headers, &origin, &body).await
}

async fn request_code(st: &AppState, place: Place, token: &str, headers: &HeaderMap, origin: &Origin, body: &[u8]) -> Response {
    let result = async {
        let f = parse_form(headers, body)?;
        let s = place.holder(st, token).await?;
        gate::request(st, &s, &Cookies::from_headers(headers), method_of(&f)?, origin).await?;
        Ok(None)
    }
    .await;
    reply(headers, &place.page(token), result)
}

async fn take_answer(st: &AppState, place: Place, token: &str, headers: &HeaderMap, origin: &Origin, body: &[u8]) -> Response {
    let result = async {
        let f = parse_form(headers, body)?;
        let s = place.holder(st, token).await?;
        let a = Answer { method: method_of(&f)?, code: f.code.as_deref(), phone: f.phone.as_deref(), birth_date: f.birth_date.as_deref() };
        let session = gate::answer(st, &s, &Cookies::from_headers(headers), &a, origin).await?;
        Ok(Some(gate::set_cookie(&s.recipient.id, &session)))
    }
    .await;
    reply(headers, &place.page(token), result)
}
