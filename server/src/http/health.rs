//! `/healthz`: the process is up. `/readyz`: the database answers and PDFium is loaded.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use dojang_core::state::AppState;
use serde_json::{json, Value};

pub async fn healthz() -> (StatusCode, Json<Value>) {
    (StatusCode::OK, Json(json!({ "status": "ok" })))
}

pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let (db, pdf) = tokio::join!(state.db.ping(), state.pdf.is_ready());
    let word = |ok: bool| if ok { "ok" } else { "unavailable" };
    let status = if db && pdf { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(json!({ "status": word(db && pdf), "database": word(db), "pdfium": word(pdf) })))
}
