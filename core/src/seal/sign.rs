//! Applying the digital signature: an incremental update adding an invisible signature field
//! and a signature dictionary whose /Contents holds the CMS over every other byte of the
//! file (/ByteRange). It is always the last thing written to a sealed file.

use super::cms;
use super::compose::{page_stamp, Placed, Resources};
use super::keys::SealKey;
use crate::geometry::PageGeometry;
use crate::pdf::raw;
use crate::pdf::write::{text_string, Update};
use anyhow::{bail, Context as _};
#[allow(unused_imports)]
use lopdf::Document;
use lopdf::{Dictionary, Object, ObjectId, StringFormat};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// Room reserved for the CMS (bytes): certificates, signature and a timestamp token fit.
const CONTENTS_BYTES: usize = 16 * 1024;
/// Width of each /ByteRange number, so the dictionary's size is known before the numbers.
const RANGE_DIGITS: usize = 10;

pub struct SignInfo<'a> {
    pub field_name: &'a str,
    pub reason: &'a str,
    pub location: &'a str,
    pub name: &'a str,
    /// Signing time, `D:YYYYMMDDHHmmSS+00'00'`.
    pub time: String,
}

pub fn pdf_date(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!("D:{:04}{:02}{:02}{:02}{:02}{:02}+00'00'", t.year(), u8::from(t.month()), t.day(), t.hour(), t.minute(), t.second())
}

/// A file with its signature dictionary written and the space for the CMS reserved.
pub struct Prepared {
    pub bytes: Vec<u8>,
    /// Offset of `<` and one past `>` of /Contents.
    contents: (usize, usize),
    /// SHA-256 of every byte outside /Contents (what the signature covers).
    pub digest: Vec<u8>,
}

impl Prepared {
    /// Writes the CMS into /Contents: the finished, signed file.
    pub fn embed(mut self, cms_der: &[u8]) -> anyhow::Result<Vec<u8>> {
        if cms_der.len() > CONTENTS_BYTES {
            bail!("the signature ({} bytes) does not fit the reserved {CONTENTS_BYTES} bytes", cms_der.len());
        }
        let hex = hex::encode_upper(cms_der);
        let at = self.contents.0 + 1;
        self.bytes[at..at + hex.len()].copy_from_slice(hex.as_bytes());
        Ok(self.bytes)
    }
}

/// What the seal shows: the marks of a document whose earlier signatures must stay valid,
/// drawn as the seal's own appearance — one widget per page that has marks — instead of into
/// the pages (which those signatures would count as a change of the document).
pub struct Appearance<'a> {
    pub geometry: &'a [PageGeometry],
    pub marks: &'a [Placed],
}

/// Signs `base` with `key` (no timestamp) and returns the signed file.
pub fn sign_pdf(base: &[u8], key: &SealKey, info: &SignInfo<'_>) -> anyhow::Result<Vec<u8>> {
    let prepared = prepare(base, info, None)?;
    let parts = cms::sign_attributes(key, &prepared.digest)?;
    let der = cms::assemble(key, parts, None)?;
    prepared.embed(&der)
}

/// Adds the signature field and dictionary with placeholders, and computes the digest. The
/// field is invisible, or shows `look` on the pages it marks.
pub fn prepare(base: &[u8], info: &SignInfo<'_>, look: Option<Appearance<'_>>) -> anyhow::Result<Prepared> {
    let doc = lopdf::Document::load_mem(base).context("reading the file to sign")?;
    let mut up = Update::new(&doc);
    let root_id = doc.trailer.get(b"Root")?.as_reference()?;
    let mut catalog = doc.get_dictionary(root_id)?.clone();
    let page_ids: Vec<ObjectId> = doc.get_pages().into_values().collect();
    let first_page = *page_ids.first().context("no pages")?;

    // "[0 dddddddddd dddddddddd dddddddddd]" is 36 bytes; a name of the same length holds
    // its place until the offsets are known.
    let slot = 4 + 3 * RANGE_DIGITS + 2;
    let mut marker = b"/DJBYTERANGE".to_vec();
    marker.resize(slot, b'x');
    let sig_id = up.alloc();
    let mut sig = Dictionary::new();
    sig.set("Type", Object::Name(b"Sig".to_vec()));
    sig.set("Filter", Object::Name(b"Adobe.PPKLite".to_vec()));
    sig.set("SubFilter", Object::Name(b"ETSI.CAdES.detached".to_vec()));
    sig.set("ByteRange", Object::Name(marker[1..].to_vec()));
    sig.set("Contents", Object::String(vec![0u8; CONTENTS_BYTES], StringFormat::Hexadecimal));
    sig.set("M", Object::String(info.time.as_bytes().to_vec(), StringFormat::Literal));
    sig.set("Name", text_string(info.name));
    sig.set("Reason", text_string(info.reason));
    sig.set("Location", text_string(info.location));
    up.set(sig_id, &Object::Dictionary(sig));

    let mut field = Dictionary::new();
    field.set("FT", Object::Name(b"Sig".to_vec()));
    field.set("T", text_string(info.field_name));
    field.set("V", Object::Reference(sig_id));
    let pages = look.as_ref().map(|l| appearance_streams(&mut up, &page_ids, l)).transpose()?.unwrap_or_default();
    let field_id = if pages.is_empty() {
        // Invisible: the field is its own widget, of no size, on the first page.
        field.set("Type", Object::Name(b"Annot".to_vec()));
        field.set("Subtype", Object::Name(b"Widget".to_vec()));
        field.set("F", Object::Integer(132));
        field.set("Rect", Object::Array(vec![0.into(), 0.into(), 0.into(), 0.into()]));
        field.set("P", Object::Reference(first_page));
        let id = up.add(&Object::Dictionary(field));
        add_annotation(&doc, base, &mut up, first_page, id)?;
        id
    } else {
        let id = up.alloc();
        let mut kids = Vec::with_capacity(pages.len());
        for (page, rect, form) in pages {
            let mut w = Dictionary::new();
            w.set("Type", Object::Name(b"Annot".to_vec()));
            w.set("Subtype", Object::Name(b"Widget".to_vec()));
            w.set("Parent", Object::Reference(id));
            // The field's own keys again on each widget: poppler reads a signature from the
            // widget it finds on the page.
            w.set("FT", Object::Name(b"Sig".to_vec()));
            w.set("V", Object::Reference(sig_id));
            w.set("F", Object::Integer(132));
            w.set("Rect", Object::Array(rect.iter().map(|v| Object::Real(*v as f32)).collect()));
            w.set("P", Object::Reference(page));
            w.set("AP", Object::Dictionary(Dictionary::from_iter([("N", Object::Reference(form))])));
            let wid = up.add(&Object::Dictionary(w));
            add_annotation(&doc, base, &mut up, page, wid)?;
            kids.push(Object::Reference(wid));
        }
        field.set("Kids", Object::Array(kids));
        up.set(id, &Object::Dictionary(field));
        id
    };
    add_field(&doc, &mut up, root_id, &mut catalog, field_id)?;

    let (mut bytes, offsets) = up.finish(base);
    // Locate the placeholders in the signature dictionary just written.
    let sig_at = *offsets.get(&sig_id.0).context("signature object offset")?;
    let br_at = sig_at + find(&bytes[sig_at..], &marker).context("byte range placeholder")?;
    let contents_at = sig_at + find(&bytes[sig_at..], b"/Contents <").context("contents placeholder")? + b"/Contents ".len();
    let contents_end = contents_at + 2 + CONTENTS_BYTES * 2;
    if bytes.get(contents_end - 1) != Some(&b'>') {
        bail!("unexpected signature dictionary layout");
    }
    let range = [0, contents_at, contents_end, bytes.len() - contents_end];
    let range_text = format!("[{} {:0w$} {:0w$} {:0w$}]", range[0], range[1], range[2], range[3], w = RANGE_DIGITS);
    let text = range_text.into_bytes();
    if text.len() != slot {
        bail!("byte range does not fit its placeholder");
    }
    bytes[br_at..br_at + slot].copy_from_slice(&text);

    let mut h = Sha256::new();
    h.update(&bytes[..contents_at]);
    h.update(&bytes[contents_end..]);
    let digest = h.finalize().to_vec();
    Ok(Prepared { bytes, contents: (contents_at, contents_end), digest })
}

/// For each page with marks: the page, its displayed box in user space, and a form XObject
/// drawing the marks there (in user space, as they would be drawn into the page).
fn appearance_streams(up: &mut Update, page_ids: &[ObjectId], look: &Appearance<'_>) -> anyhow::Result<Vec<(ObjectId, [f64; 4], ObjectId)>> {
    let mut by_page: BTreeMap<u32, Vec<&Placed>> = BTreeMap::new();
    for m in look.marks {
        by_page.entry(m.page).or_default().push(m);
    }
    let mut res = Resources::default();
    let mut drawn = Vec::with_capacity(by_page.len());
    for (page, marks) in &by_page {
        let g = look.geometry.get(*page as usize).context("a mark on a page that does not exist")?;
        let id = *page_ids.get(*page as usize).context("a mark on a page that does not exist")?;
        drawn.push((id, [g.left, g.bottom, g.right, g.top], page_stamp(&mut res, g, marks)?));
    }
    let (fonts, xobjects) = res.embed(up)?;
    let resources = Dictionary::from_iter([("Font", Object::Dictionary(fonts)), ("XObject", Object::Dictionary(xobjects))]);
    Ok(drawn
        .into_iter()
        .map(|(page, bbox, ops)| {
            let mut d = Dictionary::new();
            d.set("Type", Object::Name(b"XObject".to_vec()));
            d.set("Subtype", Object::Name(b"Form".to_vec()));
            d.set("BBox", Object::Array(bbox.iter().map(|v| Object::Real(*v as f32)).collect()));
            d.set("Resources", Object::Dictionary(resources.clone()));
            (page, bbox, up.add_stream(d, ops.as_bytes(), true))
        })
        .collect())
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Adds the widget to the page's /Annots (inline array, referenced array, or none yet). The
/// page is patched in its own text, so everything else in it stays exactly as it was.
fn add_annotation(doc: &lopdf::Document, base: &[u8], up: &mut Update, page: ObjectId, widget: ObjectId) -> anyhow::Result<()> {
    let mut page_dict = doc.get_dictionary(page)?.clone();
    if let Ok(Object::Reference(arr_id)) = page_dict.get(b"Annots") {
        let arr_id = *arr_id;
        let mut arr = doc.get_object(arr_id)?.as_array()?.clone();
        arr.push(Object::Reference(widget));
        up.set(arr_id, &Object::Array(arr));
        return Ok(());
    }
    let item = format!("{} {} R", widget.0, widget.1);
    match raw::original_text(doc, base, page).and_then(|t| raw::append_to_array(&t, b"Annots", item.as_bytes())) {
        Some(patched) => up.set_raw(page, patched),
        None => {
            let mut annots = page_dict.get(b"Annots").and_then(|a| a.as_array()).cloned().unwrap_or_default();
            annots.push(Object::Reference(widget));
            page_dict.set("Annots", Object::Array(annots));
            up.set(page, &Object::Dictionary(page_dict));
        }
    }
    Ok(())
}

/// Adds the field to the AcroForm (creating it when missing) with /SigFlags 3.
fn add_field(doc: &lopdf::Document, up: &mut Update, root: ObjectId, catalog: &mut Dictionary, field: ObjectId) -> anyhow::Result<()> {
    let (form_id, mut form) = match catalog.get(b"AcroForm") {
        Ok(Object::Reference(id)) => (Some(*id), doc.get_dictionary(*id)?.clone()),
        Ok(Object::Dictionary(d)) => (None, d.clone()),
        _ => (None, Dictionary::new()),
    };
    let mut fields = match form.get(b"Fields") {
        Ok(Object::Reference(id)) => doc.get_object(*id)?.as_array()?.clone(),
        Ok(Object::Array(a)) => a.clone(),
        _ => Vec::new(),
    };
    fields.push(Object::Reference(field));
    form.set("Fields", Object::Array(fields));
    form.set("SigFlags", Object::Integer(3));
    match form_id {
        Some(id) => up.set(id, &Object::Dictionary(form)),
        None => {
            let id = up.add(&Object::Dictionary(form));
            catalog.set("AcroForm", Object::Reference(id));
            up.set(root, &Object::Dictionary(catalog.clone()));
        }
    }
    Ok(())
}
