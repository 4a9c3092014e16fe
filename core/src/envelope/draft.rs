//! Editing a draft: creating it, the editor's whole-state save (guarded by the version it
//! started from), renaming, and its list of documents. Every change first takes the draft in
//! the caller's scope and checks it is still a draft.

use super::validate::{parse_name, validate, MAX_NAME_CHARS};
use crate::actor::Actor;
use crate::api::scope;
use crate::audit::{self, AuditKind, Origin};
use crate::document::{self, Upload, MAX_DOCUMENTS_PER_ENVELOPE};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::ids::{DocumentId, EnvelopeId};
use crate::infra::db::{Db, Timestamp, Tx};
use crate::model::{DocumentInfo, EnvelopeStatus, FieldDraft, RecipientDraft};
use crate::state::AppState;
use serde_json::json;
use std::collections::HashSet;

/// Checks and stores an upload and adds it to the draft `envelope` (or to a new draft named
/// after the file). Returns the envelope and the document.
pub async fn add_document(st: &AppState, actor: &Actor, envelope: Option<&EnvelopeId>, upload: Upload) -> AppResult<(EnvelopeId, DocumentInfo)> {
    let stored = document::store(st, upload).await?;
    let recorded = async {
        let now = Timestamp::now();
        let mut tx = st.db.begin().await?;
        let id = match envelope {
            Some(id) => {
                touch(&mut tx, actor, id).await?;
                check_room(&mut tx, id, 1).await?;
                id.clone()
            }
            None => insert(&mut tx, actor, stored.title(), now).await?,
        };
        stored.record(&mut tx, actor, now).await?;
        attach(&mut tx, &id, &stored.id, now).await?;
        tx.commit().await?;
        Ok(id)
    }
    .await;
    stored.settle(st, recorded).await
}

/// A new draft named `name` (cleaned; "Untitled contract" when nothing is left).
pub(crate) async fn insert(tx: &mut Tx, actor: &Actor, name: &str, now: Timestamp) -> AppResult<EnvelopeId> {
    let id = EnvelopeId::new();
    let name: String = name.trim().chars().filter(|c| !c.is_control()).take(MAX_NAME_CHARS).collect();
    sqlx::query(
        "INSERT INTO envelopes (id, organization_id, created_by, name, status, version, mode, client_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $8, $8)",
    )
    .bind(&id)
    .bind(&actor.organization_id)
    .bind(actor.user_id.as_ref())
    .bind(if name.is_empty() { "Untitled contract".to_owned() } else { name })
    .bind(EnvelopeStatus::Draft)
    .bind(actor.mode)
    .bind(actor.client_id.as_ref())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    super::report(
        tx,
        audit::Event {
            envelope_id: &id,
            kind: AuditKind::EnvelopeCreated,
            recipient_id: None,
            user_id: actor.user_id.as_ref(),
            origin: &Origin::default(),
            data: json!({}),
        },
    )
    .await?;
    Ok(id)
}

pub async fn create(db: &Db, actor: &Actor, name: &str) -> AppResult<EnvelopeId> {
    let name = parse_name(name)?;
    let mut tx = db.begin().await?;
    let id = insert(&mut tx, actor, &name, Timestamp::now()).await?;
    tx.commit().await?;
    Ok(id)
}

/// Why a guarded update of a draft touched no row: no longer a draft → 409, else another
/// change won (the caller has checked that the envelope is theirs to see).
async fn guard_failed(tx: &mut Tx, id: &EnvelopeId) -> AppError {
    let status: Result<Option<EnvelopeStatus>, _> = sqlx::query_scalar("SELECT status FROM envelopes WHERE id = $1").bind(id).fetch_optional(&mut **tx).await;
    match status {
        Ok(None) => AppError::not_found("Contract"),
        Ok(Some(EnvelopeStatus::Draft)) => AppError::new(ErrorCode::VersionConflict, "The contract was changed elsewhere; reload it"),
        Ok(Some(_)) => AppError::new(ErrorCode::EnvelopeNotDraft, "The contract has been sent and can no longer be edited"),
        Err(e) => AppError::from(e),
    }
}

/// Marks a draft in the caller's scope as changed (taking its row lock on PostgreSQL), or
/// says why it cannot be.
pub(crate) async fn touch(tx: &mut Tx, actor: &Actor, id: &EnvelopeId) -> AppResult<()> {
    scope::envelope_in(tx, actor, id).await?;
    let res = sqlx::query("UPDATE envelopes SET updated_at = $2 WHERE id = $1 AND status = $3")
        .bind(id)
        .bind(Timestamp::now())
        .bind(EnvelopeStatus::Draft)
        .execute(&mut **tx)
        .await?;
    if res.rows_affected() == 1 {
        Ok(())
    } else {
        Err(guard_failed(tx, id).await)
    }
}

/// A new version of a draft: after `touch`, for changes made without naming a version.
pub(crate) async fn bump(tx: &mut Tx, id: &EnvelopeId) -> AppResult<()> {
    sqlx::query("UPDATE envelopes SET version = version + 1 WHERE id = $1").bind(id).execute(&mut **tx).await?;
    Ok(())
}

/// Bumps the version of a draft, guarding on the version the caller saw.
async fn bump_seen(tx: &mut Tx, actor: &Actor, id: &EnvelopeId, seen: i64) -> AppResult<i64> {
    scope::envelope_in(tx, actor, id).await?;
    let res = sqlx::query("UPDATE envelopes SET version = version + 1, updated_at = $4 WHERE id = $1 AND status = $2 AND version = $3")
        .bind(id)
        .bind(EnvelopeStatus::Draft)
        .bind(seen)
        .bind(Timestamp::now())
        .execute(&mut **tx)
        .await?;
    if res.rows_affected() == 1 {
        Ok(seen + 1)
    } else {
        Err(guard_failed(tx, id).await)
    }
}

/// Replaces the draft's recipients and fields with the editor's; returns the new version.
pub async fn save_editor(db: &Db, actor: &Actor, id: &EnvelopeId, seen_version: i64, recipients: &[RecipientDraft], fields: &[FieldDraft]) -> AppResult<i64> {
    let mut tx = db.begin().await?;
    let version = bump_seen(&mut tx, actor, id, seen_version).await?;
    // What a field paints over is the server's: a field keeps the cover it had on its page,
    // and the browser cannot add one (it could hide a clause of the sealed copy).
    let stored: std::collections::HashMap<_, _> = super::contents::fields(&mut tx, id).await?.into_iter().map(|f| (f.id.clone(), f)).collect();
    let fields: Vec<FieldDraft> = fields
        .iter()
        .map(|f| {
            let cover = stored.get(&f.id).filter(|s| s.document_id == f.document_id && s.page == f.page).and_then(|s| s.cover);
            FieldDraft { cover, ..f.clone() }
        })
        .collect();
    replace_contents(&mut tx, id, recipients, &fields).await?;
    tx.commit().await?;
    Ok(version)
}

/// Inside a transaction that holds the draft: validates and replaces its recipients and fields.
pub(crate) async fn replace_contents(tx: &mut Tx, id: &EnvelopeId, recipients: &[RecipientDraft], fields: &[FieldDraft]) -> AppResult<()> {
    let pages = super::contents::page_counts(tx, id).await?;
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
        .bind(r.role)
        .bind(r.order)
        .bind(pos as i64)
        .bind(now)
        .execute(&mut **tx)
        .await;
        id_taken(res, &format!("recipients[{pos}].id"))?;
    }
    for (pos, f) in fields.iter().enumerate() {
        insert_field(tx, id, pos as i64, f, now, &format!("fields[{pos}].id")).await?;
    }
    Ok(())
}

/// Fields added after the envelope's own (the signature page's, a signer's placements), in
/// order; a field id of another envelope is refused, naming `path`.
pub(crate) async fn append_fields(tx: &mut Tx, id: &EnvelopeId, fields: &[FieldDraft], now: Timestamp, path: &str) -> AppResult<()> {
    let next: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(position), -1) + 1 FROM fields WHERE envelope_id = $1").bind(id).fetch_one(&mut **tx).await?;
    for (position, f) in (next..).zip(fields) {
        insert_field(tx, id, position, f, now, path).await?;
    }
    Ok(())
}

/// One field at `position` (a field id of another envelope is refused, naming `path`).
pub(crate) async fn insert_field(tx: &mut Tx, id: &EnvelopeId, position: i64, f: &FieldDraft, now: Timestamp, path: &str) -> AppResult<()> {
    let res = sqlx::query(
        "INSERT INTO fields (id, envelope_id, recipient_id, document_id, page_index, x, y, width, height, kind, required, \
         label, placeholder, options, format, name, prefill, read_only, cover_x, cover_y, cover_width, cover_height, position, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $24)",
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
    .bind(f.kind)
    .bind(i64::from(f.required))
    .bind(&f.label)
    .bind(&f.placeholder)
    .bind(serde_json::to_string(&f.options).unwrap_or_else(|_| "[]".into()))
    .bind(f.format.as_deref())
    .bind(f.name.as_deref())
    .bind(f.prefill.as_deref())
    .bind(i64::from(f.read_only))
    .bind(f.cover.map(|r| r.x))
    .bind(f.cover.map(|r| r.y))
    .bind(f.cover.map(|r| r.width))
    .bind(f.cover.map(|r| r.height))
    .bind(position)
    .bind(now)
    .execute(&mut **tx)
    .await;
    id_taken(res, path)
}

/// An id that belongs to another envelope cannot be reused.
fn id_taken(res: Result<sqlx::any::AnyQueryResult, sqlx::Error>, path: &str) -> AppResult<()> {
    match res {
        Ok(_) => Ok(()),
        Err(e) if crate::infra::db::unique_violation(&e).is_some() => Err(AppError::field(path, "taken", "This id is already used elsewhere")),
        Err(e) => Err(e.into()),
    }
}

pub async fn rename(db: &Db, actor: &Actor, id: &EnvelopeId, name: &str) -> AppResult<()> {
    let name = parse_name(name)?;
    let mut tx = db.begin().await?;
    touch(&mut tx, actor, id).await?;
    sqlx::query("UPDATE envelopes SET name = $2 WHERE id = $1").bind(id).bind(&name).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Refuses to add `adding` documents to an envelope that would then hold more than 20.
pub(crate) async fn check_room(tx: &mut Tx, id: &EnvelopeId, adding: i64) -> AppResult<()> {
    crate::infra::db::lock(tx, "envelopes", id.as_str()).await?;
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM envelope_documents WHERE envelope_id = $1").bind(id).fetch_one(&mut **tx).await?;
    if count + adding > MAX_DOCUMENTS_PER_ENVELOPE {
        return Err(AppError::new(ErrorCode::TooManyDocuments, format!("A contract holds at most {MAX_DOCUMENTS_PER_ENVELOPE} documents")));
    }
    Ok(())
}

/// Appends a document to an envelope's list.
pub(crate) async fn attach(tx: &mut Tx, envelope: &EnvelopeId, doc: &DocumentId, now: Timestamp) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO envelope_documents (envelope_id, document_id, position, created_at, updated_at) \
         VALUES ($1, $2, (SELECT COALESCE(MAX(position), 0) + 1 FROM envelope_documents WHERE envelope_id = $1), $3, $3)",
    )
    .bind(envelope)
    .bind(doc)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Puts the envelope's documents in the given order (which must name each exactly once).
pub async fn reorder_documents(db: &Db, actor: &Actor, id: &EnvelopeId, order: &[DocumentId]) -> AppResult<()> {
    let mut tx = db.begin().await?;
    touch(&mut tx, actor, id).await?;
    let current: Vec<DocumentId> = sqlx::query_scalar("SELECT document_id FROM envelope_documents WHERE envelope_id = $1").bind(id).fetch_all(&mut *tx).await?;
    let want: HashSet<&DocumentId> = order.iter().collect();
    let have: HashSet<&DocumentId> = current.iter().collect();
    if want != have || want.len() != order.len() {
        return Err(AppError::field("documents", "mismatch", "Name every document of the contract exactly once"));
    }
    let now = Timestamp::now();
    for (pos, doc) in order.iter().enumerate() {
        sqlx::query("UPDATE envelope_documents SET position = $3, updated_at = $4 WHERE envelope_id = $1 AND document_id = $2")
            .bind(id)
            .bind(doc)
            .bind(pos as i64 + 1)
            .bind(now)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Takes a document out of a draft, with the fields placed on it.
pub async fn remove_document(db: &Db, actor: &Actor, id: &EnvelopeId, doc: &DocumentId) -> AppResult<()> {
    let mut tx = db.begin().await?;
    touch(&mut tx, actor, id).await?;
    let res = sqlx::query("DELETE FROM envelope_documents WHERE envelope_id = $1 AND document_id = $2").bind(id).bind(doc).execute(&mut *tx).await?;
    if res.rows_affected() == 0 {
        return Err(AppError::not_found("Document"));
    }
    sqlx::query("DELETE FROM fields WHERE envelope_id = $1 AND document_id = $2").bind(id).bind(doc).execute(&mut *tx).await?;
    bump(&mut tx, id).await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes a draft; its documents stay in the library.
pub async fn delete(db: &Db, actor: &Actor, id: &EnvelopeId) -> AppResult<()> {
    let mut tx = db.begin().await?;
    touch(&mut tx, actor, id).await?;
    // Recipients, fields and the document list go with it (ON DELETE CASCADE).
    sqlx::query("DELETE FROM envelopes WHERE id = $1 AND status = $2").bind(id).bind(EnvelopeStatus::Draft).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}
