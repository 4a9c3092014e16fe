//! `/api/v1/documents`: the caller's document library — uploaded with the integrator's
//! reference, found by it, changed, downloaded as uploaded, deleted while unused.

use super::extract::{ApiJson, ApiQuery, Authed};
use super::schema::{DocumentList, DocumentOut, DocumentPatch, UploadForm};
use crate::http::documents::{multipart_rejected, read_form};
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use dojang_core::api::listing::{parse_filter, parse_time, Page};
use dojang_core::api::reference::ReferenceChange;
use dojang_core::api::scope;
use dojang_core::document::library;
use dojang_core::error::{AppError, AppResult};
use dojang_core::ids::DocumentId;
use dojang_core::state::AppState;
use serde::Deserialize;
use utoipa::IntoParams;

/// Upload a PDF (multipart field `file`; optional text fields `externalId` and `metadata`,
/// the latter a JSON object).
#[utoipa::path(post, path = "/documents", tag = "documents",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, description = "The stored document", body = DocumentOut)))]
pub async fn upload(State(st): State<AppState>, auth: Authed, multipart: Result<Multipart, MultipartRejection>) -> AppResult<(StatusCode, Json<DocumentOut>)> {
    let multipart = multipart.map_err(multipart_rejected)?;
    let (file, texts) = read_form(multipart, st.settings.max_upload_bytes, &["externalId", "metadata"]).await?;
    let metadata = texts
        .get("metadata")
        .map(|m| serde_json::from_str::<serde_json::Value>(m).map_err(|_| AppError::field("metadata", "invalid", "metadata is a JSON object")))
        .transpose()?;
    let reference = ReferenceChange::parse(texts.get("externalId").cloned().map(Some), metadata.map(Some))?;
    let info = library::upload(&st, &auth.0.actor, file, &reference).await?;
    let created = library::get(&st.db, &auth.0.actor, &info.id).await?;
    Ok((StatusCode::CREATED, Json(DocumentOut::new(created))))
}

#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DocumentParams {
    /// Your id of the document.
    #[param(max_length = 255)]
    pub external_id: Option<String>,
    /// Words of the file name (case-insensitive, anywhere in it).
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// Uploaded at or after this RFC 3339 time.
    pub created_after: Option<String>,
    /// Uploaded before this RFC 3339 time.
    pub created_before: Option<String>,
    /// 1–100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    #[param(minimum = 0)]
    pub offset: Option<i64>,
    /// The `next` of the previous page (instead of `offset`).
    pub cursor: Option<String>,
}

/// List documents, newest first, by the filters given (all must hold).
#[utoipa::path(get, path = "/documents", tag = "documents", params(DocumentParams),
    responses((status = 200, description = "One page of documents", body = DocumentList)))]
pub async fn list(State(st): State<AppState>, auth: Authed, ApiQuery(q): ApiQuery<DocumentParams>) -> AppResult<Json<DocumentList>> {
    let page = Page::parse(q.limit, q.offset, q.cursor.as_deref())?;
    let filter = library::Filter {
        external_id: parse_filter("externalId", q.external_id, 255)?,
        name: parse_filter("q", q.q, 200)?,
        created_after: parse_time("createdAfter", q.created_after.as_deref())?,
        created_before: parse_time("createdBefore", q.created_before.as_deref())?,
    };
    let (docs, next) = library::list(&st.db, &auth.0.actor, &filter, &page).await?;
    Ok(Json(DocumentList { data: docs.into_iter().map(DocumentOut::new).collect(), has_more: next.is_some(), next: next.map(|c| c.encode()) }))
}

/// Get a document.
#[utoipa::path(get, path = "/documents/{id}", tag = "documents", params(("id" = String, Path)),
    responses((status = 200, description = "The document", body = DocumentOut)))]
pub async fn get_one(State(st): State<AppState>, auth: Authed, Path(id): Path<String>) -> AppResult<Json<DocumentOut>> {
    Ok(Json(DocumentOut::new(library::get(&st.db, &auth.0.actor, &DocumentId::parse(&id)?).await?)))
}

/// Change a document's `externalId` or `metadata` (`null` clears).
#[utoipa::path(patch, path = "/documents/{id}", tag = "documents", params(("id" = String, Path)), request_body = DocumentPatch,
    responses((status = 200, description = "The document", body = DocumentOut)))]
pub async fn patch(State(st): State<AppState>, auth: Authed, Path(id): Path<String>, ApiJson(body): ApiJson<DocumentPatch>) -> AppResult<Json<DocumentOut>> {
    let id = DocumentId::parse(&id)?;
    let reference = ReferenceChange::parse(body.external_id, body.metadata)?;
    library::set_reference(&st.db, &auth.0.actor, &id, &reference).await?;
    Ok(Json(DocumentOut::new(library::get(&st.db, &auth.0.actor, &id).await?)))
}

/// Download a document as it was uploaded.
#[utoipa::path(get, path = "/documents/{id}/file", tag = "documents", params(("id" = String, Path)),
    responses((status = 200, description = "The PDF as uploaded", content_type = "application/pdf", body = Vec<u8>)))]
pub async fn file(State(st): State<AppState>, auth: Authed, Path(id): Path<String>) -> AppResult<Response> {
    let id = DocumentId::parse(&id)?;
    scope::document(&st.db, &auth.0.actor, &id).await?;
    Ok(crate::http::sealed::pdf(dojang_core::seal::files::original_document(&st, &id).await?))
}

/// Delete a document that no envelope uses.
#[utoipa::path(delete, path = "/documents/{id}", tag = "documents", params(("id" = String, Path)),
    responses((status = 204, description = "Deleted")))]
pub async fn delete(State(st): State<AppState>, auth: Authed, Path(id): Path<String>) -> AppResult<StatusCode> {
    library::delete(&st, &auth.0.actor, &DocumentId::parse(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
