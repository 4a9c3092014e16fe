//! What callers see of envelopes: the editor's draft, the sender's detail (progress, audit log
//! and its integrity, sealed results), and the lists — each loaded in a constant number of
//! queries.

use super::contents::{Contents, ContentsJson};
use super::row::Envelope;
use crate::actor::Actor;
use crate::api::scope;
use crate::audit;
use crate::error::{AppError, AppResult};
use crate::ids::EnvelopeId;
use crate::infra::db::{json, Backend, Db, Timestamp};
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

/// An envelope row with all it holds and its log, as `Overview::load_many` reads them.
#[derive(sqlx::FromRow)]
struct OverviewRow {
    #[sqlx(flatten)]
    envelope: Envelope,
    #[sqlx(flatten)]
    contents: ContentsJson,
    audit_json: Option<String>,
    sealed_json: Option<String>,
}

impl Overview {
    /// For a caller who may see the envelope (else 404); its events when wanted (its log is
    /// checked either way).
    pub async fn load(db: &Db, actor: &Actor, id: &EnvelopeId, wanted: audit::Wanted) -> AppResult<Self> {
        Self::load_many(db, actor, std::slice::from_ref(id), wanted).await?.pop().ok_or_else(|| AppError::not_found("Contract"))
    }

    /// Those of `ids` the caller may see, in the order given: the envelopes, what they hold,
    /// their logs and sealed results in one query.
    pub async fn load_many(db: &Db, actor: &Actor, ids: &[EnvelopeId], wanted: audit::Wanted) -> AppResult<Vec<Self>> {
        let mut conn = db.pool().acquire().await?;
        fn more(b: Backend, wanted: audit::Wanted) -> String {
            format!(", {}, {} AS audit_json, {} AS sealed_json", ContentsJson::columns(b), audit::events_column(b, wanted), sealed_column(b))
        }
        static WITH_EVENTS: json::Sql = json::Sql::new(|b| more(b, audit::Wanted::Events));
        static INTEGRITY: json::Sql = json::Sql::new(|b| more(b, audit::Wanted::Integrity));
        let more = match wanted {
            audit::Wanted::Events => WITH_EVENTS.get(Backend::of(&conn)),
            audit::Wanted::Integrity => INTEGRITY.get(Backend::of(&conn)),
        };
        let rows: Vec<OverviewRow> = Envelope::find_many_for(&mut conn, actor, ids, more).await?;
        let mut found: HashMap<EnvelopeId, Self> = HashMap::with_capacity(rows.len());
        for r in rows {
            let id = r.envelope.id.clone();
            let kept = (r.envelope.audit_seq, r.envelope.audit_head.clone());
            let (events, integrity) = audit::check_json(&id, r.audit_json.as_deref(), kept, wanted)?;
            // Results count once the envelope is sealed (a failed seal may have left some).
            let sealed = if r.envelope.is_sealed() { json::rows(r.sealed_json.as_deref(), "an envelope's sealed documents")? } else { Vec::new() };
            let overview = Self { contents: r.contents.decode()?, events, integrity, sealed, envelope: r.envelope };
            found.insert(id, overview);
        }
        Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
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
    Ok(Overview::load(db, actor, id, audit::Wanted::Events).await?.detail())
}

/// A column (correlated with the envelope row aliased `e`) holding its sealed documents in
/// the envelope's order as JSON (`SealedDocument`s).
fn sealed_column(backend: Backend) -> String {
    use crate::infra::db::json::Col::Plain;
    let object = json::object(
        backend,
        &[
            ("document_id", "s.document_id", Plain),
            ("name", "d.name", Plain),
            ("original_sha256", "s.original_sha256", Plain),
            ("sealed_sha256", "s.sealed_sha256", Plain),
        ],
    );
    json::array(
        backend,
        &object,
        "ed.position",
        "FROM sealed_documents s JOIN documents d ON d.id = s.document_id \
         JOIN envelope_documents ed ON ed.envelope_id = s.envelope_id AND ed.document_id = s.document_id WHERE s.envelope_id = e.id",
    )
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
