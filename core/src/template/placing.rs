//! Fields placed by the documents themselves: every text tag (`{{signature;role=근로자}}`),
//! every occurrence of an anchor string and, when asked, every field of the PDF's own form
//! becomes a field of its role. The stored PDFs' text is read once each on the PDFium thread,
//! page by page, their forms with lopdf; at most `MAX_FIELDS` fields are placed.

use crate::document::DocumentRow;
use crate::envelope::{FieldSpec, MAX_FIELDS};
use crate::error::{AppError, AppResult, FieldError};
use crate::geometry::{FieldRect, PageGeometry};
use crate::infra::storage::BlobKey;
use crate::model::FieldKind;
use crate::pdf::acroform::{self, FormField};
use crate::pdf::inspect;
use crate::pdf::tags::{self, AnchorPlacement};
use crate::state::AppState;
use std::collections::BTreeMap;

/// A field placed at each occurrence of `text` (DocuSign's `anchorString`).
#[derive(Clone, Debug)]
pub struct Anchor {
    pub text: String,
    pub role: String,
    pub kind: FieldKind,
    pub placement: AnchorPlacement,
    pub required: bool,
    pub label: String,
    pub name: Option<String>,
    /// Without it, a string found nowhere is an error.
    pub ignore_if_not_present: bool,
}

/// The documents' own form fields taken as fields: each of `role` unless `roles` names
/// another for its full name.
#[derive(Clone, Debug, Default)]
pub struct FormImport {
    pub role: String,
    pub roles: BTreeMap<String, String>,
}

/// What to place from the documents' text and forms.
#[derive(Clone, Debug, Default)]
pub struct Placing {
    pub text_tags: bool,
    pub anchors: Vec<Anchor>,
    pub form_fields: Option<FormImport>,
}

impl Placing {
    pub fn is_empty(&self) -> bool {
        !self.text_tags && self.anchors.is_empty() && self.form_fields.is_none()
    }
}

/// Longest anchor string.
const MAX_ANCHOR_CHARS: usize = 200;
/// Most anchors in one request.
pub const MAX_ANCHORS: usize = 50;

/// What one document gave: fields (role in `recipient`) and problems.
struct Placed {
    fields: Vec<FieldSpec>,
    problems: Vec<FieldError>,
    /// Occurrences found of each anchor.
    anchor_hits: Vec<usize>,
}

fn check_anchors(anchors: &[Anchor]) -> AppResult<()> {
    let mut errors = Vec::new();
    if anchors.len() > MAX_ANCHORS {
        errors.push(FieldError { field: "anchors".into(), code: "too_many".into(), message: format!("At most {MAX_ANCHORS} anchors") });
    }
    for (i, a) in anchors.iter().enumerate() {
        let n = a.text.trim().chars().count();
        if n == 0 || n > MAX_ANCHOR_CHARS {
            errors.push(FieldError { field: format!("anchors[{i}].text"), code: "invalid".into(), message: "Give a string of 1 to 200 characters".into() });
        }
        if a.kind.has_options() {
            errors.push(FieldError {
                field: format!("anchors[{i}].type"),
                code: "invalid".into(),
                message: "Choice fields cannot be placed by an anchor".into(),
            });
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::fields(errors))
    }
}

/// The fields the documents' tags and anchors place, in document and page order. Problems
/// (a tag that does not parse or names no role, an anchor found nowhere, too many fields) are
/// reported together, each naming the document and page.
/// `docs` come with their pages' geometry as recorded at upload (what the editor places on).
pub async fn place(st: &AppState, docs: &[(DocumentRow, Vec<PageGeometry>)], placing: &Placing) -> AppResult<Vec<FieldSpec>> {
    if placing.is_empty() {
        return Ok(Vec::new());
    }
    check_anchors(&placing.anchors)?;
    let mut fields = Vec::new();
    let mut problems = Vec::new();
    let mut hits = vec![0usize; placing.anchors.len()];
    let reads_text = placing.text_tags || !placing.anchors.is_empty();
    for (doc, pages) in docs {
        let bytes = stored(st, doc).await?;
        if let Some(import) = &placing.form_fields {
            let room = MAX_FIELDS + 1 - fields.len().min(MAX_FIELDS);
            fields.extend(form_fields_in(bytes.clone(), doc, pages, import, room).await?);
        }
        if reads_text {
            let (placing, doc_row, pages, room) = (placing.clone(), doc.clone(), pages.clone(), MAX_FIELDS + 1 - fields.len().min(MAX_FIELDS));
            let placed = st.pdf.run(move |ctx| read(ctx.pdfium, bytes.to_vec(), &doc_row, &pages, &placing, room)).await??;
            fields.extend(placed.fields);
            problems.extend(placed.problems);
            for (h, n) in hits.iter_mut().zip(placed.anchor_hits) {
                *h += n;
            }
        }
        if fields.len() > MAX_FIELDS {
            problems.push(FieldError {
                field: "fields".into(),
                code: "too_many".into(),
                message: format!("The documents place more than {MAX_FIELDS} fields"),
            });
            break;
        }
    }
    for (i, (a, n)) in placing.anchors.iter().zip(hits).enumerate() {
        if n == 0 && !a.ignore_if_not_present {
            problems.push(FieldError {
                field: format!("anchors[{i}].text"),
                code: "not_found".into(),
                message: format!("“{}” is not in the documents' text (set ignoreIfNotPresent to allow this)", a.text.trim()),
            });
        }
    }
    if problems.is_empty() {
        Ok(fields)
    } else {
        Err(AppError::fields(problems))
    }
}

/// A document's stored bytes.
async fn stored(st: &AppState, doc: &DocumentRow) -> AppResult<bytes::Bytes> {
    st.storage.get(&BlobKey::new(&doc.storage_key)?).await?.ok_or_else(|| AppError::internal_msg(format!("stored PDF {} is missing", doc.storage_key)))
}

/// The form fields of one stored document as fields (role from `import`), for the editor.
pub(super) async fn form_fields_of(st: &AppState, doc: &DocumentRow, pages: &[PageGeometry], import: &FormImport) -> AppResult<Vec<FieldSpec>> {
    let out = form_fields_in(stored(st, doc).await?, doc, pages, import, MAX_FIELDS + 1).await?;
    if out.len() > MAX_FIELDS {
        return Err(AppError::field("fields", "too_many", format!("The document places more than {MAX_FIELDS} fields")));
    }
    Ok(out)
}

/// At most `room` fields from the form of `bytes`, read with lopdf off the async threads (and
/// off the PDFium thread, which other work waits for).
async fn form_fields_in(bytes: bytes::Bytes, doc: &DocumentRow, pages: &[PageGeometry], import: &FormImport, room: usize) -> AppResult<Vec<FieldSpec>> {
    let found = crate::infra::blocking::spawn_blocking_with_tracing(move || acroform::fields(&bytes)).await?;
    let mut out = Vec::new();
    for f in found {
        if out.len() >= room {
            break;
        }
        out.extend(form_specs(doc, pages, import, &f)?);
    }
    out.truncate(room);
    Ok(out)
}

/// One document's text read on the PDFium thread (tags and anchors).
fn read(
    pdfium: &pdfium_render::prelude::Pdfium,
    bytes: Vec<u8>,
    doc: &DocumentRow,
    pages: &[PageGeometry],
    placing: &Placing,
    room: usize,
) -> AppResult<Placed> {
    let pdf = pdfium.load_pdf_from_byte_vec(bytes, None).map_err(|e| inspect::open_error(&e))?;
    let mut out = Placed { fields: Vec::new(), problems: Vec::new(), anchor_hits: vec![0; placing.anchors.len()] };
    let needles: Vec<String> = placing.anchors.iter().map(|a| a.text.trim().to_owned()).collect();
    for (index, g) in pages.iter().enumerate() {
        if out.fields.len() >= room {
            break;
        }
        let Ok(page) = pdf.pages().get(index as i32) else { continue };
        let (index, g) = (index as u32, *g);
        let chars = inspect::page_chars(&page);
        drop(page);
        let at = |what: &str| format!("{} page {}: {what}", doc.name, index + 1);
        if placing.text_tags {
            for found in tags::find(&chars).into_iter().take(room) {
                let tag = match found.tag {
                    Ok(t) => t,
                    Err(e) => {
                        out.problems.push(FieldError { field: "textTags".into(), code: e.code, message: at(&format!("{}: {}", found.text, e.message)) });
                        continue;
                    }
                };
                let Some(role) = tag.role.clone() else {
                    out.problems.push(FieldError {
                        field: "textTags".into(),
                        code: "missing_role".into(),
                        message: at(&format!("{} names no role=…", found.text)),
                    });
                    continue;
                };
                let rect = tags::place(&g, &found.bbox, &tag)?;
                // The tag's own box, painted over when sealing (the field may be sized otherwise).
                // PDFium's loose box can stop short of the glyphs' lowest strokes: a margin of
                // a fifth of the line height all round hides them (clipped to the page).
                let b = found.bbox;
                let m = (b.top - b.bottom).abs().min((b.right - b.left).abs()) * 0.2;
                let padded = crate::geometry::UserRect { left: b.left - m, bottom: b.bottom - m, right: b.right + m, top: b.top + m };
                let own = tags::place(&g, &padded, &tags::Tag::default())?;
                let kind = tag.kind.unwrap_or(FieldKind::Text);
                out.fields.push(spec(doc, index, rect, kind, role, tag.required, tag.label.unwrap_or_default(), tag.name, Some(own)));
            }
        }
        for (i, (a, needle)) in placing.anchors.iter().zip(&needles).enumerate() {
            for bbox in tags::anchors(&chars, needle).into_iter().take(room) {
                out.anchor_hits[i] += 1;
                let rect = tags::place_at_anchor(&g, &bbox, &a.placement)?;
                out.fields.push(spec(doc, index, rect, a.kind, a.role.clone(), a.required, a.label.clone(), a.name.clone(), None));
            }
        }
    }
    Ok(out)
}

/// The fields one form field becomes: one per widget (a radio group one over all its buttons
/// on the first one's page), named by the form field's full name — which is how sealing finds
/// it again to write the value back. A read-only form field is not the signer's to fill: none.
fn form_specs(doc: &DocumentRow, pages: &[PageGeometry], import: &FormImport, f: &FormField) -> AppResult<Vec<FieldSpec>> {
    if f.read_only {
        return Ok(Vec::new());
    }
    let role = import.roles.get(&f.name).unwrap_or(&import.role).clone();
    let kind = match f.kind {
        FieldKind::Select | FieldKind::Radio if f.options.is_empty() => FieldKind::Text,
        k => k,
    };
    let boxes: Vec<(u32, crate::geometry::UserRect)> = match kind {
        FieldKind::Radio => {
            let page = f.widgets[0].0;
            let on_page = f.widgets.iter().filter(|(p, _)| *p == page).map(|(_, r)| *r);
            let union = on_page.reduce(|a, b| crate::geometry::UserRect {
                left: a.left.min(b.left),
                bottom: a.bottom.min(b.bottom),
                right: a.right.max(b.right),
                top: a.top.max(b.top),
            });
            union.map(|u| vec![(page, u)]).unwrap_or_default()
        }
        _ => f.widgets.clone(),
    };
    let name = (f.name.chars().count() <= 100).then(|| f.name.clone());
    let label: String = f.tooltip.clone().unwrap_or_else(|| f.name.clone()).chars().take(200).collect();
    let mut out = Vec::new();
    for (page, user) in boxes {
        let Some(g) = pages.get(page as usize) else { continue };
        // A widget outside the page as shown is not one a signer could see.
        let Ok(rect) = tags::place(g, &user, &tags::Tag::default()) else { continue };
        let mut s = spec(doc, page, rect, kind, role.clone(), f.required || kind == FieldKind::Signature, label.clone(), name.clone(), None);
        s.options = if kind.has_options() { f.options.clone() } else { Vec::new() };
        out.push(s);
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
fn spec(
    doc: &DocumentRow,
    page: u32,
    rect: FieldRect,
    kind: FieldKind,
    role: String,
    required: bool,
    label: String,
    name: Option<String>,
    cover: Option<FieldRect>,
) -> FieldSpec {
    FieldSpec {
        document_id: doc.id.clone(),
        page,
        rect,
        kind,
        recipient: role,
        required,
        label,
        placeholder: String::new(),
        options: Vec::new(),
        format: (kind == FieldKind::Date).then(|| crate::model::DATE_FORMATS[0].to_owned()),
        name,
        prefill: None,
        read_only: false,
        cover,
    }
}
