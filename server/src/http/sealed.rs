//! Sealed results: the sender's downloads (signed in), recipients' expiring download links
//! from the completion email, and public verification of any PDF.

use super::documents::read_file;
use super::session_user::SessionUser;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use dojang_core::document::sealed_name;
use dojang_core::error::AppError;
use dojang_core::ids::{DocumentId, EnvelopeId};
use dojang_core::infra::crypto::SigningToken;
use dojang_core::infra::db::Timestamp;
use dojang_core::infra::storage::BlobKey;
use dojang_core::mail::templates::escape;
use dojang_core::seal::{keys, verify};
use dojang_core::state::AppState;

/// Routes that need the browser session.
pub fn app_router() -> Router<AppState> {
    Router::new()
        .route("/_app/envelopes/{id}/documents/{doc}/sealed.pdf", get(sender_document))
        .route("/_app/envelopes/{id}/audit-trail.pdf", get(sender_trail))
}

/// Public routes.
pub fn public_router(max_upload: u64) -> Router<AppState> {
    Router::new()
        .route("/download/{token}", get(download_page))
        .route("/download/{token}/documents/{doc}", get(download_document))
        .route("/download/{token}/audit-trail.pdf", get(download_trail))
        .route("/verify/root.pem", get(root_pem))
        .route("/api/v1/verify", post(verify_upload).layer(DefaultBodyLimit::max((max_upload + 1024 * 1024) as usize)))
}

pub(crate) fn pdf(bytes: Vec<u8>, filename: &str) -> Response {
    let mut res = bytes.into_response();
    let h = res.headers_mut();
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

/// A sealed document of an envelope, with the document's name — once the whole envelope is
/// sealed (each document and the audit trail), which is when it is reported completed.
pub(crate) async fn sealed_document(st: &AppState, envelope: &EnvelopeId, doc: &DocumentId) -> Result<(Vec<u8>, String), AppError> {
    let row: Option<(String, String)> = sqlx::query_as(
        "SELECT s.storage_key, d.name FROM sealed_documents s JOIN documents d ON d.id = s.document_id \
         JOIN envelopes e ON e.id = s.envelope_id WHERE s.envelope_id = $1 AND s.document_id = $2 AND e.seal_status = 'sealed'",
    )
    .bind(envelope)
    .bind(doc)
    .fetch_optional(st.db.pool())
    .await?;
    let (key, name) = row.ok_or_else(|| AppError::not_found("Sealed document"))?;
    let bytes = st.storage.get(&BlobKey::new(&key)?).await?.ok_or_else(|| AppError::not_found("Sealed document"))?;
    Ok((bytes, sealed_name(&name)))
}

pub(crate) async fn trail(st: &AppState, envelope: &EnvelopeId) -> Result<(Vec<u8>, String), AppError> {
    let row: Option<(Option<String>, String)> =
        sqlx::query_as("SELECT audit_trail_key, name FROM envelopes WHERE id = $1").bind(envelope).fetch_optional(st.db.pool()).await?;
    let (Some(key), name) = row.ok_or_else(|| AppError::not_found("Audit trail"))? else {
        return Err(AppError::not_found("Audit trail"));
    };
    let bytes = st.storage.get(&BlobKey::new(&key)?).await?.ok_or_else(|| AppError::not_found("Audit trail"))?;
    Ok((bytes, format!("{name} (audit trail).pdf")))
}

async fn owned(st: &AppState, user: &SessionUser, id: &str) -> Result<EnvelopeId, AppError> {
    let id = EnvelopeId::parse(id)?;
    dojang_core::api::scope::envelope(&st.db, &user.actor(), &id).await?;
    Ok(id)
}

async fn sender_document(State(st): State<AppState>, user: SessionUser, Path((id, doc)): Path<(String, String)>) -> Result<Response, AppError> {
    let id = owned(&st, &user, &id).await?;
    let (bytes, name) = sealed_document(&st, &id, &DocumentId::parse(&doc)?).await?;
    Ok(pdf(bytes, &name))
}

async fn sender_trail(State(st): State<AppState>, user: SessionUser, Path(id): Path<String>) -> Result<Response, AppError> {
    let id = owned(&st, &user, &id).await?;
    let (bytes, name) = trail(&st, &id).await?;
    Ok(pdf(bytes, &name))
}

/// The envelope a download link opens, while it has not expired.
async fn link_envelope(st: &AppState, token: &str) -> Result<EnvelopeId, AppError> {
    let gone = || AppError::not_found("Download link");
    let token = SigningToken::parse(token).ok_or_else(gone)?;
    let row: Option<(String, Timestamp)> =
        sqlx::query_as("SELECT envelope_id, expires_at FROM download_links WHERE token_hash = $1").bind(token.hash()).fetch_optional(st.db.pool()).await?;
    match row {
        Some((id, expires)) if expires > Timestamp::now() => EnvelopeId::parse(&id),
        _ => Err(gone()),
    }
}

async fn download_page(State(st): State<AppState>, Path(token): Path<String>) -> Result<Response, AppError> {
    let id = link_envelope(&st, &token).await?;
    let docs: Vec<(String, String)> =
        sqlx::query_as("SELECT s.document_id, d.name FROM sealed_documents s JOIN documents d ON d.id = s.document_id WHERE s.envelope_id = $1")
            .bind(&id)
            .fetch_all(st.db.pool())
            .await?;
    let mut html = String::from(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>Dojang</title></head>\
         <body style=\"font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem\"><h1>서명 완료 문서 · Sealed documents</h1><ul>",
    );
    for (doc, name) in docs {
        html.push_str(&format!("<li><a href=\"/download/{token}/documents/{doc}\">{}</a></li>", escape(&sealed_name(&name))));
    }
    html.push_str(&format!("<li><a href=\"/download/{token}/audit-trail.pdf\">감사 추적 기록 · Audit trail</a></li></ul></body></html>"));
    let mut res = Html(html).into_response();
    res.headers_mut().insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    Ok(res)
}

async fn download_document(State(st): State<AppState>, Path((token, doc)): Path<(String, String)>) -> Result<Response, AppError> {
    let id = link_envelope(&st, &token).await?;
    let (bytes, name) = sealed_document(&st, &id, &DocumentId::parse(&doc)?).await?;
    Ok(pdf(bytes, &name))
}

async fn download_trail(State(st): State<AppState>, Path(token): Path<String>) -> Result<Response, AppError> {
    let id = link_envelope(&st, &token).await?;
    let (bytes, name) = trail(&st, &id).await?;
    Ok(pdf(bytes, &name))
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
