//! Bulk send: `POST /api/v1/templates/{id}/bulk` (JSON rows or a CSV body) queues one
//! envelope per row; `GET /api/v1/batches/{id}` reports counts and each row; cancel stops the
//! rows not sent yet.

use super::extract::{ApiJson, ApiQuery, Authed};
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{header, StatusCode};
use axum::Json;
use dojang_core::bulk::{self, Batch, Row};
use dojang_core::error::{AppError, AppResult, ErrorCode};
use dojang_core::ids::{BatchId, TemplateId};
use dojang_core::state::AppState;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BulkIn {
    /// One object per envelope: `recipients` (`role`, `email`, `name`, optional `phone`,
    /// `language`), `values` by field name, optional `externalId`. At most 10 000.
    #[schema(value_type = Vec<Object>)]
    pub rows: Vec<Row>,
    /// Check every row and report, without sending.
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BulkParams {
    /// For a CSV body: check every row and report, without sending.
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BulkOut {
    /// The batch (absent for a dry run).
    pub id: Option<String>,
    pub rows: usize,
    /// `running`, or `checked` for a dry run.
    pub status: String,
}

/// Send one envelope per row from a template. The body is JSON (`{"rows": […]}`) or CSV
/// (`Content-Type: text/csv`; per role `<role>.name`, `<role>.email`, optional `<role>.phone`
/// and `<role>.language`, an optional `externalId`, other columns are values by field name).
/// Every row is checked first: any problem refuses the whole batch (422, each problem named
/// `rows[i]…`). Sending is paced (`DOJANG_BULK_RATE` rows a minute) and stops at the quota,
/// the rest of the rows marked `skipped`.
#[utoipa::path(post, path = "/templates/{id}/bulk", tag = "templates", params(("id" = String, Path), BulkParams),
    request_body(content = BulkIn, content_type = "application/json"),
    responses((status = 202, description = "Queued", body = BulkOut), (status = 200, description = "Checked (dry run)", body = BulkOut)))]
pub async fn create(
    State(st): State<AppState>,
    auth: Authed,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<BulkParams>,
    req: Request,
) -> AppResult<(StatusCode, Json<BulkOut>)> {
    let id = TemplateId::parse(&id)?;
    let actor = &auth.0.actor;
    let is_csv =
        req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|c| c.trim_start().to_ascii_lowercase().starts_with("text/csv"));
    let (rows, dry_run) = if is_csv {
        let bytes = axum::body::Bytes::from_request(req, &st).await.map_err(|_| AppError::new(ErrorCode::PayloadTooLarge, "The body is too large"))?;
        let text = std::str::from_utf8(&bytes).map_err(|_| AppError::field("csv", "invalid", "The CSV must be UTF-8"))?;
        let t = dojang_core::template::get(&st.db, actor, &id).await?;
        (bulk::parse_csv(&t, text)?, q.dry_run)
    } else {
        let ApiJson(body) = ApiJson::<BulkIn>::from_request(req, &st).await?;
        (body.rows, body.dry_run || q.dry_run)
    };
    let n = rows.len();
    match bulk::create(&st.db, actor, &id, rows, dry_run).await? {
        Some(batch) => {
            st.jobs_wake.notify_waiters();
            Ok((StatusCode::ACCEPTED, Json(BulkOut { id: Some(batch.to_string()), rows: n, status: "running".into() })))
        }
        None => Ok((StatusCode::OK, Json(BulkOut { id: None, rows: n, status: "checked".into() }))),
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BatchParams {
    /// First row reported (default 0).
    #[param(minimum = 0)]
    pub offset: Option<i64>,
    /// Rows reported (1–10000, default 1000).
    #[param(minimum = 1, maximum = 10000)]
    pub limit: Option<i64>,
}

/// A batch: its state (`running`, `done`, `cancelled`), counts per row state (`pending`,
/// `created`, `sent`, `failed`, `skipped`, `cancelled`) and each row with its envelope or error.
#[utoipa::path(get, path = "/batches/{id}", tag = "templates", params(("id" = String, Path), BatchParams),
    responses((status = 200, description = "The batch", body = Object)))]
pub async fn get_one(State(st): State<AppState>, auth: Authed, Path(id): Path<String>, ApiQuery(q): ApiQuery<BatchParams>) -> AppResult<Json<Batch>> {
    let id = BatchId::parse(&id)?;
    Ok(Json(bulk::get(&st.db, &auth.0.actor, &id, q.offset.unwrap_or(0), q.limit.unwrap_or(1000)).await?))
}

/// Cancel a running batch: rows not sent yet are marked `cancelled`.
#[utoipa::path(post, path = "/batches/{id}/cancel", tag = "templates", params(("id" = String, Path)),
    responses((status = 200, description = "The batch", body = Object)))]
pub async fn cancel(State(st): State<AppState>, auth: Authed, Path(id): Path<String>) -> AppResult<Json<Batch>> {
    let id = BatchId::parse(&id)?;
    bulk::cancel(&st.db, &auth.0.actor, &id).await?;
    Ok(Json(bulk::get(&st.db, &auth.0.actor, &id, 0, 1000).await?))
}
