//! A PDF's own form (AcroForm): its fields read as Dojang fields can take them (text, check
//! box, radio group, choice, signature — each with its full name, widget boxes, options and
//! value), and values written back into the same fields when sealing: `/V` and the widgets'
//! states set, the fields made read-only, text and choice widgets given an empty appearance so
//! the value Dojang draws on the page is what shows (one text, in the embedded font).

use super::write::{text_string, Update};
use crate::geometry::UserRect;
use crate::model::FieldKind;
use lopdf::{Dictionary, Document, Object, ObjectId};
use std::collections::HashMap;

/// Field flags (PDF 32000-1, 12.7.3.1 and 12.7.4).
const READ_ONLY: i64 = 1;
const REQUIRED: i64 = 1 << 1;
const RADIO: i64 = 1 << 15;
const PUSH_BUTTON: i64 = 1 << 16;
/// Deepest field tree walked, and most fields read from one document.
const MAX_DEPTH: usize = 32;
const MAX_FIELDS: usize = 2_000;

/// One terminal field of the form.
#[derive(Clone, Debug, PartialEq)]
pub struct FormField {
    /// The full name (`parent.child`).
    pub name: String,
    pub kind: FieldKind,
    /// The tooltip (`/TU`), if any.
    pub tooltip: Option<String>,
    pub required: bool,
    pub read_only: bool,
    /// Radio: the buttons' on-states; choice: the export values.
    pub options: Vec<String>,
    /// Text and choice: the text; check box: `true`/`false`; radio: the chosen on-state.
    pub value: Option<String>,
    /// Each widget: its page (0-based) and box in the page's user space.
    pub widgets: Vec<(u32, UserRect)>,
}

/// What to write into one field.
#[derive(Clone, Debug, PartialEq)]
pub struct FormValue {
    pub name: String,
    pub kind: FieldKind,
    /// As the signer gave it (`true`/`false` for check boxes).
    pub value: String,
}

/// A terminal field as found: its object, the attributes it inherits, and its widgets.
struct Terminal {
    id: ObjectId,
    name: String,
    ft: Vec<u8>,
    flags: i64,
    widgets: Vec<ObjectId>,
}

/// Every terminal field with a widget (`parse` refuses nothing: a form it cannot read gives
/// no fields).
pub fn fields(bytes: &[u8]) -> Vec<FormField> {
    let Ok(doc) = Document::load_mem(bytes) else { return Vec::new() };
    if doc.is_encrypted() {
        return Vec::new();
    }
    let pages: HashMap<ObjectId, u32> = doc.get_pages().into_iter().map(|(n, id)| (id, n.saturating_sub(1))).collect();
    let annots = page_of_annotation(&doc);
    terminals(&doc)
        .into_iter()
        .filter_map(|t| {
            let dict = doc.get_dictionary(t.id).ok()?;
            let kind = kind_of(&t.ft, t.flags)?;
            let widgets: Vec<(u32, UserRect)> = t
                .widgets
                .iter()
                .filter_map(|w| {
                    let wd = doc.get_dictionary(*w).ok()?;
                    let page = wd.get(b"P").and_then(Object::as_reference).ok().and_then(|p| pages.get(&p).copied()).or_else(|| annots.get(w).copied())?;
                    Some((page, rect_of(&doc, wd)?))
                })
                .collect();
            if widgets.is_empty() {
                return None;
            }
            let on_states: Vec<String> = t.widgets.iter().filter_map(|w| on_state(&doc, *w)).collect();
            let options = match kind {
                FieldKind::Radio => dedup(on_states.clone()),
                FieldKind::Select => choice_options(&doc, dict),
                _ => Vec::new(),
            };
            let v = dict.get(b"V").ok().and_then(|v| doc.dereference(v).ok()).map(|(_, v)| v);
            let value = match (kind, v) {
                (FieldKind::Checkbox, Some(Object::Name(n))) => Some((n.as_slice() != b"Off").to_string()),
                (FieldKind::Checkbox, _) => Some("false".into()),
                (FieldKind::Radio, Some(Object::Name(n))) if n.as_slice() != b"Off" => Some(name_text(n)),
                (FieldKind::Text | FieldKind::Select, Some(s @ Object::String(..))) => text_of(s).filter(|s| !s.is_empty()),
                _ => None,
            };
            Some(FormField {
                name: t.name,
                kind,
                tooltip: dict.get(b"TU").ok().and_then(text_of).filter(|s| !s.trim().is_empty()),
                required: t.flags & REQUIRED != 0,
                read_only: t.flags & READ_ONLY != 0,
                options,
                value,
                widgets,
            })
        })
        .collect()
}

/// Writes `values` into the fields of their names, as part of `up`; returns the values that
/// found their field. Fields of another kind (`takes`) and signature fields are left alone.
pub fn fill<'a>(doc: &Document, up: &mut Update, values: &'a [FormValue]) -> anyhow::Result<Vec<&'a FormValue>> {
    if values.is_empty() {
        return Ok(Vec::new());
    }
    let by_name: HashMap<String, Terminal> = terminals(doc).into_iter().map(|t| (t.name.clone(), t)).collect();
    let mut written = Vec::new();
    // A field can be the widget too: changes to one object are gathered before it is set.
    let mut changed: HashMap<ObjectId, Dictionary> = HashMap::new();
    let mut edit = |id: ObjectId, f: &mut dyn FnMut(&mut Dictionary)| {
        if let Some(d) = changed.get_mut(&id) {
            f(d);
        } else if let Ok(d) = doc.get_dictionary(id) {
            let mut d = d.clone();
            f(&mut d);
            changed.insert(id, d);
        }
    };
    let mut empty: Option<ObjectId> = None;
    for v in values {
        let Some(t) = by_name.get(&v.name) else { continue };
        if !takes(kind_of(&t.ft, t.flags), v.kind) {
            continue;
        }
        match v.kind {
            FieldKind::Checkbox | FieldKind::Radio => {
                // The widget's own on-state name, as the file spells it.
                let states: Vec<Option<Vec<u8>>> = t.widgets.iter().map(|w| on_state_name(doc, *w)).collect();
                let chosen: Option<Vec<u8>> = match v.kind {
                    FieldKind::Checkbox => (v.value == "true").then(|| states.iter().flatten().next().cloned().unwrap_or_else(|| b"Yes".to_vec())),
                    _ => match states.iter().flatten().find(|n| name_text(n) == v.value) {
                        Some(n) => Some(n.clone()),
                        None => continue,
                    },
                };
                let state = chosen.clone().unwrap_or_else(|| b"Off".to_vec());
                edit(t.id, &mut |d| d.set("V", Object::Name(state.clone())));
                for (w, own) in t.widgets.iter().zip(&states) {
                    let on = chosen.is_some() && own.as_deref() == chosen.as_deref();
                    edit(*w, &mut |d| d.set("AS", Object::Name(if on { own.clone().unwrap_or_default() } else { b"Off".to_vec() })));
                }
            }
            _ => {
                edit(t.id, &mut |d| {
                    d.set("V", text_string(&v.value));
                    d.remove(b"I");
                });
                let blank = *empty.get_or_insert_with(|| {
                    let mut form = Dictionary::new();
                    form.set("Type", Object::Name(b"XObject".to_vec()));
                    form.set("Subtype", Object::Name(b"Form".to_vec()));
                    form.set("BBox", Object::Array(vec![0.into(), 0.into(), 1.into(), 1.into()]));
                    up.add_stream(form, b"", false)
                });
                for w in &t.widgets {
                    edit(*w, &mut |d| {
                        let mut ap = Dictionary::new();
                        ap.set("N", Object::Reference(blank));
                        d.set("AP", Object::Dictionary(ap));
                    });
                }
            }
        }
        let flags = t.flags | READ_ONLY;
        edit(t.id, &mut |d| d.set("Ff", Object::Integer(flags)));
        written.push(v);
    }
    if !written.is_empty() {
        // Viewers must show the appearances as written, not make their own from `/V`.
        if let Some(form_id) = doc.catalog().ok().and_then(|c| c.get(b"AcroForm").ok()).and_then(|a| a.as_reference().ok()) {
            edit(form_id, &mut |d| d.set("NeedAppearances", Object::Boolean(false)));
        } else if let (Ok(root), Ok(catalog)) = (doc.trailer.get(b"Root").and_then(Object::as_reference), doc.catalog()) {
            if let Ok(Object::Dictionary(form)) = catalog.get(b"AcroForm") {
                let mut catalog = catalog.clone();
                let mut form = form.clone();
                form.set("NeedAppearances", Object::Boolean(false));
                catalog.set("AcroForm", Object::Dictionary(form));
                changed.insert(root, catalog);
            }
        }
    }
    for (id, d) in changed {
        up.set(id, &Object::Dictionary(d));
    }
    Ok(written)
}

/// Every terminal field under the AcroForm's `/Fields`, with inherited `/FT` and `/Ff`.
fn terminals(doc: &Document) -> Vec<Terminal> {
    let Some(fields) = doc
        .catalog()
        .ok()
        .and_then(|c| c.get(b"AcroForm").ok())
        .and_then(|a| doc.dereference(a).ok())
        .and_then(|(_, a)| a.as_dict().ok())
        .and_then(|a| a.get(b"Fields").ok())
        .and_then(|f| doc.dereference(f).ok())
        .and_then(|(_, f)| f.as_array().ok())
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut stack: Vec<(ObjectId, String, Vec<u8>, i64, usize)> =
        fields.iter().rev().filter_map(|f| f.as_reference().ok()).map(|id| (id, String::new(), Vec::new(), 0, 0)).collect();
    while let Some((id, prefix, ft, flags, depth)) = stack.pop() {
        if depth > MAX_DEPTH || out.len() >= MAX_FIELDS || !seen.insert(id) {
            continue;
        }
        let Ok(d) = doc.get_dictionary(id) else { continue };
        let part = d.get(b"T").ok().and_then(text_of);
        let name = match (&part, prefix.is_empty()) {
            (Some(p), true) => p.clone(),
            (Some(p), false) => format!("{prefix}.{p}"),
            (None, _) => prefix.clone(),
        };
        let ft = d.get(b"FT").and_then(Object::as_name).map(<[u8]>::to_vec).unwrap_or(ft);
        let flags = d.get(b"Ff").and_then(Object::as_i64).unwrap_or(flags);
        let kids: Vec<ObjectId> = d
            .get(b"Kids")
            .ok()
            .and_then(|k| doc.dereference(k).ok())
            .and_then(|(_, k)| k.as_array().ok())
            .map(|k| k.iter().filter_map(|o| o.as_reference().ok()).collect())
            .unwrap_or_default();
        // Kids with names are fields; kids without are this field's widgets.
        let (child_fields, widgets): (Vec<ObjectId>, Vec<ObjectId>) = kids.into_iter().partition(|k| doc.get_dictionary(*k).is_ok_and(|kd| kd.has(b"T")));
        if child_fields.is_empty() {
            if name.is_empty() {
                continue;
            }
            let widgets = if widgets.is_empty() { vec![id] } else { widgets };
            out.push(Terminal { id, name, ft, flags, widgets });
        } else {
            for k in child_fields.into_iter().rev() {
                stack.push((k, name.clone(), ft.clone(), flags, depth + 1));
            }
        }
    }
    out
}

fn kind_of(ft: &[u8], flags: i64) -> Option<FieldKind> {
    match ft {
        b"Tx" => Some(FieldKind::Text),
        b"Btn" if flags & PUSH_BUTTON != 0 => None,
        b"Btn" if flags & RADIO != 0 => Some(FieldKind::Radio),
        b"Btn" => Some(FieldKind::Checkbox),
        b"Ch" => Some(FieldKind::Select),
        b"Sig" => Some(FieldKind::Signature),
        _ => None,
    }
}

/// Whether a form field of kind `form` takes a Dojang value of kind `value`: a text field
/// any text (a name, an email, a number, a date as shown), the others their own kind.
fn takes(form: Option<FieldKind>, value: FieldKind) -> bool {
    match form {
        Some(FieldKind::Text) => matches!(value, FieldKind::Text | FieldKind::Name | FieldKind::Email | FieldKind::Number | FieldKind::Date),
        Some(k) => k == value && k != FieldKind::Signature,
        None => false,
    }
}

/// Widgets listed in pages' `/Annots`, by page (for widgets without `/P`).
fn page_of_annotation(doc: &Document) -> HashMap<ObjectId, u32> {
    let mut out = HashMap::new();
    for (n, page) in doc.get_pages() {
        let Ok(d) = doc.get_dictionary(page) else { continue };
        let Some(annots) = d.get(b"Annots").ok().and_then(|a| doc.dereference(a).ok()).and_then(|(_, a)| a.as_array().ok()) else { continue };
        for a in annots.iter().filter_map(|a| a.as_reference().ok()) {
            out.entry(a).or_insert(n.saturating_sub(1));
        }
    }
    out
}

fn rect_of(doc: &Document, d: &Dictionary) -> Option<UserRect> {
    let r = d.get(b"Rect").ok().and_then(|r| doc.dereference(r).ok()).and_then(|(_, r)| r.as_array().ok())?;
    let n: Vec<f64> = r.iter().filter_map(|v| v.as_float().ok().map(f64::from)).collect();
    let [a, b, c, e] = n.as_slice() else { return None };
    let rect = UserRect { left: a.min(*c), bottom: b.min(*e), right: a.max(*c), top: b.max(*e) };
    let finite = [rect.left, rect.bottom, rect.right, rect.top].iter().all(|v| v.is_finite());
    (finite && rect.right - rect.left > 0.5 && rect.top - rect.bottom > 0.5).then_some(rect)
}

/// The widget's "on" appearance state (any name of `/AP /N` but `Off`).
fn on_state_name(doc: &Document, widget: ObjectId) -> Option<Vec<u8>> {
    let d = doc.get_dictionary(widget).ok()?;
    let ap = d.get(b"AP").ok().and_then(|a| doc.dereference(a).ok()).and_then(|(_, a)| a.as_dict().ok())?;
    let n = ap.get(b"N").ok().and_then(|n| doc.dereference(n).ok()).and_then(|(_, n)| n.as_dict().ok())?;
    n.iter().map(|(k, _)| k.clone()).find(|k| k.as_slice() != b"Off")
}

fn on_state(doc: &Document, widget: ObjectId) -> Option<String> {
    on_state_name(doc, widget).map(|n| name_text(&n))
}

/// A name's bytes as text: UTF-8 (as Korean export values are written; else Latin-1). Some
/// producers escape a name twice, so that its bytes are `#ec#97#ac…` themselves: those read
/// as the UTF-8 they spell.
fn name_text(n: &[u8]) -> String {
    let plain = String::from_utf8(n.to_vec()).unwrap_or_else(|_| n.iter().map(|&b| b as char).collect());
    unescaped(n).unwrap_or(plain)
}

/// `#hh…` sequences decoded, when the name holds one and the result is UTF-8.
fn unescaped(n: &[u8]) -> Option<String> {
    if !n.contains(&b'#') {
        return None;
    }
    let mut out = Vec::with_capacity(n.len());
    let mut i = 0;
    while i < n.len() {
        if n[i] == b'#' {
            let hex = std::str::from_utf8(n.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(n[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// A text string: UTF-16BE with its byte-order mark, UTF-8 with its mark, else PDFDocEncoding
/// (read as Latin-1).
fn text_of(o: &Object) -> Option<String> {
    let Object::String(b, _) = o else { return None };
    if let Some(rest) = b.strip_prefix(&[0xFE, 0xFF]) {
        let units: Vec<u16> = rest.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect();
        return Some(String::from_utf16_lossy(&units));
    }
    if let Some(rest) = b.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return Some(String::from_utf8_lossy(rest).into_owned());
    }
    Some(b.iter().map(|&c| c as char).collect())
}

/// A choice field's export values (`/Opt` entries, or the first of each pair).
fn choice_options(doc: &Document, d: &Dictionary) -> Vec<String> {
    let Some(opt) = d.get(b"Opt").ok().and_then(|o| doc.dereference(o).ok()).and_then(|(_, o)| o.as_array().ok()) else { return Vec::new() };
    dedup(
        opt.iter()
            .filter_map(|o| match doc.dereference(o).ok()?.1 {
                s @ Object::String(..) => text_of(s),
                Object::Array(pair) => pair.first().and_then(text_of),
                _ => None,
            })
            .filter(|s| !s.trim().is_empty())
            .collect(),
    )
}

fn dedup(v: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(v.len());
    for s in v {
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_escaped_twice_read_as_the_text_they_spell() {
        assert_eq!(name_text(b"#eb#82#a8#ec#84#b1"), "남성");
        assert_eq!(name_text("남성".as_bytes()), "남성");
        assert_eq!(name_text(b"Yes"), "Yes");
        // Not an escape, or not UTF-8: the bytes as they are.
        assert_eq!(name_text(b"A#1"), "A#1");
        assert_eq!(name_text(b"#ff#fe"), "#ff#fe");
    }

    #[test]
    fn a_text_field_takes_any_text_and_the_others_their_own_kind() {
        assert!(takes(Some(FieldKind::Text), FieldKind::Email));
        assert!(takes(Some(FieldKind::Text), FieldKind::Date));
        assert!(!takes(Some(FieldKind::Checkbox), FieldKind::Text));
        assert!(takes(Some(FieldKind::Radio), FieldKind::Radio));
        assert!(!takes(Some(FieldKind::Signature), FieldKind::Signature));
        assert!(!takes(None, FieldKind::Text));
    }
}
