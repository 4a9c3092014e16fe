//! Webhook endpoints of an organization (per mode: test keys manage and receive test events
//! only), their delivery log, re-enabling and manual resend.

use super::{signature, target, EVENT_TYPES};
use crate::actor::Actor;
use crate::error::{AppError, AppResult, FieldError};
use crate::ids::{WebhookEndpointId, WebhookMessageId};
use crate::infra::config::Settings;
use crate::infra::crypto::{decrypt_key, encrypt_key};
use crate::infra::db::{Db, Timestamp};
use std::collections::HashMap;

pub const MAX_ENDPOINTS: i64 = 20;
const MAX_URL_CHARS: usize = 2000;

pub use crate::model::{WebhookAttempt as Attempt, WebhookDelivery as Delivery, WebhookEndpoint as Endpoint};

/// A checked endpoint: an http(s) URL without credentials, and known event types (at least one).
pub struct NewEndpoint {
    pub url: reqwest::Url,
    pub events: Vec<&'static str>,
}

impl NewEndpoint {
    pub fn parse(url: &str, events: &[String], allow_private: bool) -> AppResult<Self> {
        let mut errors: Vec<FieldError> = Vec::new();
        let field =
            |errors: &mut Vec<FieldError>, f: &str, code: &str, m: &str| errors.push(FieldError { field: f.into(), code: code.into(), message: m.into() });
        let parsed = reqwest::Url::parse(url.trim()).ok().filter(|u| {
            matches!(u.scheme(), "http" | "https") && u.host().is_some() && u.username().is_empty() && u.password().is_none() && url.len() <= MAX_URL_CHARS
        });
        match &parsed {
            None => field(&mut errors, "url", "invalid", "Give an http:// or https:// URL without user name or password"),
            Some(u) if !allow_private && target::is_private_host(u) => {
                field(&mut errors, "url", "private", "Webhooks cannot be sent to loopback or private network addresses")
            }
            Some(_) => {}
        }
        let mut chosen = Vec::new();
        for e in events {
            match EVENT_TYPES.iter().find(|t| **t == e.trim()) {
                Some(t) if !chosen.contains(t) => chosen.push(*t),
                Some(_) => {}
                None => {
                    field(&mut errors, "events", "unknown", &format!("Unknown event type {e:?}; use {}", EVENT_TYPES.join(", ")));
                    break;
                }
            }
        }
        if chosen.is_empty() && !errors.iter().any(|e| e.field == "events") {
            field(&mut errors, "events", "required", "Choose at least one event");
        }
        match parsed {
            Some(url) if errors.is_empty() => Ok(Self { url, events: chosen }),
            _ => Err(AppError::fields(errors)),
        }
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: WebhookEndpointId,
    url: String,
    events: String,
    enabled: i64,
    disabled_reason: Option<String>,
    mode: crate::model::Mode,
    created_at: Timestamp,
}
const COLUMNS: &str = "id, url, events, enabled, disabled_reason, mode, created_at";

fn from_row(r: Row) -> AppResult<Endpoint> {
    Ok(Endpoint {
        id: r.id,
        url: r.url,
        events: r.events.split(' ').filter(|e| !e.is_empty()).map(str::to_owned).collect(),
        enabled: r.enabled == 1,
        disabled_reason: r.disabled_reason,
        mode: r.mode.as_str().to_owned(),
        created_at: r.created_at.to_db(),
    })
}

/// Registers an endpoint; returns it with its signing secret (`whsec_…`).
pub async fn create(db: &Db, settings: &Settings, actor: &Actor, input: &NewEndpoint) -> AppResult<(Endpoint, String)> {
    let secret = signature::new_secret();
    let id = WebhookEndpointId::new();
    let now = Timestamp::now();
    let mut tx = db.begin().await?;
    crate::infra::db::lock(&mut tx, "organizations", actor.organization_id.as_str()).await?;
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM webhook_endpoints WHERE organization_id = $1 AND mode = $2")
        .bind(&actor.organization_id)
        .bind(actor.mode.as_str())
        .fetch_one(&mut *tx)
        .await?;
    if count >= MAX_ENDPOINTS {
        return Err(AppError::field("url", "too_many", format!("An organization can have at most {MAX_ENDPOINTS} webhook endpoints")));
    }
    sqlx::query(
        "INSERT INTO webhook_endpoints (id, organization_id, mode, url, events, secret, enabled, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7)",
    )
    .bind(&id)
    .bind(&actor.organization_id)
    .bind(actor.mode.as_str())
    .bind(input.url.as_str())
    .bind(input.events.join(" "))
    .bind(encrypt_key(&settings.secret_key, secret.as_bytes())?)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok((find(db, actor, &id).await?, secret))
}

pub async fn list(db: &Db, actor: &Actor) -> AppResult<Vec<Endpoint>> {
    let rows: Vec<Row> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM webhook_endpoints WHERE organization_id = $1 AND mode = $2 ORDER BY created_at, id"))
        .bind(&actor.organization_id)
        .bind(actor.mode.as_str())
        .fetch_all(db.pool())
        .await?;
    rows.into_iter().map(from_row).collect()
}

/// An endpoint of the actor's organization and mode; anything else is not found.
pub async fn find(db: &Db, actor: &Actor, id: &WebhookEndpointId) -> AppResult<Endpoint> {
    let row: Option<Row> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM webhook_endpoints WHERE id = $1 AND organization_id = $2 AND mode = $3"))
        .bind(id)
        .bind(&actor.organization_id)
        .bind(actor.mode.as_str())
        .fetch_optional(db.pool())
        .await?;
    row.map(from_row).transpose()?.ok_or_else(|| AppError::not_found("Webhook endpoint"))
}

/// Deletes an endpoint with its queue and log.
pub async fn delete(db: &Db, actor: &Actor, id: &WebhookEndpointId) -> AppResult<()> {
    let done = sqlx::query("DELETE FROM webhook_endpoints WHERE id = $1 AND organization_id = $2 AND mode = $3")
        .bind(id)
        .bind(&actor.organization_id)
        .bind(actor.mode.as_str())
        .execute(db.pool())
        .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::not_found("Webhook endpoint"));
    }
    Ok(())
}

/// Turns an endpoint back on after it was disabled for failing; new events reach it again
/// (messages that failed meanwhile can be resent one by one).
pub async fn enable(db: &Db, actor: &Actor, id: &WebhookEndpointId) -> AppResult<Endpoint> {
    sqlx::query("UPDATE webhook_endpoints SET enabled = 1, disabled_reason = NULL, updated_at = $4 WHERE id = $1 AND organization_id = $2 AND mode = $3")
        .bind(id)
        .bind(&actor.organization_id)
        .bind(actor.mode.as_str())
        .bind(Timestamp::now())
        .execute(db.pool())
        .await?;
    find(db, actor, id).await
}

/// The signing secret of an endpoint (for the worker).
pub(crate) fn open_secret(settings: &Settings, stored: &str) -> AppResult<String> {
    let plain = decrypt_key(&settings.secret_key, stored)?;
    String::from_utf8(plain).map_err(|_| AppError::internal_msg("a webhook secret is not text"))
}

type MessageRow = (String, String, Option<String>, String, String, String, Option<String>);
type AttemptRow = (String, i64, Option<i64>, Option<String>, i64, String, Option<String>);

/// The newest messages of an endpoint (at most `limit`), each with its attempts in order.
pub async fn deliveries(db: &Db, actor: &Actor, id: &WebhookEndpointId, limit: i64) -> AppResult<Vec<Delivery>> {
    find(db, actor, id).await?;
    let messages: Vec<MessageRow> = sqlx::query_as(
        "SELECT id, event_type, envelope_id, status, payload, created_at, next_attempt_at FROM webhook_messages \
         WHERE endpoint_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
    )
    .bind(id)
    .bind(limit.clamp(1, 100))
    .fetch_all(db.pool())
    .await?;
    // The attempts of exactly those messages, grouped by message.
    let rows: Vec<AttemptRow> = sqlx::query_as(
        "SELECT message_id, attempt, status_code, error, duration_ms, created_at, next_attempt_at FROM webhook_attempts \
         WHERE message_id IN (SELECT id FROM webhook_messages WHERE endpoint_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2) \
         ORDER BY attempt",
    )
    .bind(id)
    .bind(limit.clamp(1, 100))
    .fetch_all(db.pool())
    .await?;
    let mut attempts: HashMap<String, Vec<Attempt>> = HashMap::new();
    for (mid, attempt, status_code, error, duration_ms, at, next_attempt_at) in rows {
        attempts.entry(mid).or_default().push(Attempt { attempt, status_code, error, duration_ms, at, next_attempt_at });
    }
    Ok(messages
        .into_iter()
        .map(|(mid, event_type, envelope_id, status, payload, created_at, next)| Delivery {
            attempts: attempts.remove(&mid).unwrap_or_default(),
            next_attempt_at: if status == "pending" { next } else { None },
            id: format!("msg_{mid}"),
            event_type,
            envelope_id,
            status,
            payload,
            created_at,
        })
        .collect())
}

/// Queues a message of this endpoint again, now, with a fresh retry schedule.
pub async fn resend(db: &Db, actor: &Actor, id: &WebhookEndpointId, message: &str) -> AppResult<()> {
    find(db, actor, id).await?;
    let mid = WebhookMessageId::parse(message.strip_prefix("msg_").unwrap_or(message)).map_err(|_| AppError::not_found("Webhook message"))?;
    let done = sqlx::query(
        "UPDATE webhook_messages SET status = 'pending', attempts = 0, next_attempt_at = $3, locked_until = NULL, updated_at = $3 \
         WHERE id = $1 AND endpoint_id = $2",
    )
    .bind(&mid)
    .bind(id)
    .bind(Timestamp::now())
    .execute(db.pool())
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::not_found("Webhook message"));
    }
    Ok(())
}
