//! The signed-in user of a browser request (session cookie), as an extractor; 401 otherwise.
//! Also checks the per-session CSRF token sent in `x-csrf-token` by the app's own scripts.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use dojang_core::accounts::{self, web_session};
use dojang_core::actor::Actor;
use dojang_core::error::AppError;
use dojang_core::model::CurrentUser;
use dojang_core::state::AppState;
use tower_sessions::Session;

pub struct SessionUser {
    pub user: CurrentUser,
    pub session: Session,
}

impl SessionUser {
    pub fn actor(&self) -> Actor {
        Actor::from(&self.user)
    }

    /// For state-changing requests: the `x-csrf-token` header must be this session's token.
    pub async fn check_csrf(&self, parts_token: Option<&str>) -> Result<(), AppError> {
        web_session::verify_csrf(&self.session, parts_token.unwrap_or_default()).await
    }
}

impl FromRequestParts<AppState> for SessionUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, state).await.map_err(|(_, m)| AppError::internal_msg(format!("session layer missing: {m}")))?;
        let id = web_session::user_id(&session).await?.ok_or_else(AppError::unauthenticated)?;
        let user = accounts::find_user(&state.db, &id).await?.ok_or_else(AppError::unauthenticated)?;
        Ok(Self { user, session })
    }
}

/// Who may use the contract editor's endpoints (uploads, previews): an embed session (a
/// hosted screen opened with a client token) or else the signed-in user.
pub struct EditorActor {
    pub actor: Actor,
    csrf: Csrf,
}

enum Csrf {
    Session(Session),
    Embed(String),
}

impl EditorActor {
    pub async fn check_csrf(&self, token: Option<&str>) -> Result<(), AppError> {
        match &self.csrf {
            Csrf::Session(s) => web_session::verify_csrf(s, token.unwrap_or_default()).await,
            Csrf::Embed(expected) => web_session::check_csrf_token(Some(expected), token.unwrap_or_default()),
        }
    }
}

impl FromRequestParts<AppState> for EditorActor {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        // Resolved from its cookie by the embed layer, once per request.
        if let Some(e) = parts.extensions.get::<dojang_core::embed::EmbedSession>() {
            return Ok(Self { actor: e.actor.clone(), csrf: Csrf::Embed(e.csrf.clone()) });
        }
        let user = SessionUser::from_request_parts(parts, state).await?;
        Ok(Self { actor: user.actor(), csrf: Csrf::Session(user.session) })
    }
}

pub fn csrf_header(parts: &axum::http::HeaderMap) -> Option<&str> {
    parts.get("x-csrf-token").and_then(|v| v.to_str().ok())
}
