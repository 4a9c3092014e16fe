//! The document library of the API: documents uploaded on their own, listed, read and
//! deleted (while no envelope uses them), within the caller's scope.

use crate::actor::Actor;
use crate::api::listing::{contains_pattern, Conditions, Cursor, Page};
use crate::api::reference::{Owner, ReferenceChange};
use crate::api::scope;
use crate::document::{self, DocumentRow, DOCUMENT_COLUMNS};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::ids::DocumentId;
use crate::infra::db::{Db, Timestamp};
use crate::infra::storage::BlobKey;
use crate::model::DocumentInfo;
use crate::state::AppState;

/// Checks and stores an upload in the caller's library (attached to envelopes later), with
/// the integrator's reference.
pub async fn upload(st: &AppState, actor: &Actor, upload: document::Upload, reference: &ReferenceChange) -> AppResult<DocumentInfo> {
    let stored = document::store(st, upload).await?;
    let recorded = async {
        let now = crate::infra::db::Timestamp::now();
        let mut tx = st.db.begin().await?;
        stored.record(&mut tx, actor, now).await?;
        reference.apply(&mut tx, actor, Owner::Document, stored.id.as_str()).await?;
        tx.commit().await?;
        Ok("library")
    }
    .await;
    Ok(stored.settle(st, recorded).await?.1)
}

/// A document with when it was uploaded and the integrator's reference.
pub struct LibraryDocument {
    pub info: DocumentInfo,
    pub created_at: String,
    pub external_id: Option<String>,
    pub metadata: Option<String>,
}

async fn library(db: &Db, rows: Vec<DocumentRow>) -> AppResult<Vec<LibraryDocument>> {
    let extra: Vec<(String, Option<String>, Option<String>)> = rows.iter().map(|r| (r.created_at.to_db(), r.external_id.clone(), r.metadata.clone())).collect();
    let infos = document::infos(&mut *db.pool().acquire().await?, rows).await?;
    Ok(infos.into_iter().zip(extra).map(|(info, (created_at, external_id, metadata))| LibraryDocument { info, created_at, external_id, metadata }).collect())
}

pub async fn get(db: &Db, actor: &Actor, id: &DocumentId) -> AppResult<LibraryDocument> {
    scope::document(db, actor, id).await?;
    let sql = format!("SELECT {DOCUMENT_COLUMNS} FROM documents d WHERE d.id = $1");
    let row: DocumentRow = sqlx::query_as(&sql).bind(id).fetch_one(db.pool()).await?;
    library(db, vec![row]).await?.pop().ok_or_else(|| AppError::not_found("Document"))
}

/// Changes the integrator's reference of a document.
pub async fn set_reference(db: &Db, actor: &Actor, id: &DocumentId, reference: &ReferenceChange) -> AppResult<()> {
    let mut tx = db.begin().await?;
    if !scope::document_visible(&mut tx, actor, id).await? {
        return Err(AppError::not_found("Document"));
    }
    reference.apply(&mut tx, actor, Owner::Document, id.as_str()).await?;
    tx.commit().await?;
    Ok(())
}

/// What to find in the library; every condition given must hold.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub external_id: Option<String>,
    /// Words of the name (case-insensitive, anywhere).
    pub name: Option<String>,
    pub created_after: Option<Timestamp>,
    pub created_before: Option<Timestamp>,
}

/// One page of the caller's documents matching `filter`, newest first, and the cursor of
/// the next page when more follow.
pub async fn list(db: &Db, actor: &Actor, filter: &Filter, page: &Page) -> AppResult<(Vec<LibraryDocument>, Option<Cursor>)> {
    let mut c = Conditions::scoped(actor, "d");
    if let Some(e) = &filter.external_id {
        let p = c.param(e.trim());
        c.push(format!("d.external_id = {p}"));
    }
    if let Some(words) = filter.name.as_deref().filter(|w| !w.trim().is_empty()) {
        let p = c.param(contains_pattern(words));
        c.push(format!("LOWER(d.name) LIKE {p} ESCAPE '\\'"));
    }
    c.range("d.created_at", filter.created_after, filter.created_before);
    let select = format!("SELECT {DOCUMENT_COLUMNS} FROM documents d");
    let (rows, next) = c.fetch_page::<DocumentRow>(db, &select, page, |r| (r.created_at, r.id.to_string())).await?;
    Ok((library(db, rows).await?, next))
}

/// Deletes a document no envelope uses; its stored bytes go when no other document shares them.
pub async fn delete(st: &AppState, actor: &Actor, id: &DocumentId) -> AppResult<()> {
    scope::document(&st.db, actor, id).await?;
    let mut tx = st.db.begin().await?;
    let used: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM envelope_documents WHERE document_id = $1").bind(id).fetch_one(&mut *tx).await?;
    if used > 0 {
        return Err(AppError::new(ErrorCode::DocumentInUse, "An envelope uses this document; remove it from the envelope first"));
    }
    let in_templates: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM template_documents WHERE document_id = $1").bind(id).fetch_one(&mut *tx).await?;
    if in_templates > 0 {
        return Err(AppError::new(ErrorCode::DocumentInUse, "A template uses this document; remove it from the template first"));
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
