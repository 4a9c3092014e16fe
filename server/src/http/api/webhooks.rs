//! `/webhooks`: endpoints that receive signed events, their delivery log, re-enabling and
//! resend. Managed with the API key or an admin token (not client tokens), per mode.

use super::extract::{ApiJson, Authed};
use super::schema::*;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use dojang_core::error::AppResult;
use dojang_core::ids::WebhookEndpointId;
use dojang_core::state::AppState;
use dojang_core::webhooks::endpoints::{self, NewEndpoint};

/// Register an endpoint. The answer carries its signing secret, shown only here.
#[utoipa::path(post, path = "/webhooks", tag = "webhooks", request_body = WebhookIn,
    responses((status = 201, description = "Registered", body = WebhookOut)))]
pub async fn create(State(st): State<AppState>, auth: Authed, ApiJson(body): ApiJson<WebhookIn>) -> AppResult<Response> {
    let caller = auth.integrator()?;
    let input = NewEndpoint::parse(&body.url, &body.events, st.settings.webhook_allow_private)?;
    let (endpoint, secret) = endpoints::create(&st.db, &st.settings, &caller.actor, &input).await?;
    Ok((StatusCode::CREATED, Json(WebhookOut::new(endpoint, Some(secret)))).into_response())
}

/// List endpoints.
#[utoipa::path(get, path = "/webhooks", tag = "webhooks", responses((status = 200, description = "Endpoints", body = WebhookList)))]
pub async fn list(State(st): State<AppState>, auth: Authed) -> AppResult<Json<WebhookList>> {
    let caller = auth.integrator()?;
    let data = endpoints::list(&st.db, &caller.actor).await?.into_iter().map(|e| WebhookOut::new(e, None)).collect();
    Ok(Json(WebhookList { data }))
}

/// Get an endpoint.
#[utoipa::path(get, path = "/webhooks/{id}", tag = "webhooks", params(("id" = String, Path)),
    responses((status = 200, description = "The endpoint", body = WebhookOut)))]
pub async fn get_one(State(st): State<AppState>, auth: Authed, Path(id): Path<String>) -> AppResult<Json<WebhookOut>> {
    let caller = auth.integrator()?;
    Ok(Json(WebhookOut::new(endpoints::find(&st.db, &caller.actor, &WebhookEndpointId::parse(&id)?).await?, None)))
}

/// Delete an endpoint with its queue and log.
#[utoipa::path(delete, path = "/webhooks/{id}", tag = "webhooks", params(("id" = String, Path)),
    responses((status = 204, description = "Deleted")))]
pub async fn delete(State(st): State<AppState>, auth: Authed, Path(id): Path<String>) -> AppResult<StatusCode> {
    let caller = auth.integrator()?;
    endpoints::delete(&st.db, &caller.actor, &WebhookEndpointId::parse(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Enable an endpoint again after it was disabled for failing.
#[utoipa::path(post, path = "/webhooks/{id}/enable", tag = "webhooks", params(("id" = String, Path)),
    responses((status = 200, description = "Enabled", body = WebhookOut)))]
pub async fn enable(State(st): State<AppState>, auth: Authed, Path(id): Path<String>) -> AppResult<Json<WebhookOut>> {
    let caller = auth.integrator()?;
    Ok(Json(WebhookOut::new(endpoints::enable(&st.db, &caller.actor, &WebhookEndpointId::parse(&id)?).await?, None)))
}

/// The newest 100 messages of an endpoint with every attempt (status code, error, duration).
#[utoipa::path(get, path = "/webhooks/{id}/deliveries", tag = "webhooks", params(("id" = String, Path)),
    responses((status = 200, description = "Deliveries", body = WebhookDeliveryList)))]
pub async fn deliveries(State(st): State<AppState>, auth: Authed, Path(id): Path<String>) -> AppResult<Json<WebhookDeliveryList>> {
    let caller = auth.integrator()?;
    let list = endpoints::deliveries(&st.db, &caller.actor, &WebhookEndpointId::parse(&id)?, 100).await?;
    Ok(Json(WebhookDeliveryList { data: list.into_iter().map(Into::into).collect() }))
}

/// Send a message again now, with a fresh retry schedule.
#[utoipa::path(post, path = "/webhooks/{id}/deliveries/{message}/resend", tag = "webhooks",
    params(("id" = String, Path), ("message" = String, Path, description = "The message id (`msg_…`)")),
    responses((status = 202, description = "Queued")))]
pub async fn resend(State(st): State<AppState>, auth: Authed, Path((id, message)): Path<(String, String)>) -> AppResult<StatusCode> {
    let caller = auth.integrator()?;
    endpoints::resend(&st.db, &caller.actor, &WebhookEndpointId::parse(&id)?, &message).await?;
    Ok(StatusCode::ACCEPTED)
}
