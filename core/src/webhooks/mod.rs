//! Webhooks: what happens to an envelope, posted to the URLs an organization registered,
//! signed the Standard Webhooks way. An event is queued in the same transaction as the
//! change it reports (`emit`, called by the audit log), so it is sent exactly when the
//! change commits; a worker delivers the queue with retries (`deliver`).

pub mod deliver;
pub mod endpoints;
pub mod signature;
pub mod target;

use crate::audit::AuditKind;
use crate::error::AppResult;
use crate::ids::{EnvelopeId, RecipientId, WebhookMessageId};
use crate::infra::db::{Timestamp, Tx};
use serde_json::{json, Map, Value};

pub use crate::model::WEBHOOK_EVENT_TYPES as EVENT_TYPES;

/// The webhook event an audit event is reported as. `envelope.completed` is sent when the
/// sealed documents are ready (audit `envelope.sealed`), so a receiver can fetch them at once.
fn event_type(kind: AuditKind) -> Option<&'static str> {
    let wanted = match kind {
        AuditKind::EnvelopeSealed => "envelope.completed",
        AuditKind::EnvelopeCompleted => return None,
        other => other.as_str(),
    };
    EVENT_TYPES.iter().find(|t| **t == wanted).copied()
}

#[derive(sqlx::FromRow)]
struct RecipientRow {
    name: String,
    email: String,
    role: crate::model::RecipientRole,
}

#[derive(sqlx::FromRow)]
struct EnvelopeRow {
    organization_id: String,
    mode: String,
    name: String,
    status: crate::model::EnvelopeStatus,
    client_id: Option<String>,
    seal_status: Option<crate::model::SealStatus>,
    external_id: Option<String>,
    metadata: Option<String>,
}

/// Queues the webhook for an audit event, inside the transaction that records it: one message
/// for each enabled endpoint of the envelope's organization and mode subscribed to its type.
pub async fn emit(tx: &mut Tx, envelope_id: &EnvelopeId, kind: AuditKind, recipient_id: Option<&RecipientId>, data: &Value, at: Timestamp) -> AppResult<()> {
    let Some(event) = event_type(kind) else { return Ok(()) };
    let Some(EnvelopeRow { organization_id: org, mode, name, status, client_id: client, seal_status, external_id, metadata }): Option<EnvelopeRow> =
        sqlx::query_as("SELECT organization_id, mode, name, status, client_id, seal_status, external_id, metadata FROM envelopes WHERE id = $1")
            .bind(envelope_id)
            .fetch_optional(&mut **tx)
            .await?
    else {
        return Ok(());
    };
    let subscribed: Vec<(String, String)> = sqlx::query_as("SELECT id, events FROM webhook_endpoints WHERE organization_id = $1 AND mode = $2 AND enabled = 1")
        .bind(&org)
        .bind(&mode)
        .fetch_all(&mut **tx)
        .await?;
    let targets: Vec<String> = subscribed.into_iter().filter(|(_, events)| events.split(' ').any(|e| e == event)).map(|(id, _)| id).collect();
    if targets.is_empty() {
        return Ok(());
    }
    let status = status.reported(seal_status == Some(crate::model::SealStatus::Sealed), false).as_str();
    let mut body = Map::new();
    body.insert(
        "envelope".into(),
        json!({
            "id": envelope_id, "name": name, "status": status, "mode": mode, "clientId": client,
            "externalId": external_id, "metadata": crate::api::reference::metadata_value(metadata.as_deref()),
        }),
    );
    if let Some(r) = recipient_id {
        let row: Option<RecipientRow> = sqlx::query_as("SELECT name, email, role FROM recipients WHERE id = $1").bind(r).fetch_optional(&mut **tx).await?;
        if let Some(RecipientRow { name, email, role }) = row {
            body.insert("recipient".into(), json!({ "id": r, "name": name, "email": email, "role": role.as_str() }));
        }
    }
    if let Some(reason) = data.get("reason").filter(|r| r.is_string()) {
        body.insert("reason".into(), reason.clone());
    }
    let payload = json!({ "type": event, "timestamp": at.to_db(), "data": body }).to_string();
    let now = Timestamp::now();
    for endpoint in targets {
        sqlx::query(
            "INSERT INTO webhook_messages (id, endpoint_id, event_type, envelope_id, payload, status, attempts, next_attempt_at, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $6, $6)",
        )
        .bind(WebhookMessageId::new())
        .bind(&endpoint)
        .bind(event)
        .bind(envelope_id)
        .bind(&payload)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_kinds_map_to_the_published_event_types() {
        assert_eq!(event_type(AuditKind::EnvelopeSent), Some("envelope.sent"));
        assert_eq!(event_type(AuditKind::RecipientSigned), Some("recipient.signed"));
        assert_eq!(event_type(AuditKind::EnvelopeSealed), Some("envelope.completed"));
        // Everyone signed, but the sealed files are not ready yet: not reported.
        assert_eq!(event_type(AuditKind::EnvelopeCompleted), None);
        assert_eq!(event_type(AuditKind::RecipientConsented), None);
        assert_eq!(event_type(AuditKind::EmailQueued), None);
    }
}
