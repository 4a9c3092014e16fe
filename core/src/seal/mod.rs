//! Sealing: once everyone has signed, a persisted job writes every value and signature into
//! each document (as laid out for what the document already carries: `base`), appends the
//! audit trail, signs the result (PAdES, applied last), stores it, issues the audit trail as a
//! PDF of its own, and records it all with the `sealed` transition, which mails everyone.
//!
//! The job can stop anywhere and run again. A sealed file is stored under its own hash and
//! recorded once: a second run's file of the same document goes to another name and is
//! dropped, so the recorded hash is always the hash of the bytes served.

mod base;
pub mod cms;
pub mod compose;
mod evidence;
pub mod files;
pub mod keys;
pub mod sign;
pub mod signature_page;
pub mod trail;
pub mod tsa;
pub mod verify;

use crate::document::sha256_hex;
use crate::envelope::transition::{self, Sealed};
use crate::error::{AppError, AppResult};
use crate::geometry::{FieldRect, PageGeometry};
use crate::i18n::both::TEST_NOTICE;
use crate::ids::{DocumentId, EnvelopeId};
use crate::infra::blocking::spawn_blocking_with_tracing;
use crate::infra::claim::Claim;
use crate::infra::db::Timestamp;
use crate::infra::jobs::JobError;
use crate::infra::storage::BlobKey;
use crate::model::EnvelopeStatus;
use crate::state::AppState;
pub use base::{prepare_base, Layout};
use compose::{Mark, Placed, Resources};
use evidence::{Evidence, SealDoc};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// The job handler.
pub fn handle<'a>(st: &'a AppState, claim: &'a Claim, payload: &'a Value) -> Pin<Box<dyn Future<Output = Result<(), JobError>> + Send + 'a>> {
    Box::pin(async move {
        let id = payload["envelope"].as_str().and_then(|s| EnvelopeId::parse(s).ok());
        let Some(id) = id else {
            return Err(JobError { error: AppError::internal_msg("seal job without an envelope"), retry: false });
        };
        match seal_envelope(st, &id, claim).await {
            Ok(()) => Ok(()),
            Err(error) => {
                // Visible on the contract page until a retry succeeds.
                if let Err(e) = transition::seal_failed(&st.db, &id, &error.message).await {
                    tracing::warn!(error = %e.message, "recording a failed seal");
                }
                Err(JobError { error, retry: true })
            }
        }
    })
}

/// Prepares one document for its signature: marks, trail pages, signature dictionary, laid
/// out so that the document's earlier signatures stay valid (see `Layout`). Runs off the async
/// runtime; the signature itself follows (`finish_signature`).
pub fn seal_document(
    base: &[u8],
    layout: Layout,
    geometry: &[PageGeometry],
    marks: &[Placed],
    form: &[compose::FormEntry],
    trail: &trail::Trail,
    info: &sign::SignInfo<'_>,
) -> anyhow::Result<sign::Prepared> {
    match layout {
        Layout::Pages => {
            let mut res = Resources::default();
            let pages = trail::pages(trail, &mut res)?;
            let composed = compose::compose(base, geometry, marks, form, pages, res)?;
            sign::prepare(&composed, info, None)
        }
        Layout::SealAppearance => sign::prepare(base, info, Some(sign::Appearance { geometry, marks })),
        Layout::Untouched => sign::prepare(base, info, None),
    }
}

/// Signs a prepared file, with a timestamp when a TSA is configured.
async fn finish_signature(st: &AppState, key: &keys::SealKey, prepared: sign::Prepared) -> AppResult<Vec<u8>> {
    let parts = cms::sign_attributes(key, &prepared.digest)?;
    let token = match &st.settings.tsa_url {
        Some(url) => Some(tsa::timestamp(url, &parts.signature).await.map_err(|e| {
            tracing::warn!(error = %format!("{e:#}"), "timestamp authority");
            AppError::new(crate::error::ErrorCode::TimestampFailed, format!("{e:#}"))
        })?),
        None => None,
    };
    Ok(prepared.embed(&cms::assemble(key, parts, token)?)?)
}

/// What every document's seal says about itself.
struct SealInfo {
    key: Arc<keys::SealKey>,
    field: String,
    reason: String,
    location: String,
}

impl SealInfo {
    fn new(st: &AppState, key: keys::SealKey, ev: &Evidence) -> Self {
        let id = &ev.envelope.id;
        // A test envelope says so in the signature itself too, whatever its pages show.
        let reason =
            if ev.envelope.is_test() { format!("{TEST_NOTICE} · Sealed by Dojang · envelope {id}") } else { format!("Sealed by Dojang · envelope {id}") };
        Self { key: Arc::new(key), field: format!("Dojang seal {}", &id.as_str()[..8]), reason, location: st.settings.public_url.clone() }
    }
}

/// Seals envelope `id` under the job's `claim`: its record (the `sealed` transition) is
/// written only while the claim holds, so a run that outlived its claim records nothing.
pub async fn seal_envelope(st: &AppState, id: &EnvelopeId, claim: &Claim) -> AppResult<()> {
    let ev = Evidence::load(st, id).await?;
    if ev.envelope.status != EnvelopeStatus::Completed {
        return Err(AppError::internal_msg(format!("envelope {id} is not completed")));
    }
    if ev.envelope.is_sealed() {
        return Ok(());
    }
    let info = SealInfo::new(st, keys::active(&st.db, &st.settings.secret_key).await?, &ev);
    let mut sealed: HashMap<DocumentId, String> =
        sqlx::query_as::<_, (DocumentId, String)>("SELECT document_id, sealed_sha256 FROM sealed_documents WHERE envelope_id = $1")
            .bind(id)
            .fetch_all(st.db.pool())
            .await?
            .into_iter()
            .collect();
    let trail = Arc::new(ev.trail(&HashMap::new()));
    for doc in &ev.docs {
        if !sealed.contains_key(&doc.row.id) {
            let sha = seal_one(st, &ev, doc, &info, trail.clone()).await?;
            sealed.insert(doc.row.id.clone(), sha);
        }
    }
    let (trail_key, trail_sha256) = seal_trail(st, &ev, &sealed, &info).await?;
    let hashes: Vec<Value> =
        ev.docs.iter().map(|d| json!({ "document": d.row.id, "original_sha256": d.row.sha256, "sealed_sha256": sealed.get(&d.row.id) })).collect();
    let evidence = json!({ "documents": hashes, "audit_trail_sha256": trail_sha256, "certificate": info.key.subject });
    let mut tx = st.db.begin().await?;
    if !claim.holds(&mut tx).await? {
        drop(tx);
        if let Err(e) = st.storage.delete(&BlobKey::new(&trail_key)?).await {
            tracing::warn!(error = ?e, "dropping the audit trail of a seal whose claim lapsed");
        }
        return Err(AppError::internal_msg(format!("the seal job of envelope {id} lost its claim; its new holder seals it")));
    }
    transition::sealed(st, &mut tx, id, &Sealed { trail_key, trail_sha256, evidence }).await?;
    tx.commit().await?;
    st.wake_outboxes();
    drop_unrecorded(st, id).await;
    Ok(())
}

/// Once an envelope is sealed: deletes the files of its folders that its record does not name —
/// the leftovers of a run that stored a file and died before recording it (a killed process, a
/// lapsed claim). Failures are only logged: a leftover is never served, only stored.
async fn drop_unrecorded(st: &AppState, id: &EnvelopeId) {
    let recorded: Result<Vec<String>, sqlx::Error> = sqlx::query_scalar(
        "SELECT storage_key FROM sealed_documents WHERE envelope_id = $1 UNION SELECT audit_trail_key FROM envelopes WHERE id = $1 AND audit_trail_key IS NOT NULL",
    )
    .bind(id)
    .fetch_all(st.db.pool())
    .await;
    let Ok(recorded) = recorded else { return };
    for folder in [format!("sealed/{id}"), format!("trails/{id}")] {
        let listed: Vec<(BlobKey, u64)> = match futures::TryStreamExt::try_collect(st.storage.list(Some(&folder))).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = ?e, "listing sealed files");
                continue;
            }
        };
        for (key, _) in listed.into_iter().filter(|(k, _)| !recorded.iter().any(|r| r == k.as_str())) {
            tracing::info!(envelope_id = %id, key = key.as_str(), "dropping a sealed file no record names");
            if let Err(e) = st.storage.delete(&key).await {
                tracing::warn!(error = ?e, "dropping a sealed file no record names");
            }
        }
    }
}

/// Seals one document and records it; returns the recorded hash (the first run's, when two
/// runs raced: the other's file is dropped).
async fn seal_one(st: &AppState, ev: &Evidence, doc: &SealDoc, info: &SealInfo, trail: Arc<trail::Trail>) -> AppResult<String> {
    let id = &ev.envelope.id;
    let (base, layout) = prepare_base(st, ev.original(st, doc).await?).await?;
    let mut placed: Vec<Placed> =
        ev.marks.iter().filter(|m| m.document_id == doc.row.id).map(|m| Placed { page: m.page, rect: m.rect, mark: m.mark.clone() }).collect();
    if ev.envelope.is_test() {
        placed.extend((0..doc.geometry.len() as u32).map(|page| Placed {
            page,
            rect: FieldRect { x: 0.05, y: 0.004, width: 0.9, height: 0.022 },
            mark: Mark::Notice(TEST_NOTICE.to_owned()),
        }));
    }
    let form: Vec<compose::FormEntry> = ev.form.iter().filter(|(d, _)| *d == doc.row.id).map(|(_, e)| e.clone()).collect();
    let geometry: Vec<PageGeometry> = doc.geometry.clone();
    let (field, reason, location) = (info.field.clone(), info.reason.clone(), info.location.clone());
    let time = sign::pdf_date(time::OffsetDateTime::now_utc());
    let prepared = spawn_blocking_with_tracing(move || {
        let info = sign::SignInfo { field_name: &field, reason: &reason, location: &location, name: "Dojang", time };
        seal_document(&base, layout, &geometry, &placed, &form, &trail, &info)
    })
    .await??;
    let bytes = finish_signature(st, &info.key, prepared).await?;
    let sha = sha256_hex(&bytes);
    let storage_key = format!("sealed/{id}/{}-{sha}.pdf", doc.row.id);
    let size_bytes = bytes.len() as i64;
    st.storage.put(&BlobKey::new(&storage_key)?, bytes).await?;
    sqlx::query(
        "INSERT INTO sealed_documents (envelope_id, document_id, original_sha256, sealed_sha256, storage_key, size_bytes, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (envelope_id, document_id) DO NOTHING",
    )
    .bind(id)
    .bind(&doc.row.id)
    .bind(&doc.row.sha256)
    .bind(&sha)
    .bind(&storage_key)
    .bind(size_bytes)
    .bind(Timestamp::now())
    .execute(st.db.pool())
    .await?;
    let recorded: String = sqlx::query_scalar("SELECT sealed_sha256 FROM sealed_documents WHERE envelope_id = $1 AND document_id = $2")
        .bind(id)
        .bind(&doc.row.id)
        .fetch_one(st.db.pool())
        .await?;
    if recorded != sha {
        // Another run recorded its file first: this one is not the sealed document.
        if let Err(e) = st.storage.delete(&BlobKey::new(&storage_key)?).await {
            tracing::warn!(error = ?e, "dropping a second seal's file");
        }
    }
    tracing::info!(envelope_id = %id, document_id = %doc.row.id, sha256 = %recorded, "document sealed");
    Ok(recorded)
}

/// The audit trail on its own, with the sealed files' hashes, signed too; stored under its
/// hash. Returns its storage key and hash.
async fn seal_trail(st: &AppState, ev: &Evidence, sealed: &HashMap<DocumentId, String>, info: &SealInfo) -> AppResult<(String, String)> {
    let id = &ev.envelope.id;
    let standalone = ev.trail(sealed);
    let time = sign::pdf_date(time::OffsetDateTime::now_utc());
    let reason = if ev.envelope.is_test() { format!("{TEST_NOTICE} · Audit trail · envelope {id}") } else { format!("Audit trail · envelope {id}") };
    let location = info.location.clone();
    let prepared = spawn_blocking_with_tracing(move || {
        let pdf = trail::standalone(&standalone)?;
        let info = sign::SignInfo { field_name: "Dojang audit trail", reason: &reason, location: &location, name: "Dojang", time };
        sign::prepare(&pdf, &info, None)
    })
    .await??;
    let pdf = finish_signature(st, &info.key, prepared).await?;
    let sha = sha256_hex(&pdf);
    let key = format!("trails/{id}/{sha}.pdf");
    st.storage.put(&BlobKey::new(&key)?, pdf).await?;
    Ok((key, sha))
}
