//! Webhook endpoints as their organization sees them, and their deliveries.

use serde::{Deserialize, Serialize};

/// Every event type a webhook endpoint can subscribe to.
pub const WEBHOOK_EVENT_TYPES: [&str; 10] = [
    "envelope.created",
    "envelope.sent",
    "recipient.viewed",
    "recipient.verified",
    "recipient.signed",
    "recipient.declined",
    "envelope.completed",
    "envelope.declined",
    "envelope.cancelled",
    "envelope.expired",
];

/// A URL that receives an organization's webhooks (never its secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookEndpoint {
    pub id: crate::ids::WebhookEndpointId,
    pub url: String,
    pub events: Vec<String>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub mode: String,
    pub created_at: String,
}

/// One try at delivering a webhook message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookAttempt {
    pub attempt: i64,
    pub status_code: Option<i64>,
    pub error: Option<String>,
    pub duration_ms: i64,
    pub at: String,
    pub next_attempt_at: Option<String>,
}

/// One event queued for an endpoint, with its attempts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookDelivery {
    /// The `webhook-id` header (`msg_…`).
    pub id: String,
    pub event_type: String,
    pub envelope_id: Option<String>,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    pub payload: String,
    pub created_at: String,
    pub next_attempt_at: Option<String>,
    pub attempts: Vec<WebhookAttempt>,
}

/// A new endpoint with its signing secret, shown once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewWebhookEndpoint {
    pub endpoint: WebhookEndpoint,
    pub secret: String,
}
