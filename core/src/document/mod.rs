//! Uploaded documents: checked with PDFium, stored unchanged under a key of their own, recorded
//! with every page's boxes (and their SHA-256), and previewed (`preview.rs`): on demand (a page someone looks
//! at goes first) and in the background after an upload; both are cached in storage.

pub mod library;
mod preview;

pub(crate) use preview::page_preview;
pub use preview::{preview, render_job};

use crate::actor::Actor;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::geometry::PageGeometry;
use crate::ids::{DocumentId, EnvelopeId};
use crate::infra::blocking::spawn_blocking_with_tracing;
use crate::infra::db::{json, Backend, Timestamp, Tx};
use crate::infra::jobs::{self, JobKind};
use crate::infra::storage::BlobKey;
use crate::model::{DocumentInfo, PageInfo};
use crate::pdf::inspect::{self, PageBoxes};
use crate::state::AppState;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// Documents in one envelope at most.
pub const MAX_DOCUMENTS_PER_ENVELOPE: i64 = 20;

/// An uploaded file as received.
pub struct Upload {
    pub file_name: String,
    pub bytes: bytes::Bytes,
}

/// A document's identity for rendering.

/// A display name from an uploaded file name: no folders, no control characters, ≤ 200 chars.
pub fn clean_file_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("").trim();
    let clean: String = base.chars().filter(|c| !c.is_control()).take(200).collect();
    if clean.is_empty() {
        "document.pdf".into()
    } else {
        clean
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// An upload checked and its bytes stored, not yet recorded: `record` it in the transaction
/// that uses it, then `settle` it with that transaction's outcome.
pub struct Stored {
    pub id: DocumentId,
    pub name: String,
    pub sha256: String,
    size_bytes: i64,
    pages: Vec<PageBoxes>,
    key: BlobKey,
}

/// Checks an upload (size, PDF, pages) and stores its bytes unchanged under a key of its own
/// (deleting one document never takes another's, same content or not).
pub async fn store(st: &AppState, upload: Upload) -> AppResult<Stored> {
    let limit = st.settings.max_upload_bytes;
    if upload.bytes.len() as u64 > limit {
        return Err(file_too_large(limit));
    }
    inspect::check_bytes(&upload.bytes)?;
    let max_pages = st.settings.max_pages;
    let copy = upload.bytes.clone();
    let pages = st.pdf.run(move |ctx| inspect::inspect(ctx, &copy, max_pages)).await??;
    let bytes = upload.bytes;
    let (sha256, bytes) = spawn_blocking_with_tracing(move || (sha256_hex(&bytes), bytes)).await?;
    let id = DocumentId::new();
    let key = BlobKey::new(format!("documents/{id}.pdf"))?;
    let size_bytes = bytes.len() as i64;
    st.storage.put(&key, bytes).await?;
    Ok(Stored { id, name: clean_file_name(&upload.file_name), sha256, size_bytes, pages, key })
}

impl Stored {
    /// The name without its `.pdf`, for a draft named after the file.
    pub fn title(&self) -> &str {
        self.name.strip_suffix(".pdf").or_else(|| self.name.strip_suffix(".PDF")).unwrap_or(&self.name)
    }

    /// Records the document and its pages' boxes for `actor`.
    pub async fn record(&self, tx: &mut Tx, actor: &Actor, now: Timestamp) -> AppResult<()> {
        sqlx::query(
            "INSERT INTO documents (id, organization_id, created_by, name, sha256, size_bytes, page_count, storage_key, mode, client_id, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
        )
        .bind(&self.id)
        .bind(&actor.organization_id)
        .bind(actor.user_id.as_ref())
        .bind(&self.name)
        .bind(&self.sha256)
        .bind(self.size_bytes)
        .bind(self.pages.len() as i64)
        .bind(self.key.as_str())
        .bind(actor.mode.as_str())
        .bind(actor.client_id.as_ref())
        .bind(now)
        .execute(&mut **tx)
        .await?;
        for (i, p) in self.pages.iter().enumerate() {
            insert_page(tx, &self.id, i, p, now).await?;
        }
        jobs::enqueue(tx, JobKind::Render, &serde_json::json!({ "document": self.id })).await?;
        Ok(())
    }

    /// After the transaction that recorded it (and queued its pages for rendering): on
    /// success the render worker is woken; on failure (not recorded) its bytes go too.
    pub async fn settle<T: std::fmt::Debug>(&self, st: &AppState, recorded: AppResult<T>) -> AppResult<(T, DocumentInfo)> {
        match recorded {
            Ok(into) => {
                tracing::info!(document_id = %self.id, into = ?into, pages = self.pages.len(), "document uploaded");
                st.render_wake.notify_one();
                Ok((into, self.info()))
            }
            Err(e) => {
                if let Err(d) = st.storage.delete(&self.key).await {
                    tracing::warn!(error = ?d, "could not delete the bytes of an upload that was not recorded");
                }
                Err(e)
            }
        }
    }

    fn info(&self) -> DocumentInfo {
        DocumentInfo {
            id: self.id.clone(),
            name: self.name.clone(),
            sha256: self.sha256.clone(),
            size_bytes: self.size_bytes,
            pages: self.pages.iter().enumerate().map(|(i, p)| PageInfo { index: i as u32, geometry: p.geometry }).collect(),
            pages_rendered: 0,
        }
    }
}

/// "계약서.pdf" → "계약서 (signed).pdf".
pub fn sealed_name(name: &str) -> String {
    let stem = name.strip_suffix(".pdf").or_else(|| name.strip_suffix(".PDF")).unwrap_or(name);
    format!("{stem} (signed).pdf")
}

pub fn file_too_large(limit: u64) -> AppError {
    AppError::new(ErrorCode::FileTooLarge, format!("The file is larger than {} MB", limit / (1024 * 1024)))
}

async fn insert_page(tx: &mut Tx, doc: &DocumentId, i: usize, p: &PageBoxes, now: Timestamp) -> AppResult<()> {
    let g = &p.geometry;
    sqlx::query(
        "INSERT INTO document_pages (document_id, page_index, box_left, box_bottom, box_right, box_top, \
         media_left, media_bottom, media_right, media_top, rotation, rendered, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0, $12, $12)",
    )
    .bind(doc)
    .bind(i as i64)
    .bind(g.left)
    .bind(g.bottom)
    .bind(g.right)
    .bind(g.top)
    .bind(p.media[0])
    .bind(p.media[1])
    .bind(p.media[2])
    .bind(p.media[3])
    .bind(g.rotation as i64)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A document row.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct DocumentRow {
    pub id: DocumentId,
    pub name: String,
    pub sha256: String,
    pub size_bytes: i64,
    pub page_count: i64,
    pub storage_key: String,
    pub created_at: Timestamp,
    pub external_id: Option<String>,
    pub metadata: Option<String>,
}

/// The columns of `DocumentRow`, for queries on `documents` aliased `d`.
pub const DOCUMENT_COLUMNS: &str = "d.id, d.name, d.sha256, d.size_bytes, d.page_count, d.storage_key, d.created_at, d.external_id, d.metadata";

/// An envelope's documents in their order.
pub async fn of_envelope(conn: &mut sqlx::AnyConnection, envelope: &EnvelopeId) -> AppResult<Vec<DocumentRow>> {
    let sql = format!(
        "SELECT {DOCUMENT_COLUMNS} FROM envelope_documents ed JOIN documents d ON d.id = ed.document_id \
         WHERE ed.envelope_id = $1 ORDER BY ed.position"
    );
    Ok(sqlx::query_as(&sql).bind(envelope).fetch_all(conn).await?)
}

/// One page of an envelope's document as `pages_column` writes it (a document without pages
/// has one row with the page's keys null).
#[derive(serde::Deserialize)]
struct PageOfEnvelope {
    #[serde(deserialize_with = "json::de::text")]
    id: DocumentId,
    name: String,
    sha256: String,
    size_bytes: i64,
    page_index: Option<i64>,
    #[serde(deserialize_with = "json::de::opt_float")]
    box_left: Option<f64>,
    #[serde(deserialize_with = "json::de::opt_float")]
    box_bottom: Option<f64>,
    #[serde(deserialize_with = "json::de::opt_float")]
    box_right: Option<f64>,
    #[serde(deserialize_with = "json::de::opt_float")]
    box_top: Option<f64>,
    rotation: Option<i64>,
    rendered: Option<i64>,
}

/// A column (correlated with the envelope row aliased `e`) holding the envelope's documents
/// with every page, in order, as JSON: read back by `infos_from_json`.
pub(crate) fn pages_column(backend: Backend) -> String {
    use json::Col::{Float, Plain};
    let object = json::object(
        backend,
        &[
            ("id", "d.id", Plain),
            ("name", "d.name", Plain),
            ("sha256", "d.sha256", Plain),
            ("size_bytes", "d.size_bytes", Plain),
            ("page_index", "p.page_index", Plain),
            ("box_left", "p.box_left", Float),
            ("box_bottom", "p.box_bottom", Float),
            ("box_right", "p.box_right", Float),
            ("box_top", "p.box_top", Float),
            ("rotation", "p.rotation", Plain),
            ("rendered", "p.rendered", Plain),
        ],
    );
    json::array(
        backend,
        &object,
        "ed.position, p.page_index",
        "FROM envelope_documents ed JOIN documents d ON d.id = ed.document_id LEFT JOIN document_pages p ON p.document_id = d.id WHERE ed.envelope_id = e.id",
    )
}

/// The documents `pages_column` wrote, each with every page.
pub(crate) fn infos_from_json(column: Option<&str>) -> AppResult<Vec<DocumentInfo>> {
    let mut out: Vec<DocumentInfo> = Vec::new();
    for r in json::rows::<PageOfEnvelope>(column, "an envelope's documents")? {
        if out.last().is_none_or(|d| d.id != r.id) {
            out.push(DocumentInfo { id: r.id, name: r.name, sha256: r.sha256, size_bytes: r.size_bytes, pages: Vec::new(), pages_rendered: 0 });
        }
        let (Some(index), Some(left), Some(bottom), Some(right), Some(top), Some(rotation)) =
            (r.page_index, r.box_left, r.box_bottom, r.box_right, r.box_top, r.rotation)
        else {
            continue;
        };
        let info = out.last_mut().expect("pushed above");
        info.pages.push(PageInfo { index: index as u32, geometry: PageGeometry { left, bottom, right, top, rotation: rotation as u16 } });
        if r.rendered.unwrap_or(0) != 0 {
            info.pages_rendered += 1;
        }
    }
    Ok(out)
}

#[derive(Clone, sqlx::FromRow)]
struct PageRow {
    document_id: DocumentId,
    page_index: i64,
    box_left: f64,
    box_bottom: f64,
    box_right: f64,
    box_top: f64,
    rotation: i64,
    rendered: i64,
}

/// Documents with their pages, in the given order: one query for all their pages.
pub async fn infos(conn: &mut sqlx::AnyConnection, docs: Vec<DocumentRow>) -> AppResult<Vec<DocumentInfo>> {
    if docs.is_empty() {
        return Ok(Vec::new());
    }
    // A library document can be in several envelopes: each id is asked for once.
    let mut ids: Vec<&DocumentId> = docs.iter().map(|d| &d.id).collect();
    ids.sort();
    ids.dedup();
    let sql = format!(
        "SELECT document_id, page_index, box_left, box_bottom, box_right, box_top, rotation, rendered \
         FROM document_pages WHERE document_id IN ({}) ORDER BY document_id, page_index",
        crate::infra::db::marks(1, ids.len())
    );
    let mut q = sqlx::query_as::<_, PageRow>(&sql);
    for id in ids {
        q = q.bind(id);
    }
    let mut pages: HashMap<DocumentId, Vec<PageRow>> = HashMap::new();
    for p in q.fetch_all(conn).await? {
        pages.entry(p.document_id.clone()).or_default().push(p);
    }
    Ok(docs
        .into_iter()
        .map(|d| {
            let rows = pages.get(&d.id).cloned().unwrap_or_default();
            DocumentInfo {
                pages_rendered: rows.iter().filter(|r| r.rendered != 0).count() as u32,
                pages: rows
                    .into_iter()
                    .map(|r| PageInfo {
                        index: r.page_index as u32,
                        geometry: PageGeometry { left: r.box_left, bottom: r.box_bottom, right: r.box_right, top: r.box_top, rotation: r.rotation as u16 },
                    })
                    .collect(),
                id: d.id,
                name: d.name,
                sha256: d.sha256,
                size_bytes: d.size_bytes,
            }
        })
        .collect())
}
