//! The mail an envelope's state changes send: the sender hears that a signer declined, the
//! invited hear that the sender cancelled, and everyone gets the sealed documents (attached
//! when small enough, otherwise behind a download link that expires; recipients with
//! identity checks always through their own link, which asks for the checks again).

use super::contents::{self, Recipient};
use super::row::Envelope;
use crate::document::DocumentRow;
use crate::error::AppResult;
use crate::identity::Identity;
use crate::ids::{EnvelopeId, RecipientId};
use crate::infra::crypto::SigningToken;
use crate::infra::db::{Timestamp, Tx};
use crate::mail::outbox::{self, AttachmentRef, EmailKind, NewEmail};
use crate::mail::templates::{self, Handover, Rendered};
use crate::state::AppState;

/// How long a download link from the completion mail works.
const DOWNLOAD_DAYS: i64 = 30;

#[allow(clippy::too_many_arguments)]
async fn mail(
    st: &AppState,
    tx: &mut Tx,
    env: &Envelope,
    kind: EmailKind,
    to: (&str, &str),
    recipient: Option<&Recipient>,
    m: Rendered,
    attachments: Vec<AttachmentRef>,
) -> AppResult<()> {
    outbox::enqueue(
        &st.settings,
        tx,
        NewEmail {
            kind,
            to_email: to.1,
            to_name: to.0,
            subject: m.subject,
            html: m.html,
            text: m.text,
            organization_id: Some(&env.organization_id),
            envelope_id: Some(&env.id),
            recipient_id: recipient.map(|r| &r.id),
            attachments,
        },
    )
    .await
    .map(|_| ())
}

/// Tells the sender (when a user sent it) that a signer declined, in the sender's language.
pub(super) async fn declined(st: &AppState, tx: &mut Tx, env: &Envelope, r: &Recipient, reason: &str) -> AppResult<()> {
    let Some(email) = env.sender_email() else {
        return Ok(());
    };
    let link = st.settings.link(&format!("/contracts/{}", env.id));
    let m = templates::declined(env.sender_language(), env.sender_name(), &env.name, &r.name, reason, &link);
    mail(st, tx, env, EmailKind::Declined, (env.sender_name(), email), None, m, Vec::new()).await
}

/// Tells every recipient already invited (who has not finished) that the sender cancelled.
pub(super) async fn cancelled(st: &AppState, tx: &mut Tx, env: &Envelope, reason: &str) -> AppResult<()> {
    for r in contents::recipients(tx, &env.id).await? {
        if r.invited_at.is_none() || r.signed_at.is_some() || r.declined_at.is_some() {
            continue;
        }
        let m = templates::cancelled(r.language, &r.name, &env.name, &env.organization_name, reason);
        mail(st, tx, env, EmailKind::Cancelled, (&r.name, &r.email), Some(&r), m, Vec::new()).await?;
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct SealedFile {
    document_id: crate::ids::DocumentId,
    storage_key: String,
    size_bytes: i64,
}

/// A new download link for the envelope's sealed documents; bound to a recipient, it asks
/// for their checks before anything opens.
async fn download_link(st: &AppState, tx: &mut Tx, id: &EnvelopeId, recipient: Option<&RecipientId>) -> AppResult<String> {
    let token = SigningToken::generate();
    let now = Timestamp::now();
    sqlx::query("INSERT INTO download_links (token_hash, envelope_id, recipient_id, expires_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)")
        .bind(token.hash())
        .bind(id)
        .bind(recipient)
        .bind(now.plus(time::Duration::days(DOWNLOAD_DAYS)))
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(st.settings.link(&format!("/download/{}", token.as_str())))
}

/// The one plain link everyone without checks shares, made the first time it is needed.
async fn shared_link(st: &AppState, tx: &mut Tx, id: &EnvelopeId, shared: &mut Option<String>) -> AppResult<String> {
    if shared.is_none() {
        *shared = Some(download_link(st, tx, id, None).await?);
    }
    Ok(shared.clone().unwrap_or_default())
}

/// Hands everyone (recipients and the sender) the sealed documents, by each recipient's
/// channel. A recipient with checks gets neither attachments nor a plain link: their own link
/// asks for the checks again (an email inbox is no proof of who signed by SMS code or birth
/// date). A recipient reached by SMS gets their own link by SMS.
pub(super) async fn completed(st: &AppState, tx: &mut Tx, id: &EnvelopeId) -> AppResult<()> {
    let env = Envelope::find(tx, id).await?;
    let docs: Vec<DocumentRow> = crate::document::of_envelope(tx, id).await?;
    let files: Vec<SealedFile> =
        sqlx::query_as("SELECT document_id, storage_key, size_bytes FROM sealed_documents WHERE envelope_id = $1").bind(id).fetch_all(&mut **tx).await?;
    let total: i64 = files.iter().map(|f| f.size_bytes).sum();
    let attach = total as u64 <= st.settings.mail_attachment_max_bytes;
    let attachments: Vec<AttachmentRef> = if attach {
        docs.iter()
            .filter_map(|d| files.iter().find(|f| f.document_id == d.id).map(|f| (d, f)))
            .map(|(d, f)| AttachmentRef {
                name: crate::document::sealed_name(&d.name),
                content_type: "application/pdf".into(),
                storage_key: f.storage_key.clone(),
            })
            .collect()
    } else {
        Vec::new()
    };
    // The plain link of everyone without checks (when the files are too large to attach).
    let mut shared: Option<String> = None;
    let recipients = contents::recipients(tx, id).await?;
    for r in &recipients {
        let identity = Identity::load(&mut **tx, &r.id).await?;
        let checked = match &identity {
            Some(i) => !i.checks()?.is_empty(),
            None => false,
        };
        let channel = identity.as_ref().map(|i| i.channel).unwrap_or_default();
        let phone = identity.as_ref().and_then(|i| i.phone.as_deref()).filter(|_| channel.texts());
        // Their own link: for a checked recipient (it asks for the checks), and for an SMS.
        let own = if checked || phone.is_some() { Some(download_link(st, tx, id, Some(&r.id)).await?) } else { None };
        if channel.emails() {
            let (handover, files) = match (&own, attach) {
                (Some(link), _) if checked => (Handover::CheckedLink(link, DOWNLOAD_DAYS), Vec::new()),
                (_, true) => (Handover::Attached, attachments.clone()),
                (Some(link), false) => (Handover::Link(link, DOWNLOAD_DAYS), Vec::new()),
                (None, false) => (Handover::Link(&shared_link(st, tx, id, &mut shared).await?, DOWNLOAD_DAYS), Vec::new()),
            };
            let m = templates::completed(r.language, &r.name, &env.name, &env.organization_name, handover);
            mail(st, tx, &env, EmailKind::Completed, (&r.name, &r.email), Some(r), m, files).await?;
        }
        if let (Some(phone), Some(link)) = (phone, &own) {
            let text = crate::sms::completed(r.language, &env.name, link);
            let m = crate::sms::outbox::NewText { kind: crate::sms::TextKind::Completed, to: phone, text: &text, envelope: &env, recipient_id: Some(&r.id) };
            crate::sms::outbox::enqueue(st, tx, m).await?;
        }
    }
    if let Some(email) = env.sender_email().filter(|e| !recipients.iter().any(|r| r.email == *e)) {
        let (name, lang) = (env.sender_name().to_owned(), env.sender_language());
        let link = if attach { None } else { Some(shared_link(st, tx, id, &mut shared).await?) };
        let handover = link.as_deref().map_or(Handover::Attached, |l| Handover::Link(l, DOWNLOAD_DAYS));
        let m = templates::completed(lang, &name, &env.name, &env.organization_name, handover);
        mail(st, tx, &env, EmailKind::Completed, (&name, email), None, m, if attach { attachments } else { Vec::new() }).await?;
    }
    Ok(())
}
