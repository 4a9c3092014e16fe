//! The open API's domain: credentials (API keys), admin and client tokens, client users,
//! what an API caller may see (scope), idempotent replays and usage quotas.
//! The HTTP surface (routes, OpenAPI) lives in the server crate.

pub mod clients;
pub mod idempotency;
pub mod key_cache;
pub mod keys;
pub mod listing;
pub mod permissions;
pub mod reference;
pub mod scope;
pub mod tokens;
pub mod usage;

use crate::actor::Actor;
use crate::ids::{ApiKeyId, ClientId};

/// How a request to the API authenticated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthKind {
    ApiKey,
    AdminToken,
    ClientToken(ClientId),
}

/// An authenticated API caller: whom it acts as, and the API key it comes from (rate limits,
/// idempotency and revocation all follow the key, whatever token was derived from it).
#[derive(Clone, Debug)]
pub struct Caller {
    pub actor: Actor,
    pub key_id: ApiKeyId,
    pub kind: AuthKind,
    /// What the key (and so every token made from it) may do.
    pub scopes: permissions::Scopes,
}

impl Caller {
    /// The namespace of this caller's idempotency keys: the key, and the client user for
    /// client tokens, so two users of one integrator never replay each other's requests.
    pub fn idempotency_scope(&self) -> String {
        match &self.kind {
            AuthKind::ClientToken(c) => format!("{}:{}", self.key_id, c),
            _ => self.key_id.to_string(),
        }
    }

    pub fn is_client(&self) -> bool {
        matches!(self.kind, AuthKind::ClientToken(_))
    }
}
