//! Webhook endpoints and their deliveries.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebhookIn {
    /// Where to post events: an http(s) URL.
    pub url: String,
    /// Event types to receive, e.g. `["envelope.completed", "recipient.signed"]`.
    pub events: Vec<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookOut {
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    /// False once the endpoint failed persistently (see `disabledReason`) until it is enabled again.
    pub enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<String>,
    pub mode: String,
    pub created_at: String,
    /// The signing secret (`whsec_…`); only in the answer to the request that created it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl WebhookOut {
    pub fn new(e: dojang_core::webhooks::endpoints::Endpoint, secret: Option<String>) -> Self {
        Self {
            id: e.id.to_string(),
            url: e.url,
            events: e.events,
            enabled: e.enabled,
            disabled_reason: e.disabled_reason,
            mode: e.mode,
            created_at: e.created_at,
            secret,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct WebhookList {
    pub data: Vec<WebhookOut>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookAttemptOut {
    pub attempt: i64,
    /// The receiver's HTTP status, absent when no answer came (see `error`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_code: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub duration_ms: i64,
    pub at: String,
    /// When the next attempt was scheduled after this one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookDeliveryOut {
    /// The `webhook-id` the receiver saw (`msg_…`).
    pub id: String,
    pub event_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub envelope_id: Option<String>,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<String>,
    /// The body as sent (JSON).
    pub payload: serde_json::Value,
    pub attempts: Vec<WebhookAttemptOut>,
}

impl From<dojang_core::webhooks::endpoints::Delivery> for WebhookDeliveryOut {
    fn from(d: dojang_core::webhooks::endpoints::Delivery) -> Self {
        Self {
            id: d.id,
            event_type: d.event_type,
            envelope_id: d.envelope_id,
            status: d.status,
            created_at: d.created_at,
            next_attempt_at: d.next_attempt_at,
            payload: serde_json::from_str(&d.payload).unwrap_or(serde_json::Value::Null),
            attempts: d
                .attempts
                .into_iter()
                .map(|a| WebhookAttemptOut {
                    attempt: a.attempt,
                    status_code: a.status_code,
                    error: a.error,
                    duration_ms: a.duration_ms,
                    at: a.at,
                    next_attempt_at: a.next_attempt_at,
                })
                .collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct WebhookDeliveryList {
    pub data: Vec<WebhookDeliveryOut>,
}
