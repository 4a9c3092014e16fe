//! What a seal writes, read back and checked first: the envelope, its documents with their
//! pages, every filled field's mark and each signer's signature for the audit trail. Nothing
//! is sealed that does not match what was recorded: the audit chain must be whole, every value
//! must be the one its `field.filled` event recorded, every field a signer placed must lie where
//! its `field.placed` event put it, and every stored file (original, image) must have the hash
//! recorded for it.

use super::compose::{FormEntry, Mark};
use super::trail;
use crate::audit;
use crate::document::{sha256_hex, DocumentRow};
use crate::envelope::{Contents, Envelope};
use crate::error::{AppError, AppResult};
use crate::geometry::{FieldRect, PageGeometry};
use crate::ids::{DocumentId, EnvelopeId, FieldId, RecipientId};
use crate::infra::storage::BlobKey;
use crate::model::{AuditEntry, AuditIntegrity, DrawnSignature, FieldKind, Language};
use crate::pdf::acroform::FormValue;
use crate::pdf::font::FontKind;
use crate::signing::consent_text;
use crate::state::AppState;
use std::collections::HashMap;

/// A document to seal.
pub struct SealDoc {
    pub row: DocumentRow,
    pub geometry: Vec<PageGeometry>,
}

/// What a field shows.
pub struct FieldMark {
    pub document_id: DocumentId,
    pub page: u32,
    pub rect: FieldRect,
    pub mark: Mark,
}

pub struct Evidence {
    pub envelope: Envelope,
    pub contents: Contents,
    pub docs: Vec<SealDoc>,
    pub marks: Vec<FieldMark>,
    /// Values of named fields, for the documents' own form fields of those names.
    pub form: Vec<(DocumentId, FormEntry)>,
    /// One signature per recipient for the trail: the first signature field they signed.
    pub signatures: HashMap<RecipientId, Mark>,
    pub events: Vec<AuditEntry>,
    pub integrity: AuditIntegrity,
}

#[derive(sqlx::FromRow)]
struct ValueRow {
    field_id: FieldId,
    value: String,
    signature_id: Option<String>,
    recipient_id: RecipientId,
    purpose: Option<String>,
    method: Option<String>,
    strokes: Option<String>,
    typed_text: Option<String>,
    image_key: Option<String>,
    image_sha256: Option<String>,
}

fn altered(what: impl std::fmt::Display) -> AppError {
    let message = format!("Not sealed: {what} does not match what was recorded");
    tracing::error!(%message, "evidence check");
    AppError::new(crate::error::ErrorCode::EvidenceMismatch, message)
}

impl Evidence {
    pub async fn load(st: &AppState, id: &EnvelopeId) -> AppResult<Self> {
        let mut conn = st.db.pool().acquire().await?;
        let envelope = Envelope::find(&mut conn, id).await?;
        let contents = Contents::load(&mut conn, id).await?;
        let (events, integrity) = audit::events_in(&mut conn, id).await?;
        if !integrity.intact {
            return Err(altered("the audit log"));
        }
        let rows = crate::document::of_envelope(&mut conn, id).await?;
        let docs = rows
            .into_iter()
            .map(|row| {
                let geometry = contents.documents.iter().find(|d| d.id == row.id).map(|d| d.pages.iter().map(|p| p.geometry).collect()).unwrap_or_default();
                SealDoc { row, geometry }
            })
            .collect();
        let values: Vec<ValueRow> = sqlx::query_as(
            "SELECT v.field_id, v.value, v.signature_id, v.recipient_id, s.purpose, s.method, s.strokes, s.typed_text, s.image_key, s.image_sha256 \
             FROM field_values v JOIN fields f ON f.id = v.field_id LEFT JOIN signatures s ON s.id = v.signature_id \
             WHERE v.envelope_id = $1 ORDER BY f.position",
        )
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
        drop(conn);
        for (field, place) in recorded_placements(&events) {
            if contents.fields.iter().find(|f| f.id == field).map(|f| (f.document_id.clone(), f.page, f.rect)) != Some(place) {
                return Err(altered(format!("the place of field {field}")));
            }
        }
        let recorded = recorded_values(&events);
        // Fields over a text tag hide it first (the value, if any, is written on top).
        let mut marks: Vec<FieldMark> = contents
            .fields
            .iter()
            .filter_map(|f| f.cover.map(|rect| FieldMark { document_id: f.document_id.clone(), page: f.page, rect, mark: Mark::Cover }))
            .collect();
        let mut signatures = HashMap::new();
        let mut form = Vec::new();
        for v in values {
            if recorded.get(&v.field_id) != Some(&(v.value.clone(), v.signature_id.clone())) {
                return Err(altered(format!("the value of field {}", v.field_id)));
            }
            let Some(field) = contents.fields.iter().find(|f| f.id == v.field_id) else { continue };
            // An empty text leaves what the form held.
            let fills = !matches!(field.kind, FieldKind::Signature | FieldKind::Initials) && (field.kind == FieldKind::Checkbox || !v.value.is_empty());
            if let Some(name) = field.name.clone().filter(|_| fills) {
                let value = FormValue { name, kind: field.kind, value: v.value.clone() };
                form.push((field.document_id.clone(), FormEntry { page: field.page, rect: field.rect, value }));
            }
            let mark = match field.kind {
                FieldKind::Signature | FieldKind::Initials => match signature_mark(st, &v).await? {
                    Some(m) => m,
                    None => continue,
                },
                FieldKind::Checkbox if v.value == "true" => Mark::Check,
                FieldKind::Checkbox => continue,
                _ if v.value.is_empty() => continue,
                _ => Mark::Text { text: v.value.clone(), font: FontKind::Text },
            };
            if field.kind == FieldKind::Signature && v.purpose.as_deref() == Some("signature") {
                signatures.entry(v.recipient_id.clone()).or_insert_with(|| mark.clone());
            }
            marks.push(FieldMark { document_id: field.document_id.clone(), page: field.page, rect: field.rect, mark });
        }
        Ok(Self { envelope, contents, docs, marks, form, signatures, events, integrity })
    }

    /// The audit trail, with the sealed files' hashes once they are known.
    pub fn trail(&self, sealed: &HashMap<DocumentId, String>) -> trail::Trail {
        let e = &self.envelope;
        trail::Trail {
            envelope_id: e.id.to_string(),
            name: e.name.clone(),
            organization: e.organization_name.clone(),
            sender: format!("{} <{}>", e.sender_name(), e.sender_email().unwrap_or("")),
            time_zone: e.time_zone.clone(),
            sent_at: e.sent_at,
            completed_at: e.completed_at,
            documents: self
                .docs
                .iter()
                .map(|d| trail::TrailDocument {
                    name: d.row.name.clone(),
                    pages: d.geometry.len(),
                    original_sha256: d.row.sha256.clone(),
                    sealed_sha256: sealed.get(&d.row.id).cloned(),
                })
                .collect(),
            recipients: self
                .contents
                .recipients
                .iter()
                .map(|r| trail::TrailRecipient {
                    signature: self.signatures.get(&r.id).cloned(),
                    name: r.name.clone(),
                    email: r.email.clone(),
                    role: r.role.as_str().to_owned(),
                    order: r.signing_order,
                    ip: r.signed_ip.clone(),
                    user_agent: r.signed_user_agent.clone(),
                    invited: r.invited_at,
                    viewed: r.viewed_at,
                    consented: r.consented_at,
                    signed: r.signed_at,
                    consent_version: r.consent_version.clone(),
                    checks: r.methods().iter().map(|m| m.as_str().to_owned()).collect(),
                    verified: r.verified_at,
                })
                .collect(),
            consent_text: format!("{}\n{}", consent_text(Language::Ko), consent_text(Language::En)),
            events: self.events.clone(),
            chain_head: self.integrity.head.clone(),
            chain_intact: self.integrity.intact,
            test_mode: e.is_test(),
            interim: false,
        }
    }

    /// A document's original bytes from storage, checked against its recorded hash.
    pub async fn original(&self, st: &AppState, doc: &SealDoc) -> AppResult<Vec<u8>> {
        let bytes = st
            .storage
            .get(&BlobKey::new(&doc.row.storage_key)?)
            .await?
            .ok_or_else(|| AppError::internal_msg(format!("document {} is missing from storage", doc.row.id)))?;
        if sha256_hex(&bytes) != doc.row.sha256 {
            return Err(altered(format!("the stored bytes of document {}", doc.row.id)));
        }
        Ok(bytes.into())
    }
}

/// Each field's value (and signature) as its `field.filled` event recorded it.
fn recorded_values(events: &[AuditEntry]) -> HashMap<FieldId, (String, Option<String>)> {
    events
        .iter()
        .filter(|e| e.kind == audit::AuditKind::FieldFilled.as_str())
        .filter_map(|e| {
            let field = FieldId::parse(e.data["field"].as_str()?).ok()?;
            let filled = &e.data["filled"];
            let signature = filled["signature"].as_str().map(str::to_owned);
            let value = if signature.is_some() { String::new() } else { filled["value"].as_str()?.to_owned() };
            Some((field, (value, signature)))
        })
        .collect()
}

/// Where each field a signer placed themselves was put, as its `field.placed` event recorded it.
fn recorded_placements(events: &[AuditEntry]) -> Vec<(FieldId, (DocumentId, u32, FieldRect))> {
    events
        .iter()
        .filter(|e| e.kind == audit::AuditKind::FieldPlaced.as_str())
        .filter_map(|e| {
            let field = FieldId::parse(e.data["field"].as_str()?).ok()?;
            let document = DocumentId::parse(e.data["document"].as_str()?).ok()?;
            let page = u32::try_from(e.data["page"].as_u64()?).ok()?;
            let rect: FieldRect = serde_json::from_value(e.data["rect"].clone()).ok()?;
            Some((field, (document, page, rect)))
        })
        .collect()
}

/// A signature field's mark: the strokes, the typed name, or the image (checked by its hash).
async fn signature_mark(st: &AppState, v: &ValueRow) -> AppResult<Option<Mark>> {
    Ok(Some(match v.method.as_deref() {
        Some("drawn") => {
            let d: DrawnSignature = serde_json::from_str(v.strokes.as_deref().unwrap_or("")).map_err(AppError::internal)?;
            Mark::Ink(d)
        }
        Some("typed") => Mark::Text { text: v.typed_text.clone().unwrap_or_default(), font: FontKind::Script },
        Some(_) => {
            let key = v.image_key.clone().unwrap_or_default();
            let png = st.storage.get(&BlobKey::new(&key)?).await?.ok_or_else(|| AppError::internal_msg(format!("signature image {key} missing")))?;
            if Some(sha256_hex(&png)) != v.image_sha256 {
                return Err(altered(format!("signature image {key}")));
            }
            Mark::Image(png.into())
        }
        None => return Ok(None),
    }))
}
