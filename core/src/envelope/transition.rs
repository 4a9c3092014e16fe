//! Every change of an envelope's state, in one place. Each runs in the caller's transaction:
//! the guarded `UPDATE … WHERE status = …` (a guard that does not hold becomes the error that
//! says why), its audit event (which queues its webhook), and the mail and jobs it causes.
//!
//!   draft ─send→ sent ─(each signer) sign→ … ─complete→ completed ─sealed→ (sealed)
//!                 sent ─decline→ declined · ─cancel→ cancelled · ─expire→ expired
//!
//! A recipient's own steps (viewed, consented) are recorded here too, once each.

use super::contents::Recipient;
use super::notify;
use super::row::Envelope;
use crate::actor::Actor;
use crate::audit::{self, AuditKind, Origin};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::ids::{EnvelopeId, FieldId, RecipientId};
use crate::infra::db::{Timestamp, Tx};
use crate::infra::jobs::{self, JobKind};
use crate::model::{EnvelopeStatus, FieldDraft, FieldKind, RecipientRole, SealStatus, SigningOrder};
use crate::state::AppState;
use serde_json::{json, Value};

fn event<'a>(envelope_id: &'a EnvelopeId, kind: AuditKind, recipient: Option<&'a RecipientId>, origin: &'a Origin, data: Value) -> audit::Event<'a> {
    audit::Event { envelope_id, kind, recipient_id: recipient, user_id: None, origin, data }
}

/// The error for acting on an envelope that is no longer open for signing.
pub fn closed_error(status: EnvelopeStatus, past_expiry: bool) -> AppError {
    if past_expiry {
        return AppError::new(ErrorCode::EnvelopeExpired, "This signing request has expired");
    }
    match status {
        EnvelopeStatus::Cancelled => AppError::new(ErrorCode::EnvelopeCancelled, "The sender cancelled this signing request"),
        EnvelopeStatus::Expired => AppError::new(ErrorCode::EnvelopeExpired, "This signing request has expired"),
        EnvelopeStatus::Completed | EnvelopeStatus::Sealing => AppError::new(ErrorCode::EnvelopeCompleted, "Everyone has signed this contract"),
        EnvelopeStatus::Declined => AppError::new(ErrorCode::EnvelopeDeclined, "A signer declined this contract"),
        EnvelopeStatus::Draft => AppError::new(ErrorCode::EnvelopeNotSent, "This contract has not been sent"),
        EnvelopeStatus::Sent => AppError::new(ErrorCode::Conflict, "The contract changed; reload the page"),
    }
}

/// The guard of every signer action: applies `set` (with the time as `$2`) to the envelope
/// while it is still sent and not expired, or says why it is closed.
async fn while_open(tx: &mut Tx, id: &EnvelopeId, now: Timestamp, set: &str) -> AppResult<()> {
    let sql = format!("UPDATE envelopes SET {set} WHERE id = $1 AND status = $3 AND (expires_at IS NULL OR expires_at > $2)");
    let open = sqlx::query(&sql).bind(id).bind(now).bind(EnvelopeStatus::Sent).execute(&mut **tx).await?;
    if open.rows_affected() != 1 {
        let env = Envelope::find(tx, id).await?;
        return Err(closed_error(env.status, env.is_past_expiry()));
    }
    Ok(())
}

/// What the sender chose when sending, checked.
pub struct Sending {
    pub message: String,
    pub signing_order: SigningOrder,
    pub expires_at: Option<Timestamp>,
    pub reminder_days: Option<i64>,
    pub redirect_url: Option<String>,
}

/// draft → sent.
pub async fn send(tx: &mut Tx, actor: &Actor, id: &EnvelopeId, s: &Sending, origin: &Origin) -> AppResult<()> {
    let now = Timestamp::now();
    let res = sqlx::query(
        "UPDATE envelopes SET status = $3, sent_at = $4, message = $5, signing_order = $6, expires_at = $7, \
         reminder_days = $8, redirect_url = $9, updated_at = $4 \
         WHERE id = $1 AND organization_id = $2 AND status = $10",
    )
    .bind(id)
    .bind(&actor.organization_id)
    .bind(EnvelopeStatus::Sent)
    .bind(now)
    .bind(&s.message)
    .bind(s.signing_order)
    .bind(s.expires_at)
    .bind(s.reminder_days)
    .bind(s.redirect_url.as_deref())
    .bind(EnvelopeStatus::Draft)
    .execute(&mut **tx)
    .await?;
    if res.rows_affected() != 1 {
        return Err(match Envelope::load(tx, id).await? {
            None => AppError::not_found("Contract"),
            Some(_) => AppError::new(ErrorCode::EnvelopeNotDraft, "The contract has already been sent"),
        });
    }
    let data = json!({
        "signing_order": s.signing_order.as_str(),
        "expires_at": s.expires_at.map(|e| e.to_db()),
        "reminder_days": s.reminder_days,
    });
    super::report(tx, audit::Event { envelope_id: id, kind: AuditKind::EnvelopeSent, recipient_id: None, user_id: actor.user_id.as_ref(), origin, data }).await
}

/// The recipient opened the signing page (recorded the first time only).
pub async fn viewed(tx: &mut Tx, r: &Recipient, origin: &Origin) -> AppResult<()> {
    let now = Timestamp::now();
    // Only while the envelope is out for signing (checked in the same statement).
    let res = sqlx::query(
        "UPDATE recipients SET viewed_at = $2, updated_at = $2 WHERE id = $1 AND viewed_at IS NULL \
         AND EXISTS (SELECT 1 FROM envelopes e WHERE e.id = $3 AND e.status = $4 AND (e.expires_at IS NULL OR e.expires_at > $2))",
    )
    .bind(&r.id)
    .bind(now)
    .bind(&r.envelope_id)
    .bind(EnvelopeStatus::Sent)
    .execute(&mut **tx)
    .await?;
    if res.rows_affected() == 1 {
        super::report(tx, event(&r.envelope_id, AuditKind::RecipientViewed, Some(&r.id), origin, json!({}))).await?;
    }
    Ok(())
}

/// The recipient agreed to sign electronically, to this disclosure (recorded once).
pub async fn consented(tx: &mut Tx, r: &Recipient, version: &str, text: &str, origin: &Origin) -> AppResult<()> {
    let res = sqlx::query("UPDATE recipients SET consented_at = $2, consent_version = $3, updated_at = $2 WHERE id = $1 AND consented_at IS NULL")
        .bind(&r.id)
        .bind(Timestamp::now())
        .bind(version)
        .execute(&mut **tx)
        .await?;
    if res.rows_affected() == 1 {
        super::report(tx, event(&r.envelope_id, AuditKind::RecipientConsented, Some(&r.id), origin, json!({ "version": version, "text": text }))).await?;
    }
    Ok(())
}

/// What a signer signs with: the fields they placed themselves (free-form signing), their
/// signatures, and every value.
#[derive(Clone, Copy)]
pub struct Signing<'a> {
    pub placed: &'a [FieldDraft],
    pub signatures: &'a [StoredSignature],
    pub values: &'a [FieldValue],
}

/// A signature as it will be stored (its image already in storage).
pub struct StoredSignature {
    pub purpose: FieldKind,
    pub method: &'static str,
    pub strokes: Option<String>,
    pub typed: Option<String>,
    pub image_key: String,
    pub image_sha256: String,
}

/// A field's value; signature fields name one of the signatures by index.
pub struct FieldValue {
    pub field_id: FieldId,
    pub kind: FieldKind,
    pub value: String,
    pub signature: Option<usize>,
}

/// The recipient signs, while the envelope is open and they have neither signed nor declined:
/// their values and signatures are recorded, and the envelope completes when they were the
/// last signer. Returns whether it completed.
pub async fn signed(tx: &mut Tx, r: &Recipient, signing: &Signing<'_>, origin: &Origin) -> AppResult<bool> {
    let Signing { placed, signatures, values } = *signing;
    let now = Timestamp::now();
    while_open(tx, &r.envelope_id, now, "updated_at = $2").await?;
    let res = sqlx::query(
        "UPDATE recipients SET signed_at = $2, signed_ip = $3, signed_user_agent = $4, updated_at = $2 \
         WHERE id = $1 AND signed_at IS NULL AND declined_at IS NULL",
    )
    .bind(&r.id)
    .bind(now)
    .bind(origin.ip.as_deref())
    .bind(origin.user_agent.as_deref())
    .execute(&mut **tx)
    .await?;
    if res.rows_affected() != 1 {
        return Err(AppError::new(ErrorCode::AlreadySigned, "You have already signed this contract"));
    }
    placed_fields(tx, r, placed, now, origin).await?;
    let mut ids = Vec::with_capacity(signatures.len());
    for s in signatures {
        let id = uuid::Uuid::now_v7().simple().to_string();
        sqlx::query(
            "INSERT INTO signatures (id, envelope_id, recipient_id, purpose, method, strokes, typed_text, image_key, image_sha256, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
        )
        .bind(&id)
        .bind(&r.envelope_id)
        .bind(&r.id)
        .bind(if s.purpose == FieldKind::Initials { "initials" } else { "signature" })
        .bind(s.method)
        .bind(s.strokes.as_deref())
        .bind(s.typed.as_deref())
        .bind(&s.image_key)
        .bind(&s.image_sha256)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        ids.push(id);
    }
    for v in values {
        let sig = v.signature.and_then(|i| ids.get(i));
        sqlx::query(
            "INSERT INTO field_values (field_id, envelope_id, recipient_id, value, signature_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(&v.field_id)
        .bind(&r.envelope_id)
        .bind(&r.id)
        .bind(&v.value)
        .bind(sig)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        let shown = if sig.is_some() { json!({ "signature": sig }) } else { json!({ "value": v.value }) };
        let data = json!({ "field": v.field_id, "kind": v.kind.as_str(), "filled": shown });
        super::report(tx, event(&r.envelope_id, AuditKind::FieldFilled, Some(&r.id), origin, data)).await?;
    }
    super::report(tx, event(&r.envelope_id, AuditKind::RecipientSigned, Some(&r.id), origin, json!({ "fields": values.len(), "signatures": ids }))).await?;
    let unsigned: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM recipients WHERE envelope_id = $1 AND role = $2 AND signed_at IS NULL")
        .bind(&r.envelope_id)
        .bind(RecipientRole::Signer)
        .fetch_one(&mut **tx)
        .await?;
    if unsigned > 0 {
        return Ok(false);
    }
    completed(tx, &r.envelope_id, now).await?;
    Ok(true)
}

/// The fields a signer placed themselves (free-form signing), after the envelope's own, each
/// with its `field.placed` event (document, page and place, which the seal checks).
async fn placed_fields(tx: &mut Tx, r: &Recipient, placed: &[FieldDraft], now: Timestamp, origin: &Origin) -> AppResult<()> {
    if placed.is_empty() {
        return Ok(());
    }
    super::draft::append_fields(tx, &r.envelope_id, placed, now, "placements").await?;
    for f in placed {
        let data = json!({ "field": f.id, "kind": f.kind.as_str(), "document": f.document_id, "page": f.page, "rect": f.rect });
        super::report(tx, event(&r.envelope_id, AuditKind::FieldPlaced, Some(&r.id), origin, data)).await?;
    }
    Ok(())
}

/// sent → completed, once every signer has signed; the seal is queued.
async fn completed(tx: &mut Tx, id: &EnvelopeId, now: Timestamp) -> AppResult<()> {
    sqlx::query("UPDATE envelopes SET status = $2, completed_at = $3, seal_status = $4, updated_at = $3 WHERE id = $1 AND status = $5")
        .bind(id)
        .bind(EnvelopeStatus::Completed)
        .bind(now)
        .bind(SealStatus::Pending)
        .bind(EnvelopeStatus::Sent)
        .execute(&mut **tx)
        .await?;
    super::report(tx, event(id, AuditKind::EnvelopeCompleted, None, &Origin::default(), json!({}))).await?;
    jobs::enqueue(tx, JobKind::Seal, &json!({ "envelope": id })).await?;
    Ok(())
}

/// sent → declined, with the recipient's reason; the sender is told.
pub async fn declined(st: &AppState, tx: &mut Tx, env: &Envelope, r: &Recipient, reason: &str, origin: &Origin) -> AppResult<()> {
    let now = Timestamp::now();
    while_open(tx, &env.id, now, "status = 'declined', declined_at = $2, updated_at = $2").await?;
    let res =
        sqlx::query("UPDATE recipients SET declined_at = $2, decline_reason = $3, updated_at = $2 WHERE id = $1 AND signed_at IS NULL AND declined_at IS NULL")
            .bind(&r.id)
            .bind(now)
            .bind(reason)
            .execute(&mut **tx)
            .await?;
    if res.rows_affected() != 1 {
        return Err(AppError::new(ErrorCode::AlreadySigned, "You have already signed this contract"));
    }
    super::report(tx, event(&env.id, AuditKind::RecipientDeclined, Some(&r.id), origin, json!({ "reason": reason }))).await?;
    super::report(tx, event(&env.id, AuditKind::EnvelopeDeclined, Some(&r.id), &Origin::default(), json!({}))).await?;
    notify::declined(st, tx, env, r, reason).await
}

/// sent → cancelled by the sender; everyone already invited is told.
pub async fn cancelled(st: &AppState, tx: &mut Tx, actor: &Actor, env: &Envelope, reason: &str, origin: &Origin) -> AppResult<()> {
    let now = Timestamp::now();
    let res = sqlx::query(
        "UPDATE envelopes SET status = $3, cancelled_at = $4, cancel_reason = $5, updated_at = $4 WHERE id = $1 AND organization_id = $2 AND status = $6",
    )
    .bind(&env.id)
    .bind(&actor.organization_id)
    .bind(EnvelopeStatus::Cancelled)
    .bind(now)
    .bind(reason)
    .bind(EnvelopeStatus::Sent)
    .execute(&mut **tx)
    .await?;
    if res.rows_affected() != 1 {
        return Err(match env.status {
            EnvelopeStatus::Draft => AppError::new(ErrorCode::EnvelopeNotSent, "Only a sent contract can be cancelled; delete a draft instead"),
            s => closed_error(s, false),
        });
    }
    let data = json!({ "reason": reason });
    super::report(
        tx,
        audit::Event { envelope_id: &env.id, kind: AuditKind::EnvelopeCancelled, recipient_id: None, user_id: actor.user_id.as_ref(), origin, data },
    )
    .await?;
    notify::cancelled(st, tx, env, reason).await
}

/// sent → expired, once its expiry has passed. Returns whether it expired now.
pub async fn expired(tx: &mut Tx, id: &EnvelopeId, now: Timestamp) -> AppResult<bool> {
    let res = sqlx::query("UPDATE envelopes SET status = $3, expired_at = $2, updated_at = $2 WHERE id = $1 AND status = $4 AND expires_at <= $2")
        .bind(id)
        .bind(now)
        .bind(EnvelopeStatus::Expired)
        .bind(EnvelopeStatus::Sent)
        .execute(&mut **tx)
        .await?;
    if res.rows_affected() != 1 {
        return Ok(false);
    }
    super::report(tx, event(id, AuditKind::EnvelopeExpired, None, &Origin::default(), json!({}))).await?;
    Ok(true)
}

/// What sealing produced, recorded with the `sealed` transition.
pub struct Sealed {
    pub trail_key: String,
    pub trail_sha256: String,
    /// The audit event's data: each document's hashes, the trail's hash, the certificate.
    pub evidence: Value,
}

/// completed → sealed: every document and the audit trail are stored; everyone is mailed
/// the results. Returns false when another run sealed it first.
pub async fn sealed(st: &AppState, tx: &mut Tx, id: &EnvelopeId, s: &Sealed) -> AppResult<bool> {
    let now = Timestamp::now();
    let res = sqlx::query(
        "UPDATE envelopes SET seal_status = $2, seal_error = NULL, sealed_at = $3, audit_trail_key = $4, audit_trail_sha256 = $5, updated_at = $3 \
         WHERE id = $1 AND status = $6 AND (seal_status IS NULL OR seal_status <> $2)",
    )
    .bind(id)
    .bind(SealStatus::Sealed)
    .bind(now)
    .bind(&s.trail_key)
    .bind(&s.trail_sha256)
    .bind(EnvelopeStatus::Completed)
    .execute(&mut **tx)
    .await?;
    if res.rows_affected() != 1 {
        return Ok(false);
    }
    super::report(tx, event(id, AuditKind::EnvelopeSealed, None, &Origin::default(), s.evidence.clone())).await?;
    notify::completed(st, tx, id).await?;
    Ok(true)
}

/// A seal attempt failed: visible on the envelope until a retry succeeds.
pub async fn seal_failed(db: &crate::infra::db::Db, id: &EnvelopeId, error: &str) -> AppResult<()> {
    sqlx::query("UPDATE envelopes SET seal_status = $2, seal_error = $3 WHERE id = $1 AND (seal_status IS NULL OR seal_status <> $4)")
        .bind(id)
        .bind(SealStatus::Retrying)
        .bind(error)
        .bind(SealStatus::Sealed)
        .execute(db.pool())
        .await?;
    Ok(())
}
