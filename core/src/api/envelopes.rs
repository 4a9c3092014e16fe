//! Envelopes through the API: a draft made in one request (documents, recipients, fields and
//! sending options), changed while it is a draft, listed with paging, and sent with the
//! options chosen before. Fields name their recipient by email, so an integrator never
//! handles our recipient ids before sending.

use super::scope;
use crate::actor::Actor;
use crate::audit::Origin;
use crate::db::{Db, Timestamp, Tx};
use crate::documents::{attach, check_room};
use crate::envelopes::{insert_draft, parse_name, replace_contents, touch_draft};
use crate::error::{AppError, AppResult, FieldError};
use crate::geometry::FieldRect;
use crate::ids::{DocumentId, EnvelopeId, FieldId, RecipientId};
use crate::model::{EnvelopeStatus, FieldDraft, FieldKind, Language, RecipientDraft, RecipientRole, SendRequest, SigningOrder};
use crate::signing::send::{send_envelope, Invited};
use crate::state::AppState;
use std::collections::HashMap;

/// A recipient as the API takes it.
#[derive(Clone, Debug)]
pub struct RecipientSpec {
    pub email: String,
    pub name: String,
    pub role: RecipientRole,
    pub order: i64,
    pub language: Option<Language>,
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
    pub message: Option<String>,
    /// Every recipient's language unless a recipient names its own.
    pub language: Option<Language>,
}

fn check_options(c: &DraftChange) -> AppResult<()> {
    let mut errors = Vec::new();
    if let Some(Some(secs)) = c.expires_in {
        if !(60..=366 * 24 * 3600).contains(&secs) {
            errors.push(FieldError { field: "expiresIn".into(), code: "invalid".into(), message: "Expiry must be between a minute and a year".into() });
        }
    }
    if let Some(Some(url)) = &c.redirect_url {
        if !(url.starts_with("https://") || url.starts_with("http://")) || url.len() > 2000 {
            errors.push(FieldError { field: "redirectUrl".into(), code: "invalid".into(), message: "Use an http(s) URL".into() });
        }
    }
    if c.message.as_ref().is_some_and(|m| m.chars().count() > 2000) {
        errors.push(FieldError { field: "message".into(), code: "too_long".into(), message: "Use at most 2000 characters".into() });
    }
    if c.document_ids.as_ref().is_some_and(|d| d.len() > crate::documents::MAX_DOCUMENTS_PER_ENVELOPE as usize) {
        errors.push(FieldError { field: "documentIds".into(), code: "too_many".into(), message: "A contract holds at most 20 documents".into() });
    }
    if errors.is_empty() { Ok(()) } else { Err(AppError::fields(errors)) }
}

/// Creates a draft from `change` in one transaction.
pub async fn create(db: &Db, actor: &Actor, change: DraftChange) -> AppResult<EnvelopeId> {
    let subject = parse_name(change.subject.as_deref().unwrap_or(""))
        .map_err(|e| AppError::field("subject", "required", e.message))?;
    check_options(&change)?;
    let mut tx = db.begin().await?;
    let id = insert_draft(&mut tx, actor, &subject, Timestamp::now()).await?;
    apply(&mut tx, actor, &id, change).await?;
    tx.commit().await?;
    tracing::info!(envelope_id = %id, "envelope created through the API");
    Ok(id)
}

/// Changes a draft (409 once sent).
pub async fn update(db: &Db, actor: &Actor, id: &EnvelopeId, change: DraftChange) -> AppResult<()> {
    scope::envelope(db, actor, id).await?;
    check_options(&change)?;
    let mut tx = db.begin().await?;
    touch_draft(&mut tx, actor, id).await?;
    if let Some(subject) = &change.subject {
        let name = parse_name(subject).map_err(|e| AppError::field("subject", "invalid", e.message))?;
        sqlx::query("UPDATE envelopes SET name = $2 WHERE id = $1").bind(id).bind(name).execute(&mut *tx).await?;
    }
    apply(&mut tx, actor, id, change).await?;
    sqlx::query("UPDATE envelopes SET version = version + 1 WHERE id = $1").bind(id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes a draft (409 once sent). Its documents stay in the library.
pub async fn delete_draft(db: &Db, actor: &Actor, id: &EnvelopeId) -> AppResult<()> {
    scope::envelope(db, actor, id).await?;
    let mut tx = db.begin().await?;
    touch_draft(&mut tx, actor, id).await?;
    // Recipients, fields and the document list go with it (ON DELETE CASCADE).
    sqlx::query("DELETE FROM envelopes WHERE id = $1 AND status = 'draft'").bind(id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

type RecipientRow = (String, String, String, String, i64, String);

async fn current_recipients(tx: &mut Tx, id: &EnvelopeId) -> AppResult<Vec<(RecipientDraft, Language)>> {
    let rows: Vec<RecipientRow> = sqlx::query_as(
        "SELECT id, name, email, role, signing_order, language FROM recipients WHERE envelope_id = $1 ORDER BY position",
    )
    .bind(id)
    .fetch_all(&mut **tx)
    .await?;
    rows.into_iter()
        .map(|(rid, name, email, role, order, lang)| {
            Ok((
                RecipientDraft { id: RecipientId::parse(&rid)?, name, email, role: RecipientRole::parse(&role).unwrap_or(RecipientRole::Signer), order },
                Language::parse(&lang).unwrap_or_default(),
            ))
        })
        .collect()
}

/// Applies documents, recipients, fields and options to a draft the transaction holds.
async fn apply(tx: &mut Tx, actor: &Actor, id: &EnvelopeId, change: DraftChange) -> AppResult<()> {
    let now = Timestamp::now();
    if let Some(docs) = &change.document_ids {
        let mut errors = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (i, d) in docs.iter().enumerate() {
            let found = scope::document_visible(&mut **tx, actor, d).await?;
            if !found {
                errors.push(FieldError { field: format!("documentIds[{i}]"), code: "unknown".into(), message: "No such document".into() });
            } else if !seen.insert(d.clone()) {
                errors.push(FieldError { field: format!("documentIds[{i}]"), code: "duplicate".into(), message: "A document appears twice".into() });
            }
        }
        if !errors.is_empty() {
            return Err(AppError::fields(errors));
        }
        // Fields on documents that leave go with them.
        let keep: Vec<&str> = docs.iter().map(DocumentId::as_str).collect();
        let current: Vec<String> = sqlx::query_scalar("SELECT document_id FROM envelope_documents WHERE envelope_id = $1")
            .bind(id)
            .fetch_all(&mut **tx)
            .await?;
        for d in current.iter().filter(|d| !keep.contains(&d.as_str())) {
            sqlx::query("DELETE FROM fields WHERE envelope_id = $1 AND document_id = $2").bind(id).bind(d).execute(&mut **tx).await?;
        }
        sqlx::query("DELETE FROM envelope_documents WHERE envelope_id = $1").bind(id).execute(&mut **tx).await?;
        check_room(tx, id, docs.len() as i64).await?;
        for d in docs {
            attach(tx, id, d, now).await?;
        }
    }

    let existing = current_recipients(tx, id).await?;
    let default_lang = change.language;
    let (recipients, languages): (Vec<RecipientDraft>, Vec<Language>) = match &change.recipients {
        Some(specs) => specs
            .iter()
            .map(|r| {
                let email = r.email.trim().to_lowercase();
                // A recipient who stays (same email) keeps their id, so their fields stay theirs.
                let same = existing.iter().find(|(e, _)| e.email == email);
                let id = same.map_or_else(RecipientId::new, |(e, _)| e.id.clone());
                let lang = r.language.or(default_lang).or(same.map(|(_, l)| *l)).unwrap_or_default();
                (RecipientDraft { id, name: r.name.clone(), email: r.email.clone(), role: r.role, order: r.order }, lang)
            })
            .unzip(),
        None => existing.iter().map(|(r, l)| (r.clone(), default_lang.unwrap_or(*l))).unzip(),
    };
    if change.recipients.is_some() || change.fields.is_some() || change.document_ids.is_some() {
        let by_email: HashMap<String, RecipientId> =
            recipients.iter().map(|r| (r.email.trim().to_lowercase(), r.id.clone())).collect();
        let fields: Vec<FieldDraft> = match &change.fields {
            Some(specs) => {
                let mut errors = Vec::new();
                let mut out = Vec::with_capacity(specs.len());
                for (i, f) in specs.iter().enumerate() {
                    match by_email.get(&f.recipient.trim().to_lowercase()) {
                        None => errors.push(FieldError {
                            field: format!("fields[{i}].recipient"),
                            code: "unknown".into(),
                            message: "Name a recipient of this envelope by email".into(),
                        }),
                        Some(rid) => out.push(FieldDraft {
                            id: FieldId::new(),
                            recipient_id: rid.clone(),
                            document_id: f.document_id.clone(),
                            page: f.page,
                            rect: f.rect,
                            kind: f.kind,
                            required: f.required,
                            label: f.label.clone(),
                            placeholder: f.placeholder.clone(),
                            options: f.options.clone(),
                            format: f.format.clone(),
                        }),
                    }
                }
                if !errors.is_empty() {
                    return Err(AppError::fields(errors));
                }
                out
            }
            None => {
                // Keep the fields whose recipient and document are still there.
                let docs = crate::envelopes::page_counts(tx, id).await?;
                let ids: std::collections::HashSet<&RecipientId> = recipients.iter().map(|r| &r.id).collect();
                crate::envelopes::fields_of(&mut **tx, id).await?.into_iter().filter(|f| ids.contains(&f.recipient_id) && docs.contains_key(&f.document_id)).collect()
            }
        };
        replace_contents(tx, id, &recipients, &fields).await?;
    }
    for (r, lang) in recipients.iter().zip(&languages) {
        sqlx::query("UPDATE recipients SET language = $2 WHERE id = $1").bind(&r.id).bind(lang.as_str()).execute(&mut **tx).await?;
    }
    if let Some(order) = change.signing_order {
        sqlx::query("UPDATE envelopes SET signing_order = $2 WHERE id = $1").bind(id).bind(order.as_str()).execute(&mut **tx).await?;
    }
    if let Some(expires) = change.expires_in {
        sqlx::query("UPDATE envelopes SET expires_in_seconds = $2 WHERE id = $1").bind(id).bind(expires).execute(&mut **tx).await?;
    }
    if let Some(url) = &change.redirect_url {
        sqlx::query("UPDATE envelopes SET redirect_url = $2 WHERE id = $1").bind(id).bind(url.as_deref()).execute(&mut **tx).await?;
    }
    if let Some(m) = &change.message {
        sqlx::query("UPDATE envelopes SET message = $2 WHERE id = $1").bind(id).bind(m.trim()).execute(&mut **tx).await?;
    }
    Ok(())
}

/// Sends a draft with the options stored on it; returns every recipient's signing link.
pub async fn send(st: &AppState, actor: &Actor, id: &EnvelopeId, origin: &Origin) -> AppResult<Vec<Invited>> {
    scope::envelope(&st.db, actor, id).await?;
    let row: (String, String, Option<i64>, Option<String>) =
        sqlx::query_as("SELECT message, signing_order, expires_in_seconds, redirect_url FROM envelopes WHERE id = $1")
            .bind(id)
            .fetch_one(st.db.pool())
            .await?;
    let req = SendRequest {
        message: row.0,
        signing_order: SigningOrder::parse(&row.1).unwrap_or_default(),
        expires_at: None,
        expires_in: row.2,
        reminder_days: None,
        languages: Vec::new(),
        redirect_url: row.3,
    };
    send_envelope(st, actor, id, &req, origin).await
}

/// One page of envelope ids, newest first, optionally of one status; and whether more follow.
pub async fn list(db: &Db, actor: &Actor, status: Option<EnvelopeStatus>, limit: i64, offset: i64) -> AppResult<(Vec<EnvelopeId>, bool)> {
    let mut sql = format!("SELECT t.id FROM envelopes t WHERE {}", scope::list_condition(actor, "t"));
    let status_param = if actor.client_id.is_some() { "$4" } else { "$3" };
    // `sealing` and `completed` are both stored as completed, told apart by the seal.
    match status {
        Some(EnvelopeStatus::Sealing) => sql.push_str(" AND t.status = 'completed' AND (t.seal_status IS NULL OR t.seal_status <> 'sealed')"),
        Some(EnvelopeStatus::Completed) => sql.push_str(" AND t.status = 'completed' AND t.seal_status = 'sealed'"),
        Some(_) => sql.push_str(&format!(" AND t.status = {status_param}")),
        None => {}
    }
    sql.push_str(&format!(" ORDER BY t.created_at DESC, t.id DESC LIMIT {} OFFSET {}", limit + 1, offset));
    let mut q = sqlx::query_scalar::<_, String>(&sql).bind(&actor.organization_id).bind(actor.mode.as_str());
    if let Some(c) = &actor.client_id {
        q = q.bind(c);
    }
    if let Some(s) = status.filter(|s| !matches!(s, EnvelopeStatus::Sealing | EnvelopeStatus::Completed)) {
        q = q.bind(s.as_str());
    }
    let mut ids = q.fetch_all(db.pool()).await?.into_iter().map(|i| EnvelopeId::parse(&i)).collect::<AppResult<Vec<_>>>()?;
    let more = ids.len() as i64 > limit;
    ids.truncate(limit as usize);
    Ok((ids, more))
}

/// What the API shows of an envelope beyond the sender's view.
pub struct Extras {
    pub mode: crate::model::Mode,
    pub created_at: String,
    pub updated_at: String,
    pub expires_in: Option<i64>,
    pub redirect_url: Option<String>,
}

pub async fn extras(db: &Db, id: &EnvelopeId) -> AppResult<Extras> {
    let (mode, created_at, updated_at, expires_in, redirect_url): (String, String, String, Option<i64>, Option<String>) =
        sqlx::query_as("SELECT mode, created_at, updated_at, expires_in_seconds, redirect_url FROM envelopes WHERE id = $1")
            .bind(id)
            .fetch_one(db.pool())
            .await?;
    Ok(Extras { mode: crate::model::Mode::parse(&mode).unwrap_or_default(), created_at, updated_at, expires_in, redirect_url })
}
