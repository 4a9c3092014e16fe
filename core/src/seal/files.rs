//! What sealing stored, as it is served: a sealed document with the name it downloads under,
//! the standalone audit trail, an envelope's list of sealed documents, and the envelope a
//! download link from the completion email opens while it has not expired.

use crate::document::sealed_name;
use crate::error::{AppError, AppResult};
use crate::ids::{DocumentId, EnvelopeId};
use crate::infra::crypto::SigningToken;
use crate::infra::db::{Db, Timestamp};
use crate::infra::storage::{BlobKey, BlobStream};
use crate::model::{DownloadFile, DownloadView};
use crate::state::AppState;

/// A stored file as it streams, and the name to download it under.
pub struct NamedFile {
    pub body: BlobStream,
    pub name: String,
}

#[derive(sqlx::FromRow)]
struct StoredSealed {
    storage_key: String,
    name: String,
}

#[derive(sqlx::FromRow)]
struct StoredTrail {
    audit_trail_key: Option<String>,
    name: String,
}

#[derive(sqlx::FromRow)]
struct ListedSealed {
    document_id: DocumentId,
    name: String,
}

#[derive(sqlx::FromRow)]
struct DownloadLink {
    envelope_id: EnvelopeId,
    expires_at: Timestamp,
}

async fn read(st: &AppState, key: &str, what: &str) -> AppResult<BlobStream> {
    st.storage.stream(&BlobKey::new(key)?).await?.ok_or_else(|| AppError::not_found(what))
}

/// A sealed document of an envelope, named after its document — once the whole envelope is
/// sealed (each document and the audit trail), which is when it is reported completed.
pub async fn sealed_document(st: &AppState, envelope: &EnvelopeId, doc: &DocumentId) -> AppResult<NamedFile> {
    let row: Option<StoredSealed> = sqlx::query_as(
        "SELECT s.storage_key, d.name FROM sealed_documents s JOIN documents d ON d.id = s.document_id \
         JOIN envelopes e ON e.id = s.envelope_id WHERE s.envelope_id = $1 AND s.document_id = $2 AND e.seal_status = 'sealed'",
    )
    .bind(envelope)
    .bind(doc)
    .fetch_optional(st.db.pool())
    .await?;
    let row = row.ok_or_else(|| AppError::not_found("Sealed document"))?;
    Ok(NamedFile { body: read(st, &row.storage_key, "Sealed document").await?, name: sealed_name(&row.name) })
}

/// The envelope's audit trail as a PDF of its own, named after the envelope.
pub async fn audit_trail(st: &AppState, envelope: &EnvelopeId) -> AppResult<NamedFile> {
    let row: Option<StoredTrail> =
        sqlx::query_as("SELECT audit_trail_key, name FROM envelopes WHERE id = $1").bind(envelope).fetch_optional(st.db.pool()).await?;
    let Some(StoredTrail { audit_trail_key: Some(key), name }) = row else {
        return Err(AppError::not_found("Audit trail"));
    };
    Ok(NamedFile { body: read(st, &key, "Audit trail").await?, name: format!("{name} (audit trail).pdf") })
}

/// An envelope's sealed documents in the envelope's order, with the names they download under.
pub async fn sealed_documents(db: &Db, envelope: &EnvelopeId) -> AppResult<Vec<DownloadFile>> {
    let rows: Vec<ListedSealed> = sqlx::query_as(
        "SELECT s.document_id, d.name FROM sealed_documents s JOIN documents d ON d.id = s.document_id \
         JOIN envelope_documents ed ON ed.envelope_id = s.envelope_id AND ed.document_id = s.document_id \
         WHERE s.envelope_id = $1 ORDER BY ed.position",
    )
    .bind(envelope)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(|r| DownloadFile { document_id: r.document_id, file_name: sealed_name(&r.name) }).collect())
}

/// The envelope a download link opens, while it has not expired. An unknown, malformed or
/// expired link is not found.
pub async fn download_link_envelope(db: &Db, token: &str) -> AppResult<EnvelopeId> {
    let gone = || AppError::not_found("Download link");
    let token = SigningToken::parse(token).ok_or_else(gone)?;
    let row: Option<DownloadLink> =
        sqlx::query_as("SELECT envelope_id, expires_at FROM download_links WHERE token_hash = $1").bind(token.hash()).fetch_optional(db.pool()).await?;
    match row {
        Some(link) if link.expires_at > Timestamp::now() => Ok(link.envelope_id),
        _ => Err(gone()),
    }
}

/// What the download page of a link shows.
pub async fn download_view(db: &Db, token: &str) -> AppResult<DownloadView> {
    let envelope = download_link_envelope(db, token).await?;
    let envelope_name: String = sqlx::query_scalar("SELECT name FROM envelopes WHERE id = $1").bind(&envelope).fetch_one(db.pool()).await?;
    Ok(DownloadView { envelope_name, documents: sealed_documents(db, &envelope).await? })
}
