//! Admin and client tokens: JWTs made the RFC 8725 way. One algorithm (HS256) is accepted and
//! the header must say so; each kind has its own explicit `typ` and its own keys, so a client
//! token can never pass as an admin token; `iss`, `aud` and `exp` are always checked. Keys are
//! random, encrypted at rest with the instance secret, and rotate: the newest key of a kind
//! signs, every key not retired verifies (`kid` names it).

use super::key_cache::KeyCache;
use super::keys;
use super::{AuthKind, Caller};
use crate::actor::Actor;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::ids::{ApiKeyId, ClientId};
use crate::infra::config::Secret;
use crate::infra::db::{Db, Timestamp};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use rand::RngCore as _;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

pub const AUDIENCE: &str = "dojang-api";
pub const ADMIN_TTL_SECONDS: i64 = 3600;
pub const CLIENT_TTL_SECONDS: i64 = 3600;
/// Clock skew tolerated on `exp` and `iat`.
const LEEWAY_SECONDS: i64 = 30;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Admin,
    Client,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Client => "client",
        }
    }

    fn typ(self) -> &'static str {
        match self {
            Self::Admin => "dojang-admin+jwt",
            Self::Client => "dojang-client+jwt",
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Header {
    alg: String,
    typ: String,
    kid: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Claims {
    iss: String,
    aud: String,
    sub: String,
    iat: i64,
    exp: i64,
    jti: String,
    /// The API key the token derives from.
    key: String,
    org: String,
    mode: String,
}

fn invalid() -> AppError {
    AppError::new(ErrorCode::Unauthenticated, "The token is invalid or has expired")
}

/// The signing key of a purpose, creating the first one on demand.
async fn current_key(db: &Db, secret: &Secret, purpose: Purpose) -> AppResult<(String, Vec<u8>)> {
    let row: Option<(String, String)> =
        sqlx::query_as("SELECT id, secret FROM api_token_keys WHERE purpose = $1 AND retired_at IS NULL ORDER BY created_at DESC, id DESC LIMIT 1")
            .bind(purpose.as_str())
            .fetch_optional(db.pool())
            .await?;
    match row {
        Some((id, stored)) => Ok((id, crate::infra::crypto::decrypt_key(secret, &stored)?)),
        None => create_key(db, secret, purpose).await,
    }
}

async fn create_key(db: &Db, secret: &Secret, purpose: Purpose) -> AppResult<(String, Vec<u8>)> {
    let mut raw = vec![0u8; 32];
    rand::thread_rng().fill_bytes(&mut raw);
    let id = crate::ids::ApiKeyId::new().to_string();
    let now = Timestamp::now();
    let mut tx = db.begin().await?;
    sqlx::query("INSERT INTO api_token_keys (id, purpose, secret, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)")
        .bind(&id)
        .bind(purpose.as_str())
        .bind(crate::infra::crypto::encrypt_key(secret, &raw)?)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok((id, raw))
}

/// Adds a new signing key for both kinds; older keys keep verifying until retired.
pub async fn rotate(db: &Db, secret: &Secret) -> AppResult<()> {
    create_key(db, secret, Purpose::Admin).await?;
    create_key(db, secret, Purpose::Client).await?;
    Ok(())
}

/// Retires every key but the newest of each kind: tokens they signed stop working.
pub async fn retire_previous(db: &Db) -> AppResult<u64> {
    let mut retired = 0;
    for purpose in [Purpose::Admin, Purpose::Client] {
        let newest: Option<String> =
            sqlx::query_scalar("SELECT id FROM api_token_keys WHERE purpose = $1 AND retired_at IS NULL ORDER BY created_at DESC, id DESC LIMIT 1")
                .bind(purpose.as_str())
                .fetch_optional(db.pool())
                .await?;
        if let Some(newest) = newest {
            let res = sqlx::query("UPDATE api_token_keys SET retired_at = $3, updated_at = $3 WHERE purpose = $1 AND id <> $2 AND retired_at IS NULL")
                .bind(purpose.as_str())
                .bind(&newest)
                .bind(Timestamp::now())
                .execute(db.pool())
                .await?;
            retired += res.rows_affected();
        }
    }
    Ok(retired)
}

fn mac(key: &[u8], input: &[u8]) -> AppResult<Hmac<Sha256>> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).map_err(AppError::internal_msg)?;
    m.update(input);
    Ok(m)
}

/// A token for `sub` (the API key's id for admin tokens, the client's id for client tokens),
/// acting with the organization, mode and key of `caller`.
async fn issue(db: &Db, secret: &Secret, issuer: &str, purpose: Purpose, caller: &Caller, sub: &str, ttl: i64) -> AppResult<String> {
    let (kid, raw) = current_key(db, secret, purpose).await?;
    let now = Timestamp::now().unix_seconds();
    let header = Header { alg: "HS256".into(), typ: purpose.typ().into(), kid };
    let claims = Claims {
        iss: issuer.to_owned(),
        aud: AUDIENCE.to_owned(),
        sub: sub.to_owned(),
        iat: now,
        exp: now + ttl,
        jti: uuid::Uuid::new_v4().simple().to_string(),
        key: caller.key_id.to_string(),
        org: caller.actor.organization_id.to_string(),
        mode: caller.actor.mode.as_str().to_owned(),
    };
    let header = serde_json::to_vec(&header).map_err(AppError::internal)?;
    let claims = serde_json::to_vec(&claims).map_err(AppError::internal)?;
    let signing_input = format!("{}.{}", B64.encode(header), B64.encode(claims));
    let sig = mac(&raw, signing_input.as_bytes())?.finalize().into_bytes();
    Ok(format!("{signing_input}.{}", B64.encode(sig)))
}

pub async fn issue_admin(db: &Db, secret: &Secret, issuer: &str, caller: &Caller) -> AppResult<String> {
    issue(db, secret, issuer, Purpose::Admin, caller, caller.key_id.as_str(), ADMIN_TTL_SECONDS).await
}

pub async fn issue_client(db: &Db, secret: &Secret, issuer: &str, caller: &Caller, client: &ClientId) -> AppResult<String> {
    issue_client_for(db, secret, issuer, caller, client, CLIENT_TTL_SECONDS).await
}

/// A client token living `ttl` seconds (tests use a negative one for an expired token).
pub async fn issue_client_for(db: &Db, secret: &Secret, issuer: &str, caller: &Caller, client: &ClientId, ttl: i64) -> AppResult<String> {
    issue(db, secret, issuer, Purpose::Client, caller, client.as_str(), ttl).await
}

/// Whether `token` looks like a JWT (three base64url parts) rather than an API key.
pub fn looks_like_jwt(token: &str) -> bool {
    token.split('.').count() == 3 && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

/// A token taken apart before anything is looked up: its header checked (HS256 only, one of
/// our two `typ`s, a key id), the signed part and the signature.
pub struct Unverified<'a> {
    pub purpose: Purpose,
    pub kid: String,
    pub signed: &'a str,
    claims: &'a str,
    signature: Vec<u8>,
}

/// Takes a token apart; anything that is not one of our tokens is `UNAUTHENTICATED`.
pub fn parse(token: &str) -> AppResult<Unverified<'_>> {
    let mut parts = token.splitn(4, '.');
    let (Some(h), Some(c), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(invalid());
    };
    let header: Header = B64.decode(h).ok().and_then(|b| serde_json::from_slice(&b).ok()).ok_or_else(invalid)?;
    if header.alg != "HS256" {
        return Err(invalid());
    }
    let purpose = match header.typ.as_str() {
        "dojang-admin+jwt" => Purpose::Admin,
        "dojang-client+jwt" => Purpose::Client,
        _ => return Err(invalid()),
    };
    if crate::ids::ApiKeyId::parse(&header.kid).is_err() {
        return Err(invalid());
    }
    let signature = B64.decode(s).map_err(|_| invalid())?;
    Ok(Unverified { purpose, kid: header.kid, signed: &token[..h.len() + 1 + c.len()], claims: c, signature })
}

/// Checks a token of either kind and returns the caller it stands for.
pub async fn verify(db: &Db, cache: &KeyCache, secret: &Secret, issuer: &str, token: &str) -> AppResult<Caller> {
    let Unverified { purpose, kid, signed, claims: c, signature: sig } = parse(token)?;
    let stored: Option<String> = sqlx::query_scalar("SELECT secret FROM api_token_keys WHERE id = $1 AND purpose = $2 AND retired_at IS NULL")
        .bind(&kid)
        .bind(purpose.as_str())
        .fetch_optional(db.pool())
        .await?;
    let raw = crate::infra::crypto::decrypt_key(secret, &stored.ok_or_else(invalid)?)?;
    mac(&raw, signed.as_bytes())?.verify_slice(&sig).map_err(|_| invalid())?;
    let claims: Claims = B64.decode(c).ok().and_then(|b| serde_json::from_slice(&b).ok()).ok_or_else(invalid)?;
    let now = Timestamp::now().unix_seconds();
    if claims.iss != issuer || claims.aud != AUDIENCE || claims.iat > now + LEEWAY_SECONDS {
        return Err(invalid());
    }
    // Genuine but past its time: said so, so a screen can tell the user to reopen it.
    if claims.exp + LEEWAY_SECONDS < now {
        return Err(AppError::new(ErrorCode::TokenExpired, "The token has expired"));
    }
    let key_id = ApiKeyId::parse(&claims.key).map_err(|_| invalid())?;
    let key = keys::active_by_id(db, cache, &key_id).await.map_err(|_| invalid())?;
    if key.organization_id.as_str() != claims.org || key.mode.as_str() != claims.mode {
        return Err(invalid());
    }
    let actor = key.actor();
    match purpose {
        Purpose::Admin => {
            if claims.sub != key.id.as_str() {
                return Err(invalid());
            }
            Ok(Caller { actor, key_id, kind: AuthKind::AdminToken, scopes: key.scopes })
        }
        Purpose::Client => {
            let client = ClientId::parse(&claims.sub).map_err(|_| invalid())?;
            // A client deleted or moved since cannot act.
            super::clients::find(db, &actor, &client).await.map_err(|_| invalid())?;
            let actor = Actor { client_id: Some(client.clone()), ..actor };
            Ok(Caller { actor, key_id, kind: AuthKind::ClientToken(client), scopes: key.scopes })
        }
    }
}
