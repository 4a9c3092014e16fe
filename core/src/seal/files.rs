//! What sealing stored, as it is served: a sealed document with the name it downloads under,
//! the standalone audit trail, an envelope's list of sealed documents, and what a download
//! link from the completion email opens while it has not expired (a recipient's own link
//! only after their identity checks).

use crate::document::sealed_name;
use crate::envelope::{Envelope, Recipient};
use crate::error::{AppError, AppResult};
use crate::identity::gate::{self, Cookies};
use crate::ids::{DocumentId, EnvelopeId, RecipientId};
use crate::infra::crypto::SigningToken;
use crate::infra::db::{Db, Timestamp};
use crate::infra::storage::{BlobKey, BlobStream};
use crate::model::{DownloadFile, DownloadView};
use crate::signing::link::Signer;
use crate::state::AppState;
use futures::StreamExt as _;

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
    recipient_id: Option<RecipientId>,
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

/// A document as it was uploaded (the caller has checked it may see it).
pub async fn original_document(st: &AppState, doc: &DocumentId) -> AppResult<NamedFile> {
    let row: Option<StoredSealed> = sqlx::query_as("SELECT storage_key, name FROM documents WHERE id = $1").bind(doc).fetch_optional(st.db.pool()).await?;
    let row = row.ok_or_else(|| AppError::not_found("Document"))?;
    let name = if row.name.to_lowercase().ends_with(".pdf") { row.name } else { format!("{}.pdf", row.name) };
    Ok(NamedFile { body: read(st, &row.storage_key, "Document").await?, name })
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

/// The audit trail at any state: the sealed one once the envelope is sealed, else an interim
/// record made now from the audit log (marked as such, not signed). Says which it is.
pub async fn audit_trail_now(st: &AppState, envelope: &EnvelopeId) -> AppResult<(NamedFile, bool)> {
    let sealed: Option<Option<String>> = sqlx::query_scalar("SELECT audit_trail_key FROM envelopes WHERE id = $1 AND seal_status = 'sealed'")
        .bind(envelope)
        .fetch_optional(st.db.pool())
        .await?;
    if sealed.flatten().is_some() {
        return Ok((audit_trail(st, envelope).await?, false));
    }
    let evidence = super::evidence::Evidence::load(st, envelope).await?;
    let mut trail = evidence.trail(&std::collections::HashMap::new());
    trail.interim = true;
    let name = format!("{} (audit trail, interim).pdf", evidence.envelope.name);
    let bytes = crate::infra::blocking::spawn_blocking_with_tracing(move || super::trail::standalone(&trail)).await?.map_err(AppError::internal)?;
    let size = bytes.len() as u64;
    let chunks = futures::stream::once(async move { Ok(bytes::Bytes::from(bytes)) }).boxed();
    Ok((NamedFile { body: BlobStream { size, chunks }, name }, true))
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

/// A download link while it lasts: the envelope it opens and, for a link of one recipient,
/// who holds it (as their signing link would resolve them).
pub struct Download {
    pub envelope: EnvelopeId,
    pub holder: Option<Signer>,
}

/// A download link. An unknown, malformed or expired link is not found.
pub async fn download_link(st: &AppState, token: &str) -> AppResult<Download> {
    let gone = || AppError::not_found("Download link");
    let token = SigningToken::parse(token).ok_or_else(gone)?;
    let mut conn = st.db.pool().acquire().await?;
    let row: Option<DownloadLink> = sqlx::query_as("SELECT envelope_id, recipient_id, expires_at FROM download_links WHERE token_hash = $1")
        .bind(token.hash())
        .fetch_optional(&mut *conn)
        .await?;
    let link = row.filter(|l| l.expires_at > Timestamp::now()).ok_or_else(gone)?;
    let holder = match &link.recipient_id {
        Some(rid) => {
            let recipient = Recipient::load(&mut conn, rid).await?.ok_or_else(gone)?;
            Some(Signer { envelope: Envelope::find(&mut conn, &link.envelope_id).await?, recipient })
        }
        None => None,
    };
    Ok(Download { envelope: link.envelope_id, holder })
}

/// The envelope whose files the browser presenting `cookies` may download through the link:
/// a recipient's link only once the browser passed their checks (`VERIFICATION_REQUIRED`).
pub async fn download_access(st: &AppState, token: &str, cookies: &Cookies) -> AppResult<EnvelopeId> {
    let d = download_link(st, token).await?;
    if let Some(s) = &d.holder {
        gate::standing(st, s, cookies).await?.ensure_passed()?;
    }
    Ok(d.envelope)
}

/// What the download page of a link shows: the checks still to pass, or the files.
pub async fn download_view(st: &AppState, token: &str, cookies: &Cookies) -> AppResult<DownloadView> {
    let d = download_link(st, token).await?;
    let verification = match &d.holder {
        Some(s) => gate::standing(st, s, cookies).await?.gate(st, s).await?,
        None => None,
    };
    let envelope_name: String = match &d.holder {
        Some(s) => s.envelope.name.clone(),
        None => sqlx::query_scalar("SELECT name FROM envelopes WHERE id = $1").bind(&d.envelope).fetch_one(st.db.pool()).await?,
    };
    let documents = if verification.is_some() { Vec::new() } else { sealed_documents(&st.db, &d.envelope).await? };
    Ok(DownloadView { envelope_name, documents, verification })
}

/// Every sealed document of a sealed envelope and its audit trail in one ZIP (stored
/// entries), built in a temporary file one document at a time, so memory holds at most one.
pub async fn sealed_zip(st: &AppState, envelope: &EnvelopeId) -> AppResult<NamedFile> {
    #[derive(sqlx::FromRow)]
    struct Entry {
        storage_key: String,
        name: String,
    }
    let env: Option<StoredTrail> = sqlx::query_as("SELECT audit_trail_key, name FROM envelopes WHERE id = $1 AND seal_status = 'sealed'")
        .bind(envelope)
        .fetch_optional(st.db.pool())
        .await?;
    let Some(StoredTrail { audit_trail_key: Some(trail_key), name: envelope_name }) = env else {
        return Err(AppError::not_found("Sealed document"));
    };
    let rows: Vec<Entry> = sqlx::query_as(
        "SELECT s.storage_key, d.name FROM sealed_documents s JOIN documents d ON d.id = s.document_id \
         JOIN envelope_documents ed ON ed.envelope_id = s.envelope_id AND ed.document_id = s.document_id \
         WHERE s.envelope_id = $1 ORDER BY ed.position",
    )
    .bind(envelope)
    .fetch_all(st.db.pool())
    .await?;
    let mut entries: Vec<(String, String)> = Vec::new();
    for r in rows {
        entries.push((r.storage_key, unique_name(&entries, sealed_name(&r.name))));
    }
    let trail_name = unique_name(&entries, format!("{envelope_name} (audit trail).pdf"));
    entries.push((trail_key, trail_name));
    let file = tempfile::tempfile().map_err(|e| AppError::internal(anyhow::Error::new(e).context("creating the ZIP's temporary file")))?;
    let mut zip = zip::ZipWriter::new(file);
    for (key, name) in entries {
        let bytes = st.storage.get(&BlobKey::new(&key)?).await?.ok_or_else(|| AppError::not_found("Sealed document"))?;
        zip = crate::infra::blocking::spawn_blocking_with_tracing(move || -> anyhow::Result<_> {
            use std::io::Write as _;
            let options =
                zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored).large_file(bytes.len() as u64 >= u32::MAX as u64);
            zip.start_file(name, options)?;
            zip.write_all(&bytes)?;
            Ok(zip)
        })
        .await?
        .map_err(|e| AppError::internal(e.context("writing the ZIP")))?;
    }
    let file = crate::infra::blocking::spawn_blocking_with_tracing(move || -> anyhow::Result<std::fs::File> {
        use std::io::Seek as _;
        let mut f = zip.finish()?;
        f.rewind()?;
        Ok(f)
    })
    .await?
    .map_err(|e| AppError::internal(e.context("finishing the ZIP")))?;
    let size = file.metadata().map_err(|e| AppError::internal(anyhow::Error::new(e)))?.len();
    let chunks = tokio_util::io::ReaderStream::new(tokio::fs::File::from_std(file)).map(|c| c.map_err(anyhow::Error::from)).boxed();
    Ok(NamedFile { body: BlobStream { size, chunks }, name: format!("{envelope_name} (signed).zip") })
}

/// `name`, or `name (2)`, `(3)`… before its extension when an entry has it already.
fn unique_name(entries: &[(String, String)], name: String) -> String {
    if !entries.iter().any(|(_, n)| *n == name) {
        return name;
    }
    let (stem, ext) = name.rsplit_once('.').map_or((name.as_str(), ""), |(s, e)| (s, e));
    (2..)
        .map(|i| if ext.is_empty() { format!("{stem} ({i})") } else { format!("{stem} ({i}).{ext}") })
        .find(|n| !entries.iter().any(|(_, e)| e == n))
        .unwrap_or(name)
}
