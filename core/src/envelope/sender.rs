//! The sender's actions. Sending a draft: the sender's choices checked, the draft checked
//! complete, the `send` transition, a signing link for every recipient, and the invitations
//! of those whose turn it is — one transaction (the API sends with the options stored on its
//! draft). Cancelling a sent envelope.

use super::contents;
use super::invite::{invite_due, new_link, Invited, OverCap};
use super::row::Envelope;
use super::transition::{self, Sending};
use crate::actor::Actor;
use crate::api::scope;
use crate::audit::Origin;
use crate::error::{AppError, AppResult, FieldError};
use crate::ids::EnvelopeId;
use crate::infra::db::{Timestamp, Tx};
use crate::model::{Fieldless, Mode, RecipientRole, SendRequest};
use crate::state::AppState;
use crate::types::{DisplayName, EmailAddress};

/// Longest allowed: a year.
const MAX_EXPIRY_SECONDS: i64 = 366 * 24 * 3600;

/// The sender's choices, checked.
fn sending(req: &SendRequest) -> AppResult<Sending> {
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
    if req.reminder_days.is_some_and(|d| !(1..=30).contains(&d)) {
        return Err(AppError::field("reminderDays", "invalid", "Remind every 1 to 30 days"));
    }
    let redirect_url = match req.redirect_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        Some(u) if (u.starts_with("https://") || u.starts_with("http://")) && u.len() <= 2000 => Some(u.to_owned()),
        Some(_) => return Err(AppError::field("redirectUrl", "invalid", "Use an http(s) URL")),
        None => None,
    };
    Ok(Sending { message, signing_order: req.signing_order, expires_at, reminder_days: req.reminder_days, redirect_url })
}

fn parse_expiry(s: &str) -> AppResult<Timestamp> {
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map_err(|_| AppError::field("expiresAt", "invalid", "Use an RFC 3339 date-time, e.g. 2027-01-31T18:00:00+09:00"))?;
    Ok(Timestamp::from_datetime(t))
}

/// Sends a draft. Returns every recipient's signing link. Signers given no field sign on a
/// signature page appended for them, or place their signature themselves (`Fieldless`).
pub async fn send_envelope(st: &AppState, actor: &Actor, id: &EnvelopeId, req: &SendRequest, origin: &Origin) -> AppResult<Vec<Invited>> {
    scope::envelope(&st.db, actor, id).await?;
    let sending = sending(req)?;
    if let Some(fieldless) = req.fieldless {
        super::change::update(&st.db, &st.settings, actor, id, super::change::DraftChange { fieldless: Some(fieldless), ..Default::default() }).await?;
    }
    match super::fieldless::prepare(st, actor, id).await? {
        None => send_in_tx(st, actor, id, req, &sending, origin, None).await,
        Some(page) => {
            let sent = send_in_tx(st, actor, id, req, &sending, origin, Some(&page)).await;
            page.settle(st, sent).await
        }
    }
}

async fn send_in_tx(
    st: &AppState,
    actor: &Actor,
    id: &EnvelopeId,
    req: &SendRequest,
    sending: &Sending,
    origin: &Origin,
    page: Option<&super::fieldless::Prepared>,
) -> AppResult<Vec<Invited>> {
    let mut tx = st.db.begin().await?;
    let env = Envelope::find_for(&mut tx, actor, id).await?;
    if env.mode == Mode::Live {
        crate::api::usage::check_quota(&mut tx, &actor.organization_id).await?;
    }
    if let Some(page) = page {
        page.record(&mut tx, actor, id).await?;
    }
    set_identities(st, &mut tx, id, &req.identities).await?;
    transition::send(&mut tx, actor, id, sending, origin).await?;
    for (rid, lang) in &req.languages {
        sqlx::query("UPDATE recipients SET language = $3 WHERE id = $1 AND envelope_id = $2").bind(rid).bind(id).bind(lang).execute(&mut *tx).await?;
    }
    check_complete(&mut tx, id, env.fieldless).await?;
    // The row now says "sent"; read it back inside the transaction for the emails.
    let env = Envelope::find(&mut tx, id).await?;
    let mut links = Vec::new();
    for r in contents::recipients(&mut tx, id).await? {
        let url = new_link(st, &mut tx, &env, &r.id).await?;
        links.push(Invited { recipient_id: r.id, sign_url: url, emailed: false });
    }
    let emailed = invite_due(st, &mut tx, &env, &links, OverCap::Refuse).await?;
    for l in links.iter_mut() {
        l.emailed = emailed.iter().any(|e| e.recipient_id == l.recipient_id);
    }
    tx.commit().await?;
    st.wake_outboxes();
    tracing::info!(envelope_id = %id, invited = emailed.len(), "envelope sent");
    Ok(links)
}

/// Sends an API draft with the options stored on it.
pub async fn send_stored(st: &AppState, actor: &Actor, id: &EnvelopeId, origin: &Origin) -> AppResult<Vec<Invited>> {
    let env = Envelope::find_for(&mut *st.db.pool().acquire().await?, actor, id).await?;
    let req = SendRequest {
        message: env.message,
        signing_order: env.signing_order,
        expires_at: None,
        expires_in: env.expires_in_seconds,
        reminder_days: env.reminder_days,
        languages: Vec::new(),
        redirect_url: env.redirect_url,
        fieldless: None,
        identities: Vec::new(),
    };
    send_envelope(st, actor, id, &req, origin).await
}

/// Every recipient complete, at least one signer, each signer with a field (unless signers
/// place their own), a document.
async fn check_complete(tx: &mut Tx, id: &EnvelopeId, fieldless: Fieldless) -> AppResult<()> {
    let recipients = contents::recipients(tx, id).await?;
    let fields = contents::fields(tx, id).await?;
    let docs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM envelope_documents WHERE envelope_id = $1").bind(id).fetch_one(&mut **tx).await?;
    let mut errors = Vec::new();
    let mut err = |field: String, code: &str, message: &str| errors.push(FieldError { field, code: code.into(), message: message.into() });
    if docs == 0 {
        err("documents".into(), "required", "Add a document first");
    }
    if !recipients.iter().any(|r| r.role == RecipientRole::Signer) {
        err("recipients".into(), "required", "Add at least one signer");
    }
    for (i, r) in recipients.iter().enumerate() {
        if DisplayName::parse(&r.name).is_err() {
            err(format!("recipients[{i}].name"), "required", "Every recipient needs a name");
        }
        if EmailAddress::parse(&r.email).is_err() {
            err(format!("recipients[{i}].email"), "required", "Every recipient needs an email address");
        }
        if r.role == RecipientRole::Signer && fieldless != Fieldless::FreeForm && !fields.iter().any(|f| f.recipient_id == r.id) {
            err(format!("recipients[{i}].fields"), "required", "Every signer needs at least one field");
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::fields(errors))
    }
}

/// Cancels a sent envelope; every recipient already invited is told.
pub async fn cancel(st: &AppState, actor: &Actor, id: &EnvelopeId, reason: &str, origin: &Origin) -> AppResult<()> {
    let reason = reason.trim();
    if reason.chars().count() > 1000 {
        return Err(AppError::field("reason", "too_long", "Use at most 1000 characters"));
    }
    let mut tx = st.db.begin().await?;
    let env = Envelope::find_for(&mut tx, actor, id).await?;
    transition::cancelled(st, &mut tx, actor, &env, reason, origin).await?;
    tx.commit().await?;
    st.wake_outboxes();
    Ok(())
}

/// Links minted on demand live at most 30 days (or until the envelope ends).
pub const MAX_LINK_SECONDS: i64 = 30 * 24 * 3600;

/// A fresh signing link for a recipient of a sent envelope who has not finished, working for
/// `expires_in` seconds (60 s – 30 days) when given, else until the envelope ends. Earlier
/// links keep working unless `revoke_others` retires them (an embedding host that wants only
/// the link it just made to open signing).
/// The send form's checks, phone and channel for the recipients it names, checked (problems
/// under `identities[i]`) and stored in the sending transaction.
async fn set_identities(
    st: &AppState,
    tx: &mut crate::infra::db::Tx,
    id: &EnvelopeId,
    given: &[(crate::ids::RecipientId, crate::model::RecipientIdentity)],
) -> AppResult<()> {
    if given.is_empty() {
        return Ok(());
    }
    let known = contents::recipients(tx, id).await?;
    let mut errors = Vec::new();
    let mut stored = Vec::new();
    for (i, (rid, g)) in given.iter().enumerate() {
        let kept = crate::identity::Identity::load(&mut **tx, rid).await?;
        if !known.iter().any(|r| &r.id == rid) {
            return Err(AppError::field(&format!("identities[{i}]"), "unknown", "No such recipient in this contract"));
        }
        let spec = crate::identity::IdentitySpec {
            methods: g.methods.clone(),
            phone: g.phone.clone(),
            channel: Some(g.channel),
            access_code: g.access_code.clone().filter(|c| !c.trim().is_empty()),
            birth_date: g.birth_date.clone().filter(|c| !c.trim().is_empty()),
        };
        stored.push((rid.clone(), crate::identity::check(&st.settings, &spec, kept.as_ref(), &format!("identities[{i}]"), &mut errors)));
    }
    if !errors.is_empty() {
        return Err(AppError::fields(errors));
    }
    crate::identity::store(tx, id, &stored).await
}

/// Lets a recipient locked out by wrong answers try again (false: they were not locked).
pub async fn unlock(st: &AppState, actor: &Actor, id: &EnvelopeId, recipient: &crate::ids::RecipientId, origin: &Origin) -> AppResult<bool> {
    let mut tx = st.db.begin().await?;
    let env = Envelope::find_for(&mut tx, actor, id).await?;
    if !contents::recipients(&mut tx, id).await?.iter().any(|r| &r.id == recipient) {
        return Err(AppError::not_found("Recipient"));
    }
    let unlocked = crate::identity::gate::unlock(&mut tx, &env, recipient, actor.user_id.as_ref(), origin).await?;
    tx.commit().await?;
    Ok(unlocked)
}

pub async fn mint_link(
    st: &AppState,
    actor: &Actor,
    id: &EnvelopeId,
    recipient: &crate::ids::RecipientId,
    expires_in: Option<i64>,
    revoke_others: bool,
) -> AppResult<(String, Option<Timestamp>)> {
    if expires_in.is_some_and(|s| !(60..=MAX_LINK_SECONDS).contains(&s)) {
        return Err(AppError::field("expiresIn", "invalid", "A link lives between a minute and 30 days"));
    }
    let mut tx = st.db.begin().await?;
    let env = Envelope::find_for(&mut tx, actor, id).await?;
    if env.status != crate::model::EnvelopeStatus::Sent || env.is_past_expiry() {
        return Err(super::transition::closed_error(env.status, env.is_past_expiry()));
    }
    let r = contents::recipients(&mut tx, id).await?.into_iter().find(|r| &r.id == recipient).ok_or_else(|| AppError::not_found("Recipient"))?;
    if r.signed_at.is_some() {
        return Err(AppError::new(crate::error::ErrorCode::AlreadySigned, "This recipient has signed already"));
    }
    if r.declined_at.is_some() {
        return Err(AppError::new(crate::error::ErrorCode::AlreadyDeclined, "This recipient has declined"));
    }
    let now = Timestamp::now();
    if revoke_others {
        sqlx::query("UPDATE signing_links SET revoked_at = $2, updated_at = $2 WHERE recipient_id = $1 AND revoked_at IS NULL")
            .bind(&r.id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
    }
    let until = expires_in.map(|s| now.plus(time::Duration::seconds(s)));
    // Never past the envelope's own expiry.
    let until = match (until, env.expires_at) {
        (Some(u), Some(e)) => Some(u.min(e)),
        (u, e) => u.or(e),
    };
    let url = super::invite::new_link_until(st, &mut tx, &env, &r.id, until).await?;
    tx.commit().await?;
    Ok((url, until))
}

/// Reminds now, with a fresh link, every signer who was invited and has not finished —
/// unless reminded in the last hour. Returns who was reminded.
pub async fn remind(st: &AppState, actor: &Actor, id: &EnvelopeId) -> AppResult<Vec<crate::ids::RecipientId>> {
    let mut tx = st.db.begin().await?;
    let env = Envelope::find_for(&mut tx, actor, id).await?;
    if env.status != crate::model::EnvelopeStatus::Sent || env.is_past_expiry() {
        return Err(super::transition::closed_error(env.status, env.is_past_expiry()));
    }
    let now = Timestamp::now();
    let recent = now.plus(time::Duration::hours(-1));
    let mut reminded = Vec::new();
    for r in contents::recipients(&mut tx, id).await? {
        let due = r.role == RecipientRole::Signer && r.invited_at.is_some() && r.signed_at.is_none() && r.declined_at.is_none();
        if !due || r.last_reminded_at.is_some_and(|t| t > recent) {
            continue;
        }
        sqlx::query("UPDATE recipients SET last_reminded_at = $2 WHERE id = $1").bind(&r.id).bind(now).execute(&mut *tx).await?;
        let url = new_link(st, &mut tx, &env, &r.id).await?;
        super::invite::email_link(st, &mut tx, &env, &r, &url, true).await?;
        reminded.push(r.id);
    }
    tx.commit().await?;
    st.wake_outboxes();
    Ok(reminded)
}
