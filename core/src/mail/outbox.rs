//! The outbox: queued in a transaction, delivered by a worker, retried with exponential
//! backoff, survives restarts (a message claimed by a process that died is claimed again
//! after its lock expires: delivery is at least once).

use super::Mailer;
use crate::audit::{self, AuditKind, Origin};
use crate::error::{AppError, AppResult};
use crate::ids::{EnvelopeId, OrganizationId, RecipientId};
use crate::infra::claim::{claim_attempt, Queue};
use crate::infra::config::Settings;
use crate::infra::db::{Timestamp, Tx};
use crate::infra::storage::BlobKey;
use crate::state::AppState;
use lettre::message::{header::ContentType, Attachment, Mailbox, MultiPart, SinglePart};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Attempts before a message is given up as failed.
pub const MAX_ATTEMPTS: i64 = 8;
const LOCK: time::Duration = time::Duration::seconds(30);
/// How often a delivery in progress renews its claim.
const RENEW: std::time::Duration = std::time::Duration::from_secs(10);
/// The outbox, as claims see it.
const QUEUE: Queue = Queue { table: "emails", waiting: "queued", due: "next_attempt_at" };

/// A file attached from storage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AttachmentRef {
    pub name: String,
    pub content_type: String,
    pub storage_key: String,
}

/// What a message is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmailKind {
    Invitation,
    Reminder,
    Cancelled,
    Declined,
    Completed,
    /// A one-time code for the signing page (its body is encrypted in the outbox).
    VerificationCode,
}

impl EmailKind {
    pub const ALL: [EmailKind; 6] = [Self::Invitation, Self::Reminder, Self::Cancelled, Self::Declined, Self::Completed, Self::VerificationCode];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invitation => "invitation",
            Self::Reminder => "reminder",
            Self::Cancelled => "cancelled",
            Self::Declined => "declined",
            Self::Completed => "completed",
            Self::VerificationCode => "verification_code",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

crate::infra::db::db_enum!(EmailKind);

/// A message to queue.
#[derive(Clone, Debug)]
pub struct NewEmail<'a> {
    pub kind: EmailKind,
    pub to_email: &'a str,
    pub to_name: &'a str,
    pub subject: String,
    pub html: String,
    pub text: String,
    pub organization_id: Option<&'a OrganizationId>,
    pub envelope_id: Option<&'a EnvelopeId>,
    pub recipient_id: Option<&'a RecipientId>,
    pub attachments: Vec<AttachmentRef>,
}

/// Queues a message in the caller's transaction (it leaves only if the transaction commits);
/// returns its id, or none when it is not sent. Mail about a test envelope says so in its
/// subject and at its top, and counts against the organization's daily cap
/// (`DOJANG_TEST_EMAILS_PER_DAY`): past it an invitation or reminder is refused
/// (`TEST_EMAIL_LIMIT`), and any other message is not sent.
pub async fn enqueue(settings: &Settings, tx: &mut Tx, mut m: NewEmail<'_>) -> AppResult<Option<String>> {
    let id = uuid::Uuid::now_v7().simple().to_string();
    let now = Timestamp::now();
    if let Some(env) = m.envelope_id {
        let row: Option<(String, OrganizationId)> =
            sqlx::query_as("SELECT mode, organization_id FROM envelopes WHERE id = $1").bind(env).fetch_optional(&mut **tx).await?;
        if let Some((_, organization)) = row.filter(|(mode, _)| mode == "test") {
            if !count_test_mail(tx, &organization, settings.test_emails_per_day).await? {
                if matches!(m.kind, EmailKind::Invitation | EmailKind::Reminder | EmailKind::VerificationCode) {
                    return Err(test_limit(settings.test_emails_per_day));
                }
                tracing::info!(envelope_id = %env, kind = m.kind.as_str(), "test-mode mail over the daily cap: not sent");
                return Ok(None);
            }
            mark_test(&mut m);
        }
    }
    if m.kind == EmailKind::VerificationCode {
        // A one-time code is a secret: at rest only encrypted.
        let seal = |v: &str| {
            crate::infra::crypto::encrypt(&settings.secret_key, crate::infra::crypto::Purpose::OutboxMessage, v.as_bytes()).map_err(AppError::internal)
        };
        m.html = seal(&m.html)?;
        m.text = seal(&m.text)?;
    }
    sqlx::query(
        "INSERT INTO emails (id, organization_id, envelope_id, recipient_id, kind, to_email, to_name, subject, html, text, \
         attachments, status, attempts, next_attempt_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'queued', 0, $12, $12, $12)",
    )
    .bind(&id)
    .bind(m.organization_id)
    .bind(m.envelope_id)
    .bind(m.recipient_id)
    .bind(m.kind)
    .bind(m.to_email)
    .bind(m.to_name)
    .bind(&m.subject)
    .bind(&m.html)
    .bind(&m.text)
    .bind(serde_json::to_string(&m.attachments).unwrap_or_else(|_| "[]".into()))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    if let Some(env) = m.envelope_id {
        audit::record(
            tx,
            &audit::Event {
                envelope_id: env,
                kind: AuditKind::EmailQueued,
                recipient_id: m.recipient_id,
                user_id: None,
                origin: &Origin::default(),
                data: json!({ "email": id, "type": m.kind.as_str(), "to": m.to_email }),
            },
        )
        .await?;
    }
    Ok(Some(id))
}

/// The test-mode mark: in the subject, and above everything else in both bodies.
fn mark_test(m: &mut NewEmail<'_>) {
    m.subject = format!("[TEST] {}", m.subject);
    let banner = format!(
        "<p style=\"margin:0 0 16px;padding:8px 12px;border:2px solid #c0392b;color:#c0392b;font-weight:bold\">{}</p>",
        super::templates::escape(crate::i18n::both::TEST_NOTICE)
    );
    m.html = m.html.replacen("<h1", &format!("{banner}<h1"), 1);
    m.text = format!("{}\n\n{}", crate::i18n::both::TEST_NOTICE, m.text);
}

/// Counts one more test-mode message (mail or SMS) for the organization today (UTC),
/// atomically; false once `cap` messages went out today.
pub(crate) async fn count_test_mail(tx: &mut Tx, organization: &OrganizationId, cap: i64) -> AppResult<bool> {
    if cap <= 0 {
        return Ok(false);
    }
    let now = Timestamp::now();
    let day = now.to_db()[..10].to_owned();
    let counted: Option<i64> = sqlx::query_scalar(
        "INSERT INTO test_mail_counts (organization_id, day, sent, created_at, updated_at) VALUES ($1, $2, 1, $3, $3) \
         ON CONFLICT (organization_id, day) DO UPDATE SET sent = test_mail_counts.sent + 1, updated_at = $3 \
         WHERE test_mail_counts.sent < $4 RETURNING sent",
    )
    .bind(organization)
    .bind(day)
    .bind(now)
    .bind(cap)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(counted.is_some())
}

pub(crate) fn test_limit(cap: i64) -> AppError {
    let now = time::OffsetDateTime::now_utc();
    let midnight = now.replace_time(time::Time::MIDNIGHT) + time::Duration::days(1);
    AppError::new(
        crate::error::ErrorCode::TestEmailLimit,
        format!("Test mode sends at most {cap} messages (emails and SMS) a day; use a live key to send more"),
    )
    .with_retry_after((midnight - now).whole_seconds().max(1) as u64)
}

/// A message claimed for one delivery attempt.
#[derive(sqlx::FromRow)]
struct Claimed {
    id: String,
    envelope_id: Option<EnvelopeId>,
    recipient_id: Option<RecipientId>,
    kind: String,
    to_email: String,
    to_name: String,
    subject: String,
    html: String,
    text: String,
    attachments: String,
    attempts: i64,
}

/// Delivers queued mail until cancelled.
pub async fn worker(st: AppState, cancel: CancellationToken) {
    crate::infra::jobs::drain("outbox", Duration::from_secs(1), Some(&*st.mailer.wake), &cancel, || deliver_next(&st)).await
}

/// Claims and delivers one due message; false when none was due.
pub async fn deliver_next(st: &AppState) -> AppResult<bool> {
    let returning = "id, envelope_id, recipient_id, kind, to_email, to_name, subject, html, text, attachments, attempts";
    let Some((claimed, claim)) = claim_attempt(&st.db, QUEUE, LOCK, returning, |m: &Claimed| m.id.clone()).await? else { return Ok(false) };
    let Claimed { id, envelope_id: envelope, recipient_id: recipient, kind, to_email, to_name, subject, html, text, attachments, attempts } = claimed;
    let alive = claim.keep_alive(&st.db, LOCK, RENEW);
    let (html, text) = if kind == EmailKind::VerificationCode.as_str() { (open(st, &html), open(st, &text)) } else { (html, text) };
    let message = build(st, &st.mailer, &to_email, &to_name, &subject, &html, &text, &attachments).await;
    let result = match message {
        Ok(m) => st.mailer.deliver(m).await,
        Err(e) => Err(e),
    };
    drop(alive);
    let mut tx = st.db.begin().await?;
    if !claim.settle(&mut tx).await? {
        return Ok(true);
    }
    let now = Timestamp::now();
    let (status, event) = match &result {
        Ok(true) => ("sent", Some(AuditKind::EmailDelivered)),
        Ok(false) => ("captured", Some(AuditKind::EmailDelivered)),
        Err(_) if attempts >= MAX_ATTEMPTS => ("failed", Some(AuditKind::EmailFailed)),
        Err(_) => ("queued", None),
    };
    let error = result.as_ref().err().cloned();
    metrics::counter!("dojang_mail_deliveries_total", "outcome" => if status == "queued" { "retry" } else { status }).increment(1);
    sqlx::query(
        "UPDATE emails SET status = $2, last_error = $3, next_attempt_at = $4, \
         sent_at = CASE WHEN $2 IN ('sent', 'captured') THEN $5 ELSE sent_at END, updated_at = $5 WHERE id = $1",
    )
    .bind(&id)
    .bind(status)
    .bind(error.as_deref())
    .bind(now.plus(backoff(attempts)))
    .bind(now)
    .execute(&mut *tx)
    .await?;
    if let (Some(event), Some(env)) = (event, envelope.as_ref()) {
        audit::record(
            &mut tx,
            &audit::Event {
                envelope_id: env,
                kind: event,
                recipient_id: recipient.as_ref(),
                user_id: None,
                origin: &Origin::default(),
                data: json!({ "email": id, "type": kind, "to": to_email, "captured": status == "captured", "error": error }),
            },
        )
        .await?;
    }
    tx.commit().await?;
    match &result {
        Ok(_) => tracing::info!(email = %id, kind = %kind, status, "email delivered"),
        Err(e) => {
            tracing::warn!(email = %id, kind = %kind, attempts, error = %e, "email delivery failed")
        }
    }
    Ok(true)
}

/// A body the outbox keeps encrypted (see `enqueue`), opened; anything else as it is.
pub fn open(st: &AppState, stored: &str) -> String {
    if !stored.starts_with("v1:") {
        return stored.to_owned();
    }
    crate::infra::crypto::decrypt(&st.settings.secret_key, crate::infra::crypto::Purpose::OutboxMessage, stored)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_else(|_| stored.to_owned())
}

/// 30 s, 1 min, 2 min, … up to one hour between attempts.
pub fn backoff(attempts: i64) -> time::Duration {
    let secs = 30i64.saturating_mul(1i64 << (attempts - 1).clamp(0, 7));
    time::Duration::seconds(secs.min(3600))
}

#[allow(clippy::too_many_arguments)]
async fn build(
    st: &AppState,
    mailer: &Mailer,
    to_email: &str,
    to_name: &str,
    subject: &str,
    html: &str,
    text: &str,
    attachments: &str,
) -> Result<lettre::Message, String> {
    let to: Mailbox =
        format!("{} <{}>", quote_name(to_name), to_email).parse().or_else(|_| to_email.parse()).map_err(|e| format!("bad recipient address: {e}"))?;
    let alternative = MultiPart::alternative()
        .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(text.to_owned()))
        .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(html.to_owned()));
    let attachments: Vec<AttachmentRef> = serde_json::from_str(attachments).unwrap_or_default();
    let body = if attachments.is_empty() {
        alternative
    } else {
        let mut mixed = MultiPart::mixed().multipart(alternative);
        for a in attachments {
            let key = BlobKey::new(&a.storage_key).map_err(|e| e.to_string())?;
            let bytes = st.storage.get(&key).await.map_err(|e| e.to_string())?.ok_or("attachment missing")?;
            let ct = ContentType::parse(&a.content_type).map_err(|e| e.to_string())?;
            mixed = mixed.singlepart(Attachment::new(a.name).body(Vec::from(bytes), ct));
        }
        mixed
    };
    lettre::Message::builder().from(mailer.from.clone()).to(to).subject(subject).multipart(body).map_err(|e| e.to_string())
}

/// A display name safe inside a quoted mailbox.
fn quote_name(name: &str) -> String {
    let clean: String = name.chars().filter(|c| !c.is_control() && *c != '"' && *c != '\\').collect();
    format!("\"{clean}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        let s: Vec<i64> = (1..=9).map(|a| backoff(a).whole_seconds()).collect();
        assert_eq!(s, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
    }
}
