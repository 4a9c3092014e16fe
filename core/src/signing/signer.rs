//! The signer's side: a signing link resolves to a recipient; they open the page, consent to
//! sign electronically, fill their fields and sign — or decline.

use super::send::{ctx_in_tx, invite_due};
use super::{closed_error, consent_text, envelope_ctx, format_date, today_in, EnvelopeCtx, CONSENT_VERSION};
use crate::audit::{self, Origin};
use crate::db::{Timestamp, Tx};
use crate::documents;
use crate::error::{AppError, AppResult, ErrorCode, FieldError};
use crate::ids::{DocumentId, EnvelopeId, FieldId, RecipientId};
use crate::mail::outbox::{self, NewEmail};
use crate::mail::templates;
use crate::model::{
    EnvelopeStatus, FieldKind, Language, RecipientRole, SignOutcome, SignSubmission, SignatureInput, SignerField, SignerState,
    SignerView, SigningOrder,
};
use crate::pdf::render::PreviewSize;
use crate::state::AppState;
use crate::storage::BlobKey;
use base64::Engine as _;
use serde_json::json;
use std::collections::HashMap;

/// Largest signature image accepted (PNG bytes).
pub const MAX_SIGNATURE_PNG: usize = 1024 * 1024;
/// Most signatures (and initials) in one submission.
pub const MAX_SIGNATURES: usize = 20;
/// Most points of one drawn signature.
const MAX_SIGNATURE_POINTS: usize = 50_000;
const MAX_TEXT_VALUE: usize = 1000;

/// A recipient reached through their signing link.
#[derive(Clone, Debug)]
pub struct SignerCtx {
    pub recipient_id: RecipientId,
    pub name: String,
    pub email: String,
    pub role: RecipientRole,
    pub order: i64,
    pub language: Language,
    pub consented: bool,
    pub signed: bool,
    pub declined: bool,
    pub envelope: EnvelopeCtx,
}

/// Who a link belongs to. Unknown or malformed links are `SIGNING_LINK_INVALID`.
pub async fn resolve(st: &AppState, token: &str) -> AppResult<SignerCtx> {
    let invalid = || AppError::new(ErrorCode::SigningLinkInvalid, "This signing link is not valid");
    let token = crate::crypto::SigningToken::parse(token).ok_or_else(invalid)?;
    type Row = (String, String, String, String, String, i64, String, Option<Timestamp>, Option<Timestamp>, Option<Timestamp>);
    let row: Option<Row> = sqlx::query_as(
        "SELECT r.id, r.envelope_id, r.name, r.email, r.role, r.signing_order, r.language, r.consented_at, r.signed_at, r.declined_at \
         FROM signing_links l JOIN recipients r ON r.id = l.recipient_id WHERE l.token_hash = $1",
    )
    .bind(token.hash())
    .fetch_optional(st.db.pool())
    .await?;
    let (rid, eid, name, email, role, order, lang, consented, signed, declined) = row.ok_or_else(invalid)?;
    let envelope = envelope_ctx(&st.db, &EnvelopeId::parse(&eid)?, None).await?;
    Ok(SignerCtx {
        recipient_id: RecipientId::parse(&rid)?,
        name,
        email,
        role: RecipientRole::parse(&role).unwrap_or(RecipientRole::Signer),
        order,
        language: Language::parse(&lang).unwrap_or_default(),
        consented: consented.is_some(),
        signed: signed.is_some(),
        declined: declined.is_some(),
        envelope,
    })
}

/// Whether a signer with a smaller order number has not signed yet (sequential order).
async fn waiting_for_others(st: &AppState, s: &SignerCtx) -> AppResult<bool> {
    if s.envelope.signing_order == SigningOrder::Parallel {
        return Ok(false);
    }
    let before: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM recipients WHERE envelope_id = $1 AND role = 'signer' AND signed_at IS NULL AND signing_order < $2",
    )
    .bind(&s.envelope.id)
    .bind(s.order)
    .fetch_one(st.db.pool())
    .await?;
    Ok(before > 0)
}

async fn state_of(st: &AppState, s: &SignerCtx) -> AppResult<SignerState> {
    let e = &s.envelope;
    Ok(if e.is_past_expiry() {
        SignerState::Expired
    } else {
        match e.status {
            EnvelopeStatus::Cancelled => SignerState::Cancelled,
            EnvelopeStatus::Expired => SignerState::Expired,
            EnvelopeStatus::Completed | EnvelopeStatus::Sealing => SignerState::Completed,
            EnvelopeStatus::Declined => SignerState::Declined,
            EnvelopeStatus::Draft => return Err(AppError::new(ErrorCode::SigningLinkInvalid, "This signing link is not valid")),
            EnvelopeStatus::Sent if s.declined => SignerState::Declined,
            EnvelopeStatus::Sent if s.signed => SignerState::Signed,
            EnvelopeStatus::Sent if s.role == RecipientRole::Viewer => SignerState::ViewOnly,
            EnvelopeStatus::Sent if waiting_for_others(st, s).await? => SignerState::NotYourTurn,
            EnvelopeStatus::Sent => SignerState::Ready,
        }
    })
}

/// The signing page's data.
pub async fn view(st: &AppState, token: &str) -> AppResult<SignerView> {
    let s = resolve(st, token).await?;
    let state = state_of(st, &s).await?;
    // Once the envelope has ended, the link shows where it stands and nothing of its contents.
    let ended = matches!(state, SignerState::Cancelled | SignerState::Expired | SignerState::Declined | SignerState::Completed);
    let (documents, fields) = if ended {
        (Vec::new(), Vec::new())
    } else {
        let draft = crate::envelopes::contents(&st.db, &s.envelope.id).await?;
        let values: Vec<(String, String)> = sqlx::query_as("SELECT field_id, value FROM field_values WHERE envelope_id = $1")
            .bind(&s.envelope.id)
            .fetch_all(st.db.pool())
            .await?;
        let values: HashMap<String, String> = values.into_iter().collect();
        let fields = draft
            .fields
            .into_iter()
            .map(|f| {
                let mine = f.recipient_id == s.recipient_id;
                let value = values.get(f.id.as_str()).cloned();
                SignerField { field: f, mine, value }
            })
            .collect();
        (draft.documents, fields)
    };
    Ok(SignerView {
        envelope_name: s.envelope.name.clone(),
        organization_name: s.envelope.organization_name.clone(),
        sender_name: s.envelope.sender_name.clone(),
        message: if ended { String::new() } else { s.envelope.message.clone() },
        recipient_name: s.name.clone(),
        recipient_email: s.email.clone(),
        language: s.language,
        state,
        consented: s.consented,
        consent_version: CONSENT_VERSION.to_owned(),
        consent_text: consent_text(s.language).to_owned(),
        expires_at: s.envelope.expires_at.map(|e| e.to_db()),
        documents,
        fields,
        today: today_in(&s.envelope.time_zone),
        redirect_url: s.envelope.redirect_url.clone(),
        embed_origins: crate::embed::allowed_origins(&st.db, &s.envelope.organization_id, s.envelope.mode).await?,
        test_mode: s.envelope.mode == crate::model::Mode::Test,
    })
}

/// Records the first opening of the page (later openings change nothing).
pub async fn opened(st: &AppState, token: &str, origin: &Origin) -> AppResult<()> {
    let s = resolve(st, token).await?;
    let mut tx = st.db.begin().await?;
    let res = sqlx::query("UPDATE recipients SET viewed_at = $2, updated_at = $2 WHERE id = $1 AND viewed_at IS NULL")
        .bind(&s.recipient_id)
        .bind(Timestamp::now())
        .execute(&mut *tx)
        .await?;
    if res.rows_affected() == 1 {
        event(&mut tx, &s, "recipient.viewed", origin, json!({})).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The recipient agrees to sign electronically (the disclosure version is recorded).
pub async fn consent(st: &AppState, token: &str, origin: &Origin) -> AppResult<()> {
    let s = resolve(st, token).await?;
    ensure_ready(st, &s).await?;
    let mut tx = st.db.begin().await?;
    let res = sqlx::query(
        "UPDATE recipients SET consented_at = $2, consent_version = $3, updated_at = $2 WHERE id = $1 AND consented_at IS NULL",
    )
    .bind(&s.recipient_id)
    .bind(Timestamp::now())
    .bind(CONSENT_VERSION)
    .execute(&mut *tx)
    .await?;
    if res.rows_affected() == 1 {
        event(&mut tx, &s, "recipient.consented", origin, json!({ "version": CONSENT_VERSION, "text": consent_text(s.language) })).await?;
    }
    tx.commit().await?;
    Ok(())
}

async fn ensure_ready(st: &AppState, s: &SignerCtx) -> AppResult<()> {
    match state_of(st, s).await? {
        SignerState::Ready => Ok(()),
        SignerState::NotYourTurn => {
            Err(AppError::new(ErrorCode::RecipientOutOfTurn, "It is not your turn yet: an earlier signer has not signed"))
        }
        SignerState::Signed => Err(AppError::new(ErrorCode::AlreadySigned, "You have already signed this contract")),
        SignerState::ViewOnly => Err(AppError::new(ErrorCode::Forbidden, "You receive this contract to view it; there is nothing to sign")),
        SignerState::Declined if s.declined => Err(AppError::new(ErrorCode::AlreadyDeclined, "You declined this contract")),
        other => Err(closed_error(
            match other {
                SignerState::Cancelled => EnvelopeStatus::Cancelled,
                SignerState::Expired => EnvelopeStatus::Expired,
                SignerState::Completed => EnvelopeStatus::Completed,
                _ => EnvelopeStatus::Declined,
            },
            false,
        )),
    }
}

async fn event(tx: &mut Tx, s: &SignerCtx, kind: &'static str, origin: &Origin, data: serde_json::Value) -> AppResult<()> {
    audit::record(
        tx,
        audit::Event { envelope_id: &s.envelope.id, kind, recipient_id: Some(&s.recipient_id), user_id: None, origin, data },
    )
    .await
}

/// A page preview for the signer: only documents of their envelope, and only while it is
/// open for signing.
pub async fn preview(st: &AppState, token: &str, doc: &DocumentId, page: u32, size: PreviewSize) -> AppResult<Vec<u8>> {
    let s = resolve(st, token).await?;
    if s.envelope.status != EnvelopeStatus::Sent || s.envelope.is_past_expiry() {
        return Err(closed_error(s.envelope.status, s.envelope.is_past_expiry()));
    }
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM envelope_documents WHERE envelope_id = $1 AND document_id = $2")
        .bind(&s.envelope.id)
        .bind(doc)
        .fetch_one(st.db.pool())
        .await?;
    if n == 0 {
        return Err(AppError::not_found("Document"));
    }
    documents::page_preview(st, doc, page, size).await
}

/// A checked value for one field.
struct Value {
    field_id: FieldId,
    value: String,
    signature: Option<usize>,
}

/// A signature as checked: how it was made, its picture, its strokes or typed text.
pub struct CheckedSignature {
    method: &'static str,
    png: Vec<u8>,
    strokes: Option<String>,
    typed: Option<String>,
}

/// A submission checked whole, nothing stored yet.
pub struct CheckedSubmission {
    signatures: Vec<CheckedSignature>,
    values: Vec<Value>,
}

/// Checks everything a signer submits against their fields, before anything is stored: the
/// number of values, every signature (a real drawing, a name, a PNG of at most 1 MB), every
/// value of the right kind and every required field filled.
pub fn check_submission(mine: &[crate::model::FieldDraft], sub: &SignSubmission, today: &str) -> AppResult<CheckedSubmission> {
    if sub.signatures.len() > MAX_SIGNATURES || sub.fields.len() > crate::envelopes::MAX_FIELDS {
        return Err(AppError::new(ErrorCode::BadRequest, "Too many values"));
    }
    let mut signatures = Vec::with_capacity(sub.signatures.len());
    for sig in &sub.signatures {
        let (method, png, strokes, typed) = match sig {
            SignatureInput::Drawn { drawing, png } => {
                let points: usize = drawing.strokes.iter().map(|s| s.points.len()).sum();
                if points > MAX_SIGNATURE_POINTS || !drawing.is_substantial() {
                    return Err(AppError::new(ErrorCode::SignatureEmpty, "Draw your signature (a dot or an empty pad is not a signature)"));
                }
                ("drawn", png, Some(serde_json::to_string(drawing).unwrap_or_default()), None)
            }
            SignatureInput::Typed { text, png } => {
                let t = text.trim();
                if t.is_empty() || t.chars().count() > 100 {
                    return Err(AppError::new(ErrorCode::SignatureEmpty, "Type your name to sign"));
                }
                ("typed", png, None, Some(t.to_owned()))
            }
            SignatureInput::Uploaded { png } => ("uploaded", png, None, None),
        };
        signatures.push(CheckedSignature { method, png: decode_png(png)?, strokes, typed });
    }
    let values = check_values(mine, sub, today)?;
    Ok(CheckedSubmission { signatures, values })
}

/// Checks the submission against the recipient's fields: every required field filled, every
/// value of the right kind. Date fields get the signing date, whatever was sent.
fn check_values(fields: &[crate::model::FieldDraft], sub: &SignSubmission, today: &str) -> AppResult<Vec<Value>> {
    let given: HashMap<&FieldId, &crate::model::FieldInput> = sub.fields.iter().map(|f| (&f.field_id, f)).collect();
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for f in fields {
        let path = format!("fields.{}", f.id);
        let input = given.get(&f.id);
        let raw = input.map(|i| i.value.trim().to_owned()).unwrap_or_default();
        let mut bad = |code: &str, msg: &str| errors.push(FieldError { field: path.clone(), code: code.into(), message: msg.into() });
        let value = match f.kind {
            FieldKind::Signature | FieldKind::Initials => match input.and_then(|i| i.signature) {
                Some(i) if i < sub.signatures.len() => Some((String::new(), Some(i))),
                Some(_) => {
                    bad("invalid", "Unknown signature");
                    None
                }
                None => None,
            },
            FieldKind::Date => Some((format_date(today, f.format.as_deref().unwrap_or("YYYY-MM-DD")), None)),
            FieldKind::Checkbox => match raw.as_str() {
                "true" => Some(("true".into(), None)),
                "" | "false" => (!f.required).then(|| ("false".into(), None)),
                _ => {
                    bad("invalid", "A checkbox is true or false");
                    None
                }
            },
            _ if raw.is_empty() => None,
            _ if raw.chars().count() > MAX_TEXT_VALUE => {
                bad("too_long", "Use at most 1000 characters");
                None
            }
            FieldKind::Number if raw.replace([',', ' '], "").parse::<f64>().is_err() => {
                bad("invalid", "Enter a number");
                None
            }
            FieldKind::Email if crate::types::EmailAddress::parse(&raw).is_err() => {
                bad("invalid", "Enter a valid email address");
                None
            }
            FieldKind::Radio | FieldKind::Select if !f.options.contains(&raw) => {
                bad("invalid", "Choose one of the options");
                None
            }
            _ => Some((raw, None)),
        };
        match value {
            Some((v, sig)) => out.push(Value { field_id: f.id.clone(), value: v, signature: sig }),
            None if f.kind == FieldKind::Name && !f.required => {}
            None if f.required && !errors.iter().any(|e: &FieldError| e.field == path) => {
                errors.push(FieldError { field: path, code: "required".into(), message: "This field is required".into() })
            }
            None => {}
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(AppError::fields(errors)) }
}

/// A signature's PNG, checked.
fn decode_png(data: &str) -> AppResult<Vec<u8>> {
    let b64 = data.strip_prefix("data:image/png;base64,").unwrap_or(data);
    if b64.len() > MAX_SIGNATURE_PNG / 3 * 4 + 8 {
        return Err(AppError::new(ErrorCode::SignatureInvalid, "The signature must be a PNG image of at most 1 MB"));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .map_err(|_| AppError::new(ErrorCode::SignatureInvalid, "The signature image is not valid"))?;
    if bytes.len() > MAX_SIGNATURE_PNG || !bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Err(AppError::new(ErrorCode::SignatureInvalid, "The signature must be a PNG image of at most 1 MB"));
    }
    Ok(bytes)
}

/// Signs: stores the values and signatures, marks the recipient signed, invites the next
/// signers or completes the envelope — all or nothing.
pub async fn submit(st: &AppState, token: &str, sub: &SignSubmission, origin: &Origin) -> AppResult<SignOutcome> {
    let s = resolve(st, token).await?;
    ensure_ready(st, &s).await?;
    if !s.consented {
        return Err(AppError::new(ErrorCode::ConsentRequired, "Agree to sign electronically first"));
    }
    let draft = crate::envelopes::contents(&st.db, &s.envelope.id).await?;
    let mine: Vec<_> = draft.fields.into_iter().filter(|f| f.recipient_id == s.recipient_id).collect();
    let CheckedSubmission { signatures: checked, values } = check_submission(&mine, sub, &today_in(&s.envelope.time_zone))?;
    // Then the images, content-addressed, before the transaction that refers to them.
    let mut stored = Vec::with_capacity(checked.len());
    for CheckedSignature { method, png: bytes, strokes, typed } in checked {
        let sha = documents::sha256_hex(&bytes);
        let key = format!("signatures/{sha}.png");
        st.storage.put(&BlobKey::new(&key)?, &bytes).await?;
        stored.push((method, strokes, typed, key, sha));
    }
    let kinds: HashMap<&FieldId, FieldKind> = mine.iter().map(|f| (&f.id, f.kind)).collect();

    let mut tx = st.db.begin().await?;
    let now = Timestamp::now();
    // The guard: still sent, not expired, this recipient not yet signed or declined.
    while_open(&mut tx, &s.envelope.id, now, "updated_at = $2").await?;
    let res = sqlx::query(
        "UPDATE recipients SET signed_at = $2, signed_ip = $3, signed_user_agent = $4, updated_at = $2 \
         WHERE id = $1 AND signed_at IS NULL AND declined_at IS NULL",
    )
    .bind(&s.recipient_id)
    .bind(now)
    .bind(origin.ip.as_deref())
    .bind(origin.user_agent.as_deref())
    .execute(&mut *tx)
    .await?;
    if res.rows_affected() != 1 {
        return Err(AppError::new(ErrorCode::AlreadySigned, "You have already signed this contract"));
    }
    let mut signature_ids = Vec::with_capacity(stored.len());
    for (i, (method, strokes, typed, key, sha)) in stored.iter().enumerate() {
        let id = uuid::Uuid::now_v7().simple().to_string();
        // Which purpose: the kind of the first field that uses this signature.
        let purpose = values
            .iter()
            .find(|v| v.signature == Some(i))
            .and_then(|v| kinds.get(&v.field_id))
            .map(|k| if *k == FieldKind::Initials { "initials" } else { "signature" })
            .unwrap_or("signature");
        sqlx::query(
            "INSERT INTO signatures (id, envelope_id, recipient_id, purpose, method, strokes, typed_text, image_key, image_sha256, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
        )
        .bind(&id)
        .bind(&s.envelope.id)
        .bind(&s.recipient_id)
        .bind(purpose)
        .bind(*method)
        .bind(strokes.as_deref())
        .bind(typed.as_deref())
        .bind(key)
        .bind(sha)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        signature_ids.push(id);
    }
    for v in &values {
        let sig = v.signature.map(|i| signature_ids[i].clone());
        sqlx::query(
            "INSERT INTO field_values (field_id, envelope_id, recipient_id, value, signature_id, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(&v.field_id)
        .bind(&s.envelope.id)
        .bind(&s.recipient_id)
        .bind(&v.value)
        .bind(sig.as_deref())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let kind = kinds.get(&v.field_id).map(|k| k.as_str()).unwrap_or("");
        let shown = if sig.is_some() { json!({ "signature": sig }) } else { json!({ "value": v.value }) };
        event(&mut tx, &s, "field.filled", origin, json!({ "field": v.field_id, "kind": kind, "filled": shown })).await?;
    }
    event(&mut tx, &s, "recipient.signed", origin, json!({ "fields": values.len(), "signatures": signature_ids })).await?;

    let unsigned: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM recipients WHERE envelope_id = $1 AND role = 'signer' AND signed_at IS NULL")
            .bind(&s.envelope.id)
            .fetch_one(&mut *tx)
            .await?;
    let completed = unsigned == 0;
    if completed {
        sqlx::query("UPDATE envelopes SET status = 'completed', completed_at = $2, updated_at = $2 WHERE id = $1 AND status = 'sent'")
            .bind(&s.envelope.id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        audit::record(
            &mut tx,
            audit::Event {
                envelope_id: &s.envelope.id,
                kind: "envelope.completed",
                recipient_id: None,
                user_id: None,
                origin: &Origin::default(),
                data: json!({}),
            },
        )
        .await?;
        crate::seal::enqueue(&mut tx, &s.envelope.id).await?;
    } else {
        let ctx = ctx_in_tx(&mut tx, &s.envelope.id).await?;
        invite_due(st, &mut tx, &ctx, &[]).await?;
    }
    tx.commit().await?;
    st.mailer.wake.notify_one();
    if completed {
        st.jobs_wake.notify_one();
    }
    tracing::info!(envelope_id = %s.envelope.id, recipient_id = %s.recipient_id, completed, "recipient signed");
    Ok(SignOutcome { state: SignerState::Signed, redirect_url: s.envelope.redirect_url.clone(), envelope_completed: completed })
}

/// Declines with a reason: the envelope is declined and the sender told.
/// The guard of every signer action: applies `set` (with the time as `$2`) to the envelope
/// while it is still sent and not expired, or says why it is closed.
async fn while_open(tx: &mut Tx, id: &EnvelopeId, now: Timestamp, set: &str) -> AppResult<()> {
    let sql = format!("UPDATE envelopes SET {set} WHERE id = $1 AND status = 'sent' AND (expires_at IS NULL OR expires_at > $2)");
    let open = sqlx::query(&sql).bind(id).bind(now).execute(&mut **tx).await?;
    if open.rows_affected() != 1 {
        let ctx = ctx_in_tx(tx, id).await?;
        return Err(closed_error(ctx.status, ctx.is_past_expiry()));
    }
    Ok(())
}

pub async fn decline(st: &AppState, token: &str, reason: &str, origin: &Origin) -> AppResult<SignOutcome> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 1000 {
        return Err(AppError::field("reason", "required", "Say why you decline (at most 1000 characters)"));
    }
    let s = resolve(st, token).await?;
    match state_of(st, &s).await? {
        SignerState::Ready | SignerState::NotYourTurn => {}
        _ => return Err(ensure_ready(st, &s).await.err().unwrap_or_else(|| AppError::new(ErrorCode::Conflict, "Cannot decline now"))),
    }
    let mut tx = st.db.begin().await?;
    let now = Timestamp::now();
    while_open(&mut tx, &s.envelope.id, now, "status = 'declined', declined_at = $2, updated_at = $2").await?;
    let res = sqlx::query(
        "UPDATE recipients SET declined_at = $2, decline_reason = $3, updated_at = $2 WHERE id = $1 AND signed_at IS NULL AND declined_at IS NULL",
    )
    .bind(&s.recipient_id)
    .bind(now)
    .bind(reason)
    .execute(&mut *tx)
    .await?;
    if res.rows_affected() != 1 {
        return Err(AppError::new(ErrorCode::AlreadySigned, "You have already signed this contract"));
    }
    event(&mut tx, &s, "recipient.declined", origin, json!({ "reason": reason })).await?;
    audit::record(
        &mut tx,
        audit::Event {
            envelope_id: &s.envelope.id,
            kind: "envelope.declined",
            recipient_id: Some(&s.recipient_id),
            user_id: None,
            origin: &Origin::default(),
            data: json!({}),
        },
    )
    .await?;
    if !s.envelope.sender_email.is_empty() {
        let sender_lang: Language = Language::Ko;
        let link = st.settings.link(&format!("/contracts/{}", s.envelope.id));
        let mail = templates::declined(sender_lang, &s.envelope.sender_name, &s.envelope.name, &s.name, reason, &link);
        outbox::enqueue(
            &mut tx,
            NewEmail {
                kind: "declined",
                to_email: &s.envelope.sender_email,
                to_name: &s.envelope.sender_name,
                subject: mail.subject,
                html: mail.html,
                text: mail.text,
                organization_id: Some(&s.envelope.organization_id),
                envelope_id: Some(&s.envelope.id),
                recipient_id: None,
                attachments: Vec::new(),
            },
        )
        .await?;
    }
    tx.commit().await?;
    st.mailer.wake.notify_one();
    Ok(SignOutcome { state: SignerState::Declined, redirect_url: s.envelope.redirect_url.clone(), envelope_completed: false })
}
