//! Envelopes (contracts in the UI) while they are drafts: create, list, load for the editor,
//! save the editor's recipients and fields, rename, and manage their documents.
//!
//! The editor saves its whole state at once, naming the version it started from; a save
//! from a stale tab is refused with `VERSION_CONFLICT` instead of overwriting newer work.

use crate::actor::Actor;
use crate::api::scope;
use crate::audit::{self, Origin};
use crate::db::{Db, Timestamp, Tx};
use crate::documents::document_infos;
use crate::error::{AppError, AppResult, ErrorCode, FieldError};
use crate::geometry::FieldRect;
use crate::ids::{DocumentId, EnvelopeId, FieldId, RecipientId};
use crate::model::{
    ContractDraft, ContractSummary, EnvelopeStatus, FieldDraft, FieldKind, RecipientDraft, RecipientRole, DATE_FORMATS,
};
use crate::types::{DisplayName, EmailAddress};
use serde_json::json;
use std::collections::{HashMap, HashSet};

pub const MAX_RECIPIENTS: usize = 50;
pub const MAX_FIELDS: usize = 2000;
pub const MAX_NAME_CHARS: usize = 200;

/// A contract name: trimmed, 1–200 characters, no control characters.
pub fn parse_name(raw: &str) -> AppResult<String> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(AppError::field("name", "required", "Give the contract a name"));
    }
    if s.chars().count() > MAX_NAME_CHARS || s.chars().any(char::is_control) {
        return Err(AppError::field("name", "invalid", "Use at most 200 characters, without control characters"));
    }
    Ok(s.to_owned())
}

pub(crate) async fn insert_draft(tx: &mut Tx, actor: &Actor, name: &str, now: Timestamp) -> AppResult<EnvelopeId> {
    let id = EnvelopeId::new();
    let name: String = name.trim().chars().filter(|c| !c.is_control()).take(MAX_NAME_CHARS).collect();
    sqlx::query(
        "INSERT INTO envelopes (id, organization_id, created_by, name, status, version, mode, client_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'draft', 1, $6, $7, $5, $5)",
    )
    .bind(&id)
    .bind(&actor.organization_id)
    .bind(actor.user_id.as_ref())
    .bind(if name.is_empty() { "Untitled contract".to_owned() } else { name })
    .bind(now)
    .bind(actor.mode.as_str())
    .bind(actor.client_id.as_ref())
    .execute(&mut **tx)
    .await?;
    audit::record(
        tx,
        audit::Event { envelope_id: &id, kind: "envelope.created", recipient_id: None, user_id: actor.user_id.as_ref(), origin: &Origin::default(), data: json!({}) },
    )
    .await?;
    Ok(id)
}

/// Why a guarded update of a draft touched no row: no longer a draft → 409, else another
/// change won (the caller has checked that the envelope is theirs to see).
async fn draft_guard_failed(tx: &mut Tx, id: &EnvelopeId) -> AppError {
    let status: Result<Option<String>, _> =
        sqlx::query_scalar("SELECT status FROM envelopes WHERE id = $1").bind(id).fetch_optional(&mut **tx).await;
    match status {
        Ok(None) => AppError::not_found("Contract"),
        Ok(Some(s)) if s != "draft" => {
            AppError::new(ErrorCode::EnvelopeNotDraft, "The contract has been sent and can no longer be edited")
        }
        Ok(Some(_)) => AppError::new(ErrorCode::VersionConflict, "The contract was changed elsewhere; reload it"),
        Err(e) => AppError::from(e),
    }
}

/// Marks a draft as changed (taking its row lock on PostgreSQL), or says why it cannot be.
pub(crate) async fn touch_draft(tx: &mut Tx, actor: &Actor, id: &EnvelopeId) -> AppResult<()> {
    scope::envelope_in(&mut **tx, actor, id).await?;
    let res = sqlx::query(
        "UPDATE envelopes SET updated_at = $3 WHERE id = $1 AND organization_id = $2 AND status = 'draft'",
    )
    .bind(id)
    .bind(&actor.organization_id)
    .bind(Timestamp::now())
    .execute(&mut **tx)
    .await?;
    if res.rows_affected() == 1 { Ok(()) } else { Err(draft_guard_failed(tx, id).await) }
}

/// Bumps the version of a draft, guarding on the version the caller saw.
async fn bump_version(tx: &mut Tx, actor: &Actor, id: &EnvelopeId, seen: i64) -> AppResult<i64> {
    scope::envelope_in(&mut **tx, actor, id).await?;
    let res = sqlx::query(
        "UPDATE envelopes SET version = version + 1, updated_at = $4 \
         WHERE id = $1 AND organization_id = $2 AND status = 'draft' AND version = $3",
    )
    .bind(id)
    .bind(&actor.organization_id)
    .bind(seen)
    .bind(Timestamp::now())
    .execute(&mut **tx)
    .await?;
    if res.rows_affected() == 1 { Ok(seen + 1) } else { Err(draft_guard_failed(tx, id).await) }
}

pub async fn create_draft(db: &Db, actor: &Actor, name: &str) -> AppResult<EnvelopeId> {
    let name = parse_name(name)?;
    let mut tx = db.begin().await?;
    let id = insert_draft(&mut tx, actor, &name, Timestamp::now()).await?;
    tx.commit().await?;
    Ok(id)
}

/// The organization's contracts, most recently changed first.
pub async fn list(db: &Db, actor: &Actor) -> AppResult<Vec<ContractSummary>> {
    let sql = format!(
        "SELECT t.id, t.name, t.status, t.updated_at, t.seal_status FROM envelopes t WHERE {} ORDER BY t.updated_at DESC, t.id DESC LIMIT 500",
        scope::list_condition(actor, "t")
    );
    let mut q = sqlx::query_as::<_, (String, String, String, Timestamp, Option<String>)>(&sql).bind(&actor.organization_id).bind(actor.mode.as_str());
    if let Some(c) = &actor.client_id {
        q = q.bind(c);
    }
    let rows = q.fetch_all(db.pool()).await?;
    let mut out = Vec::with_capacity(rows.len());
    for (id, name, status, updated, seal_status) in rows {
        let documents: Vec<String> = sqlx::query_scalar(
            "SELECT d.name FROM envelope_documents ed JOIN documents d ON d.id = ed.document_id \
             WHERE ed.envelope_id = $1 ORDER BY ed.position",
        )
        .bind(&id)
        .fetch_all(db.pool())
        .await?;
        let recipients: Vec<String> =
            sqlx::query_scalar("SELECT name FROM recipients WHERE envelope_id = $1 ORDER BY position")
                .bind(&id)
                .fetch_all(db.pool())
                .await?;
        out.push(ContractSummary {
            id: EnvelopeId::parse(&id)?,
            name,
            status: EnvelopeStatus::parse(&status).unwrap_or(EnvelopeStatus::Draft).reported(seal_status.as_deref() == Some("sealed"), false),
            documents,
            recipients,
            updated_at: updated.to_db(),
        });
    }
    Ok(out)
}

type FieldRow = (String, String, String, i64, f64, f64, f64, f64, String, i64, String, String, String, Option<String>);

/// Everything the editor shows, for a caller who may see the envelope (else 404).
pub async fn load(db: &Db, actor: &Actor, id: &EnvelopeId) -> AppResult<ContractDraft> {
    scope::envelope(db, actor, id).await?;
    contents(db, id).await
}

/// An envelope's documents, recipients and fields, for code that has already established
/// access (a signing link, a worker).
pub(crate) async fn contents(db: &Db, id: &EnvelopeId) -> AppResult<ContractDraft> {
    let row: Option<(String, String, i64)> =
        sqlx::query_as("SELECT name, status, version FROM envelopes WHERE id = $1")
            .bind(id)
            .fetch_optional(db.pool())
            .await?;
    let (name, status, version) = row.ok_or_else(|| AppError::not_found("Contract"))?;
    let docs: Vec<(String, String, String, i64)> = sqlx::query_as(
        "SELECT d.id, d.name, d.sha256, d.size_bytes FROM envelope_documents ed JOIN documents d ON d.id = ed.document_id \
         WHERE ed.envelope_id = $1 ORDER BY ed.position",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    let docs = docs
        .into_iter()
        .map(|(i, n, s, z)| Ok((DocumentId::parse(&i)?, n, s, z)))
        .collect::<AppResult<Vec<_>>>()?;
    let documents = document_infos(db, &docs).await?;
    let recipients: Vec<(String, String, String, String, i64)> = sqlx::query_as(
        "SELECT id, name, email, role, signing_order FROM recipients WHERE envelope_id = $1 ORDER BY position",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    let recipients = recipients
        .into_iter()
        .map(|(rid, name, email, role, order)| {
            Ok(RecipientDraft {
                id: RecipientId::parse(&rid)?,
                name,
                email,
                role: RecipientRole::parse(&role).unwrap_or(RecipientRole::Signer),
                order,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    let fields = fields(db, id).await?;
    Ok(ContractDraft {
        id: id.clone(),
        name,
        status: EnvelopeStatus::parse(&status).unwrap_or(EnvelopeStatus::Draft),
        version,
        documents,
        recipients,
        fields,
    })
}

/// An envelope's fields in their saved order (the caller has checked access).
pub async fn fields(db: &Db, id: &EnvelopeId) -> AppResult<Vec<FieldDraft>> {
    fields_of(&mut *db.pool().acquire().await?, id).await
}

/// A draft's fields in their saved order.
pub(crate) async fn fields_of(conn: &mut sqlx::AnyConnection, id: &EnvelopeId) -> AppResult<Vec<FieldDraft>> {
    let rows: Vec<FieldRow> = sqlx::query_as(
        "SELECT id, recipient_id, document_id, page_index, x, y, width, height, kind, required, label, placeholder, options, format \
         FROM fields WHERE envelope_id = $1 ORDER BY position",
    )
    .bind(id)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|(fid, rid, did, page, x, y, w, h, kind, required, label, placeholder, options, format)| {
            Ok(FieldDraft {
                id: FieldId::parse(&fid)?,
                recipient_id: RecipientId::parse(&rid)?,
                document_id: DocumentId::parse(&did)?,
                page: page as u32,
                rect: FieldRect { x, y, width: w, height: h },
                kind: FieldKind::parse(&kind).unwrap_or(FieldKind::Text),
                required: required != 0,
                label,
                placeholder,
                options: serde_json::from_str(&options).unwrap_or_default(),
                format,
            })
        })
        .collect()
}

/// Checks the editor's recipients and fields against the envelope's documents, reporting
/// every problem with a path such as `recipients[1].email` or `fields[3].rect`.
pub fn validate(
    recipients: &[RecipientDraft],
    fields: &[FieldDraft],
    pages: &HashMap<DocumentId, u32>,
) -> AppResult<(Vec<RecipientDraft>, Vec<FieldDraft>)> {
    let mut errors = Vec::new();
    let mut err = |field: String, code: &str, message: &str| {
        errors.push(FieldError { field, code: code.into(), message: message.into() })
    };
    if recipients.len() > MAX_RECIPIENTS {
        err("recipients".into(), "too_many", "At most 50 recipients");
    }
    if fields.len() > MAX_FIELDS {
        err("fields".into(), "too_many", "At most 2000 fields");
    }
    let mut clean_recipients = Vec::with_capacity(recipients.len());
    let mut seen_ids = HashSet::new();
    let mut seen_emails = HashSet::new();
    // Drafts may hold unfinished recipients (a name or an email still to come); sending
    // checks that every recipient is complete. What is there must be valid.
    for (i, r) in recipients.iter().enumerate() {
        let name = r.name.trim();
        let email = r.email.trim();
        if name.chars().count() > DisplayName::MAX_CHARS || name.chars().any(char::is_control) {
            err(format!("recipients[{i}].name"), "invalid", "Use at most 100 characters");
        }
        let parsed = if email.is_empty() { None } else { Some(EmailAddress::parse(email)) };
        match &parsed {
            Some(Err(_)) => err(format!("recipients[{i}].email"), "invalid", "Enter a valid email address"),
            Some(Ok(e)) if !seen_emails.insert(e.as_str().to_owned()) => {
                err(format!("recipients[{i}].email"), "duplicate", "Each recipient needs their own email")
            }
            _ => {}
        }
        if !seen_ids.insert(r.id.clone()) {
            err(format!("recipients[{i}].id"), "duplicate", "Duplicate recipient");
        }
        if !(1..=MAX_RECIPIENTS as i64).contains(&r.order) {
            err(format!("recipients[{i}].order"), "invalid", "Order must be between 1 and 50");
        }
        let email = match parsed {
            Some(Ok(e)) => e.to_string(),
            _ => String::new(),
        };
        clean_recipients.push(RecipientDraft { name: name.to_owned(), email, ..r.clone() });
    }
    let mut clean_fields = Vec::with_capacity(fields.len());
    let mut seen_fields = HashSet::new();
    for (i, f) in fields.iter().enumerate() {
        let path = |p: &str| format!("fields[{i}].{p}");
        if !seen_fields.insert(f.id.clone()) {
            err(path("id"), "duplicate", "Duplicate field");
        }
        if !seen_ids.contains(&f.recipient_id) {
            err(path("recipient"), "unknown", "The field's recipient is not in the contract");
        }
        match pages.get(&f.document_id) {
            None => err(path("document"), "unknown", "The field's document is not in the contract"),
            Some(n) if f.page >= *n => err(path("page"), "unknown", "The page does not exist"),
            Some(_) => {}
        }
        let rect = FieldRect::parse(f.rect.x, f.rect.y, f.rect.width, f.rect.height);
        if rect.is_err() {
            err(path("rect"), "out_of_page", "A field must lie inside its page");
        }
        let label = f.label.trim().to_owned();
        let placeholder = f.placeholder.trim().to_owned();
        if label.chars().count() > 200 || placeholder.chars().count() > 200 {
            err(path("label"), "too_long", "Use at most 200 characters");
        }
        let options: Vec<String> =
            f.options.iter().map(|o| o.trim().to_owned()).filter(|o| !o.is_empty()).collect();
        if f.kind.has_options() {
            if options.is_empty() {
                err(path("options"), "required", "Give at least one option");
            }
            if options.len() > 50 || options.iter().any(|o| o.chars().count() > 200) {
                err(path("options"), "too_long", "At most 50 options of 200 characters");
            }
            if options.iter().collect::<HashSet<_>>().len() != options.len() {
                err(path("options"), "duplicate", "Options must differ");
            }
        }
        let format = match (f.kind, f.format.as_deref()) {
            (FieldKind::Date, None) => Some(DATE_FORMATS[0].to_owned()),
            (FieldKind::Date, Some(fmt)) if DATE_FORMATS.contains(&fmt) => Some(fmt.to_owned()),
            (FieldKind::Date, Some(_)) => {
                err(path("format"), "invalid", "Unknown date format");
                None
            }
            _ => None,
        };
        if let Ok(rect) = rect {
            clean_fields.push(FieldDraft {
                rect,
                label,
                placeholder,
                options: if f.kind.has_options() { options } else { Vec::new() },
                format,
                ..f.clone()
            });
        }
    }
    if errors.is_empty() { Ok((clean_recipients, clean_fields)) } else { Err(AppError::fields(errors)) }
}

/// Replaces the draft's recipients and fields with the editor's; returns the new version.
pub async fn save_editor(
    db: &Db,
    actor: &Actor,
    id: &EnvelopeId,
    seen_version: i64,
    recipients: &[RecipientDraft],
    fields: &[FieldDraft],
) -> AppResult<i64> {
    let mut tx = db.begin().await?;
    let version = bump_version(&mut tx, actor, id, seen_version).await?;
    replace_contents(&mut tx, id, recipients, fields).await?;
    tx.commit().await?;
    Ok(version)
}

/// The page count of each document in a draft.
pub(crate) async fn page_counts(tx: &mut Tx, id: &EnvelopeId) -> AppResult<HashMap<DocumentId, u32>> {
    let pages: Vec<(String, i64)> = sqlx::query_as(
        "SELECT d.id, d.page_count FROM envelope_documents ed JOIN documents d ON d.id = ed.document_id WHERE ed.envelope_id = $1",
    )
    .bind(id)
    .fetch_all(&mut **tx)
    .await?;
    Ok(pages.into_iter().filter_map(|(d, n)| Some((DocumentId::parse(&d).ok()?, n as u32))).collect())
}

/// Inside a transaction that holds the draft: validates and replaces its recipients and fields.
pub(crate) async fn replace_contents(
    tx: &mut Tx,
    id: &EnvelopeId,
    recipients: &[RecipientDraft],
    fields: &[FieldDraft],
) -> AppResult<()> {
    let pages = page_counts(tx, id).await?;
    let (recipients, fields) = validate(recipients, fields, &pages)?;
    let now = Timestamp::now();
    sqlx::query("DELETE FROM fields WHERE envelope_id = $1").bind(id).execute(&mut **tx).await?;
    sqlx::query("DELETE FROM recipients WHERE envelope_id = $1").bind(id).execute(&mut **tx).await?;
    for (pos, r) in recipients.iter().enumerate() {
        let res = sqlx::query(
            "INSERT INTO recipients (id, envelope_id, name, email, role, signing_order, position, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
        )
        .bind(&r.id)
        .bind(id)
        .bind(&r.name)
        .bind(&r.email)
        .bind(r.role.as_str())
        .bind(r.order)
        .bind(pos as i64)
        .bind(now)
        .execute(&mut **tx)
        .await;
        id_taken(res, &format!("recipients[{pos}].id"))?;
    }
    for (pos, f) in fields.iter().enumerate() {
        let res = sqlx::query(
            "INSERT INTO fields (id, envelope_id, recipient_id, document_id, page_index, x, y, width, height, kind, required, \
             label, placeholder, options, format, position, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17)",
        )
        .bind(&f.id)
        .bind(id)
        .bind(&f.recipient_id)
        .bind(&f.document_id)
        .bind(i64::from(f.page))
        .bind(f.rect.x)
        .bind(f.rect.y)
        .bind(f.rect.width)
        .bind(f.rect.height)
        .bind(f.kind.as_str())
        .bind(i64::from(f.required))
        .bind(&f.label)
        .bind(&f.placeholder)
        .bind(serde_json::to_string(&f.options).unwrap_or_else(|_| "[]".into()))
        .bind(f.format.as_deref())
        .bind(pos as i64)
        .bind(now)
        .execute(&mut **tx)
        .await;
        id_taken(res, &format!("fields[{pos}].id"))?;
    }
    Ok(())
}

/// An id that belongs to another envelope cannot be reused.
fn id_taken(res: Result<sqlx::any::AnyQueryResult, sqlx::Error>, path: &str) -> AppResult<()> {
    match res {
        Ok(_) => Ok(()),
        Err(e) if crate::db::unique_violation(&e).is_some() => {
            Err(AppError::field(path, "taken", "This id is already used elsewhere"))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn rename(db: &Db, actor: &Actor, id: &EnvelopeId, name: &str) -> AppResult<()> {
    let name = parse_name(name)?;
    let mut tx = db.begin().await?;
    touch_draft(&mut tx, actor, id).await?;
    sqlx::query("UPDATE envelopes SET name = $2 WHERE id = $1").bind(id).bind(&name).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Puts the envelope's documents in the given order (which must name each exactly once).
pub async fn reorder_documents(db: &Db, actor: &Actor, id: &EnvelopeId, order: &[DocumentId]) -> AppResult<()> {
    let mut tx = db.begin().await?;
    touch_draft(&mut tx, actor, id).await?;
    let current: Vec<String> = sqlx::query_scalar("SELECT document_id FROM envelope_documents WHERE envelope_id = $1")
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
    let want: HashSet<&str> = order.iter().map(|d| d.as_str()).collect();
    let have: HashSet<&str> = current.iter().map(String::as_str).collect();
    if want != have || want.len() != order.len() {
        return Err(AppError::field("documents", "mismatch", "Name every document of the contract exactly once"));
    }
    for (pos, doc) in order.iter().enumerate() {
        sqlx::query("UPDATE envelope_documents SET position = $3, updated_at = $4 WHERE envelope_id = $1 AND document_id = $2")
            .bind(id)
            .bind(doc)
            .bind(pos as i64 + 1)
            .bind(Timestamp::now())
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Takes a document out of a draft, with the fields placed on it.
pub async fn remove_document(db: &Db, actor: &Actor, id: &EnvelopeId, doc: &DocumentId) -> AppResult<()> {
    let mut tx = db.begin().await?;
    touch_draft(&mut tx, actor, id).await?;
    let res = sqlx::query("DELETE FROM envelope_documents WHERE envelope_id = $1 AND document_id = $2")
        .bind(id)
        .bind(doc)
        .execute(&mut *tx)
        .await?;
    if res.rows_affected() == 0 {
        return Err(AppError::not_found("Document"));
    }
    sqlx::query("DELETE FROM fields WHERE envelope_id = $1 AND document_id = $2").bind(id).bind(doc).execute(&mut *tx).await?;
    sqlx::query("UPDATE envelopes SET version = version + 1 WHERE id = $1").bind(id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}
