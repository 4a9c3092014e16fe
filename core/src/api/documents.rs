//! The document library of the API: documents uploaded on their own, listed, read and
//! deleted (while no envelope uses them), within the caller's scope.

use super::scope;
use crate::actor::Actor;
use crate::db::Db;
use crate::documents::document_infos;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::ids::DocumentId;
use crate::model::DocumentInfo;
use crate::state::AppState;
use crate::storage::BlobKey;

/// A document with when it was uploaded.
pub struct LibraryDocument {
    pub info: DocumentInfo,
    pub created_at: String,
}

type Row = (String, String, String, i64, String);

async fn infos(db: &Db, rows: Vec<Row>) -> AppResult<Vec<LibraryDocument>> {
    let ids = rows
        .iter()
        .map(|(i, n, s, z, _)| Ok((DocumentId::parse(i)?, n.clone(), s.clone(), *z)))
        .collect::<AppResult<Vec<_>>>()?;
    let infos = document_infos(db, &ids).await?;
    Ok(infos.into_iter().zip(rows).map(|(info, row)| LibraryDocument { info, created_at: row.4 }).collect())
}

pub async fn get(db: &Db, actor: &Actor, id: &DocumentId) -> AppResult<LibraryDocument> {
    scope::document(db, actor, id).await?;
    let row: Row = sqlx::query_as("SELECT id, name, sha256, size_bytes, created_at FROM documents WHERE id = $1")
        .bind(id)
        .fetch_one(db.pool())
        .await?;
    infos(db, vec![row]).await?.pop().ok_or_else(|| AppError::not_found("Document"))
}

/// One page of the caller's documents, newest first, and whether more follow.
pub async fn list(db: &Db, actor: &Actor, limit: i64, offset: i64) -> AppResult<(Vec<LibraryDocument>, bool)> {
    let sql = format!(
        "SELECT t.id, t.name, t.sha256, t.size_bytes, t.created_at FROM documents t WHERE {} \
         ORDER BY t.created_at DESC, t.id DESC LIMIT {} OFFSET {}",
        scope::list_condition(actor, "t"),
        limit + 1,
        offset
    );
    let mut q = sqlx::query_as::<_, Row>(&sql).bind(&actor.organization_id).bind(actor.mode.as_str());
    if let Some(c) = &actor.client_id {
        q = q.bind(c);
    }
    let mut rows = q.fetch_all(db.pool()).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    Ok((infos(db, rows).await?, more))
}

/// Deletes a document no envelope uses; its stored bytes go when no other document shares them.
pub async fn delete(st: &AppState, actor: &Actor, id: &DocumentId) -> AppResult<()> {
    scope::document(&st.db, actor, id).await?;
    let mut tx = st.db.begin().await?;
    let used: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM envelope_documents WHERE document_id = $1")
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
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
