//! Embedding Dojang's screens in another company's site. A client token in the URL is
//! exchanged once for a short-lived embed session (a random token in a `Partitioned`,
//! `SameSite=None` cookie, so it works inside a third-party iframe), after which the hosted
//! screens act as that client user. Only origins on the organization's allowlist may frame
//! the screens (`frame-ancestors`) or receive their `postMessage` events.

use crate::accounts::web_session::random_token;
use crate::actor::Actor;
use crate::api::key_cache::KeyCache;
use crate::api::{tokens, AuthKind};
use crate::error::{AppError, AppResult, ErrorCode, FieldError};
use crate::ids::{ClientId, OrganizationId};
use crate::infra::config::Settings;
use crate::infra::crypto::token_hash as hash_token;
use crate::infra::db::{Db, Timestamp};
use crate::model::Mode;

/// The cookie holding an embed session's token.
pub const COOKIE: &str = "dojang_embed";
/// How long an embed session lasts.
pub const SESSION_SECONDS: i64 = 3600;
pub const MAX_ORIGINS: usize = 20;

/// An origin as browsers send it: `scheme://host[:port]`, lowercase, no path.
pub fn parse_origin(raw: &str) -> Option<String> {
    let url = reqwest::Url::parse(raw.trim()).ok()?;
    let plain = matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some()
        && url.username().is_empty()
        && url.password().is_none()
        && matches!(url.path(), "" | "/")
        && url.query().is_none()
        && url.fragment().is_none();
    plain.then(|| url.origin().ascii_serialization())
}

/// A list of origins separated by spaces, commas or new lines, each checked.
pub fn parse_origins(raw: &str) -> AppResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for part in raw.split([' ', ',', '\n', '\r', '\t']).filter(|p| !p.is_empty()) {
        match parse_origin(part) {
            Some(o) if !out.contains(&o) => out.push(o),
            Some(_) => {}
            None => {
                return Err(AppError::fields(vec![FieldError {
                    field: "allowedOrigins".into(),
                    code: "invalid".into(),
                    message: format!("{part:?} is not an origin like https://app.example.com"),
                }]))
            }
        }
    }
    if out.len() > MAX_ORIGINS {
        return Err(AppError::field("allowedOrigins", "too_many", format!("At most {MAX_ORIGINS} origins")));
    }
    Ok(out)
}

/// The response header in which the signing page names the origins that may frame it (its
/// envelope's, read with it), so the embed layer need not look the link up again; the layer
/// takes it off the response.
pub const FRAME_ORIGINS_HEADER: &str = "x-dojang-frame-origins";

/// The stored form of an allowlist (space-separated; `FRAME_ORIGINS_HEADER` carries the same)
/// as a list.
pub fn split_origins(stored: &str) -> Vec<String> {
    stored.split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// The column of a mode's allowlist: each mode has its own, so a test key can never change
/// which sites may frame live screens.
fn origins_column(mode: Mode) -> &'static str {
    match mode {
        Mode::Live => "embed_origins",
        Mode::Test => "embed_origins_test",
    }
}

/// The origins allowed to embed an organization's screens of `mode`.
pub async fn allowed_origins(db: &Db, org: &OrganizationId, mode: Mode) -> AppResult<Vec<String>> {
    let sql = format!("SELECT {} FROM organizations WHERE id = $1", origins_column(mode));
    let raw: Option<String> = sqlx::query_scalar(&sql).bind(org).fetch_optional(db.pool()).await?;
    Ok(split_origins(&raw.unwrap_or_default()))
}

pub async fn set_allowed_origins(db: &Db, org: &OrganizationId, mode: Mode, origins: &[String]) -> AppResult<()> {
    let sql = format!("UPDATE organizations SET {} = $2, updated_at = $3 WHERE id = $1", origins_column(mode));
    sqlx::query(&sql).bind(org).bind(origins.join(" ")).bind(Timestamp::now()).execute(db.pool()).await?;
    Ok(())
}

/// The `frame-ancestors` sources for these origins (`'none'` when there are none).
pub fn frame_ancestors(origins: &[String]) -> String {
    if origins.is_empty() {
        "'none'".into()
    } else {
        format!("'self' {}", origins.join(" "))
    }
}

/// A live embed session, with its organization's allowlist.
#[derive(Clone, Debug)]
pub struct EmbedSession {
    pub actor: Actor,
    pub csrf: String,
    pub allowed_origins: Vec<String>,
}

/// Exchanges a client token for an embed session; returns the session's token (for the
/// cookie) and the session. An expired token is `TOKEN_EXPIRED`; anything else not a valid
/// client token is `UNAUTHENTICATED`.
pub async fn start(db: &Db, settings: &Settings, keys: &KeyCache, client_token: &str) -> AppResult<(String, EmbedSession)> {
    let caller = tokens::verify(db, keys, &settings.secret_key, &settings.public_url, client_token).await?;
    let AuthKind::ClientToken(client) = &caller.kind else {
        return Err(AppError::new(ErrorCode::Unauthenticated, "Open this screen with a client token"));
    };
    let (token, csrf) = (random_token(), random_token());
    let now = Timestamp::now();
    sqlx::query(
        "INSERT INTO embed_sessions (id, token_hash, organization_id, mode, client_id, api_key_id, csrf, expires_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
    )
    .bind(uuid::Uuid::now_v7().simple().to_string())
    .bind(hash_token(&token))
    .bind(&caller.actor.organization_id)
    .bind(caller.actor.mode.as_str())
    .bind(client)
    .bind(&caller.key_id)
    .bind(&csrf)
    .bind(now.plus(time::Duration::seconds(SESSION_SECONDS)))
    .bind(now)
    .execute(db.pool())
    .await?;
    let allowed_origins = allowed_origins(db, &caller.actor.organization_id, caller.actor.mode).await?;
    Ok((token, EmbedSession { actor: caller.actor, csrf, allowed_origins }))
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    organization_id: OrganizationId,
    mode: Mode,
    client_id: ClientId,
    csrf: String,
    origins: String,
}

/// The session of an embed cookie, if it is live and its API key still is.
pub async fn resolve(db: &Db, token: &str) -> AppResult<Option<EmbedSession>> {
    let row: Option<SessionRow> = sqlx::query_as(
        "SELECT s.organization_id, s.mode, s.client_id, s.csrf, \
                CASE WHEN s.mode = 'test' THEN o.embed_origins_test ELSE o.embed_origins END AS origins FROM embed_sessions s \
         JOIN api_keys k ON k.id = s.api_key_id JOIN organizations o ON o.id = s.organization_id \
         WHERE s.token_hash = $1 AND s.expires_at > $2 AND k.revoked_at IS NULL",
    )
    .bind(hash_token(token))
    .bind(Timestamp::now())
    .fetch_optional(db.pool())
    .await?;
    let Some(r) = row else { return Ok(None) };
    let actor = Actor { organization_id: r.organization_id, user_id: None, mode: r.mode, client_id: Some(r.client_id) };
    Ok(Some(EmbedSession { actor, csrf: r.csrf, allowed_origins: split_origins(&r.origins) }))
}

/// The embed session token in a request's cookies.
pub fn cookie_token(headers: &http::HeaderMap) -> Option<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_owned())
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The `Set-Cookie` value for a session token: readable in a third-party iframe (`SameSite=None;
/// Secure; Partitioned`), never by scripts.
pub fn set_cookie(token: &str) -> String {
    format!("{COOKIE}={token}; Path=/; Max-Age={SESSION_SECONDS}; HttpOnly; Secure; SameSite=None; Partitioned")
}

/// The `Set-Cookie` value that removes the embed cookie.
pub fn clear_cookie() -> String {
    format!("{COOKIE}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=None; Partitioned")
}

/// Ends the embed session of a cookie token (the browser signed in as a user meanwhile).
pub async fn end(db: &Db, token: &str) -> AppResult<()> {
    sqlx::query("DELETE FROM embed_sessions WHERE token_hash = $1").bind(hash_token(token)).execute(db.pool()).await?;
    Ok(())
}

/// Removes expired sessions; returns how many.
pub async fn sweep(db: &Db) -> AppResult<u64> {
    Ok(sqlx::query("DELETE FROM embed_sessions WHERE expires_at <= $1").bind(Timestamp::now()).execute(db.pool()).await?.rows_affected())
}

/// The allowlist of the organization behind a signing link, for the envelope's mode (who may
/// frame the signer's page).
pub async fn signing_origins(db: &Db, sign_token: &str) -> AppResult<Vec<String>> {
    let origins: Option<String> = sqlx::query_scalar(
        "SELECT CASE WHEN e.mode = 'test' THEN o.embed_origins_test ELSE o.embed_origins END FROM signing_links l JOIN envelopes e ON e.id = l.envelope_id \
         JOIN organizations o ON o.id = e.organization_id WHERE l.token_hash = $1",
    )
    .bind(hash_token(sign_token))
    .fetch_optional(db.pool())
    .await?;
    Ok(split_origins(&origins.unwrap_or_default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_normalised_and_anything_else_refused() {
        assert_eq!(parse_origin("https://App.Example.com/"), Some("https://app.example.com".into()));
        assert_eq!(parse_origin("http://localhost:5173"), Some("http://localhost:5173".into()));
        assert_eq!(parse_origin("https://example.com:443"), Some("https://example.com".into()));
        for bad in ["https://example.com/path", "ftp://example.com", "example.com", "https://u:p@example.com", "*", "https://example.com?x=1"] {
            assert_eq!(parse_origin(bad), None, "{bad}");
        }
        assert_eq!(parse_origins("https://a.example, https://b.example\nhttps://a.example").unwrap(), vec!["https://a.example", "https://b.example"]);
        assert!(parse_origins("https://a.example nope").is_err());
        assert_eq!(frame_ancestors(&[]), "'none'");
        assert_eq!(frame_ancestors(&["https://a.example".into()]), "'self' https://a.example");
    }
}
