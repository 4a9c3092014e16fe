//! The app's document endpoints: upload (multipart, with progress in the browser) and page
//! previews (JPEG, rendered on demand and cached).

use super::session_user::{csrf_header, EditorActor};
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use dojang_core::document::{self, file_too_large, Upload};
use dojang_core::error::{AppError, ErrorCode};
use dojang_core::ids::{DocumentId, EnvelopeId};
use dojang_core::pdf::render::PreviewSize;
use dojang_core::state::AppState;
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;

pub fn router(max_upload: u64) -> Router<AppState> {
    Router::new()
        .route("/_app/documents", post(upload).layer(DefaultBodyLimit::max((max_upload + 1024 * 1024) as usize)))
        .route("/_app/documents/{id}/pages/{page}", get(preview))
}

#[derive(Deserialize)]
struct UploadQuery {
    #[serde(rename = "contractId")]
    contract_id: Option<String>,
}

async fn upload(
    State(st): State<AppState>,
    user: EditorActor,
    headers: HeaderMap,
    Query(q): Query<UploadQuery>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, AppError> {
    let multipart = multipart.map_err(multipart_rejected)?;
    user.check_csrf(csrf_header(&headers)).await?;
    let envelope = q.contract_id.as_deref().filter(|s| !s.is_empty()).map(EnvelopeId::parse).transpose()?;
    let upload = read_file(multipart, st.settings.max_upload_bytes).await?;
    let (envelope_id, document) = dojang_core::envelope::add_document(&st, &user.actor, envelope.as_ref(), upload).await?;
    Ok((StatusCode::CREATED, Json(json!({ "contractId": envelope_id, "document": document }))).into_response())
}

/// A request that is not multipart/form-data at all (or has no boundary).
pub fn multipart_rejected(e: MultipartRejection) -> AppError {
    AppError::new(ErrorCode::UnsupportedMediaType, format!("Send the PDF as the multipart/form-data field \"file\" ({})", e.body_text()))
}

/// The multipart field `file`, refusing more than `limit` bytes as it streams in.
pub async fn read_file(multipart: Multipart, limit: u64) -> Result<Upload, AppError> {
    Ok(read_form(multipart, limit, &[]).await?.0)
}

/// The largest text field of an upload form.
const MAX_FORM_TEXT: usize = 16 * 1024;

/// The PDF of the multipart field `file` and the text fields named in `texts` (in any
/// order; each at most 16 KB), others skipped.
pub async fn read_form(mut multipart: Multipart, limit: u64, texts: &[&str]) -> Result<(Upload, HashMap<String, String>), AppError> {
    let bad = |m: String| AppError::new(ErrorCode::BadRequest, m);
    let mut file = None;
    let mut values = HashMap::new();
    while let Some(mut field) = multipart.next_field().await.map_err(|e| multipart_error(e, limit))? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" && file.is_none() {
            let file_name = field.file_name().unwrap_or("document.pdf").to_owned();
            let mut bytes = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(|e| multipart_error(e, limit))? {
                if (bytes.len() + chunk.len()) as u64 > limit {
                    return Err(file_too_large(limit));
                }
                bytes.extend_from_slice(&chunk);
            }
            file = Some(Upload { file_name, bytes: bytes.into() });
            if texts.is_empty() {
                break;
            }
        } else if texts.contains(&name.as_str()) {
            let mut bytes = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(|e| multipart_error(e, limit))? {
                if bytes.len() + chunk.len() > MAX_FORM_TEXT {
                    return Err(AppError::field(&name, "too_large", "Use at most 16 KB"));
                }
                bytes.extend_from_slice(&chunk);
            }
            let text = String::from_utf8(bytes).map_err(|_| AppError::field(&name, "invalid", "Send UTF-8 text"))?;
            values.insert(name, text);
        }
    }
    let file = file.ok_or_else(|| bad("Send the PDF as the multipart field \"file\"".into()))?;
    Ok((file, values))
}

fn multipart_error(e: axum::extract::multipart::MultipartError, limit: u64) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        file_too_large(limit)
    } else {
        AppError::new(ErrorCode::BadRequest, format!("Malformed upload: {}", e.body_text()))
    }
}

#[derive(Deserialize)]
struct PreviewQuery {
    size: Option<String>,
}

async fn preview(
    State(st): State<AppState>,
    user: EditorActor,
    Path((id, page)): Path<(String, String)>,
    Query(q): Query<PreviewQuery>,
) -> Result<Response, AppError> {
    let id = DocumentId::parse(&id)?;
    let page: u32 = page.trim_end_matches(".jpg").parse().map_err(|_| AppError::not_found("Page"))?;
    let size = match q.size.as_deref() {
        None => PreviewSize::Page,
        Some(s) => PreviewSize::parse(s).ok_or_else(|| AppError::field("size", "invalid", "size is page or thumb"))?,
    };
    let jpeg = document::preview(&st, &user.actor, &id, page, size).await?;
    let mut res = jpeg.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
    // A document never changes once uploaded, so its previews never do either.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=31536000, immutable"));
    Ok(res)
}
