//! What callers see of envelopes: the editor's draft, the sender's detail (progress, audit log
//! and its integrity, sealed results), and the lists — each loaded in a constant number of
//! queries.

use super::contents::Contents;
use super::row::Envelope;
use crate::actor::Actor;
use crate::api::scope;
use crate::audit;
use crate::error::{AppError, AppResult};
use crate::ids::{DocumentId, EnvelopeId};
use crate::infra::db::{Db, Timestamp};
use crate::model::{AuditEntry, AuditIntegrity, EnvelopeDetail, EnvelopeDraft, EnvelopeStatus, EnvelopeSummary, SealedDocument};
use std::collections::HashMap;

/// An envelope with everything it holds, its audit log and its sealed results.
pub struct Overview {
    pub envelope: Envelope,
    pub contents: Contents,
    pub events: Vec<AuditEntry>,
    pub integrity: AuditIntegrity,
    pub sealed: Vec<SealedDocument>,
}

#[derive(sqlx::FromRow)]
struct SealedRow {
    envelope_id: EnvelopeId,
    document_id: DocumentId,
    name: String,
    original_sha256: String,
    sealed_sha256: String,
}

impl Overview {
    /// For a caller who may see the envelope (else 404).
    pub async fn load(db: &Db, actor: &Actor, id: &EnvelopeId) -> AppResult<Self> {
        let mut conn = db.pool().acquire().await?;
        let envelope = Envelope::find_for(&mut conn, actor, id).await?;
        let contents = Contents::load(&mut conn, id).await?;
        let mut logs = audit::events_of(&mut conn, &[(id.clone(), (envelope.audit_seq, envelope.audit_head.clone()))]).await?;
        let (events, integrity) = logs.remove(id).ok_or_else(|| AppError::internal_msg("the audit log was not read"))?;
        let mut sealed = sealed_of(&mut conn, std::slice::from_ref(&envelope)).await?;
        Ok(Self { contents, events, integrity, sealed: sealed.remove(id).unwrap_or_default(), envelope })
    }

    /// Those of `ids` the caller may see, in the order given, in a constant number of queries.
    pub async fn load_many(db: &Db, actor: &Actor, ids: &[EnvelopeId]) -> AppResult<Vec<Self>> {
        let mut conn = db.pool().acquire().await?;
        let mut envelopes: HashMap<EnvelopeId, Envelope> =
            Envelope::find_many_for(&mut conn, actor, ids).await?.into_iter().map(|e| (e.id.clone(), e)).collect();
        let found: Vec<EnvelopeId> = ids.iter().filter(|id| envelopes.contains_key(*id)).cloned().collect();
        let mut contents = Contents::load_many(&mut conn, &found).await?;
        let kept: Vec<(EnvelopeId, audit::Kept)> = found.iter().map(|id| (id.clone(), (envelopes[id].audit_seq, envelopes[id].audit_head.clone()))).collect();
        let mut logs = audit::events_of(&mut conn, &kept).await?;
        let rows: Vec<Envelope> = found.iter().map(|id| envelopes[id].clone()).collect();
        let mut sealed = sealed_of(&mut conn, &rows).await?;
        Ok(found
            .iter()
            .filter_map(|id| {
                let envelope = envelopes.remove(id)?;
                let (events, integrity) = logs.remove(id)?;
                Some(Self { contents: contents.remove(id)?, events, integrity, sealed: sealed.remove(id).unwrap_or_default(), envelope })
            })
            .collect())
    }

    /// The sender's view.
    pub fn detail(&self) -> EnvelopeDetail {
        let e = &self.envelope;
        let ts = |t: Option<Timestamp>| t.map(|t| t.to_db());
        EnvelopeDetail {
            id: e.id.clone(),
            name: e.name.clone(),
            status: e.reported_status(),
            message: e.message.clone(),
            signing_order: e.signing_order,
            sent_at: ts(e.sent_at),
            expires_at: ts(e.expires_at),
            // Completed only once the sealed documents download (until then it is `sealing`).
            completed_at: ts(e.completed_at.filter(|_| e.is_sealed())),
            cancelled_at: ts(e.cancelled_at),
            cancel_reason: e.cancel_reason.clone(),
            reminder_days: e.reminder_days,
            fieldless: e.fieldless,
            documents: self.contents.documents.clone(),
            recipients: self.contents.recipients.iter().map(|r| r.progress()).collect(),
            field_count: self.contents.fields.len(),
            events: self.events.clone(),
            audit_integrity: self.integrity.clone(),
            seal_status: e.seal_status,
            seal_error: e.seal_error.clone(),
            sealed_documents: self.sealed.clone(),
            audit_trail_sha256: e.audit_trail_sha256.clone(),
        }
    }
}

/// The sender's view of an envelope.
pub async fn detail(db: &Db, actor: &Actor, id: &EnvelopeId) -> AppResult<EnvelopeDetail> {
    Ok(Overview::load(db, actor, id).await?.detail())
}

/// The sealed documents of those envelopes that are sealed, in each envelope's order.
async fn sealed_of(conn: &mut sqlx::AnyConnection, envelopes: &[Envelope]) -> AppResult<HashMap<EnvelopeId, Vec<SealedDocument>>> {
    let sealed: Vec<&EnvelopeId> = envelopes.iter().filter(|e| e.is_sealed()).map(|e| &e.id).collect();
    let mut out: HashMap<EnvelopeId, Vec<SealedDocument>> = HashMap::new();
    if sealed.is_empty() {
        return Ok(out);
    }
    let sql = format!(
        "SELECT s.envelope_id, s.document_id, d.name, s.original_sha256, s.sealed_sha256 FROM sealed_documents s JOIN documents d ON d.id = s.document_id \
         JOIN envelope_documents ed ON ed.envelope_id = s.envelope_id AND ed.document_id = s.document_id \
         WHERE s.envelope_id IN ({}) ORDER BY s.envelope_id, ed.position",
        crate::infra::db::marks(1, sealed.len())
    );
    let mut q = sqlx::query_as::<_, SealedRow>(&sql);
    for id in sealed {
        q = q.bind(id);
    }
    for r in q.fetch_all(conn).await? {
        out.entry(r.envelope_id).or_default().push(SealedDocument {
            document_id: r.document_id,
            name: r.name,
            original_sha256: r.original_sha256,
            sealed_sha256: r.sealed_sha256,
        });
    }
    Ok(out)
}

/// Everything the editor shows, for a caller who may see the envelope (else 404).
pub async fn editor(db: &Db, actor: &Actor, id: &EnvelopeId) -> AppResult<EnvelopeDraft> {
    let mut conn = db.pool().acquire().await?;
    let envelope = Envelope::find_for(&mut conn, actor, id).await?;
    let c = Contents::load(&mut conn, id).await?;
    Ok(EnvelopeDraft {
        status: envelope.reported_status(),
        id: envelope.id,
        name: envelope.name,
        version: envelope.version,
        documents: c.documents,
        recipients: c.recipients.iter().map(|r| r.draft()).collect(),
        fields: c.fields,
    })
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: EnvelopeId,
    name: String,
    status: EnvelopeStatus,
    seal_status: Option<crate::model::SealStatus>,
    expires_at: Option<Timestamp>,
    updated_at: Timestamp,
}

/// The caller's contracts, most recently changed first (at most 500).
pub async fn list(db: &Db, actor: &Actor) -> AppResult<Vec<EnvelopeSummary>> {
    let mut conn = db.pool().acquire().await?;
    let sql = format!(
        "SELECT t.id, t.name, t.status, t.seal_status, t.expires_at, t.updated_at FROM envelopes t WHERE {} ORDER BY t.updated_at DESC, t.id DESC LIMIT 500",
        scope::list_condition(actor, "t")
    );
    let mut q = sqlx::query_as::<_, SummaryRow>(&sql).bind(&actor.organization_id).bind(actor.mode);
    if let Some(c) = &actor.client_id {
        q = q.bind(c);
    }
    let rows = q.fetch_all(&mut *conn).await?;
    let now = Timestamp::now();
    // The documents' and recipients' names of all of them, one query each.
    let scoped = format!("SELECT t.id FROM envelopes t WHERE {}", scope::list_condition(actor, "t"));
    let mut documents: HashMap<EnvelopeId, Vec<String>> = HashMap::new();
    let sql = format!(
        "SELECT ed.envelope_id, d.name FROM envelope_documents ed JOIN documents d ON d.id = ed.document_id \
         WHERE ed.envelope_id IN ({scoped}) ORDER BY ed.envelope_id, ed.position"
    );
    for (e, n) in names(&mut conn, actor, &sql).await? {
        documents.entry(e).or_default().push(n);
    }
    let mut recipients: HashMap<EnvelopeId, Vec<String>> = HashMap::new();
    let sql = format!("SELECT r.envelope_id, r.name FROM recipients r WHERE r.envelope_id IN ({scoped}) ORDER BY r.envelope_id, r.position");
    for (e, n) in names(&mut conn, actor, &sql).await? {
        recipients.entry(e).or_default().push(n);
    }
    Ok(rows
        .into_iter()
        .map(|r| EnvelopeSummary {
            documents: documents.remove(&r.id).unwrap_or_default(),
            recipients: recipients.remove(&r.id).unwrap_or_default(),
            status: r
                .status
                .reported(r.seal_status == Some(crate::model::SealStatus::Sealed), r.status == EnvelopeStatus::Sent && r.expires_at.is_some_and(|e| e <= now)),
            id: r.id,
            name: r.name,
            updated_at: r.updated_at.to_db(),
        })
        .collect())
}

/// (envelope, name) pairs from `sql`, whose parameters are the caller's scope.
async fn names(conn: &mut sqlx::AnyConnection, actor: &Actor, sql: &str) -> AppResult<Vec<(EnvelopeId, String)>> {
    let mut q = sqlx::query_as::<_, (EnvelopeId, String)>(sql).bind(&actor.organization_id).bind(actor.mode);
    if let Some(c) = &actor.client_id {
        q = q.bind(c);
    }
    Ok(q.fetch_all(conn).await?)
}
