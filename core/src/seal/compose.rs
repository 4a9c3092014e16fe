//! Writing values and signatures onto a document's pages and appending pages (the audit
//! trail), as one incremental update on top of the document.
//!
//! Each page that gets marks keeps its content, wrapped in `q … Q` so no state leaks, and
//! gains one content stream drawn in each field's own upright coordinates
//! (`PageGeometry::field_matrix`), so marks land where the field was placed on rotated pages
//! and pages whose CropBox does not start at 0,0.
//!
//! Values of fields named like one of the document's own form fields are written into that
//! field too (`acroform::fill`); a check box or radio button that then shows the value by its
//! own appearance inside the field's box replaces Dojang's mark there.

use crate::geometry::{FieldRect, PageGeometry};
use crate::ink;
use crate::model::DrawnSignature;
use crate::model::FieldKind;
use crate::pdf::acroform::{self, FormValue};
use crate::pdf::font::{FontKind, FontUse};
use crate::pdf::write::{real, Update};
use anyhow::{bail, Context as _};
use lopdf::{Dictionary, Object, ObjectId};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// What a field shows once filled.
#[derive(Clone, Debug)]
pub enum Mark {
    Text {
        text: String,
        font: FontKind,
    },
    Check,
    Ink(DrawnSignature),
    /// A PNG image (an uploaded signature).
    Image(Vec<u8>),
    /// A notice across the page in red (the test-mode mark).
    Notice(String),
    /// White over the field's whole box: hides what the document printed there (a text
    /// tag), filled or not.
    Cover,
}

/// A mark on a page: 0-based page index, where (fractions of the displayed page), what.
#[derive(Clone, Debug)]
pub struct Placed {
    pub page: u32,
    pub rect: FieldRect,
    pub mark: Mark,
}

/// Fonts and images a set of content streams uses, embedded once. Their resource names carry
/// a tag of their own, so stamping a page that an earlier update (a signature page, a PDF
/// sealed before and uploaded again) gave resources of ours never replaces those.
pub struct Resources {
    pub text: FontUse,
    pub script: FontUse,
    images: Vec<Vec<u8>>,
    tag: String,
}

impl Default for Resources {
    fn default() -> Self {
        use rand::Rng as _;
        let tag = format!("{:08x}", rand::thread_rng().gen::<u32>());
        Self { text: FontUse::new(FontKind::Text), script: FontUse::new(FontKind::Script), images: Vec::new(), tag }
    }
}

impl Resources {
    fn font(&mut self, kind: FontKind) -> (&mut FontUse, String) {
        match kind {
            FontKind::Text => (&mut self.text, format!("DjF1{}", self.tag)),
            FontKind::Script => (&mut self.script, format!("DjF2{}", self.tag)),
        }
    }

    fn image(&mut self, png: &[u8]) -> String {
        self.images.push(png.to_vec());
        format!("DjI{}{}", self.images.len(), self.tag)
    }

    /// Embeds what was used; returns the /Font and /XObject entries to merge into pages.
    pub fn embed(self, up: &mut Update) -> anyhow::Result<(Dictionary, Dictionary)> {
        let mut fonts = Dictionary::new();
        if self.text.is_used() {
            fonts.set(format!("DjF1{}", self.tag), Object::Reference(self.text.embed(up)?));
        }
        if self.script.is_used() {
            fonts.set(format!("DjF2{}", self.tag), Object::Reference(self.script.embed(up)?));
        }
        let mut xobjects = Dictionary::new();
        for (i, png) in self.images.iter().enumerate() {
            xobjects.set(format!("DjI{}{}", i + 1, self.tag), Object::Reference(embed_png(up, png)?));
        }
        Ok((fonts, xobjects))
    }
}

/// A content stream being written.
#[derive(Default)]
pub struct Canvas {
    pub ops: String,
}

impl Canvas {
    pub fn push(&mut self, s: &str) {
        self.ops.push_str(s);
        self.ops.push('\n');
    }

    /// One line of text with its baseline at (x, y).
    pub fn text(&mut self, res: &mut Resources, kind: FontKind, size: f64, x: f64, y: f64, text: &str) {
        if text.is_empty() {
            return;
        }
        let (font, name) = res.font(kind);
        let hex = font.encode(text);
        let _ = writeln!(self.ops, "BT /{name} {} Tf {} {} Td {hex} Tj ET", real(size), real(x), real(y));
    }

    /// Text fitted into a w×h box: as large as fits, vertically centred, clipped.
    pub fn fitted_text(&mut self, res: &mut Resources, kind: FontKind, w: f64, h: f64, text: &str) {
        let pad = (h * 0.08).min(2.0);
        let (asc, desc) = res.font(kind).0.vertical_metrics();
        let mut size = (h - 2.0 * pad) / (asc - desc).max(0.5);
        let width = res.font(kind).0.measure(text, size);
        if width > w - 2.0 * pad && width > 0.0 {
            size *= (w - 2.0 * pad) / width;
        }
        size = size.max(2.0);
        let baseline = (h - (asc - desc) * size) / 2.0 - desc * size;
        let x = if kind == FontKind::Script { ((w - res.font(kind).0.measure(text, size)) / 2.0).max(pad) } else { pad };
        self.text(res, kind, size, x, baseline, text);
    }

    /// A check mark filling a w×h box.
    pub fn check(&mut self, w: f64, h: f64) {
        let s = w.min(h);
        let (ox, oy) = ((w - s) / 2.0, (h - s) / 2.0);
        let p = |fx: f64, fy: f64| format!("{} {}", real(ox + fx * s), real(oy + fy * s));
        let _ = writeln!(self.ops, "q 0.08 0.13 0.24 RG {} w 1 J 1 j {} m {} l {} l S Q", real(s * 0.12), p(0.18, 0.52), p(0.42, 0.24), p(0.84, 0.8));
    }

    /// A drawn signature fitted into a w×h box, keeping its pad's proportions, as vector
    /// curves whose widths follow the stored pressure (or speed).
    pub fn ink(&mut self, d: &DrawnSignature, w: f64, h: f64) {
        let aspect = if d.aspect.is_finite() && d.aspect > 0.0 { f64::from(d.aspect) } else { 3.0 };
        let (pw, ph) = if w / h > aspect { (h * aspect, h) } else { (w, w / aspect) };
        let (ox, oy) = ((w - pw) / 2.0, (h - ph) / 2.0);
        self.ops.push_str("q 0.08 0.13 0.24 RG 0.08 0.13 0.24 rg 1 J 1 j\n");
        for s in &d.strokes {
            let pts: Vec<(f64, f64)> = s.points.iter().map(|p| (ox + f64::from(p.x) * pw, oy + (1.0 - f64::from(p.y)) * ph)).collect();
            if pts.is_empty() {
                continue;
            }
            let widths = ink::widths(s, pw);
            for seg in ink::segments(&pts, &widths) {
                let (c1, c2) = (
                    (seg.from.0 + 2.0 / 3.0 * (seg.ctrl.0 - seg.from.0), seg.from.1 + 2.0 / 3.0 * (seg.ctrl.1 - seg.from.1)),
                    (seg.to.0 + 2.0 / 3.0 * (seg.ctrl.0 - seg.to.0), seg.to.1 + 2.0 / 3.0 * (seg.ctrl.1 - seg.to.1)),
                );
                let _ = writeln!(
                    self.ops,
                    "{} w {} {} m {} {} {} {} {} {} c S",
                    real(seg.width),
                    real(seg.from.0),
                    real(seg.from.1),
                    real(c1.0),
                    real(c1.1),
                    real(c2.0),
                    real(c2.1),
                    real(seg.to.0),
                    real(seg.to.1)
                );
            }
        }
        self.ops.push_str("Q\n");
    }

    /// An image fitted into a w×h box, centred.
    pub fn image(&mut self, res: &mut Resources, png: &[u8], w: f64, h: f64) -> anyhow::Result<()> {
        let (iw, ih) = png_size(png)?;
        let scale = (w / iw).min(h / ih);
        let (dw, dh) = (iw * scale, ih * scale);
        let name = res.image(png);
        let _ = writeln!(self.ops, "q {} 0 0 {} {} {} cm /{name} Do Q", real(dw), real(dh), real((w - dw) / 2.0), real((h - dh) / 2.0));
        Ok(())
    }

    /// Draws `mark` into a field of size w×h (local coordinates).
    pub fn mark(&mut self, res: &mut Resources, mark: &Mark, w: f64, h: f64) -> anyhow::Result<()> {
        let _ = writeln!(self.ops, "q 0 0 {} {} re W n", real(w), real(h));
        match mark {
            Mark::Text { text, font } => {
                self.push("0.08 0.13 0.24 rg");
                self.fitted_text(res, *font, w, h, text);
            }
            Mark::Notice(text) => {
                self.push("0.80 0.08 0.08 rg");
                self.fitted_text(res, FontKind::Text, w, h, text);
            }
            Mark::Check => self.check(w, h),
            Mark::Ink(d) => self.ink(d, w, h),
            Mark::Image(png) => self.image(res, png, w, h)?,
            Mark::Cover => {
                let _ = writeln!(self.ops, "1 1 1 rg 0 0 {} {} re f", real(w), real(h));
            }
        }
        self.push("Q");
        Ok(())
    }
}

/// Marks for one page as a content stream, each in its field's upright coordinates.
pub fn page_stamp(res: &mut Resources, g: &PageGeometry, marks: &[&Placed]) -> anyhow::Result<String> {
    let mut c = Canvas::default();
    for p in marks {
        let (m, w, h) = g.field_matrix(&p.rect);
        let _ = writeln!(c.ops, "q {} {} {} {} {} {} cm", real(m[0]), real(m[1]), real(m[2]), real(m[3]), real(m[4]), real(m[5]));
        c.mark(res, &p.mark, w, h)?;
        c.push("Q");
    }
    Ok(c.ops)
}

/// A page's resources dictionary, resolved (inline, referenced, or inherited).
fn resources(doc: &lopdf::Document, page: ObjectId) -> Dictionary {
    let mut node = doc.get_dictionary(page).ok();
    for _ in 0..32 {
        let Some(d) = node else { break };
        match d.get(b"Resources") {
            Ok(Object::Dictionary(r)) => return r.clone(),
            Ok(Object::Reference(id)) => return doc.get_dictionary(*id).cloned().unwrap_or_default(),
            _ => {}
        }
        node = d.get(b"Parent").ok().and_then(|p| p.as_reference().ok()).and_then(|p| doc.get_dictionary(p).ok());
    }
    Dictionary::new()
}

/// `entries` merged into the resource subdictionary `key` (e.g. /Font).
fn merge_sub(doc: &lopdf::Document, res: &mut Dictionary, key: &[u8], entries: &Dictionary) {
    if entries.is_empty() {
        return;
    }
    let mut sub = match res.get(key) {
        Ok(Object::Dictionary(d)) => d.clone(),
        Ok(Object::Reference(id)) => doc.get_dictionary(*id).cloned().unwrap_or_default(),
        _ => Dictionary::new(),
    };
    for (k, v) in entries.iter() {
        sub.set(k.clone(), v.clone());
    }
    res.set(key.to_vec(), Object::Dictionary(sub));
}

/// A new page to append: size in points and its content (using `Resources`).
pub struct NewPage {
    pub width: f64,
    pub height: f64,
    pub content: String,
}

/// A value for the document's own form field of the same name, and where its mark is.
#[derive(Clone, Debug)]
pub struct FormEntry {
    pub page: u32,
    pub rect: FieldRect,
    pub value: FormValue,
}

/// Writes the marks and the form's values onto `base` and appends `pages`, as one
/// incremental update. `geometry` gives each page's displayed box (as recorded at upload).
pub fn compose(
    base: &[u8],
    geometry: &[PageGeometry],
    marks: &[Placed],
    form: &[FormEntry],
    pages: Vec<NewPage>,
    mut res: Resources,
) -> anyhow::Result<Vec<u8>> {
    let doc = lopdf::Document::load_mem(base).context("reading the document to stamp")?;
    let page_ids: Vec<ObjectId> = doc.get_pages().into_values().collect();
    if page_ids.len() != geometry.len() {
        bail!("the document has {} pages, {} were recorded", page_ids.len(), geometry.len());
    }
    let mut up = Update::new(&doc);
    let values: Vec<FormValue> = form.iter().map(|e| e.value.clone()).collect();
    let written = acroform::fill(&doc, &mut up, &values).context("writing the form's values")?;
    // A check box or radio button that now shows the value by its own appearance, inside the
    // field's box, replaces Dojang's mark there; anywhere else Dojang's mark stays.
    let shown_by_form = |m: &Placed| {
        form.iter().any(|e| {
            matches!(e.value.kind, FieldKind::Checkbox | FieldKind::Radio)
                && e.page == m.page
                && e.rect == m.rect
                && written
                    .iter()
                    .any(|w| *w.value == e.value && w.shown_at.is_some_and(|(page, r)| page == e.page && centre_inside(geometry, page, &r, &e.rect)))
        })
    };
    let mut by_page: BTreeMap<u32, Vec<&Placed>> = BTreeMap::new();
    for m in marks.iter().filter(|m| !shown_by_form(m)) {
        by_page.entry(m.page).or_default().push(m);
    }
    let mut streams = Vec::new();
    for (page, marks) in &by_page {
        let g = geometry.get(*page as usize).context("a mark on a page that does not exist")?;
        streams.push((*page, page_stamp(&mut res, g, marks)?));
    }
    let (fonts, xobjects) = res.embed(&mut up)?;

    if !streams.is_empty() {
        let q = up.add_stream(Dictionary::new(), b"q\n", false);
        let big_q = up.add_stream(Dictionary::new(), b"\nQ\n", false);
        for (page, ops) in streams {
            let id = page_ids[page as usize];
            let mut dict = doc.get_dictionary(id)?.clone();
            let mut contents = vec![Object::Reference(q)];
            match dict.get(b"Contents") {
                Ok(Object::Reference(r)) => match doc.get_object(*r) {
                    Ok(Object::Array(a)) => contents.extend(a.iter().cloned()),
                    _ => contents.push(Object::Reference(*r)),
                },
                Ok(Object::Array(a)) => contents.extend(a.iter().cloned()),
                _ => {}
            }
            contents.push(Object::Reference(big_q));
            contents.push(Object::Reference(up.add_stream(Dictionary::new(), ops.as_bytes(), true)));
            dict.set("Contents", Object::Array(contents));
            let mut r = resources(&doc, id);
            merge_sub(&doc, &mut r, b"Font", &fonts);
            merge_sub(&doc, &mut r, b"XObject", &xobjects);
            dict.set("Resources", Object::Dictionary(r));
            up.set(id, &Object::Dictionary(dict));
        }
    }

    if !pages.is_empty() {
        let root = doc.trailer.get(b"Root")?.as_reference()?;
        let pages_id = doc.get_dictionary(root)?.get(b"Pages")?.as_reference()?;
        let mut tree = doc.get_dictionary(pages_id)?.clone();
        let mut kids = tree.get(b"Kids").and_then(|k| k.as_array()).cloned().unwrap_or_default();
        let count = tree.get(b"Count").and_then(|c| c.as_i64()).unwrap_or(0);
        let mut r = Dictionary::new();
        r.set("Font", Object::Dictionary(fonts));
        r.set("XObject", Object::Dictionary(xobjects));
        for p in &pages {
            let content = up.add_stream(Dictionary::new(), p.content.as_bytes(), true);
            let mut d = Dictionary::new();
            let bx = Object::Array(vec![0.into(), 0.into(), Object::Real(p.width as f32), Object::Real(p.height as f32)]);
            d.set("Type", Object::Name(b"Page".to_vec()));
            d.set("Parent", Object::Reference(pages_id));
            d.set("MediaBox", bx.clone());
            d.set("CropBox", bx);
            d.set("Rotate", Object::Integer(0));
            d.set("Resources", Object::Dictionary(r.clone()));
            d.set("Contents", Object::Reference(content));
            kids.push(Object::Reference(up.add(&Object::Dictionary(d))));
        }
        tree.set("Kids", Object::Array(kids));
        tree.set("Count", Object::Integer(count + pages.len() as i64));
        up.set(pages_id, &Object::Dictionary(tree));
    }
    Ok(up.finish(base).0)
}

/// Whether the centre of `widget` (user space of page `page`) lies inside `field` as shown.
fn centre_inside(geometry: &[PageGeometry], page: u32, widget: &crate::geometry::UserRect, field: &FieldRect) -> bool {
    let Some(g) = geometry.get(page as usize) else { return false };
    match crate::pdf::tags::place(g, widget, &crate::pdf::tags::Tag::default()) {
        Ok(w) => {
            let (cx, cy) = (w.x + w.width / 2.0, w.y + w.height / 2.0);
            cx >= field.x && cx <= field.x + field.width && cy >= field.y && cy <= field.y + field.height
        }
        Err(_) => false,
    }
}

/// Width and height of a PNG, from its header.
fn png_size(png: &[u8]) -> anyhow::Result<(f64, f64)> {
    if png.len() < 24 || &png[..8] != b"\x89PNG\r\n\x1a\n" {
        bail!("not a PNG");
    }
    let w = u32::from_be_bytes([png[16], png[17], png[18], png[19]]);
    let h = u32::from_be_bytes([png[20], png[21], png[22], png[23]]);
    if w == 0 || h == 0 {
        bail!("empty PNG");
    }
    Ok((f64::from(w), f64::from(h)))
}

/// A PNG as an image XObject (RGB, with its alpha as a soft mask).
fn embed_png(up: &mut Update, png: &[u8]) -> anyhow::Result<ObjectId> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info()?;
    let mut buf = vec![0; reader.output_buffer_size().context("PNG too large")?];
    let frame = reader.next_frame(&mut buf)?;
    let (w, h) = (frame.width as usize, frame.height as usize);
    let px = &buf[..frame.buffer_size()];
    let mut rgb = Vec::with_capacity(w * h * 3);
    let mut alpha = Vec::with_capacity(w * h);
    let channels = match frame.color_type {
        png::ColorType::Grayscale => 1,
        png::ColorType::GrayscaleAlpha => 2,
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        png::ColorType::Indexed => bail!("unexpanded palette PNG"),
    };
    for p in px.chunks(channels) {
        match channels {
            1 | 2 => rgb.extend_from_slice(&[p[0], p[0], p[0]]),
            _ => rgb.extend_from_slice(&p[..3]),
        }
        alpha.push(if channels == 2 || channels == 4 { p[channels - 1] } else { 255 });
    }
    let image = |cs: &[u8], bytes: &[u8], up: &mut Update, smask: Option<ObjectId>| {
        let mut d = Dictionary::new();
        d.set("Type", Object::Name(b"XObject".to_vec()));
        d.set("Subtype", Object::Name(b"Image".to_vec()));
        d.set("Width", Object::Integer(w as i64));
        d.set("Height", Object::Integer(h as i64));
        d.set("ColorSpace", Object::Name(cs.to_vec()));
        d.set("BitsPerComponent", Object::Integer(8));
        if let Some(m) = smask {
            d.set("SMask", Object::Reference(m));
        }
        up.add_stream(d, bytes, true)
    };
    let mask = image(b"DeviceGray", &alpha, up, None);
    Ok(image(b"DeviceRGB", &rgb, up, Some(mask)))
}
