//! `/api/…`: the JSON API. Every unknown path or method answers in the one error shape.

use axum::extract::Request;
use axum::Router;
use dojang_core::error::{AppError, ErrorCode};
use dojang_core::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().fallback(not_found)
}

async fn not_found(req: Request) -> AppError {
    AppError::new(ErrorCode::NotFound, format!("No API route {} {}", req.method(), req.uri().path()))
}
