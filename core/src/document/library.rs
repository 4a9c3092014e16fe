//! The document library of the API: documents uploaded on their own, listed, read and
//! deleted (while no envelope uses them), within the caller's scope.

use crate::actor::Actor;
use crate::api::scope;
use crate::document::{self, DocumentRow, DOCUMENT_COLUMNS};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::ids::DocumentId;
use crate::infra::db::Db;
use crate::infra::storage::BlobKey;
use crate::model::DocumentInfo;
use crate::state::AppState;

/// Checks and stores an upload in the caller's library (attached to envelopes later).
pub async fn upload(st: &AppState, actor: &Actor, upload: document::Upload) -> AppResult<DocumentInfo> {
    let stored = document::store(st, upload).await?;
    let recorded = async {
        let now = crate::infra::db::Timestamp::now();
        let mut tx = st.db.begin().await?;
        stored.record(&mut tx, actor, now).await?;
        tx.commit().await?;
        Ok("library")
    }
    .await;
    Ok(stored.settle(st, recorded).await?.1)
}

/// A document with when it was uploaded.
pub struct LibraryDocument {
    pub info: DocumentInfo,
    pub created_at: String,
}

async fn library(db: &Db, rows: Vec<DocumentRow>) -> AppResult<Vec<LibraryDocument>> {
    let created: Vec<String> = rows.iter().map(|r| r.created_at.to_db()).collect();
    let infos = document::infos(&mut *db.pool().acquire().await?, rows).await?;
    Ok(infos.into_iter().zip(created).map(|(info, created_at)| LibraryDocument { info, created_at }).collect())
}

pub async fn get(db: &Db, actor: &Actor, id: &DocumentId) -> AppResult<LibraryDocument> {
    scope::document(db, actor, id).await?;
    let sql = format!("SELECT {DOCUMENT_COLUMNS} FROM documents d WHERE d.id = $1");
    let row: DocumentRow = sqlx::query_as(&sql).bind(id).fetch_one(db.pool()).await?;
    library(db, vec![row]).await?.pop().ok_or_else(|| AppError::not_found("Document"))
}

/// One page of the caller's documents, newest first, and whether more follow.
pub async fn list(db: &Db, actor: &Actor, limit: i64, offset: i64) -> AppResult<(Vec<LibraryDocument>, bool)> {
    let sql = format!(
        "SELECT {DOCUMENT_COLUMNS} FROM documents d WHERE {} ORDER BY d.created_at DESC, d.id DESC LIMIT {} OFFSET {}",
        scope::list_condition(actor, "d"),
        limit + 1,
        offset
    );
    let mut q = sqlx::query_as::<_, DocumentRow>(&sql).bind(&actor.organization_id).bind(actor.mode);
    if let Some(c) = &actor.client_id {
        q = q.bind(c);
    }
    let mut rows = q.fetch_all(db.pool()).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    Ok((library(db, rows).await?, more))
}

/// Deletes a document no envelope uses; its stored bytes go when no other document shares them.
pub async fn delete(st: &AppState, actor: &Actor, id: &DocumentId) -> AppResult<()> {
    scope::document(&st.db, actor, id).await?;
    let mut tx = st.db.begin().await?;
    let used: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM envelope_documents WHERE document_id = $1").bind(id).fetch_one(&mut *tx).await?;
    if used > 0 {
        return Err(AppError::new(ErrorCode::DocumentInUse, "An envelope uses this document; remove it from the envelope first"));
    }
    let key: String = sqlx::query_scalar("SELECT storage_key FROM documents WHERE id = $1").bind(id).fetch_one(&mut *tx).await?;
    // Its pages go with it (ON DELETE CASCADE).
    sqlx::query("DELETE FROM documents WHERE id = $1").bind(id).execute(&mut *tx).await?;
    let others: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM documents WHERE storage_key = $1").bind(&key).fetch_one(&mut *tx).await?;
    tx.commit().await?;
    if others == 0 {
        if let Err(e) = st.storage.delete(&BlobKey::new(&key)?).await {
            tracing::warn!(error = ?e, "could not delete the stored bytes of a deleted document");
        }
    }
    Ok(())
}
