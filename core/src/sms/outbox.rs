//! The SMS outbox: queued in a transaction, delivered by a worker, retried with the mail
//! outbox's backoff, claimed with fencing tokens (a message claimed by a process that died is
//! claimed again after its lock expires: delivery is at least once).

use super::TextKind;
use crate::envelope::Envelope;
use crate::error::{AppError, AppResult};
use crate::identity::phone::Phone;
use crate::ids::RecipientId;
use crate::infra::claim::{claim_attempt, Queue};
use crate::infra::crypto::{decrypt, encrypt, Purpose};
use crate::infra::db::{Db, Timestamp, Tx};
use crate::mail::outbox::{backoff, count_test_mail, test_limit, MAX_ATTEMPTS};
use crate::state::AppState;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

const LOCK: time::Duration = time::Duration::seconds(30);
const RENEW: Duration = Duration::from_secs(10);
const QUEUE: Queue = Queue { table: "text_messages", waiting: "queued", due: "next_attempt_at" };

/// A message to queue.
pub struct NewText<'a> {
    pub kind: TextKind,
    /// E.164.
    pub to: &'a str,
    pub text: &'a str,
    pub envelope: &'a Envelope,
    pub recipient_id: Option<&'a RecipientId>,
}

/// Queues a message in the caller's transaction; returns its id, or none when it is not sent.
/// A test envelope's text says so first and counts against the same daily cap as its mail
/// (`DOJANG_TEST_EMAILS_PER_DAY`): past it an invitation, reminder or code is refused
/// (`TEST_EMAIL_LIMIT`), any other text is not sent.
pub async fn enqueue(st: &AppState, tx: &mut Tx, m: NewText<'_>) -> AppResult<Option<String>> {
    let id = format!("sms_{}", uuid::Uuid::now_v7().simple());
    let now = Timestamp::now();
    if m.envelope.is_test() && !count_test_mail(tx, &m.envelope.organization_id, st.settings.test_emails_per_day).await? {
        if m.kind.is_asked_for() {
            return Err(test_limit(st.settings.test_emails_per_day));
        }
        tracing::info!(envelope_id = %m.envelope.id, kind = m.kind.as_str(), "test-mode SMS over the daily cap: not sent");
        return Ok(None);
    }
    let text = if m.envelope.is_test() { format!("[TEST] {}", m.text) } else { m.text.to_owned() };
    let sealed = encrypt(&st.settings.secret_key, Purpose::OutboxMessage, text.as_bytes()).map_err(AppError::internal)?;
    sqlx::query(
        "INSERT INTO text_messages (id, organization_id, envelope_id, recipient_id, kind, to_phone, text, status, attempts, next_attempt_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', 0, $8, $8, $8)",
    )
    .bind(&id)
    .bind(&m.envelope.organization_id)
    .bind(&m.envelope.id)
    .bind(m.recipient_id)
    .bind(m.kind)
    .bind(m.to)
    .bind(sealed)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    crate::envelope::report(
        tx,
        crate::audit::Event {
            envelope_id: &m.envelope.id,
            kind: crate::audit::AuditKind::SmsQueued,
            recipient_id: m.recipient_id,
            user_id: None,
            origin: &crate::audit::Origin::default(),
            data: serde_json::json!({ "sms": id, "type": m.kind.as_str(), "to": Phone::masked(m.to) }),
        },
    )
    .await?;
    Ok(Some(id))
}

#[derive(sqlx::FromRow)]
struct Claimed {
    id: String,
    envelope_id: Option<crate::ids::EnvelopeId>,
    recipient_id: Option<RecipientId>,
    kind: TextKind,
    to_phone: String,
    text: String,
    attempts: i64,
}

/// Delivers queued SMS until cancelled.
pub async fn worker(st: AppState, cancel: CancellationToken) {
    crate::infra::jobs::drain("sms", Duration::from_secs(1), Some(&*st.sms.wake), &cancel, || deliver_next(&st)).await
}

/// Claims and delivers one due message; false when none was due.
pub async fn deliver_next(st: &AppState) -> AppResult<bool> {
    let returning = "id, envelope_id, recipient_id, kind, to_phone, text, attempts";
    let Some((m, claim)) = claim_attempt(&st.db, QUEUE, LOCK, returning, |m: &Claimed| m.id.clone()).await? else { return Ok(false) };
    let alive = claim.keep_alive(&st.db, LOCK, RENEW);
    let result = match decrypt(&st.settings.secret_key, Purpose::OutboxMessage, &m.text) {
        Ok(plain) => st.sms.deliver(&m.to_phone, &String::from_utf8_lossy(&plain)).await,
        Err(e) => Err(e.to_string()),
    };
    drop(alive);
    let mut tx = st.db.begin().await?;
    if !claim.settle(&mut tx).await? {
        return Ok(true);
    }
    let now = Timestamp::now();
    let (status, event) = match &result {
        Ok(true) => ("sent", Some(crate::audit::AuditKind::SmsDelivered)),
        Ok(false) => ("captured", Some(crate::audit::AuditKind::SmsDelivered)),
        Err(_) if m.attempts >= MAX_ATTEMPTS => ("failed", Some(crate::audit::AuditKind::SmsFailed)),
        Err(_) => ("queued", None),
    };
    let error = result.as_ref().err().cloned();
    sqlx::query(
        "UPDATE text_messages SET status = $2, last_error = $3, next_attempt_at = $4, \
         sent_at = CASE WHEN $2 IN ('sent', 'captured') THEN $5 ELSE sent_at END, updated_at = $5 WHERE id = $1",
    )
    .bind(&m.id)
    .bind(status)
    .bind(error.as_deref())
    .bind(now.plus(backoff(m.attempts)))
    .bind(now)
    .execute(&mut *tx)
    .await?;
    if let (Some(kind), Some(env)) = (event, m.envelope_id.as_ref()) {
        crate::envelope::report(
            &mut tx,
            crate::audit::Event {
                envelope_id: env,
                kind,
                recipient_id: m.recipient_id.as_ref(),
                user_id: None,
                origin: &crate::audit::Origin::default(),
                data: serde_json::json!({ "sms": m.id, "type": m.kind.as_str(), "to": Phone::masked(&m.to_phone), "captured": status == "captured", "error": error }),
            },
        )
        .await?;
    }
    tx.commit().await?;
    match &result {
        Ok(_) => tracing::info!(sms = %m.id, kind = m.kind.as_str(), status, "sms delivered"),
        Err(e) => tracing::warn!(sms = %m.id, kind = m.kind.as_str(), attempts = m.attempts, error = %e, "sms delivery failed"),
    }
    Ok(true)
}

/// A message as the development capture shows it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Captured {
    pub id: String,
    pub kind: String,
    pub to: String,
    pub text: String,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: String,
}

/// The newest messages (at most `limit`), decrypted, for `/dev/sms`.
pub async fn recent(db: &Db, secret: &crate::infra::config::Secret, limit: i64) -> AppResult<Vec<Captured>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        id: String,
        kind: String,
        to_phone: String,
        text: String,
        status: String,
        attempts: i64,
        last_error: Option<String>,
        created_at: Timestamp,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, kind, to_phone, text, status, attempts, last_error, created_at FROM text_messages ORDER BY created_at DESC, id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Captured {
            text: decrypt(secret, Purpose::OutboxMessage, &r.text).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_else(|_| "(unreadable)".into()),
            id: r.id,
            kind: r.kind,
            to: r.to_phone,
            status: r.status,
            attempts: r.attempts,
            last_error: r.last_error,
            created_at: r.created_at.to_db(),
        })
        .collect())
}
