//! Tokens and client users (the Comake flow), and usage: the integrator's server trades its
//! key and secret for an admin token, registers its users as clients, and gets a short-lived
//! client token per user for the hosted screens and for API calls in that user's name.

use super::extract::{ApiJson, Authed};
use super::schema::*;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use dojang_core::api::{clients, keys, tokens, usage};
use dojang_core::error::{AppError, AppResult};
use dojang_core::ids::ClientId;
use dojang_core::state::AppState;

/// Trade the API key (Bearer) and its secret for an admin token.
#[utoipa::path(post, path = "/auth/admin-token", tag = "auth", request_body = AdminTokenIn,
    responses((status = 200, description = "An admin token", body = AdminTokenOut)))]
pub async fn admin_token(State(st): State<AppState>, auth: Authed, ApiJson(body): ApiJson<AdminTokenIn>) -> AppResult<Json<AdminTokenOut>> {
    let caller = auth.key_only()?;
    keys::check_secret(&st.db, &caller.key_id, &body.secret).await?;
    let token = tokens::issue_admin(&st.db, &st.settings.secret_key, &st.settings.public_url, &caller).await?;
    Ok(Json(AdminTokenOut { admin_token: token, expires_in: tokens::ADMIN_TTL_SECONDS }))
}

fn client_out(c: clients::Client) -> ClientOut {
    ClientOut { id: c.id.to_string(), external_id: c.external_id, name: c.name, email: c.email, created_at: c.created_at }
}

/// Register a client user (or update the one with this `externalId`).
#[utoipa::path(post, path = "/clients", tag = "auth", request_body = ClientIn,
    responses((status = 201, description = "Registered", body = ClientOut), (status = 200, description = "Already registered; updated", body = ClientOut)))]
pub async fn register_client(State(st): State<AppState>, auth: Authed, ApiJson(body): ApiJson<ClientIn>) -> AppResult<Response> {
    let caller = auth.integrator()?;
    let input = clients::NewClient::parse(&body.external_id, &body.name, &body.email)?;
    let (client, created) = clients::register(&st.db, &caller.actor, &input).await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(client_out(client))).into_response())
}

/// List client users.
#[utoipa::path(get, path = "/clients", tag = "auth", responses((status = 200, description = "Clients", body = ClientList)))]
pub async fn list_clients(State(st): State<AppState>, auth: Authed) -> AppResult<Json<ClientList>> {
    let caller = auth.integrator()?;
    Ok(Json(ClientList { data: clients::list(&st.db, &caller.actor).await?.into_iter().map(client_out).collect() }))
}

/// Get a client user.
#[utoipa::path(get, path = "/clients/{id}", tag = "auth", params(("id" = String, Path)),
    responses((status = 200, description = "The client", body = ClientOut)))]
pub async fn get_client(State(st): State<AppState>, auth: Authed, Path(id): Path<String>) -> AppResult<Json<ClientOut>> {
    let caller = auth.integrator()?;
    Ok(Json(client_out(clients::find(&st.db, &caller.actor, &ClientId::parse(&id)?).await?)))
}

/// Get a client token (one hour) for a registered client user.
#[utoipa::path(post, path = "/auth/client-token", tag = "auth", request_body = ClientTokenIn,
    responses((status = 200, description = "A client token", body = ClientTokenOut)))]
pub async fn client_token(State(st): State<AppState>, auth: Authed, ApiJson(body): ApiJson<ClientTokenIn>) -> AppResult<Json<ClientTokenOut>> {
    let caller = auth.integrator()?;
    let id = ClientId::parse(&body.client_id).map_err(|_| AppError::not_found("Client"))?;
    let client = clients::find(&st.db, &caller.actor, &id).await?;
    let token = tokens::issue_client(&st.db, &st.settings.secret_key, &st.settings.public_url, &caller, &client.id).await?;
    Ok(Json(ClientTokenOut { client_token: token, expires_in: tokens::CLIENT_TTL_SECONDS }))
}

/// Signature requests sent this month and what remains of the quota.
#[utoipa::path(get, path = "/usage", tag = "usage", responses((status = 200, description = "Usage", body = UsageOut)))]
pub async fn get_usage(State(st): State<AppState>, auth: Authed) -> AppResult<Json<UsageOut>> {
    let caller = auth.integrator()?;
    let u = usage::usage(&st.db, &caller.actor.organization_id).await?;
    // Test envelopes never count; a test key sees the organization's live usage.
    Ok(Json(UsageOut {
        mode: caller.actor.mode.as_str().to_owned(),
        period_start: u.period_start,
        period_end: u.period_end,
        sent: u.sent,
        quota: u.quota,
        remaining: u.remaining,
    }))
}

/// Origins allowed to embed the hosted screens of the key's mode (live and test keys each have their own list).
#[utoipa::path(get, path = "/embedding", tag = "embedding", responses((status = 200, description = "The allowlist", body = EmbeddingSettings)))]
pub async fn get_embedding(State(st): State<AppState>, auth: Authed) -> AppResult<Json<EmbeddingSettings>> {
    let caller = auth.integrator()?;
    Ok(Json(EmbeddingSettings { allowed_origins: dojang_core::embed::allowed_origins(&st.db, &caller.actor.organization_id, caller.actor.mode).await? }))
}

/// Replace the origins allowed to embed the hosted screens (`frame-ancestors` and `postMessage` targets).
#[utoipa::path(put, path = "/embedding", tag = "embedding", request_body = EmbeddingSettings,
    responses((status = 200, description = "The allowlist now", body = EmbeddingSettings)))]
pub async fn put_embedding(State(st): State<AppState>, auth: Authed, ApiJson(body): ApiJson<EmbeddingSettings>) -> AppResult<Json<EmbeddingSettings>> {
    let caller = auth.integrator()?;
    let origins = dojang_core::embed::parse_origins(&body.allowed_origins.join(" "))?;
    dojang_core::embed::set_allowed_origins(&st.db, &caller.actor.organization_id, caller.actor.mode, &origins).await?;
    Ok(Json(EmbeddingSettings { allowed_origins: origins }))
}
