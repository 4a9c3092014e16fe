//! Page previews: rendered on demand (interactive, ahead of background work) or ahead of
//! time by the render job queued at upload, and cached in storage under the document's hash.

use crate::actor::Actor;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::ids::DocumentId;
use crate::infra::claim::Claim;
use crate::infra::db::Timestamp;
use crate::infra::jobs::JobError;
use crate::infra::storage::BlobKey;
use crate::pdf::render::PreviewSize;
use crate::state::AppState;
use serde_json::Value;
use std::future::Future;
use std::pin::Pin;

#[derive(Clone, Debug)]
struct DocRef {
    id: DocumentId,
    sha256: String,
    storage_key: String,
}

/// A page preview for a caller who may see the document (else 404).
pub async fn preview(st: &AppState, actor: &Actor, id: &DocumentId, page: u32, size: PreviewSize) -> AppResult<Vec<u8>> {
    crate::api::scope::document(&st.db, actor, id).await?;
    page_preview(st, id, page, size).await
}

/// A page preview, for code that has already established access (a signing link).
pub(crate) async fn page_preview(st: &AppState, id: &DocumentId, page: u32, size: PreviewSize) -> AppResult<Vec<u8>> {
    let row: Option<(String, String, i64)> =
        sqlx::query_as("SELECT sha256, storage_key, page_count FROM documents WHERE id = $1").bind(id).fetch_optional(st.db.pool()).await?;
    let (sha256, storage_key, page_count) = row.ok_or_else(|| AppError::not_found("Document"))?;
    if i64::from(page) >= page_count {
        return Err(AppError::not_found("Page"));
    }
    let doc = DocRef { id: id.clone(), sha256, storage_key };
    render_cached(st, &doc, page, size, true).await
}

/// The cached preview, or a fresh render that is then cached. Previews are cached by the
/// document's hash, so a copy of an earlier upload finds its pages already made; the
/// pre-render pass still records them as rendered for this document.
async fn render_cached(st: &AppState, doc: &DocRef, page: u32, size: PreviewSize, interactive: bool) -> AppResult<Vec<u8>> {
    let key = BlobKey::new(format!("previews/{}/{page}-{}.jpg", doc.sha256, size.name()))?;
    if let Some(bytes) = st.storage.get(&key).await? {
        if !interactive && size == PreviewSize::Page {
            mark_rendered(st, doc, page).await?;
        }
        return Ok(bytes.into());
    }
    let index = u16::try_from(page).map_err(|_| AppError::not_found("Page"))?;
    let started = std::time::Instant::now();
    let fetch = || async {
        st.storage.get(&BlobKey::new(&doc.storage_key)?).await?.ok_or_else(|| AppError::internal_msg(format!("stored PDF {} is missing", doc.storage_key)))
    };
    let jpeg = st.renderer.render(&doc.sha256, index, size, interactive, fetch).await?;
    metrics::histogram!("dojang_render_seconds", "size" => size.name(), "mode" => if interactive { "interactive" } else { "background" })
        .record(started.elapsed().as_secs_f64());
    st.storage.put(&key, jpeg.clone()).await?;
    if size == PreviewSize::Page {
        mark_rendered(st, doc, page).await?;
    }
    Ok(jpeg)
}

async fn mark_rendered(st: &AppState, doc: &DocRef, page: u32) -> AppResult<()> {
    sqlx::query("UPDATE document_pages SET rendered = 1, updated_at = $3 WHERE document_id = $1 AND page_index = $2 AND rendered = 0")
        .bind(&doc.id)
        .bind(i64::from(page))
        .bind(Timestamp::now())
        .execute(st.db.pool())
        .await?;
    Ok(())
}

/// The render job: every page of the document not yet rendered, page size then thumbnail,
/// yielding to interactive renders. Run again after an interruption, it goes on where it stopped.
pub fn render_job<'a>(st: &'a AppState, _claim: &'a Claim, payload: &'a Value) -> Pin<Box<dyn Future<Output = Result<(), JobError>> + Send + 'a>> {
    Box::pin(async move {
        let Some(id) = payload["document"].as_str().and_then(|s| DocumentId::parse(s).ok()) else {
            return Err(JobError { error: AppError::internal_msg("render job without a document"), retry: false });
        };
        prefetch_document(st, &id).await.map_err(JobError::from)
    })
}

async fn prefetch_document(st: &AppState, id: &DocumentId) -> AppResult<()> {
    let row: Option<(String, String)> = sqlx::query_as("SELECT sha256, storage_key FROM documents WHERE id = $1").bind(id).fetch_optional(st.db.pool()).await?;
    let Some((sha256, storage_key)) = row else {
        return Ok(());
    };
    let doc = DocRef { id: id.clone(), sha256, storage_key };
    let pages: Vec<i64> = sqlx::query_scalar("SELECT page_index FROM document_pages WHERE document_id = $1 AND rendered = 0 ORDER BY page_index")
        .bind(id)
        .fetch_all(st.db.pool())
        .await?;
    // A few pages in flight: while one page's JPEG is encoded on a blocking thread, PDFium
    // (one thread) renders the next, so both cores stay busy.
    let mut running = tokio::task::JoinSet::new();
    for page in pages {
        while running.len() >= PREFETCH_IN_FLIGHT {
            if let Some(done) = running.join_next().await {
                settle_page(done)?;
            }
        }
        let (st, doc) = (st.clone(), doc.clone());
        running.spawn(async move {
            let page = page as u32;
            render_cached(&st, &doc, page, PreviewSize::Page, false).await?;
            render_cached(&st, &doc, page, PreviewSize::Thumb, false).await.map(|_| ())
        });
    }
    while let Some(done) = running.join_next().await {
        settle_page(done)?;
    }
    Ok(())
}

/// One pre-rendered page's outcome: a page the renderer could not do (it crashed or took too
/// long) is left for an interactive render to try again; anything else stops the job.
fn settle_page(done: Result<AppResult<()>, tokio::task::JoinError>) -> AppResult<()> {
    match done.map_err(|e| AppError::internal_msg(format!("pre-render task: {e}")))? {
        Err(e) if e.code == ErrorCode::RenderFailed => {
            tracing::warn!(error = %e.message, "a page was not pre-rendered");
            Ok(())
        }
        other => other,
    }
}

/// Pages pre-rendered at once (see `prefetch_document`).
const PREFETCH_IN_FLIGHT: usize = 3;
