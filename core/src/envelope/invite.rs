//! Signing links and the mail that carries them: every recipient gets a link when the envelope
//! is sent; signers are emailed when it is their turn (all at once in parallel order, the
//! lowest order number left in sequential order); reminders email a fresh link.

use super::contents::Recipient;
use super::row::Envelope;
use crate::audit::{self, AuditKind, Origin};
use crate::error::{AppResult, ErrorCode};
use crate::ids::RecipientId;
use crate::infra::crypto::SigningToken;
use crate::infra::db::{Timestamp, Tx};
use crate::mail::outbox::{self, EmailKind, NewEmail};
use crate::mail::templates;
use crate::model::{RecipientRole, SigningOrder};
use crate::state::AppState;
use serde_json::json;

/// A recipient's signing link, and whether they were emailed now (their turn) or will be
/// when their turn comes (the link works for embedding already, but says "not your turn").
#[derive(Clone, Debug)]
pub struct Invited {
    pub recipient_id: RecipientId,
    pub sign_url: String,
    pub emailed: bool,
}

/// A new signing link for a recipient (only its token's hash is stored).
pub(crate) async fn new_link(st: &AppState, tx: &mut Tx, env: &Envelope, rid: &RecipientId) -> AppResult<String> {
    new_link_until(st, tx, env, rid, None).await
}

/// A new signing link that stops working at `expires_at` (or with the envelope).
pub(crate) async fn new_link_until(st: &AppState, tx: &mut Tx, env: &Envelope, rid: &RecipientId, expires_at: Option<Timestamp>) -> AppResult<String> {
    let token = SigningToken::generate();
    insert_link(tx, env, rid, &token, expires_at).await?;
    Ok(st.settings.link(&format!("/sign/{}", token.as_str())))
}

/// A short link for an SMS (a 128-bit token, `/s/…`, which leads to the signing page); it
/// ends with the envelope, like every link of the recipient.
async fn new_short_link(st: &AppState, tx: &mut Tx, env: &Envelope, rid: &RecipientId) -> AppResult<String> {
    let token = SigningToken::generate_short();
    insert_link(tx, env, rid, &token, None).await?;
    Ok(st.settings.link(&format!("/s/{}", token.as_str())))
}

/// Stores a link's token (its hash) for a recipient.
async fn insert_link(tx: &mut Tx, env: &Envelope, rid: &RecipientId, token: &SigningToken, expires_at: Option<Timestamp>) -> AppResult<()> {
    sqlx::query("INSERT INTO signing_links (token_hash, recipient_id, envelope_id, expires_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)")
        .bind(token.hash())
        .bind(rid)
        .bind(&env.id)
        .bind(expires_at)
        .bind(Timestamp::now())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// What an invitation over a test organization's daily mail cap does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OverCap {
    /// The sender's own request fails with `TEST_EMAIL_LIMIT` (nothing is sent).
    Refuse,
    /// Mail a signer's action brings about is left out (the recipient stays uninvited);
    /// the signer is never refused for the organization's cap.
    Skip,
}

/// Invites (emails) the signers whose turn it is and who have not been invited yet. Uses a
/// link from `known` when there is one, else issues a new one.
pub(crate) async fn invite_due(st: &AppState, tx: &mut Tx, env: &Envelope, known: &[Invited], over_cap: OverCap) -> AppResult<Vec<Invited>> {
    let pending: Vec<Recipient> = super::contents::recipients(tx, &env.id)
        .await?
        .into_iter()
        .filter(|r| r.role == RecipientRole::Signer && r.signed_at.is_none() && r.declined_at.is_none())
        .collect();
    let turn = pending.iter().map(|r| r.signing_order).min();
    let mut out = Vec::new();
    for r in pending.iter().filter(|r| r.invited_at.is_none() && (env.signing_order == SigningOrder::Parallel || Some(r.signing_order) == turn)) {
        let url = match known.iter().find(|k| k.recipient_id == r.id) {
            Some(k) => k.sign_url.clone(),
            None => new_link(st, tx, env, &r.id).await?,
        };
        match email_link(st, tx, env, r, &url, false).await {
            Ok(()) => {}
            Err(e) if e.code == ErrorCode::TestEmailLimit && over_cap == OverCap::Skip => {
                tracing::info!(envelope_id = %env.id, recipient_id = %r.id, "test invitation over the daily cap: left out");
                continue;
            }
            Err(e) => return Err(e),
        }
        out.push(Invited { recipient_id: r.id.clone(), sign_url: url, emailed: true });
    }
    Ok(out)
}

/// Emails a link: an invitation, or a reminder (each reminder carries a new link). A test
/// envelope's mail counts against the organization's daily test cap (see `outbox::enqueue`).
pub(crate) async fn email_link(st: &AppState, tx: &mut Tx, env: &Envelope, r: &Recipient, url: &str, reminder: bool) -> AppResult<()> {
    let expires = env.expires_at.map(|e| e.to_db().replace('T', " ").chars().take(16).collect::<String>());
    let mail = templates::invite(&templates::Invite {
        lang: r.language,
        recipient_name: &r.name,
        sender_name: env.sender_name(),
        organization_name: &env.organization_name,
        envelope_name: &env.name,
        message: &env.message,
        link: url,
        expires_at: expires.as_deref(),
        reminder,
    });
    let channel = r.channel();
    if channel.emails() {
        outbox::enqueue(
            &st.settings,
            tx,
            NewEmail {
                kind: if reminder { EmailKind::Reminder } else { EmailKind::Invitation },
                to_email: &r.email,
                to_name: &r.name,
                subject: mail.subject,
                html: mail.html,
                text: mail.text,
                organization_id: Some(&env.organization_id),
                envelope_id: Some(&env.id),
                recipient_id: Some(&r.id),
                attachments: Vec::new(),
            },
        )
        .await?;
    }
    if let Some(phone) = r.phone.as_deref().filter(|_| channel.texts()) {
        let short = new_short_link(st, tx, env, &r.id).await?;
        let text = crate::sms::invitation(r.language, env.sender_name(), &env.name, &short, reminder);
        let kind = if reminder { crate::sms::TextKind::Reminder } else { crate::sms::TextKind::Invitation };
        crate::sms::outbox::enqueue(st, tx, crate::sms::outbox::NewText { kind, to: phone, text: &text, envelope: env, recipient_id: Some(&r.id) }).await?;
    }
    // Marked only once the mail is queued (a refused one leaves the recipient as it was).
    let now = Timestamp::now();
    let sql = if reminder {
        "UPDATE recipients SET last_reminded_at = $2, updated_at = $2 WHERE id = $1"
    } else {
        "UPDATE recipients SET invited_at = $2, updated_at = $2 WHERE id = $1"
    };
    sqlx::query(sql).bind(&r.id).bind(now).execute(&mut **tx).await?;
    super::report(
        tx,
        audit::Event {
            envelope_id: &env.id,
            kind: if reminder { AuditKind::ReminderSent } else { AuditKind::RecipientInvited },
            recipient_id: Some(&r.id),
            user_id: None,
            origin: &Origin::default(),
            data: match r.phone.as_deref().filter(|_| channel.texts()) {
                Some(phone) => json!({ "email": channel.emails().then_some(&r.email), "phone": crate::identity::phone::Phone::masked(phone) }),
                None => json!({ "email": r.email }),
            },
        },
    )
    .await
}
