//! The bytes a document is sealed on top of, and how its marks are laid out so that the
//! signatures it already carries stay valid within what they allow.

use crate::error::{AppError, AppResult};
use crate::infra::blocking::spawn_blocking_with_tracing;
use crate::pdf::inspect::Signed;
use crate::state::AppState;
use anyhow::Context as _;

/// Where a document's marks (values, signatures, the test notice) and the audit trail go.
/// Every earlier signature judges what an update changes: new page content or pages are
/// changes of the document, a new signature field (and its appearance) is signing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// No earlier signature: marks drawn into the pages, the audit trail appended as pages.
    Pages,
    /// Earlier approval signatures: the marks are the seal's own appearance (a widget on each
    /// marked page); nothing else is added. The audit trail is its own PDF.
    SealAppearance,
    /// Certified (DocMDP 2 or 3: only form filling and signing, or annotations, are allowed,
    /// and no new visible field after certification): the seal is invisible and draws
    /// nothing; the values and signatures are in the audit trail.
    Untouched,
}

impl Layout {
    pub fn for_signed(s: Signed) -> Self {
        match (s.count, s.docmdp) {
            (_, Some(_)) => Self::Untouched,
            (0, None) => Self::Pages,
            (_, None) => Self::SealAppearance,
        }
    }
}

/// Every page of the tree is a dictionary that can be read.
fn pages_readable(doc: &lopdf::Document) -> bool {
    let pages = doc.get_pages();
    !pages.is_empty() && pages.values().all(|id| doc.get_dictionary(*id).is_ok())
}

/// The bytes to seal on top of: the original itself when it can take an incremental update
/// as it is; otherwise a clean copy — decrypted (files with an empty user password) by
/// lopdf, or rewritten by PDFium, which repairs damaged cross-reference tables.
pub async fn prepare_base(st: &AppState, original: Vec<u8>) -> AppResult<(Vec<u8>, Layout)> {
    let (original, verdict) = spawn_blocking_with_tracing(move || {
        let verdict = match lopdf::Document::load_mem(&original) {
            Err(_) => Base::Pdfium,
            Ok(doc) => {
                let xref_ok = original
                    .get(doc.xref_start..doc.xref_start + 64)
                    .map(|w| w.starts_with(b"xref") || w.iter().take_while(|b| b.is_ascii_digit() || **b == b' ').count() > 2)
                    .unwrap_or(false);
                let encrypted = doc.is_encrypted() || doc.encryption_state.is_some();
                if encrypted {
                    Base::Decrypt
                } else if original.starts_with(b"%PDF-") && xref_ok && pages_readable(&doc) {
                    Base::Original(Layout::for_signed(earlier_signatures(&doc)))
                } else {
                    Base::Pdfium
                }
            }
        };
        (original, verdict)
    })
    .await?;
    match verdict {
        // A copy written anew carries no valid signature any more: it is sealed like any file.
        Base::Original(layout) => Ok((original, layout)),
        Base::Decrypt => Ok((spawn_blocking_with_tracing(move || decrypted(&original)).await??, Layout::Pages)),
        Base::Pdfium => {
            let saved = st
                .pdf
                .run(move |ctx| {
                    let doc = ctx.pdfium.load_pdf_from_byte_vec(original, None).map_err(|e| anyhow::anyhow!("PDFium cannot open it: {e:?}"))?;
                    doc.save_to_bytes().map_err(|e| anyhow::anyhow!("PDFium cannot save it: {e:?}"))
                })
                .await??;
            let ok = spawn_blocking_with_tracing({
                let s = saved.clone();
                move || lopdf::Document::load_mem(&s).is_ok_and(|d| pages_readable(&d))
            })
            .await?;
            if !ok {
                return Err(AppError::internal_msg("the document cannot be prepared for sealing"));
            }
            Ok((saved, Layout::Pages))
        }
    }
}

enum Base {
    Original(Layout),
    Decrypt,
    Pdfium,
}

/// An encrypted file (empty user password) written anew without encryption.
fn decrypted(original: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut doc = lopdf::Document::load_mem(original).context("reading the encrypted document")?;
    if doc.is_encrypted() {
        let _ = doc.decrypt("");
    }
    if let Ok(enc) = doc.trailer.get(b"Encrypt").and_then(|o| o.as_reference()) {
        doc.objects.remove(&enc);
    }
    doc.trailer.remove(b"Encrypt");
    doc.encryption_state = None;
    let mut out = Vec::new();
    doc.save_to(&mut out).context("rewriting the document")?;
    Ok(out)
}

/// The signatures a file carries and its strictest DocMDP permission, as lopdf reads them
/// (the same facts `inspect::signatures` reads with PDFium at upload).
fn earlier_signatures(doc: &lopdf::Document) -> Signed {
    // Signatures of the document: signature fields' values. (A usage-rights signature in
    // /Perms /UR3 enables reader features; it signs no one's agreement and is not one.)
    let count = doc
        .objects
        .values()
        .filter_map(|o| o.as_dict().ok())
        .filter(|d| d.get(b"FT").and_then(|t| t.as_name()).is_ok_and(|t| t == b"Sig"))
        .filter_map(|d| d.get(b"V").ok())
        .filter(|v| doc.dereference(v).ok().and_then(|(_, o)| o.as_dict().ok()).is_some_and(|s| s.has(b"ByteRange")))
        .count();
    let dict = |o: &lopdf::Object| doc.dereference(o).ok().and_then(|(_, o)| o.as_dict().ok()).cloned();
    let docmdp = (|| {
        let root = dict(doc.trailer.get(b"Root").ok()?)?;
        let perms = dict(root.get(b"Perms").ok()?)?;
        let sig = dict(perms.get(b"DocMDP").ok()?)?;
        let refs = doc.dereference(sig.get(b"Reference").ok()?).ok()?.1.as_array().ok()?.clone();
        refs.iter().filter_map(&dict).find(|r| r.get(b"TransformMethod").and_then(|m| m.as_name()).is_ok_and(|m| m == b"DocMDP")).map(|r| {
            r.get(b"TransformParams").ok().and_then(&dict).and_then(|p| p.get(b"P").ok().and_then(|v| v.as_i64().ok())).map_or(2, |p| p.clamp(1, 3) as u8)
        })
    })();
    Signed { count, docmdp }
}
