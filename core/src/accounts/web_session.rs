//! What Dojang keeps in a browser session: the signed-in user and the CSRF token.
//! Logging in cycles the session id (no fixation); logging out deletes the session.

use crate::error::{AppError, ErrorCode};
use crate::ids::UserId;
use rand::RngCore as _;
use tower_sessions::Session;

const USER_KEY: &str = "user_id";
const CSRF_KEY: &str = "csrf";

fn store_err(e: tower_sessions::session::Error) -> AppError {
    AppError::internal(anyhow::anyhow!("session store: {e}"))
}

pub async fn log_in(session: &Session, user: &UserId) -> Result<(), AppError> {
    session.cycle_id().await.map_err(store_err)?;
    session.insert(USER_KEY, user.as_str()).await.map_err(store_err)?;
    // A fresh token for the new session: tokens from before login are not reused.
    session.insert(CSRF_KEY, random_token()).await.map_err(store_err)?;
    Ok(())
}

pub async fn log_out(session: &Session) -> Result<(), AppError> {
    session.flush().await.map_err(store_err)
}

pub async fn user_id(session: &Session) -> Result<Option<UserId>, AppError> {
    let raw: Option<String> = session.get(USER_KEY).await.map_err(store_err)?;
    Ok(raw.and_then(|s| UserId::parse(&s).ok()))
}

/// The session's CSRF token, created on first use.
pub async fn csrf_token(session: &Session) -> Result<String, AppError> {
    if let Some(t) = session.get::<String>(CSRF_KEY).await.map_err(store_err)? {
        return Ok(t);
    }
    let t = random_token();
    session.insert(CSRF_KEY, &t).await.map_err(store_err)?;
    Ok(t)
}

/// Refuses a form whose token is not this session's.
pub async fn verify_csrf(session: &Session, submitted: &str) -> Result<(), AppError> {
    let expected: Option<String> = session.get(CSRF_KEY).await.map_err(store_err)?;
    check_csrf_token(expected.as_deref(), submitted)
}

/// Refuses a submitted CSRF token unless it is the expected one (a session's, or an embed
/// session's).
pub fn check_csrf_token(expected: Option<&str>, submitted: &str) -> Result<(), AppError> {
    match expected {
        Some(e) if crate::infra::crypto::constant_time_eq(e.as_bytes(), submitted.as_bytes()) => Ok(()),
        _ => Err(AppError::new(ErrorCode::CsrfFailed, "The form has expired; reload the page and try again")),
    }
}

/// 256 random bits, hex.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}
