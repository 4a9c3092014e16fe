//! Sealed results as HTTP responses: the sender's downloads (signed in), the files behind
//! recipients' expiring download links from the completion email, and public verification
//! of any PDF. What is read lives in `dojang_core::seal::files`.

use super::documents::read_file;
use super::session_user::SessionUser;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use dojang_core::error::AppError;
use dojang_core::identity::gate::Cookies;
use dojang_core::ids::{DocumentId, EnvelopeId};
use dojang_core::seal::files::{self, NamedFile};
use dojang_core::seal::{keys, verify};
use dojang_core::state::AppState;

/// Routes that need the browser session.
pub fn app_router() -> Router<AppState> {
    Router::new()
        .route("/_app/envelopes/{id}/documents/{doc}/sealed.pdf", get(sender_document))
        .route("/_app/envelopes/{id}/audit-trail.pdf", get(sender_trail))
}

/// Public routes. The download page itself (`/download/{token}`) is the app's
/// (`app/src/pages/download.rs`); its files are served here.
pub fn public_router(max_upload: u64) -> Router<AppState> {
    Router::new()
        .route("/download/{token}/documents/{doc}", get(download_document))
        .route("/download/{token}/audit-trail.pdf", get(download_trail))
        .route("/verify/root.pem", get(root_pem))
        .route("/api/v1/verify", post(verify_upload).layer(DefaultBodyLimit::max((max_upload + 1024 * 1024) as usize)))
}

/// A PDF download under its file name.
pub(crate) fn pdf(file: NamedFile) -> Response {
    let NamedFile { body, name: filename } = file;
    let mut res = axum::body::Body::from_stream(body.chunks).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(body.size));
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    // RFC 6266: an ASCII fallback and the UTF-8 name.
    let ascii: String = filename.chars().map(|c| if c.is_ascii_alphanumeric() || " .-_()".contains(c) { c } else { '_' }).collect();
    let utf8: String =
        filename.bytes().map(|b| if b.is_ascii_alphanumeric() || b".-_".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }).collect();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{utf8}")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

async fn owned(st: &AppState, user: &SessionUser, id: &str) -> Result<EnvelopeId, AppError> {
    let id = EnvelopeId::parse(id)?;
    dojang_core::api::scope::envelope(&st.db, &user.actor(), &id).await?;
    Ok(id)
}

async fn sender_document(State(st): State<AppState>, user: SessionUser, Path((id, doc)): Path<(String, String)>) -> Result<Response, AppError> {
    let id = owned(&st, &user, &id).await?;
    Ok(pdf(files::sealed_document(&st, &id, &DocumentId::parse(&doc)?).await?))
}

async fn sender_trail(State(st): State<AppState>, user: SessionUser, Path(id): Path<String>) -> Result<Response, AppError> {
    let id = owned(&st, &user, &id).await?;
    Ok(pdf(files::audit_trail(&st, &id).await?))
}

async fn download_document(State(st): State<AppState>, Path((token, doc)): Path<(String, String)>, headers: HeaderMap) -> Result<Response, AppError> {
    let id = files::download_access(&st, &token, &Cookies::from_headers(&headers)).await?;
    Ok(pdf(files::sealed_document(&st, &id, &DocumentId::parse(&doc)?).await?))
}

async fn download_trail(State(st): State<AppState>, Path(token): Path<String>, headers: HeaderMap) -> Result<Response, AppError> {
    let id = files::download_access(&st, &token, &Cookies::from_headers(&headers)).await?;
    Ok(pdf(files::audit_trail(&st, &id).await?))
}

async fn root_pem(State(st): State<AppState>) -> Result<Response, AppError> {
    let pem = keys::root_pem(&st.db).await?;
    Ok(([(header::CONTENT_TYPE, "application/x-pem-file")], pem).into_response())
}

/// `POST /api/v1/verify` (multipart `file`): is this PDF sealed here, and intact?
async fn verify_upload(
    State(st): State<AppState>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Json<verify::Verification>, AppError> {
    let multipart = multipart.map_err(super::documents::multipart_rejected)?;
    let upload = read_file(multipart, st.settings.max_upload_bytes).await?;
    Ok(Json(verify::verify(&st.db, upload.bytes).await?))
}
