//! `/api/v1/keys`: the organization's API keys of the caller's mode — listed, made (the key
//! and secret shown once, with scopes no wider than the caller's) and revoked. Only the
//! integrator itself (the API key or an admin token, with every scope), never a client token.

use super::extract::{Authed, OptionalJson};
use super::schema::{ApiKeyList, ApiKeyOut, NewApiKeyIn, NewApiKeyOut};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use dojang_core::api::keys;
use dojang_core::api::permissions::Scopes;
use dojang_core::error::{AppError, AppResult, ErrorCode};
use dojang_core::ids::ApiKeyId;
use dojang_core::state::AppState;

/// List the keys of this mode (newest first).
#[utoipa::path(get, path = "/keys", tag = "auth", responses((status = 200, description = "The keys", body = ApiKeyList)))]
pub async fn list(State(st): State<AppState>, auth: Authed) -> AppResult<Json<ApiKeyList>> {
    let caller = auth.integrator()?;
    let data = keys::list(&st.db, &caller.actor.organization_id).await?.into_iter().filter(|k| k.mode == caller.actor.mode).map(ApiKeyOut::new).collect();
    Ok(Json(ApiKeyList { data }))
}

/// Make a key of this mode; its key and secret are shown only now.
#[utoipa::path(post, path = "/keys", tag = "auth", request_body(content = Option<NewApiKeyIn>),
    responses((status = 201, description = "The new key", body = NewApiKeyOut)))]
pub async fn create(State(st): State<AppState>, auth: Authed, OptionalJson(body): OptionalJson<NewApiKeyIn>) -> AppResult<(StatusCode, Json<NewApiKeyOut>)> {
    let caller = auth.integrator()?;
    let scopes = match &body.scopes {
        None => Scopes::all(),
        Some(names) => Scopes::parse_list(names)?,
    };
    if !caller.scopes.covers(scopes) {
        return Err(AppError::new(ErrorCode::Forbidden, "A key cannot make a key that may do more than it may"));
    }
    let made = keys::create_scoped(&st.db, &caller.actor.organization_id, caller.actor.mode, body.name.as_deref().unwrap_or(""), scopes).await?;
    Ok((
        StatusCode::CREATED,
        Json(NewApiKeyOut {
            id: made.id.to_string(),
            key: made.key,
            secret: made.secret,
            mode: made.mode.as_str().to_owned(),
            prefix: made.prefix,
            scopes: scopes.names().into_iter().map(str::to_owned).collect(),
        }),
    ))
}

/// Revoke a key of this mode: it and every token made from it stop working at once (on other instances sharing a SQLite file, within `DOJANG_API_KEY_CACHE_SECONDS`).
#[utoipa::path(delete, path = "/keys/{id}", tag = "auth", params(("id" = String, Path)), responses((status = 204, description = "Revoked")))]
pub async fn revoke(State(st): State<AppState>, auth: Authed, Path(id): Path<String>) -> AppResult<StatusCode> {
    let caller = auth.integrator()?;
    let id = ApiKeyId::parse(&id).map_err(|_| AppError::not_found("API key"))?;
    let ours = keys::list(&st.db, &caller.actor.organization_id).await?.into_iter().any(|k| k.id == id && k.mode == caller.actor.mode);
    if !ours {
        return Err(AppError::not_found("API key"));
    }
    keys::revoke(&st.db, &st.api_keys, &caller.actor.organization_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
