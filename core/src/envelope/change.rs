//! The API's changes to a draft: made in one request (documents, recipients, fields and
//! sending options), or changed later while it is a draft. Fields name their recipient by
//! email, so an integrator never handles our recipient ids before sending; a recipient who
//! stays (same email) keeps their id and so their fields.

use super::contents;
use super::draft::{attach, bump, check_room, insert, replace_contents, touch};
use super::validate::parse_name;
use crate::actor::Actor;
use crate::api::reference::{Owner, ReferenceChange};
use crate::api::scope;
use crate::document::MAX_DOCUMENTS_PER_ENVELOPE;
use crate::error::{AppError, AppResult, FieldError};
use crate::geometry::FieldRect;
use crate::ids::{DocumentId, EnvelopeId, FieldId, RecipientId};
use crate::infra::config::Settings;
use crate::infra::db::{Db, Timestamp, Tx};
use crate::model::{FieldDraft, FieldKind, Fieldless, Language, RecipientDraft, RecipientRole, SigningOrder};
use std::collections::{HashMap, HashSet};

/// A recipient as the API takes it.
#[derive(Clone, Debug)]
pub struct RecipientSpec {
    pub email: String,
    pub name: String,
    pub role: RecipientRole,
    pub order: i64,
    pub language: Option<Language>,
    /// Checks, phone and channel (see `identity`).
    pub identity: crate::identity::IdentitySpec,
}

/// A field as the API takes it: positions are fractions of the page as displayed.
#[derive(Clone, Debug)]
pub struct FieldSpec {
    pub document_id: DocumentId,
    pub page: u32,
    pub rect: FieldRect,
    pub kind: FieldKind,
    /// The recipient's email.
    pub recipient: String,
    pub required: bool,
    pub label: String,
    pub placeholder: String,
    pub options: Vec<String>,
    pub format: Option<String>,
    /// Values are prefilled by it.
    pub name: Option<String>,
    /// The value shown before signing (the signer may change it unless `read_only`).
    pub prefill: Option<String>,
    pub read_only: bool,
    /// The box the sealed PDF paints white (the text tag that placed it).
    pub cover: Option<FieldRect>,
}

impl FieldSpec {
    /// The field for the recipient `recipient_id`, with a fresh id.
    pub fn draft(&self, recipient_id: RecipientId) -> FieldDraft {
        FieldDraft {
            id: FieldId::new(),
            recipient_id,
            document_id: self.document_id.clone(),
            page: self.page,
            rect: self.rect,
            kind: self.kind,
            required: self.required,
            label: self.label.clone(),
            placeholder: self.placeholder.clone(),
            options: self.options.clone(),
            format: self.format.clone(),
            name: self.name.clone(),
            prefill: self.prefill.clone(),
            read_only: self.read_only,
            cover: self.cover,
        }
    }

    /// A stored field, its recipient named `recipient` (an email, or a template's role).
    pub fn from_draft(d: &FieldDraft, recipient: String) -> Self {
        Self {
            document_id: d.document_id.clone(),
            page: d.page,
            rect: d.rect,
            kind: d.kind,
            recipient,
            required: d.required,
            label: d.label.clone(),
            placeholder: d.placeholder.clone(),
            options: d.options.clone(),
            format: d.format.clone(),
            name: d.name.clone(),
            prefill: d.prefill.clone(),
            read_only: d.read_only,
            cover: d.cover,
        }
    }
}

/// What a create or a change sets; `None` leaves a value as it is.
#[derive(Clone, Debug, Default)]
pub struct DraftChange {
    pub subject: Option<String>,
    pub document_ids: Option<Vec<DocumentId>>,
    pub recipients: Option<Vec<RecipientSpec>>,
    pub fields: Option<Vec<FieldSpec>>,
    pub signing_order: Option<SigningOrder>,
    /// `Some(None)` clears.
    pub expires_in: Option<Option<i64>>,
    pub redirect_url: Option<Option<String>>,
    /// Days between reminders to signers who have not signed (1–30); `Some(None)` clears.
    pub reminder_days: Option<Option<i64>>,
    /// How signers without fields sign (a draft's choice).
    pub fieldless: Option<Fieldless>,
    pub message: Option<String>,
    /// Every recipient's language unless a recipient names its own.
    pub language: Option<Language>,
    /// The integrator's `externalId` and `metadata`: changeable at any state.
    pub reference: ReferenceChange,
    /// On create: the bulk row the draft is made for, recorded in its transaction.
    pub batch_row: Option<crate::bulk::RowRef>,
}

impl DraftChange {
    /// Whether it changes nothing but the integrator's reference (allowed at any state).
    fn only_reference(&self) -> bool {
        let DraftChange {
            subject,
            document_ids,
            recipients,
            fields,
            signing_order,
            expires_in,
            redirect_url,
            reminder_days,
            fieldless,
            message,
            language,
            reference: _,
            batch_row: _,
        } = self;
        subject.is_none()
            && document_ids.is_none()
            && recipients.is_none()
            && fields.is_none()
            && signing_order.is_none()
            && expires_in.is_none()
            && redirect_url.is_none()
            && reminder_days.is_none()
            && fieldless.is_none()
            && message.is_none()
            && language.is_none()
    }
}

/// The sending options' bounds (expiry, redirect, reminders, message, documents).
pub fn check_options(c: &DraftChange) -> AppResult<()> {
    let mut errors = Vec::new();
    let mut err = |field: &str, code: &str, message: &str| errors.push(FieldError { field: field.into(), code: code.into(), message: message.into() });
    if c.expires_in.flatten().is_some_and(|secs| !(60..=366 * 24 * 3600).contains(&secs)) {
        err("expiresIn", "invalid", "Expiry must be between a minute and a year");
    }
    if c.redirect_url.as_ref().and_then(Option::as_ref).is_some_and(|url| !(url.starts_with("https://") || url.starts_with("http://")) || url.len() > 2000) {
        err("redirectUrl", "invalid", "Use an http(s) URL");
    }
    if c.reminder_days.flatten().is_some_and(|d| !(1..=30).contains(&d)) {
        err("reminderDays", "invalid", "Remind every 1 to 30 days");
    }
    if c.message.as_ref().is_some_and(|m| m.chars().count() > 2000) {
        err("message", "too_long", "Use at most 2000 characters");
    }
    if c.document_ids.as_ref().is_some_and(|d| d.len() > MAX_DOCUMENTS_PER_ENVELOPE as usize) {
        err("documentIds", "too_many", "A contract holds at most 20 documents");
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::fields(errors))
    }
}

/// Creates a draft from `change` in one transaction.
pub async fn create(db: &Db, settings: &Settings, actor: &Actor, change: DraftChange) -> AppResult<EnvelopeId> {
    let subject = parse_name(change.subject.as_deref().unwrap_or("")).map_err(|e| AppError::field("subject", "required", e.message))?;
    check_options(&change)?;
    let mut tx = db.begin().await?;
    let id = insert(&mut tx, actor, &subject, Timestamp::now()).await?;
    if let Some(row) = &change.batch_row {
        crate::bulk::attach(&mut tx, &row.batch, row.index, &id).await?;
    }
    change.reference.apply(&mut tx, actor, Owner::Envelope, id.as_str()).await?;
    apply(&mut tx, settings, actor, &id, change).await?;
    tx.commit().await?;
    tracing::info!(envelope_id = %id, "envelope created through the API");
    Ok(id)
}

/// Changes a draft (409 once sent); the integrator's reference alone changes at any state.
pub async fn update(db: &Db, settings: &Settings, actor: &Actor, id: &EnvelopeId, change: DraftChange) -> AppResult<()> {
    scope::envelope(db, actor, id).await?;
    check_options(&change)?;
    let mut tx = db.begin().await?;
    if change.only_reference() {
        scope::envelope_in(&mut tx, actor, id).await?;
        change.reference.apply(&mut tx, actor, Owner::Envelope, id.as_str()).await?;
        tx.commit().await?;
        return Ok(());
    }
    touch(&mut tx, actor, id).await?;
    change.reference.apply(&mut tx, actor, Owner::Envelope, id.as_str()).await?;
    if let Some(subject) = &change.subject {
        let name = parse_name(subject).map_err(|e| AppError::field("subject", "invalid", e.message))?;
        sqlx::query("UPDATE envelopes SET name = $2 WHERE id = $1").bind(id).bind(name).execute(&mut *tx).await?;
    }
    apply(&mut tx, settings, actor, id, change).await?;
    bump(&mut tx, id).await?;
    tx.commit().await?;
    Ok(())
}

/// Replaces the draft's documents with `docs`, each one the caller may see, each once; the
/// fields on documents that leave go with them.
async fn set_documents(tx: &mut Tx, actor: &Actor, id: &EnvelopeId, docs: &[DocumentId]) -> AppResult<()> {
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    for (i, d) in docs.iter().enumerate() {
        if !scope::document_visible(tx, actor, d).await? {
            errors.push(FieldError { field: format!("documentIds[{i}]"), code: "unknown".into(), message: "No such document".into() });
        } else if !seen.insert(d) {
            errors.push(FieldError { field: format!("documentIds[{i}]"), code: "duplicate".into(), message: "A document appears twice".into() });
        }
    }
    if !errors.is_empty() {
        return Err(AppError::fields(errors));
    }
    let current: Vec<DocumentId> =
        sqlx::query_scalar("SELECT document_id FROM envelope_documents WHERE envelope_id = $1").bind(id).fetch_all(&mut **tx).await?;
    for d in current.iter().filter(|d| !docs.contains(d)) {
        sqlx::query("DELETE FROM fields WHERE envelope_id = $1 AND document_id = $2").bind(id).bind(d).execute(&mut **tx).await?;
    }
    sqlx::query("DELETE FROM envelope_documents WHERE envelope_id = $1").bind(id).execute(&mut **tx).await?;
    check_room(tx, id, docs.len() as i64).await?;
    let now = Timestamp::now();
    for d in docs {
        attach(tx, id, d, now).await?;
    }
    Ok(())
}

/// The fields as the API named them, given the recipients' ids by email.
fn fields_of(specs: &[FieldSpec], by_email: &HashMap<String, RecipientId>) -> AppResult<Vec<FieldDraft>> {
    let mut errors = Vec::new();
    let mut out = Vec::with_capacity(specs.len());
    for (i, f) in specs.iter().enumerate() {
        match by_email.get(&f.recipient.trim().to_lowercase()) {
            None => errors.push(FieldError {
                field: format!("fields[{i}].recipient"),
                code: "unknown".into(),
                message: "Name a recipient of this envelope by email".into(),
            }),
            Some(rid) => out.push(f.draft(rid.clone())),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(AppError::fields(errors))
    }
}

/// Applies documents, recipients, fields and options to a draft the transaction holds.
async fn apply(tx: &mut Tx, settings: &Settings, actor: &Actor, id: &EnvelopeId, change: DraftChange) -> AppResult<()> {
    if let Some(docs) = &change.document_ids {
        set_documents(tx, actor, id, docs).await?;
    }
    let existing = contents::recipients(tx, id).await?;
    let default_lang = change.language;
    let (recipients, languages): (Vec<RecipientDraft>, Vec<Language>) = match &change.recipients {
        Some(specs) => specs
            .iter()
            .map(|r| {
                let email = r.email.trim().to_lowercase();
                let same = existing.iter().find(|e| e.email == email);
                let id = same.map_or_else(RecipientId::new, |e| e.id.clone());
                let lang = r.language.or(default_lang).or(same.map(|e| e.language)).unwrap_or_default();
                (RecipientDraft { id, name: r.name.clone(), email: r.email.clone(), role: r.role, order: r.order }, lang)
            })
            .unzip(),
        None => existing.iter().map(|r| (r.draft(), default_lang.unwrap_or(r.language))).unzip(),
    };
    if change.recipients.is_some() || change.fields.is_some() || change.document_ids.is_some() {
        let fields = match &change.fields {
            Some(specs) => {
                let by_email: HashMap<String, RecipientId> = recipients.iter().map(|r| (r.email.trim().to_lowercase(), r.id.clone())).collect();
                fields_of(specs, &by_email)?
            }
            None => {
                // Keep the fields whose recipient and document are still there.
                let docs = contents::page_counts(tx, id).await?;
                let ids: HashSet<&RecipientId> = recipients.iter().map(|r| &r.id).collect();
                contents::fields(tx, id).await?.into_iter().filter(|f| ids.contains(&f.recipient_id) && docs.contains_key(&f.document_id)).collect()
            }
        };
        replace_contents(tx, id, &recipients, &fields).await?;
    }
    for (r, lang) in recipients.iter().zip(&languages) {
        sqlx::query("UPDATE recipients SET language = $2 WHERE id = $1").bind(&r.id).bind(lang).execute(&mut **tx).await?;
    }
    if let Some(specs) = &change.recipients {
        let mut errors = Vec::new();
        let mut stored: Vec<(RecipientId, crate::identity::Stored)> = Vec::new();
        for (i, (spec, r)) in specs.iter().zip(&recipients).enumerate() {
            let kept = crate::identity::Identity::load(&mut **tx, &r.id).await?;
            stored.push((r.id.clone(), crate::identity::check(settings, &spec.identity, kept.as_ref(), &format!("recipients[{i}]"), &mut errors)));
        }
        if !errors.is_empty() {
            return Err(AppError::fields(errors));
        }
        crate::identity::store(tx, id, &stored).await?;
    }
    if let Some(order) = change.signing_order {
        sqlx::query("UPDATE envelopes SET signing_order = $2 WHERE id = $1").bind(id).bind(order).execute(&mut **tx).await?;
    }
    if let Some(expires) = change.expires_in {
        sqlx::query("UPDATE envelopes SET expires_in_seconds = $2 WHERE id = $1").bind(id).bind(expires).execute(&mut **tx).await?;
    }
    if let Some(url) = &change.redirect_url {
        sqlx::query("UPDATE envelopes SET redirect_url = $2 WHERE id = $1").bind(id).bind(url.as_deref()).execute(&mut **tx).await?;
    }
    if let Some(days) = change.reminder_days {
        sqlx::query("UPDATE envelopes SET reminder_days = $2 WHERE id = $1").bind(id).bind(days).execute(&mut **tx).await?;
    }
    if let Some(f) = change.fieldless {
        sqlx::query("UPDATE envelopes SET fieldless = $2 WHERE id = $1").bind(id).bind(f).execute(&mut **tx).await?;
    }
    if let Some(m) = &change.message {
        sqlx::query("UPDATE envelopes SET message = $2 WHERE id = $1").bind(id).bind(m.trim()).execute(&mut **tx).await?;
    }
    Ok(())
}
