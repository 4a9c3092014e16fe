//! Sign-up, login, logout and the current user.

use dojang_core::error::AppError;
use dojang_core::model::CurrentUser;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::ssr::{self, respond};
#[cfg(feature = "ssr")]
use dojang_core::accounts::{self, web_session};

#[server(prefix = "/_fn", endpoint = "auth/current_user")]
pub async fn get_current_user() -> Result<Option<CurrentUser>, AppError> {
    respond(ssr::current_user().await)
}

/// The session's CSRF token, for hidden form fields.
#[server(prefix = "/_fn", endpoint = "auth/csrf_token")]
pub async fn get_csrf_token() -> Result<String, AppError> {
    respond(ssr::csrf_token().await)
}

/// The embed session's CSRF token, for the hosted editor's calls (none without a live embed
/// session). Kept apart from `auth/csrf_token` so that a page outside the hosted screens never
/// receives it.
#[server(prefix = "/_fn", endpoint = "auth/embed_csrf_token")]
pub async fn embed_csrf_token() -> Result<Option<String>, AppError> {
    respond(Ok(ssr::embed_session().map(|e| e.csrf)))
}

/// For a live embed session (a hosted screen opened with a client token): the origins its
/// organization lets embed the screens. None without one.
#[server(prefix = "/_fn", endpoint = "auth/embed_origins")]
pub async fn embed_origins() -> Result<Option<Vec<String>>, AppError> {
    respond(Ok(ssr::embed_session().map(|e| e.allowed_origins)))
}

#[server(prefix = "/_fn", endpoint = "auth/sign_up")]
pub async fn sign_up(csrf: String, org_name: String, name: String, email: String, password: String) -> Result<(), AppError> {
    respond(
        async {
            let session = ssr::check_csrf(&csrf).await?;
            // The owner's mail (a signer declined, a contract completed) speaks the language
            // they signed up in.
            let language = crate::i18n::Lang::detect().into();
            let input = accounts::SignUp::parse(&org_name, &name, &email, &password, language)?;
            let st = ssr::state()?;
            let user = accounts::sign_up(&st.db, input).await?;
            web_session::log_in(&session, &user.id).await?;
            leptos_axum::redirect("/dashboard");
            Ok(())
        }
        .await,
    )
}

#[server(prefix = "/_fn", endpoint = "auth/log_in")]
pub async fn log_in(csrf: String, email: String, password: String) -> Result<(), AppError> {
    respond(
        async {
            let session = ssr::check_csrf(&csrf).await?;
            let st = ssr::state()?;
            let user = accounts::log_in(&st.db, &email, &password, &ssr::client_ip()).await?;
            web_session::log_in(&session, &user.id).await?;
            tracing::info!(user_id = %user.id, "logged in");
            leptos_axum::redirect("/dashboard");
            Ok(())
        }
        .await,
    )
}

#[server(prefix = "/_fn", endpoint = "auth/log_out")]
pub async fn log_out(csrf: String) -> Result<(), AppError> {
    respond(
        async {
            let session = ssr::check_csrf(&csrf).await?;
            web_session::log_out(&session).await?;
            leptos_axum::redirect("/login");
            Ok(())
        }
        .await,
    )
}
