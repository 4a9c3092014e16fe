//! The signer's side, by signing link: the page's data, its page images, opening it,
//! consenting, signing and declining. Each step checks where the recipient stands and leaves
//! the change itself to the envelope's transitions.

use super::link::{refusal, Signer};
use super::submission::{check_submission, placed_fields, CheckedSignature, CheckedSubmission};
use super::{consent_text, today_in, CONSENT_VERSION};
use crate::audit::Origin;
use crate::document;
use crate::envelope::transition::{self, Signing, StoredSignature};
use crate::envelope::{invite_due, OverCap};
use crate::error::{AppError, AppResult};
use crate::identity::gate::{self, Cookies};
use crate::ids::DocumentId;
use crate::infra::storage::BlobKey;
use crate::model::{FieldKind, Fieldless, SignOutcome, SignSubmission, SignerField, SignerState, SignerView};
use crate::pdf::render::PreviewSize;
use crate::state::AppState;

/// The signing page's data. Once the envelope has ended, the link shows where it stands and
/// nothing of its contents.
pub async fn view(st: &AppState, token: &str, cookies: &Cookies) -> AppResult<SignerView> {
    let (s, contents, values) = Signer::resolve_with_contents(st, token).await?;
    let state = s.state(st).await?;
    let ended = matches!(state, SignerState::Cancelled | SignerState::Expired | SignerState::Declined | SignerState::Completed);
    // Until the browser passed the recipient's checks, nothing of the contract is shown.
    let verification = if ended { None } else { gate::standing(st, &s, cookies).await?.gate(st, &s).await? };
    let hidden = ended || verification.is_some();
    let (documents, fields) = if hidden {
        (Vec::new(), Vec::new())
    } else {
        let fields = contents
            .fields
            .into_iter()
            .map(|f| {
                let mine = f.recipient_id == s.recipient.id;
                let value = values.get(&f.id).cloned();
                SignerField { field: f, mine, value }
            })
            .collect();
        (contents.documents, fields)
    };
    let (e, r) = (&s.envelope, &s.recipient);
    let free_form = state == SignerState::Ready && r.role == crate::model::RecipientRole::Signer && signs_free_form(e, fields.iter().any(|f| f.mine));
    Ok(SignerView {
        envelope_name: e.name.clone(),
        organization_name: e.organization_name.clone(),
        sender_name: e.sender_name().to_owned(),
        message: if hidden { String::new() } else { e.message.clone() },
        recipient_name: r.name.clone(),
        recipient_email: r.email.clone(),
        language: r.language,
        state,
        consented: r.consented_at.is_some(),
        consent_version: CONSENT_VERSION.to_owned(),
        consent_text: consent_text(r.language).to_owned(),
        expires_at: e.expires_at.map(|t| t.to_db()),
        documents,
        fields,
        today: today_in(&e.time_zone),
        redirect_url: e.redirect_url.clone(),
        embed_origins: e.embed_origins(),
        test_mode: e.is_test(),
        free_form: free_form && verification.is_none(),
        verification,
    })
}

/// Ok once the browser presenting `cookies` passed the recipient's checks (or they have none).
async fn verified(st: &AppState, s: &Signer, cookies: &Cookies) -> AppResult<()> {
    gate::standing(st, s, cookies).await?.ensure_passed()
}

/// Records the first opening of the page while the envelope is open (later openings, and
/// openings of an ended envelope, change nothing).
pub async fn opened(st: &AppState, token: &str, cookies: &Cookies, origin: &Origin) -> AppResult<()> {
    let s = Signer::resolve(st, token).await?;
    // Opened means seen: not before the checks are passed.
    if s.ensure_open().is_err() || verified(st, &s, cookies).await.is_err() {
        return Ok(());
    }
    let mut tx = st.db.begin().await?;
    transition::viewed(&mut tx, &s.recipient, origin).await?;
    tx.commit().await?;
    Ok(())
}

/// The recipient agrees to sign electronically (the disclosure version is recorded).
pub async fn consent(st: &AppState, token: &str, cookies: &Cookies, origin: &Origin) -> AppResult<()> {
    let s = Signer::resolve(st, token).await?;
    s.ensure_ready(st).await?;
    verified(st, &s, cookies).await?;
    let mut tx = st.db.begin().await?;
    transition::consented(&mut tx, &s.recipient, CONSENT_VERSION, consent_text(s.recipient.language), origin).await?;
    tx.commit().await?;
    Ok(())
}

/// A page preview for the signer: only documents of their envelope, and only while it is
/// open for signing.
pub async fn preview(st: &AppState, token: &str, cookies: &Cookies, doc: &DocumentId, page: u32, size: PreviewSize) -> AppResult<Vec<u8>> {
    let s = Signer::resolve(st, token).await?;
    s.ensure_open()?;
    verified(st, &s, cookies).await?;
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM envelope_documents WHERE envelope_id = $1 AND document_id = $2")
        .bind(&s.envelope.id)
        .bind(doc)
        .fetch_one(st.db.pool())
        .await?;
    if n == 0 {
        return Err(AppError::not_found("Document"));
    }
    document::page_preview(st, doc, page, size).await
}

/// Signs: the whole submission is checked first, then the signature images are stored
/// (content-addressed), then one transaction records it all and either invites the next
/// signers or completes the envelope.
pub async fn submit(st: &AppState, token: &str, cookies: &Cookies, sub: &SignSubmission, origin: &Origin) -> AppResult<SignOutcome> {
    let s = Signer::resolve(st, token).await?;
    s.ensure_ready(st).await?;
    verified(st, &s, cookies).await?;
    if s.recipient.consented_at.is_none() {
        return Err(AppError::new(crate::error::ErrorCode::ConsentRequired, "Agree to sign electronically first"));
    }
    let mut conn = st.db.pool().acquire().await?;
    let mine: Vec<_> = crate::envelope::fields(&mut conn, &s.envelope.id).await?.into_iter().filter(|f| f.recipient_id == s.recipient.id).collect();
    let free_form = signs_free_form(&s.envelope, !mine.is_empty());
    if !free_form && !sub.placements.is_empty() {
        return Err(AppError::field("placements", "not_allowed", "This contract places your signature for you"));
    }
    let CheckedSubmission { signatures, mut values } = check_submission(&mine, sub, &today_in(&s.envelope.time_zone))?;
    let placed = if free_form {
        let pages = crate::envelope::page_counts(&mut conn, &s.envelope.id).await?;
        let (fields, placed_values) = placed_fields(sub, &s.recipient.id, &pages)?;
        values.extend(placed_values);
        fields
    } else {
        Vec::new()
    };
    drop(conn);
    let mut stored = Vec::with_capacity(signatures.len());
    for (i, CheckedSignature { method, png, strokes, typed }) in signatures.into_iter().enumerate() {
        let sha = document::sha256_hex(&png);
        let key = format!("signatures/{sha}.png");
        st.storage.put(&BlobKey::new(&key)?, png).await?;
        // Its purpose: the kind of the first field that uses it.
        let purpose = values.iter().find(|v| v.signature == Some(i)).map_or(FieldKind::Signature, |v| v.kind);
        stored.push(StoredSignature { purpose, method, strokes, typed, image_key: key, image_sha256: sha });
    }
    let mut tx = st.db.begin().await?;
    let completed = transition::signed(&mut tx, &s.recipient, &Signing { placed: &placed, signatures: &stored, values: &values }, origin).await?;
    if !completed {
        invite_due(st, &mut tx, &s.envelope, &[], OverCap::Skip).await?;
    }
    tx.commit().await?;
    st.wake_outboxes();
    if completed {
        st.jobs_wake.notify_one();
    }
    tracing::info!(envelope_id = %s.envelope.id, recipient_id = %s.recipient.id, completed, "recipient signed");
    Ok(SignOutcome { state: SignerState::Signed, redirect_url: s.envelope.redirect_url.clone(), envelope_completed: completed })
}

/// Whether the signer places their own signature: the envelope lets signers without fields
/// sign anywhere, and they have none.
fn signs_free_form(e: &crate::envelope::Envelope, has_own_fields: bool) -> bool {
    e.fieldless == Fieldless::FreeForm && !has_own_fields
}

/// Declines with a reason: the envelope is declined and the sender told.
pub async fn decline(st: &AppState, token: &str, cookies: &Cookies, reason: &str, origin: &Origin) -> AppResult<SignOutcome> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 1000 {
        return Err(AppError::field("reason", "required", "Say why you decline (at most 1000 characters)"));
    }
    let s = Signer::resolve(st, token).await?;
    match s.state(st).await? {
        SignerState::Ready | SignerState::NotYourTurn => {}
        other => refusal(other, s.recipient.declined_at.is_some())?,
    }
    verified(st, &s, cookies).await?;
    let mut tx = st.db.begin().await?;
    transition::declined(st, &mut tx, &s.envelope, &s.recipient, reason, origin).await?;
    tx.commit().await?;
    st.wake_outboxes();
    Ok(SignOutcome { state: SignerState::Declined, redirect_url: s.envelope.redirect_url.clone(), envelope_completed: false })
}
