//! Access: admin and client tokens, client users, usage, embedding settings.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminTokenIn {
    /// The API key's secret.
    pub secret: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminTokenOut {
    pub admin_token: String,
    /// Seconds.
    pub expires_in: i64,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClientIn {
    /// Your system's id for this user.
    pub external_id: String,
    pub name: String,
    pub email: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientOut {
    pub id: String,
    pub external_id: String,
    pub name: String,
    pub email: String,
    pub created_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct ClientList {
    pub data: Vec<ClientOut>,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClientTokenIn {
    pub client_id: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClientTokenOut {
    pub client_token: String,
    pub expires_in: i64,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UsageOut {
    /// The mode of the key in use: `live`, or `test` (sandbox: nothing it sends is legally
    /// binding, and its envelopes never count against the quota).
    pub mode: String,
    pub period_start: String,
    pub period_end: String,
    /// Signature requests (live envelopes sent) in this period.
    pub sent: i64,
    /// Monthly quota; `null` is unlimited.
    pub quota: Option<i64>,
    pub remaining: Option<i64>,
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EmbeddingSettings {
    /// Origins (`https://app.example.com`) allowed to frame Dojang's screens and receive
    /// their events; empty: nobody.
    pub allowed_origins: Vec<String>,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewApiKeyIn {
    #[serde(default)]
    pub name: Option<String>,
    /// `read`, `documents`, `envelopes`, `webhooks`; every scope when absent.
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewApiKeyOut {
    pub id: String,
    /// Shown only now.
    pub key: String,
    /// Shown only now (trade key and secret for an admin token).
    pub secret: String,
    pub mode: String,
    pub prefix: String,
    pub scopes: Vec<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyOut {
    pub id: String,
    pub name: String,
    /// The start of the key, to recognise it.
    pub prefix: String,
    /// `live` or `test` (sandbox).
    pub mode: String,
    pub scopes: Vec<String>,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

impl ApiKeyOut {
    pub fn new(k: dojang_core::model::ApiKeySummary) -> Self {
        Self {
            id: k.id.to_string(),
            name: k.name,
            prefix: k.prefix,
            mode: k.mode.as_str().to_owned(),
            scopes: k.scopes,
            created_at: k.created_at,
            last_used_at: k.last_used_at,
            revoked_at: k.revoked_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyList {
    pub data: Vec<ApiKeyOut>,
}
