//! Page previews for signers, authorised by their signing link's token.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use dojang_core::error::AppError;
use dojang_core::ids::DocumentId;
use dojang_core::pdf::render::PreviewSize;
use dojang_core::signing::signer;
use dojang_core::state::AppState;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/_app/sign/{token}/documents/{id}/pages/{page}", get(preview))
}

#[derive(Deserialize)]
struct SizeQuery {
    size: Option<String>,
}

async fn preview(
    State(st): State<AppState>,
    Path((token, id, page)): Path<(String, String, String)>,
    Query(q): Query<SizeQuery>,
) -> Result<Response, AppError> {
    let id = DocumentId::parse(&id)?;
    let page: u32 = page.parse().map_err(|_| AppError::not_found("Page"))?;
    let size = q.size.as_deref().and_then(PreviewSize::parse).unwrap_or(PreviewSize::Page);
    let jpeg = signer::preview(&st, &token, &id, page, size).await?;
    let mut res = jpeg.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=3600"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    Ok(res)
}
