//! Sending a draft: checks that it is complete, records the sender's choices, and invites the
//! first signers (all of them in parallel order). Also invites the next signers in a
//! sequential envelope, and builds the sender's view of an envelope.

use super::{envelope_ctx, EnvelopeCtx};
use crate::actor::Actor;
use crate::audit::{self, Origin};
use crate::db::{Db, Timestamp, Tx};
use crate::error::{AppError, AppResult, ErrorCode, FieldError};
use crate::ids::{EnvelopeId, RecipientId};
use crate::mail::outbox::{self, NewEmail};
use crate::mail::templates;
use crate::model::{EnvelopeDetail, Language, RecipientProgress, RecipientRole, SendRequest, SigningOrder};
use crate::state::AppState;
use crate::types::{DisplayName, EmailAddress};
use serde_json::json;

/// Longest allowed: a year.
const MAX_EXPIRY_SECONDS: i64 = 366 * 24 * 3600;

/// A recipient's signing link, and whether they were emailed now (their turn) or will be
/// when their turn comes (the link works for embedding already, but says "not your turn").
#[derive(Clone, Debug)]
pub struct Invited {
    pub recipient_id: RecipientId,
    pub sign_url: String,
    pub emailed: bool,
}

/// Sends a draft. Returns every recipient's signing link.
pub async fn send_envelope(st: &AppState, actor: &Actor, id: &EnvelopeId, req: &SendRequest, origin: &Origin) -> AppResult<Vec<Invited>> {
    crate::api::scope::envelope(&st.db, actor, id).await?;
    let message = req.message.trim().to_owned();
    if message.chars().count() > 2000 {
        return Err(AppError::field("message", "too_long", "Use at most 2000 characters"));
    }
    let now = Timestamp::now();
    let expires_at = match (&req.expires_at, req.expires_in) {
        (Some(_), Some(_)) => return Err(AppError::field("expiresAt", "conflict", "Give an expiry date or a duration, not both")),
        (Some(at), None) => Some(parse_expiry(at)?),
        (None, Some(secs)) if (60..=MAX_EXPIRY_SECONDS).contains(&secs) => Some(now.plus(time::Duration::seconds(secs))),
        (None, Some(_)) => return Err(AppError::field("expiresIn", "invalid", "Expiry must be between a minute and a year")),
        (None, None) => None,
    };
    if expires_at.is_some_and(|e| e <= now) {
        return Err(AppError::field("expiresAt", "past", "The expiry must be in the future"));
    }
    if let Some(d) = req.reminder_days {
        if !(1..=30).contains(&d) {
            return Err(AppError::field("reminderDays", "invalid", "Remind every 1 to 30 days"));
        }
    }
    let redirect = match req.redirect_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        Some(u) if (u.starts_with("https://") || u.starts_with("http://")) && u.len() <= 2000 => Some(u.to_owned()),
        Some(_) => return Err(AppError::field("redirectUrl", "invalid", "Use an http(s) URL")),
        None => None,
    };

    let mut tx = st.db.begin().await?;
    let mode: Option<String> = sqlx::query_scalar("SELECT mode FROM envelopes WHERE id = $1 AND organization_id = $2")
        .bind(id)
        .bind(&actor.organization_id)
        .fetch_optional(&mut *tx)
        .await?;
    if mode.as_deref() == Some("live") {
        crate::api::usage::check_quota(&mut tx, &actor.organization_id).await?;
    }
    let res = sqlx::query(
        "UPDATE envelopes SET status = 'sent', sent_at = $3, message = $4, signing_order = $5, expires_at = $6, \
         reminder_days = $7, redirect_url = $8, updated_at = $3 \
         WHERE id = $1 AND organization_id = $2 AND status = 'draft'",
    )
    .bind(id)
    .bind(&actor.organization_id)
    .bind(now)
    .bind(&message)
    .bind(req.signing_order.as_str())
    .bind(expires_at)
    .bind(req.reminder_days)
    .bind(redirect.as_deref())
    .execute(&mut *tx)
    .await?;
    if res.rows_affected() != 1 {
        return Err(not_sendable(&st.db, actor, id).await);
    }
    for (rid, lang) in &req.languages {
        sqlx::query("UPDATE recipients SET language = $3 WHERE id = $1 AND envelope_id = $2")
            .bind(rid)
            .bind(id)
            .bind(lang.as_str())
            .execute(&mut *tx)
            .await?;
    }
    check_complete(&mut tx, id).await?;
    audit::record(
        &mut tx,
        audit::Event {
            envelope_id: id,
            kind: "envelope.sent",
            recipient_id: None,
            user_id: actor.user_id.as_ref(),
            origin,
            data: json!({
                "signing_order": req.signing_order.as_str(),
                "expires_at": expires_at.map(|e| e.to_db()),
                "reminder_days": req.reminder_days,
            }),
        },
    )
    .await?;
    // The envelope row now says "sent"; read it back inside the transaction for the emails.
    let ctx = ctx_in_tx(&mut tx, id).await?;
    let all: Vec<String> = sqlx::query_scalar("SELECT id FROM recipients WHERE envelope_id = $1 ORDER BY position")
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
    let mut links = Vec::with_capacity(all.len());
    for rid in all {
        let rid = RecipientId::parse(&rid)?;
        let url = new_link(st, &mut tx, &ctx, &rid).await?;
        links.push(Invited { recipient_id: rid, sign_url: url, emailed: false });
    }
    let emailed = invite_due(st, &mut tx, &ctx, &links).await?;
    for l in links.iter_mut() {
        l.emailed = emailed.iter().any(|e| e.recipient_id == l.recipient_id);
    }
    tx.commit().await?;
    st.mailer.wake.notify_one();
    tracing::info!(envelope_id = %id, invited = emailed.len(), "envelope sent");
    Ok(links)
}

fn parse_expiry(s: &str) -> AppResult<Timestamp> {
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map_err(|_| AppError::field("expiresAt", "invalid", "Use an RFC 3339 date-time, e.g. 2027-01-31T18:00:00+09:00"))?;
    Ok(Timestamp::from_datetime(t))
}

async fn not_sendable(db: &Db, actor: &Actor, id: &EnvelopeId) -> AppError {
    match sqlx::query_scalar::<_, String>("SELECT status FROM envelopes WHERE id = $1 AND organization_id = $2")
        .bind(id)
        .bind(&actor.organization_id)
        .fetch_optional(db.pool())
        .await
    {
        Ok(None) => AppError::not_found("Contract"),
        Ok(Some(_)) => AppError::new(ErrorCode::EnvelopeNotDraft, "The contract has already been sent"),
        Err(e) => e.into(),
    }
}

/// Every recipient complete, at least one signer, each signer with a field, a document.
async fn check_complete(tx: &mut Tx, id: &EnvelopeId) -> AppResult<()> {
    let recipients: Vec<(String, String, String, String)> =
        sqlx::query_as("SELECT id, name, email, role FROM recipients WHERE envelope_id = $1 ORDER BY position")
            .bind(id)
            .fetch_all(&mut **tx)
            .await?;
    let docs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM envelope_documents WHERE envelope_id = $1")
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
    let mut errors = Vec::new();
    let mut err = |field: String, code: &str, message: &str| {
        errors.push(FieldError { field, code: code.into(), message: message.into() })
    };
    if docs == 0 {
        err("documents".into(), "required", "Add a document first");
    }
    if !recipients.iter().any(|r| r.3 == "signer") {
        err("recipients".into(), "required", "Add at least one signer");
    }
    for (i, (rid, name, email, role)) in recipients.iter().enumerate() {
        if DisplayName::parse(name).is_err() {
            err(format!("recipients[{i}].name"), "required", "Every recipient needs a name");
        }
        if EmailAddress::parse(email).is_err() {
            err(format!("recipients[{i}].email"), "required", "Every recipient needs an email address");
        }
        if role == "signer" {
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM fields WHERE recipient_id = $1")
                .bind(rid)
                .fetch_one(&mut **tx)
                .await?;
            if n == 0 {
                err(format!("recipients[{i}].fields"), "required", "Every signer needs at least one field");
            }
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(AppError::fields(errors)) }
}

/// The envelope as the current transaction sees it.
pub(crate) async fn ctx_in_tx(tx: &mut Tx, id: &EnvelopeId) -> AppResult<EnvelopeCtx> {
    super::load_ctx(&mut **tx, id).await?.ok_or_else(|| AppError::not_found("Contract"))
}

/// Invites (emails) the signers whose turn it is and who have not been invited yet: every
/// signer in parallel order; in sequential order, the lowest order number with a signer
/// left. Uses a link from `known` when there is one, else issues a new one.
pub(crate) async fn invite_due(st: &AppState, tx: &mut Tx, ctx: &EnvelopeCtx, known: &[Invited]) -> AppResult<Vec<Invited>> {
    let pending: Vec<(String, i64, Option<Timestamp>)> = sqlx::query_as(
        "SELECT id, signing_order, invited_at FROM recipients \
         WHERE envelope_id = $1 AND role = 'signer' AND signed_at IS NULL AND declined_at IS NULL ORDER BY signing_order, position",
    )
    .bind(&ctx.id)
    .fetch_all(&mut **tx)
    .await?;
    let turn = pending.iter().map(|p| p.1).min();
    let due: Vec<RecipientId> = pending
        .iter()
        .filter(|(_, order, invited)| invited.is_none() && (ctx.signing_order == SigningOrder::Parallel || Some(*order) == turn))
        .filter_map(|(id, _, _)| RecipientId::parse(id).ok())
        .collect();
    let mut out = Vec::with_capacity(due.len());
    for rid in due {
        let url = match known.iter().find(|k| k.recipient_id == rid) {
            Some(k) => k.sign_url.clone(),
            None => new_link(st, tx, ctx, &rid).await?,
        };
        email_link(st, tx, ctx, &rid, &url, false).await?;
        out.push(Invited { recipient_id: rid, sign_url: url, emailed: true });
    }
    Ok(out)
}

/// A new signing link for a recipient (only its token's hash is stored).
pub(crate) async fn new_link(st: &AppState, tx: &mut Tx, ctx: &EnvelopeCtx, rid: &RecipientId) -> AppResult<String> {
    let token = crate::crypto::SigningToken::generate();
    sqlx::query("INSERT INTO signing_links (token_hash, recipient_id, envelope_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)")
        .bind(token.hash())
        .bind(rid)
        .bind(&ctx.id)
        .bind(Timestamp::now())
        .execute(&mut **tx)
        .await?;
    Ok(st.settings.link(&format!("/sign/{}", token.as_str())))
}

/// Emails a link: an invitation, or a reminder (each reminder carries a new link). A test
/// envelope's mail counts against the organization's daily test cap.
pub(crate) async fn email_link(st: &AppState, tx: &mut Tx, ctx: &EnvelopeCtx, rid: &RecipientId, url: &str, reminder: bool) -> AppResult<()> {
    if ctx.mode == crate::model::Mode::Test {
        outbox::check_test_cap(tx, &ctx.organization_id, st.settings.test_emails_per_day).await?;
    }
    let now = Timestamp::now();
    let column = if reminder { "last_reminded_at" } else { "invited_at" };
    sqlx::query(&format!("UPDATE recipients SET {column} = $2, updated_at = $2 WHERE id = $1"))
        .bind(rid)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    let (name, email, lang): (String, String, String) =
        sqlx::query_as("SELECT name, email, language FROM recipients WHERE id = $1").bind(rid).fetch_one(&mut **tx).await?;
    let lang = Language::parse(&lang).unwrap_or_default();
    let expires = ctx.expires_at.map(|e| e.to_db().replace('T', " ").chars().take(16).collect::<String>());
    let mail = templates::invite(&templates::Invite {
        lang,
        recipient_name: &name,
        sender_name: &ctx.sender_name,
        organization_name: &ctx.organization_name,
        envelope_name: &ctx.name,
        message: &ctx.message,
        link: url,
        expires_at: expires.as_deref(),
        reminder,
    });
    outbox::enqueue(
        tx,
        NewEmail {
            kind: if reminder { "reminder" } else { "invitation" },
            to_email: &email,
            to_name: &name,
            subject: mail.subject,
            html: mail.html,
            text: mail.text,
            organization_id: Some(&ctx.organization_id),
            envelope_id: Some(&ctx.id),
            recipient_id: Some(rid),
            attachments: Vec::new(),
        },
    )
    .await?;
    audit::record(
        tx,
        audit::Event {
            envelope_id: &ctx.id,
            kind: if reminder { "reminder.sent" } else { "recipient.invited" },
            recipient_id: Some(rid),
            user_id: None,
            origin: &Origin::default(),
            data: json!({ "email": email }),
        },
    )
    .await?;
    Ok(())
}

type ProgressRow = (
    String,
    String,
    String,
    String,
    i64,
    String,
    Option<Timestamp>,
    Option<Timestamp>,
    Option<Timestamp>,
    Option<Timestamp>,
    Option<Timestamp>,
    Option<String>,
);

/// The sender's view: status, each recipient's progress, the audit log.
pub async fn envelope_detail(db: &Db, actor: &Actor, id: &EnvelopeId) -> AppResult<EnvelopeDetail> {
    crate::api::scope::envelope(db, actor, id).await?;
    let ctx = envelope_ctx(db, id, Some(&actor.organization_id)).await?;
    let times: (Option<Timestamp>, Option<Timestamp>, Option<Timestamp>, Option<String>) = sqlx::query_as(
        "SELECT sent_at, completed_at, cancelled_at, cancel_reason FROM envelopes WHERE id = $1",
    )
    .bind(id)
    .fetch_one(db.pool())
    .await?;
    let draft = crate::envelopes::load(db, actor, id).await?;
    let rows: Vec<ProgressRow> = sqlx::query_as(
        "SELECT id, name, email, role, signing_order, language, invited_at, viewed_at, consented_at, signed_at, declined_at, decline_reason \
         FROM recipients WHERE envelope_id = $1 ORDER BY position",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    let ts = |t: Option<Timestamp>| t.map(|t| t.to_db());
    let recipients = rows
        .into_iter()
        .map(|(rid, name, email, role, order, lang, inv, viewed, consented, signed, declined, reason)| {
            Ok(RecipientProgress {
                id: RecipientId::parse(&rid)?,
                name,
                email,
                role: RecipientRole::parse(&role).unwrap_or(RecipientRole::Signer),
                order,
                language: Language::parse(&lang).unwrap_or_default(),
                invited_at: ts(inv),
                viewed_at: ts(viewed),
                consented_at: ts(consented),
                signed_at: ts(signed),
                declined_at: ts(declined),
                decline_reason: reason,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    let (events, audit_integrity) = audit::events(db, id).await?;
    let seal: (Option<String>, Option<String>, Option<String>) =
        sqlx::query_as("SELECT seal_status, seal_error, audit_trail_sha256 FROM envelopes WHERE id = $1").bind(id).fetch_one(db.pool()).await?;
    let sealed: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT s.document_id, d.name, s.original_sha256, s.sealed_sha256 FROM sealed_documents s JOIN documents d ON d.id = s.document_id \
         JOIN envelope_documents ed ON ed.envelope_id = s.envelope_id AND ed.document_id = s.document_id WHERE s.envelope_id = $1 ORDER BY ed.position",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    let sealed_documents = sealed
        .into_iter()
        .map(|(d, name, o, sd)| Ok(crate::model::SealedDocument { document_id: crate::ids::DocumentId::parse(&d)?, name, original_sha256: o, sealed_sha256: sd }))
        .collect::<AppResult<Vec<_>>>()?;
    Ok(EnvelopeDetail {
        id: id.clone(),
        name: ctx.name.clone(),
        status: ctx.status.reported(seal.0.as_deref() == Some("sealed"), ctx.is_past_expiry()),
        message: ctx.message.clone(),
        signing_order: ctx.signing_order,
        sent_at: ts(times.0),
        expires_at: ts(ctx.expires_at),
        completed_at: ts(times.1),
        cancelled_at: ts(times.2),
        cancel_reason: times.3,
        reminder_days: ctx.reminder_days,
        documents: draft.documents,
        recipients,
        field_count: draft.fields.len(),
        events,
        audit_integrity,
        seal_status: seal.0,
        seal_error: seal.1,
        sealed_documents,
        audit_trail_sha256: seal.2,
    })
}
