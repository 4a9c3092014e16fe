//! API keys of the signed-in user's organization: list, create (key and secret returned
//! once), revoke.

use dojang_core::error::AppError;
use dojang_core::model::{ApiKeySummary, NewApiKey};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::ssr::{self, respond};

#[server(prefix = "/_fn", endpoint = "api-keys/list")]
pub async fn list_api_keys() -> Result<Vec<ApiKeySummary>, AppError> {
    respond(
        async {
            let st = ssr::state()?;
            let user = ssr::require_user().await?;
            dojang_core::api::keys::list(&st.db, &user.organization_id).await
        }
        .await,
    )
}

#[server(prefix = "/_fn", endpoint = "api-keys/create")]
pub async fn create_api_key(csrf: String, name: String, mode: String) -> Result<NewApiKey, AppError> {
    respond(
        async {
            ssr::check_csrf(&csrf).await?;
            let st = ssr::state()?;
            let user = ssr::require_user().await?;
            let mode = dojang_core::model::Mode::parse(&mode).ok_or_else(|| AppError::field("mode", "invalid", "Choose live or test"))?;
            dojang_core::api::keys::create(&st.db, &user.organization_id, mode, &name).await
        }
        .await,
    )
}

#[server(prefix = "/_fn", endpoint = "api-keys/revoke")]
pub async fn revoke_api_key(csrf: String, id: String) -> Result<(), AppError> {
    respond(
        async {
            ssr::check_csrf(&csrf).await?;
            let st = ssr::state()?;
            let user = ssr::require_user().await?;
            let id = dojang_core::ids::ApiKeyId::parse(&id)?;
            dojang_core::api::keys::revoke(&st.db, &st.api_keys, &user.organization_id, &id).await
        }
        .await,
    )
}

/// The origins allowed to embed the organization's screens.
#[server(prefix = "/_fn", endpoint = "embedding/get")]
pub async fn get_embed_origins() -> Result<Vec<String>, AppError> {
    respond(
        async {
            let st = ssr::state()?;
            let user = ssr::require_user().await?;
            dojang_core::embed::allowed_origins(&st.db, &user.organization_id, dojang_core::model::Mode::Live).await
        }
        .await,
    )
}

/// Replaces the allowlist; `origins` separated by spaces, commas or new lines.
#[server(prefix = "/_fn", endpoint = "embedding/set")]
pub async fn set_embed_origins(csrf: String, origins: String) -> Result<Vec<String>, AppError> {
    respond(
        async {
            ssr::check_csrf(&csrf).await?;
            let st = ssr::state()?;
            let user = ssr::require_user().await?;
            let list = dojang_core::embed::parse_origins(&origins)?;
            dojang_core::embed::set_allowed_origins(&st.db, &user.organization_id, dojang_core::model::Mode::Live, &list).await?;
            Ok(list)
        }
        .await,
    )
}
