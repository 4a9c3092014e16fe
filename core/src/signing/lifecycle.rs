//! The sender's cancel, and the sweeper that expires envelopes past their date and reminds
//! signers whose turn it is.

use super::send::{ctx_in_tx, email_link, new_link};
use super::envelope_ctx;
use crate::actor::Actor;
use crate::audit::{self, Origin};
use crate::db::Timestamp;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::ids::{EnvelopeId, RecipientId};
use crate::mail::outbox::{self, NewEmail};
use crate::mail::templates;
use crate::model::Language;
use crate::state::AppState;
use serde_json::json;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Cancels a sent envelope; every recipient already invited is told.
pub async fn cancel_envelope(st: &AppState, actor: &Actor, id: &EnvelopeId, reason: &str, origin: &Origin) -> AppResult<()> {
    let reason = reason.trim();
    if reason.chars().count() > 1000 {
        return Err(AppError::field("reason", "too_long", "Use at most 1000 characters"));
    }
    crate::api::scope::envelope(&st.db, actor, id).await?;
    let ctx = envelope_ctx(&st.db, id, Some(&actor.organization_id)).await?;
    let mut tx = st.db.begin().await?;
    let now = Timestamp::now();
    let res = sqlx::query(
        "UPDATE envelopes SET status = 'cancelled', cancelled_at = $3, cancel_reason = $4, updated_at = $3 \
         WHERE id = $1 AND organization_id = $2 AND status = 'sent'",
    )
    .bind(id)
    .bind(&actor.organization_id)
    .bind(now)
    .bind(reason)
    .execute(&mut *tx)
    .await?;
    if res.rows_affected() != 1 {
        return Err(match ctx.status {
            crate::model::EnvelopeStatus::Draft => {
                AppError::new(ErrorCode::EnvelopeNotSent, "Only a sent contract can be cancelled; delete a draft instead")
            }
            s => super::closed_error(s, false),
        });
    }
    audit::record(
        &mut tx,
        audit::Event {
            envelope_id: id,
            kind: "envelope.cancelled",
            recipient_id: None,
            user_id: actor.user_id.as_ref(),
            origin,
            data: json!({ "reason": reason }),
        },
    )
    .await?;
    let told: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT id, name, email, language FROM recipients WHERE envelope_id = $1 AND invited_at IS NOT NULL AND signed_at IS NULL AND declined_at IS NULL",
    )
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    for (rid, name, email, lang) in told {
        let rid = RecipientId::parse(&rid)?;
        let mail = templates::cancelled(Language::parse(&lang).unwrap_or_default(), &name, &ctx.name, &ctx.organization_name, reason);
        outbox::enqueue(
            &mut tx,
            NewEmail {
                kind: "cancelled",
                to_email: &email,
                to_name: &name,
                subject: mail.subject,
                html: mail.html,
                text: mail.text,
                organization_id: Some(&ctx.organization_id),
                envelope_id: Some(id),
                recipient_id: Some(&rid),
                attachments: Vec::new(),
            },
        )
        .await?;
    }
    tx.commit().await?;
    st.mailer.wake.notify_one();
    Ok(())
}

/// Marks envelopes past their expiry as expired and sends due reminders. Returns how many
/// envelopes expired and how many reminders were sent.
pub async fn sweep(st: &AppState) -> AppResult<(usize, usize)> {
    let now = Timestamp::now();
    let due: Vec<String> =
        sqlx::query_scalar("SELECT id FROM envelopes WHERE status = 'sent' AND expires_at IS NOT NULL AND expires_at <= $1")
            .bind(now)
            .fetch_all(st.db.pool())
            .await?;
    let mut expired = 0;
    for id in due {
        let id = EnvelopeId::parse(&id)?;
        let mut tx = st.db.begin().await?;
        let res = sqlx::query(
            "UPDATE envelopes SET status = 'expired', expired_at = $2, updated_at = $2 WHERE id = $1 AND status = 'sent' AND expires_at <= $2",
        )
        .bind(&id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if res.rows_affected() == 1 {
            audit::record(
                &mut tx,
                audit::Event {
                    envelope_id: &id,
                    kind: "envelope.expired",
                    recipient_id: None,
                    user_id: None,
                    origin: &Origin::default(),
                    data: json!({}),
                },
            )
            .await?;
            expired += 1;
        }
        tx.commit().await?;
    }

    let candidates: Vec<(String, String, i64, Timestamp, Option<Timestamp>)> = sqlx::query_as(
        "SELECT r.id, r.envelope_id, e.reminder_days, r.invited_at, r.last_reminded_at FROM recipients r \
         JOIN envelopes e ON e.id = r.envelope_id \
         WHERE e.status = 'sent' AND e.reminder_days IS NOT NULL AND r.role = 'signer' \
           AND r.invited_at IS NOT NULL AND r.signed_at IS NULL AND r.declined_at IS NULL",
    )
    .fetch_all(st.db.pool())
    .await?;
    let mut reminded = 0;
    for (rid, eid, days, invited, last) in candidates {
        let last = last.unwrap_or(invited);
        if last.plus(time::Duration::days(days)) > now {
            continue;
        }
        let (rid, eid) = (RecipientId::parse(&rid)?, EnvelopeId::parse(&eid)?);
        let mut tx = st.db.begin().await?;
        // Claim the reminder: only one process sends it.
        let res = sqlx::query("UPDATE recipients SET last_reminded_at = $2 WHERE id = $1 AND COALESCE(last_reminded_at, invited_at) = $3")
            .bind(&rid)
            .bind(now)
            .bind(last)
            .execute(&mut *tx)
            .await?;
        if res.rows_affected() == 1 {
            let ctx = ctx_in_tx(&mut tx, &eid).await?;
            let url = new_link(st, &mut tx, &ctx, &rid).await?;
            match email_link(st, &mut tx, &ctx, &rid, &url, true).await {
                Ok(()) => reminded += 1,
                // A test organization over its daily cap: no reminder today (nothing changes).
                Err(e) if e.code == crate::error::ErrorCode::TestEmailLimit => {
                    tracing::debug!(envelope_id = %eid, "test-mode reminder skipped: daily cap reached");
                    continue;
                }
                Err(e) => return Err(e),
            }
        }
        tx.commit().await?;
    }
    if expired + reminded > 0 {
        st.mailer.wake.notify_one();
    }
    Ok((expired, reminded))
}

/// Runs `sweep` every few seconds until cancelled.
pub async fn sweeper(st: AppState, every: Duration, cancel: CancellationToken) {
    loop {
        if let Err(e) = sweep(&st).await {
            tracing::warn!(error = %e.message, "sweeper");
        }
        if let Err(e) = crate::embed::sweep(&st.db).await {
            tracing::warn!(error = %e.message, "embed sessions sweeper");
        }
        if let Err(e) = crate::api::idempotency::sweep(&st.db).await {
            tracing::warn!(error = %e.message, "idempotency sweeper");
        }
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
    }
}
