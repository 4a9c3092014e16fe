//! `/api/v1/documents`: the caller's document library.

use super::envelopes::paging;
use super::extract::{ApiQuery, Authed};
use super::schema::{DocumentList, DocumentOut, UploadForm};
use crate::http::documents::{multipart_rejected, read_file};
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::Json;
use dojang_core::document::library;
use dojang_core::error::AppResult;
use dojang_core::ids::DocumentId;
use dojang_core::state::AppState;
use serde::Deserialize;
use utoipa::IntoParams;

/// Upload a PDF (multipart field `file`).
#[utoipa::path(post, path = "/documents", tag = "documents",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, description = "The stored document", body = DocumentOut)))]
pub async fn upload(State(st): State<AppState>, auth: Authed, multipart: Result<Multipart, MultipartRejection>) -> AppResult<(StatusCode, Json<DocumentOut>)> {
    let multipart = multipart.map_err(multipart_rejected)?;
    let file = read_file(multipart, st.settings.max_upload_bytes).await?;
    let info = library::upload(&st, &auth.0.actor, file).await?;
    let created = library::get(&st.db, &auth.0.actor, &info.id).await?;
    Ok((StatusCode::CREATED, Json(DocumentOut::new(created.info, Some(created.created_at)))))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// 1–100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    #[param(minimum = 0)]
    pub offset: Option<i64>,
}

/// List documents, newest first.
#[utoipa::path(get, path = "/documents", tag = "documents", params(Paging),
    responses((status = 200, description = "One page of documents", body = DocumentList)))]
pub async fn list(State(st): State<AppState>, auth: Authed, ApiQuery(q): ApiQuery<Paging>) -> AppResult<Json<DocumentList>> {
    let (limit, offset) = paging(q.limit, q.offset)?;
    let (docs, has_more) = library::list(&st.db, &auth.0.actor, limit, offset).await?;
    Ok(Json(DocumentList { data: docs.into_iter().map(|d| DocumentOut::new(d.info, Some(d.created_at))).collect(), has_more }))
}

/// Get a document.
#[utoipa::path(get, path = "/documents/{id}", tag = "documents", params(("id" = String, Path)),
    responses((status = 200, description = "The document", body = DocumentOut)))]
pub async fn get_one(State(st): State<AppState>, auth: Authed, Path(id): Path<String>) -> AppResult<Json<DocumentOut>> {
    let d = library::get(&st.db, &auth.0.actor, &DocumentId::parse(&id)?).await?;
    Ok(Json(DocumentOut::new(d.info, Some(d.created_at))))
}

/// Delete a document that no envelope uses.
#[utoipa::path(delete, path = "/documents/{id}", tag = "documents", params(("id" = String, Path)),
    responses((status = 204, description = "Deleted")))]
pub async fn delete(State(st): State<AppState>, auth: Authed, Path(id): Path<String>) -> AppResult<StatusCode> {
    library::delete(&st, &auth.0.actor, &DocumentId::parse(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
