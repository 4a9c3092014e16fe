//! The sweeper: envelopes past their expiry become expired, signers whose turn it is are
//! reminded every N days, and stale rows (ended signing links, embed sessions, idempotent
//! replays) are removed.

use super::contents::Recipient;
use super::invite::{email_link, new_link};
use super::row::Envelope;
use super::transition;
use crate::error::{AppResult, ErrorCode};
use crate::ids::{EnvelopeId, RecipientId};
use crate::infra::db::Timestamp;
use crate::model::{EnvelopeStatus, RecipientRole};
use crate::state::AppState;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[derive(sqlx::FromRow)]
struct Candidate {
    recipient_id: RecipientId,
    envelope_id: EnvelopeId,
    reminder_days: i64,
    invited_at: Timestamp,
    last_reminded_at: Option<Timestamp>,
}

/// Marks envelopes past their expiry as expired and sends due reminders. Returns how many
/// envelopes expired and how many reminders were sent.
pub async fn sweep(st: &AppState) -> AppResult<(usize, usize)> {
    let now = Timestamp::now();
    let due: Vec<EnvelopeId> = sqlx::query_scalar("SELECT id FROM envelopes WHERE status = $2 AND expires_at IS NOT NULL AND expires_at <= $1")
        .bind(now)
        .bind(EnvelopeStatus::Sent)
        .fetch_all(st.db.pool())
        .await?;
    let mut expired = 0;
    for id in due {
        let mut tx = st.db.begin().await?;
        if transition::expired(&mut tx, &id, now).await? {
            expired += 1;
        }
        tx.commit().await?;
    }
    // Links minted to live a short while, and retired links, are gone a day after they ended.
    let day_ago = now.plus(time::Duration::days(-1));
    sqlx::query("DELETE FROM signing_links WHERE (expires_at IS NOT NULL AND expires_at < $1) OR (revoked_at IS NOT NULL AND revoked_at < $1)")
        .bind(day_ago)
        .execute(st.db.pool())
        .await?;
    // So are the browsers' signer sessions (the audit log keeps what they passed).
    sqlx::query("DELETE FROM signer_sessions WHERE expires_at < $1").bind(day_ago).execute(st.db.pool()).await?;

    let candidates: Vec<Candidate> = sqlx::query_as(
        "SELECT r.id AS recipient_id, r.envelope_id, e.reminder_days, r.invited_at, r.last_reminded_at FROM recipients r \
         JOIN envelopes e ON e.id = r.envelope_id \
         WHERE e.status = $1 AND e.reminder_days IS NOT NULL AND r.role = $2 \
           AND r.invited_at IS NOT NULL AND r.signed_at IS NULL AND r.declined_at IS NULL",
    )
    .bind(EnvelopeStatus::Sent)
    .bind(RecipientRole::Signer)
    .fetch_all(st.db.pool())
    .await?;
    let mut reminded = 0;
    for c in candidates {
        let last = c.last_reminded_at.unwrap_or(c.invited_at);
        if last.plus(time::Duration::days(c.reminder_days)) > now {
            continue;
        }
        let mut tx = st.db.begin().await?;
        // Claim the reminder: only one process sends it.
        let res = sqlx::query("UPDATE recipients SET last_reminded_at = $2 WHERE id = $1 AND COALESCE(last_reminded_at, invited_at) = $3")
            .bind(&c.recipient_id)
            .bind(now)
            .bind(last)
            .execute(&mut *tx)
            .await?;
        if res.rows_affected() == 1 {
            let env = Envelope::find(&mut tx, &c.envelope_id).await?;
            let Some(r) = Recipient::load(&mut tx, &c.recipient_id).await? else { continue };
            let url = new_link(st, &mut tx, &env, &r.id).await?;
            match email_link(st, &mut tx, &env, &r, &url, true).await {
                Ok(()) => reminded += 1,
                // A test organization over its daily cap: no reminder today (nothing changes).
                Err(e) if e.code == ErrorCode::TestEmailLimit => {
                    tracing::debug!(envelope_id = %env.id, "test-mode reminder skipped: daily cap reached");
                    continue;
                }
                Err(e) => return Err(e),
            }
        }
        tx.commit().await?;
    }
    if expired + reminded > 0 {
        st.wake_outboxes();
    }
    Ok((expired, reminded))
}

/// Runs `sweep` (and the other cleanups) every few seconds until cancelled — once per period
/// across all instances: the one that takes the period's lease.
pub async fn sweeper(st: AppState, every: Duration, cancel: CancellationToken) {
    let period = time::Duration::try_from(every).unwrap_or(time::Duration::seconds(30));
    loop {
        match crate::infra::claim::lease_due(&st.db, "sweep", period).await {
            Ok(true) => run_sweeps(&st).await,
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e.message, "sweeper lease"),
        }
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
    }
}

async fn run_sweeps(st: &AppState) {
    {
        if let Err(e) = sweep(st).await {
            tracing::warn!(error = %e.message, "sweeper");
        }
        if let Err(e) = crate::embed::sweep(&st.db).await {
            tracing::warn!(error = %e.message, "embed sessions sweeper");
        }
        if let Err(e) = crate::api::idempotency::sweep(&st.db).await {
            tracing::warn!(error = %e.message, "idempotency sweeper");
        }
        if let Err(e) = crate::infra::ratelimit::sweep(&st.db).await {
            tracing::warn!(error = %e, "rate limit sweeper");
        }
    }
}
