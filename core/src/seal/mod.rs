//! Sealing: once everyone has signed, a persisted job writes every value and signature into
//! each document, appends the audit trail, signs the result (PAdES, applied last), stores it,
//! issues the audit trail as a PDF of its own, and mails everyone the sealed documents.
//!
//! The job can stop anywhere and run again: each document's sealed file is stored under its
//! own name before it is recorded, and a document already recorded is not sealed twice.

mod base;
pub mod cms;
pub mod compose;
pub mod keys;
pub mod sign;
pub mod trail;
pub mod tsa;
pub mod verify;

use crate::audit::{self, Origin};
use crate::blocking::spawn_blocking_with_tracing;
use crate::db::{Timestamp, Tx};
use crate::documents::sha256_hex;
use crate::error::{AppError, AppResult};
use crate::geometry::{FieldRect, PageGeometry};
use crate::ids::{DocumentId, EnvelopeId};
use crate::jobs::{self, JobError};
use crate::mail::outbox::{self, AttachmentRef, NewEmail};
use crate::model::{DrawnSignature, FieldKind, Language};
use crate::pdf::font::FontKind;
use crate::signing::{consent_text, envelope_ctx};
use crate::state::AppState;
use crate::storage::BlobKey;
pub use base::{prepare_base, Layout};
use compose::{Mark, Placed, Resources};
use serde_json::{json, Value};
use std::future::Future;
use std::pin::Pin;

pub const JOB_KIND: &str = "seal";

/// Queues the sealing of a completed envelope (inside the completing transaction).
pub async fn enqueue(tx: &mut Tx, envelope_id: &EnvelopeId) -> AppResult<()> {
    sqlx::query("UPDATE envelopes SET seal_status = 'pending' WHERE id = $1").bind(envelope_id).execute(&mut **tx).await?;
    jobs::enqueue(tx, JOB_KIND, &json!({ "envelope": envelope_id })).await?;
    Ok(())
}

/// The job handler.
pub fn handle<'a>(st: &'a AppState, _job: &'a str, payload: &'a Value) -> Pin<Box<dyn Future<Output = Result<(), JobError>> + Send + 'a>> {
    Box::pin(async move {
        let id = payload["envelope"].as_str().and_then(|s| EnvelopeId::parse(s).ok());
        let Some(id) = id else {
            return Err(JobError { error: AppError::internal_msg("seal job without an envelope"), retry: false });
        };
        match seal_envelope(st, &id).await {
            Ok(()) => Ok(()),
            Err(error) => {
                // Visible on the contract page until a retry succeeds.
                let _ = sqlx::query("UPDATE envelopes SET seal_status = 'retrying', seal_error = $2 WHERE id = $1")
                    .bind(&id)
                    .bind(&error.message)
                    .execute(st.db.pool())
                    .await;
                Err(JobError { error, retry: true })
            }
        }
    })
}

struct DocRow {
    id: DocumentId,
    name: String,
    sha256: String,
    storage_key: String,
    geometry: Vec<PageGeometry>,
}

/// What a field shows, by field id.
struct FieldMark {
    document_id: DocumentId,
    page: u32,
    rect: FieldRect,
    mark: Mark,
}

async fn load_documents(st: &AppState, id: &EnvelopeId) -> AppResult<Vec<DocRow>> {
    let rows: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT d.id, d.name, d.sha256, d.storage_key FROM envelope_documents ed JOIN documents d ON d.id = ed.document_id \
         WHERE ed.envelope_id = $1 ORDER BY ed.position",
    )
    .bind(id)
    .fetch_all(st.db.pool())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for (did, name, sha256, storage_key) in rows {
        let pages: Vec<(f64, f64, f64, f64, i64)> = sqlx::query_as(
            "SELECT box_left, box_bottom, box_right, box_top, rotation FROM document_pages WHERE document_id = $1 ORDER BY page_index",
        )
        .bind(&did)
        .fetch_all(st.db.pool())
        .await?;
        out.push(DocRow {
            id: DocumentId::parse(&did)?,
            name,
            sha256,
            storage_key,
            geometry: pages.into_iter().map(|(l, b, r, t, rot)| PageGeometry { left: l, bottom: b, right: r, top: t, rotation: rot as u16 }).collect(),
        });
    }
    Ok(out)
}

type ValueRow = (String, i64, f64, f64, f64, f64, String, String, Option<String>, Option<String>, Option<String>, Option<String>);

/// Every filled field's mark; signatures also by recipient (for the audit trail).
async fn load_marks(st: &AppState, id: &EnvelopeId) -> AppResult<(Vec<FieldMark>, std::collections::HashMap<String, Mark>)> {
    let rows: Vec<ValueRow> = sqlx::query_as(
        "SELECT f.document_id, f.page_index, f.x, f.y, f.width, f.height, f.kind, v.value, s.method, s.strokes, s.typed_text, s.image_key \
         FROM field_values v JOIN fields f ON f.id = v.field_id LEFT JOIN signatures s ON s.id = v.signature_id \
         WHERE v.envelope_id = $1 ORDER BY f.position",
    )
    .bind(id)
    .fetch_all(st.db.pool())
    .await?;
    let mut marks = Vec::with_capacity(rows.len());
    for (doc, page, x, y, w, h, kind, value, method, strokes, typed, image) in rows {
        let kind = FieldKind::parse(&kind).unwrap_or(FieldKind::Text);
        let mark = match kind {
            FieldKind::Signature | FieldKind::Initials => match method.as_deref() {
                Some("drawn") => {
                    let d: DrawnSignature = serde_json::from_str(strokes.as_deref().unwrap_or("")).map_err(AppError::internal)?;
                    Mark::Ink(d)
                }
                Some("typed") => Mark::Text { text: typed.unwrap_or_default(), font: FontKind::Script },
                Some(_) => {
                    let key = image.unwrap_or_default();
                    let png = st.storage.get(&BlobKey::new(&key)?).await?.ok_or_else(|| AppError::internal_msg(format!("signature image {key} missing")))?;
                    Mark::Image(png)
                }
                None => continue,
            },
            FieldKind::Checkbox if value == "true" => Mark::Check,
            FieldKind::Checkbox => continue,
            _ if value.is_empty() => continue,
            _ => Mark::Text { text: value, font: FontKind::Text },
        };
        marks.push(FieldMark { document_id: DocumentId::parse(&doc)?, page: page as u32, rect: FieldRect { x, y, width: w, height: h }, mark });
    }
    // One signature image per recipient for the trail: the first signature field they signed.
    let sigs: Vec<(String, String, Option<String>, Option<String>, String)> = sqlx::query_as(
        "SELECT recipient_id, method, strokes, typed_text, image_key FROM signatures WHERE envelope_id = $1 AND purpose = 'signature' ORDER BY created_at",
    )
    .bind(id)
    .fetch_all(st.db.pool())
    .await?;
    let mut by_recipient = std::collections::HashMap::new();
    for (rid, method, strokes, typed, key) in sigs {
        if by_recipient.contains_key(&rid) {
            continue;
        }
        let mark = match method.as_str() {
            "drawn" => Mark::Ink(serde_json::from_str(strokes.as_deref().unwrap_or("")).map_err(AppError::internal)?),
            "typed" => Mark::Text { text: typed.unwrap_or_default(), font: FontKind::Script },
            _ => match st.storage.get(&BlobKey::new(&key)?).await? {
                Some(png) => Mark::Image(png),
                None => continue,
            },
        };
        by_recipient.insert(rid, mark);
    }
    Ok((marks, by_recipient))
}

type RecipientRow = (String, String, String, String, i64, Option<String>, Option<String>, Option<Timestamp>, Option<Timestamp>, Option<Timestamp>, Option<Timestamp>, Option<String>);

async fn build_trail(
    st: &AppState,
    id: &EnvelopeId,
    docs: &[DocRow],
    sealed: &std::collections::HashMap<DocumentId, String>,
    signatures: &std::collections::HashMap<String, Mark>,
) -> AppResult<trail::Trail> {
    let ctx = envelope_ctx(&st.db, id, None).await?;
    let times: (Option<Timestamp>, Option<Timestamp>) =
        sqlx::query_as("SELECT sent_at, completed_at FROM envelopes WHERE id = $1").bind(id).fetch_one(st.db.pool()).await?;
    let rows: Vec<RecipientRow> = sqlx::query_as(
        "SELECT id, name, email, role, signing_order, signed_ip, signed_user_agent, invited_at, viewed_at, consented_at, signed_at, consent_version \
         FROM recipients WHERE envelope_id = $1 ORDER BY position",
    )
    .bind(id)
    .fetch_all(st.db.pool())
    .await?;
    let recipients = rows
        .into_iter()
        .map(|(rid, name, email, role, order, ip, ua, invited, viewed, consented, signed, version)| trail::TrailRecipient {
            signature: signatures.get(&rid).cloned(),
            name,
            email,
            role,
            order,
            ip,
            user_agent: ua,
            invited,
            viewed,
            consented,
            signed,
            consent_version: version,
        })
        .collect();
    let (events, integrity) = audit::events(&st.db, id).await?;
    let (chain_head, intact) = (integrity.head, integrity.intact);
    Ok(trail::Trail {
        envelope_id: id.to_string(),
        name: ctx.name.clone(),
        organization: ctx.organization_name.clone(),
        sender: format!("{} <{}>", ctx.sender_name, ctx.sender_email),
        time_zone: ctx.time_zone.clone(),
        sent_at: times.0,
        completed_at: times.1,
        documents: docs
            .iter()
            .map(|d| trail::TrailDocument {
                name: d.name.clone(),
                pages: d.geometry.len(),
                original_sha256: d.sha256.clone(),
                sealed_sha256: sealed.get(&d.id).cloned(),
            })
            .collect(),
        recipients,
        consent_text: format!("{}\n{}", consent_text(Language::Ko), consent_text(Language::En)),
        events,
        chain_head,
        chain_intact: intact,
        test_mode: ctx.mode == crate::model::Mode::Test,
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
    trail: &trail::Trail,
    info: &sign::SignInfo<'_>,
) -> anyhow::Result<sign::Prepared> {
    match layout {
        Layout::Pages => {
            let mut res = Resources::default();
            let pages = trail::pages(trail, &mut res)?;
            let composed = compose::compose(base, geometry, marks, pages, res)?;
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

/// Printed along the top of every page of an envelope made with a test API key.
pub use crate::model::TEST_NOTICE;

pub async fn seal_envelope(st: &AppState, id: &EnvelopeId) -> AppResult<()> {
    let status: Option<(String, Option<String>)> =
        sqlx::query_as("SELECT status, seal_status FROM envelopes WHERE id = $1").bind(id).fetch_optional(st.db.pool()).await?;
    match status.as_ref().map(|(s, ss)| (s.as_str(), ss.as_deref())) {
        Some(("completed", Some("sealed"))) => return Ok(()),
        Some(("completed", _)) => {}
        _ => return Err(AppError::internal_msg(format!("envelope {id} is not completed"))),
    }
    let key = std::sync::Arc::new(keys::active(&st.db, &st.settings.secret_key).await?);
    let mode: String = sqlx::query_scalar("SELECT mode FROM envelopes WHERE id = $1").bind(id).fetch_one(st.db.pool()).await?;
    let test_mode = mode == "test";
    let docs = load_documents(st, id).await?;
    let (marks, signatures) = load_marks(st, id).await?;
    let location = st.settings.public_url.clone();
    let reason = format!("Sealed by Dojang · envelope {id}");
    let mut sealed: std::collections::HashMap<DocumentId, String> = std::collections::HashMap::new();
    let done: Vec<(String, String)> = sqlx::query_as("SELECT document_id, sealed_sha256 FROM sealed_documents WHERE envelope_id = $1")
        .bind(id)
        .fetch_all(st.db.pool())
        .await?;
    for (d, sha) in done {
        sealed.insert(DocumentId::parse(&d)?, sha);
    }
    let trail_in_document = build_trail(st, id, &docs, &std::collections::HashMap::new(), &signatures).await?;
    let trail_in_document = std::sync::Arc::new(trail_in_document);

    for doc in &docs {
        if sealed.contains_key(&doc.id) {
            continue;
        }
        let original = st
            .storage
            .get(&BlobKey::new(&doc.storage_key)?)
            .await?
            .ok_or_else(|| AppError::internal_msg(format!("document {} is missing from storage", doc.id)))?;
        let (original, layout) = prepare_base(st, original).await?;
        let mut placed: Vec<Placed> = marks
            .iter()
            .filter(|m| m.document_id == doc.id)
            .map(|m| Placed { page: m.page, rect: m.rect, mark: m.mark.clone() })
            .collect();
        if test_mode {
            placed.extend((0..doc.geometry.len() as u32).map(|page| Placed {
                page,
                rect: FieldRect { x: 0.05, y: 0.004, width: 0.9, height: 0.022 },
                mark: Mark::Notice(TEST_NOTICE.to_owned()),
            }));
        }
        let geometry = doc.geometry.clone();
        let trail = trail_in_document.clone();
        let (reason, location) = (reason.clone(), location.clone());
        let field = format!("Dojang seal {}", &id.as_str()[..8]);
        let time = sign::pdf_date(time::OffsetDateTime::now_utc());
        let prepared = spawn_blocking_with_tracing(move || {
            let info = sign::SignInfo { field_name: &field, reason: &reason, location: &location, name: "Dojang", time };
            seal_document(&original, layout, &geometry, &placed, &trail, &info)
        })
        .await??;
        let bytes = finish_signature(st, &key, prepared).await?;
        let sha = sha256_hex(&bytes);
        // One name per document: an attempt cut short is replaced, never kept beside.
        let storage_key = format!("sealed/{id}/{}.pdf", doc.id);
        st.storage.put(&BlobKey::new(&storage_key)?, &bytes).await?;
        let now = Timestamp::now();
        sqlx::query(
            "INSERT INTO sealed_documents (envelope_id, document_id, original_sha256, sealed_sha256, storage_key, size_bytes, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (envelope_id, document_id) DO NOTHING",
        )
        .bind(id)
        .bind(&doc.id)
        .bind(&doc.sha256)
        .bind(&sha)
        .bind(&storage_key)
        .bind(bytes.len() as i64)
        .bind(now)
        .execute(st.db.pool())
        .await?;
        let recorded: String = sqlx::query_scalar("SELECT sealed_sha256 FROM sealed_documents WHERE envelope_id = $1 AND document_id = $2")
            .bind(id)
            .bind(&doc.id)
            .fetch_one(st.db.pool())
            .await?;
        tracing::info!(envelope_id = %id, document_id = %doc.id, sha256 = %recorded, "document sealed");
        sealed.insert(doc.id.clone(), recorded);
    }

    // The audit trail on its own, now with the sealed files' hashes, signed too.
    let standalone = build_trail(st, id, &docs, &sealed, &signatures).await?;
    let k = key.clone();
    let time = sign::pdf_date(time::OffsetDateTime::now_utc());
    let reason_t = format!("Audit trail · envelope {id}");
    let loc = location.clone();
    let prepared = spawn_blocking_with_tracing(move || {
        let pdf = trail::standalone(&standalone)?;
        let info = sign::SignInfo { field_name: "Dojang audit trail", reason: &reason_t, location: &loc, name: "Dojang", time };
        let _ = k;
        sign::prepare(&pdf, &info, None)
    })
    .await??;
    let trail_pdf = finish_signature(st, &key, prepared).await?;
    let trail_sha = sha256_hex(&trail_pdf);
    let trail_key = format!("trails/{id}.pdf");
    st.storage.put(&BlobKey::new(&trail_key)?, &trail_pdf).await?;

    let mut tx = st.db.begin().await?;
    let now = Timestamp::now();
    let res = sqlx::query(
        "UPDATE envelopes SET seal_status = 'sealed', seal_error = NULL, sealed_at = $2, audit_trail_key = $3, audit_trail_sha256 = $4, updated_at = $2 \
         WHERE id = $1 AND (seal_status IS NULL OR seal_status <> 'sealed')",
    )
    .bind(id)
    .bind(now)
    .bind(&trail_key)
    .bind(&trail_sha)
    .execute(&mut *tx)
    .await?;
    if res.rows_affected() == 1 {
        let hashes: Vec<Value> = docs
            .iter()
            .map(|d| json!({ "document": d.id, "original_sha256": d.sha256, "sealed_sha256": sealed.get(&d.id) }))
            .collect();
        audit::record(
            &mut tx,
            audit::Event {
                envelope_id: id,
                kind: "envelope.sealed",
                recipient_id: None,
                user_id: None,
                origin: &Origin::default(),
                data: json!({ "documents": hashes, "audit_trail_sha256": trail_sha, "certificate": key.subject }),
            },
        )
        .await?;
        completion_mail(st, &mut tx, id, &docs).await?;
    }
    tx.commit().await?;
    st.mailer.wake.notify_one();
    Ok(())
}

/// Emails everyone (recipients and the sender) the sealed documents: attached when small
/// enough, otherwise as a link that expires.
async fn completion_mail(st: &AppState, tx: &mut Tx, id: &EnvelopeId, docs: &[DocRow]) -> AppResult<()> {
    let ctx = crate::signing::send::ctx_in_tx(tx, id).await?;
    let files: Vec<(String, String, i64)> =
        sqlx::query_as("SELECT document_id, storage_key, size_bytes FROM sealed_documents WHERE envelope_id = $1")
            .bind(id)
            .fetch_all(&mut **tx)
            .await?;
    let total: i64 = files.iter().map(|f| f.2).sum();
    let attach = total as u64 <= st.settings.mail_attachment_max_bytes;
    let attachments: Vec<AttachmentRef> = if attach {
        docs.iter()
            .filter_map(|d| files.iter().find(|f| f.0 == d.id.as_str()).map(|f| (d, f)))
            .map(|(d, f)| AttachmentRef {
                name: sealed_name(&d.name),
                content_type: "application/pdf".into(),
                storage_key: f.1.clone(),
            })
            .collect()
    } else {
        Vec::new()
    };
    let link = if attach {
        None
    } else {
        let token = crate::crypto::SigningToken::generate();
        let hash = token.hash();
        let now = Timestamp::now();
        sqlx::query("INSERT INTO download_links (token_hash, envelope_id, expires_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)")
            .bind(hash)
            .bind(id)
            .bind(now.plus(time::Duration::days(30)))
            .bind(now)
            .execute(&mut **tx)
            .await?;
        Some(st.settings.link(&format!("/download/{}", token.as_str())))
    };
    let mut to: Vec<(String, String, Language)> = sqlx::query_as::<_, (String, String, String)>(
        "SELECT name, email, language FROM recipients WHERE envelope_id = $1 ORDER BY position",
    )
    .bind(id)
    .fetch_all(&mut **tx)
    .await?
    .into_iter()
    .map(|(n, e, l)| (n, e, Language::parse(&l).unwrap_or_default()))
    .collect();
    if !ctx.sender_email.is_empty() && !to.iter().any(|t| t.1 == ctx.sender_email) {
        to.push((ctx.sender_name.clone(), ctx.sender_email.clone(), Language::Ko));
    }
    for (name, email, lang) in to {
        let mail = crate::mail::templates::completed(lang, &name, &ctx.name, &ctx.organization_name, link.as_deref());
        outbox::enqueue(
            tx,
            NewEmail {
                kind: "completed",
                to_email: &email,
                to_name: &name,
                subject: mail.subject,
                html: mail.html,
                text: mail.text,
                organization_id: Some(&ctx.organization_id),
                envelope_id: Some(id),
                recipient_id: None,
                attachments: attachments.clone(),
            },
        )
        .await?;
    }
    Ok(())
}

/// "계약서.pdf" → "계약서 (signed).pdf".
pub fn sealed_name(name: &str) -> String {
    let stem = name.strip_suffix(".pdf").or_else(|| name.strip_suffix(".PDF")).unwrap_or(name);
    format!("{stem} (signed).pdf")
}
