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
/// Annotation flags: a widget a viewer never shows.
const HIDDEN: i64 = 1 << 1;
const NO_VIEW: i64 = 1 << 5;
/// Deepest field tree walked, most nodes visited, most fields read from one document, most
/// widgets of one field and options of one choice (a form that needs more is not one a
/// signer fills in a browser).
const MAX_DEPTH: usize = 32;
const MAX_NODES: usize = 20_000;
const MAX_FIELDS: usize = 2_000;
const MAX_WIDGETS: usize = 50;
const MAX_OPTIONS: usize = 500;

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

/// Every terminal field with a visible widget (nothing is refused: a form that cannot be read
/// gives no fields).
pub fn fields(bytes: &[u8]) -> Vec<FormField> {
    let Ok(doc) = Document::load_mem(bytes) else { return Vec::new() };
    if doc.is_encrypted() {
        return Vec::new();
    }
    let pages = WidgetPages::of(&doc);
    terminals(&doc)
        .into_iter()
        // A name two fields share cannot be written back to one of them.
        .filter_map(|(_, t)| t)
        .filter_map(|t| {
            let dict = doc.get_dictionary(t.id).ok()?;
            let kind = kind_of(&t.ft, t.flags)?;
            let widgets: Vec<(u32, UserRect)> = t
                .widgets
                .iter()
                .filter_map(|w| {
                    let wd = doc.get_dictionary(*w).ok()?;
                    if !visible(&doc, wd) {
                        return None;
                    }
                    Some((pages.page(wd, *w)?, rect_of(&doc, wd)?))
                })
                .collect();
            if widgets.is_empty() {
                return None;
            }
            let on_states = t.widgets.iter().filter_map(|w| on_state_name(&doc, *w)).map(|n| name_text(&n));
            let options = match kind {
                FieldKind::Radio => dedup(on_states),
                FieldKind::Select => choice_options(&doc, dict),
                _ => Vec::new(),
            };
            Some(FormField {
                name: t.name,
                kind,
                tooltip: deref(&doc, dict, b"TU").and_then(text_of).filter(|s| !s.trim().is_empty()),
                required: t.flags & REQUIRED != 0,
                read_only: t.flags & READ_ONLY != 0,
                options,
                widgets,
            })
        })
        .collect()
}

/// A value that found its form field, and the widget that now shows it by its own appearance
/// (a check box's or radio button's "on" state that draws something), if one does: its page
/// and box.
#[derive(Clone, Debug)]
pub struct Written<'a> {
    pub value: &'a FormValue,
    pub shown_at: Option<(u32, UserRect)>,
}

/// Writes `values` into the fields of their names, as part of `up`; returns the values that
/// found their field. Left alone: fields of another kind (`takes`), signature and read-only
/// fields, names two fields share, a field given two different values (its widgets as
/// several Dojang fields), and objects of a generation other than 0 (which the update could
/// not replace).
pub fn fill<'a>(doc: &Document, up: &mut Update, values: &'a [FormValue]) -> anyhow::Result<Vec<Written<'a>>> {
    if values.is_empty() {
        return Ok(Vec::new());
    }
    let by_name: HashMap<String, Terminal> = terminals(doc).into_iter().filter_map(|(n, t)| Some((n, t?))).collect();
    let mut given: HashMap<&str, Vec<&FormValue>> = HashMap::new();
    for v in values {
        given.entry(v.name.as_str()).or_default().push(v);
    }
    let pages = WidgetPages::of(doc);
    let mut written = Vec::new();
    // A field can be the widget too: changes to one object are gathered before it is set.
    let mut changed: HashMap<ObjectId, Dictionary> = HashMap::new();
    let edit = |changed: &mut HashMap<ObjectId, Dictionary>, id: ObjectId, f: &mut dyn FnMut(&mut Dictionary)| {
        if id.1 != 0 {
            return;
        }
        if let Some(d) = changed.get_mut(&id) {
            f(d);
        } else if let Ok(d) = doc.get_dictionary(id) {
            let mut d = d.clone();
            f(&mut d);
            changed.insert(id, d);
        }
    };
    let mut empty: Option<ObjectId> = None;
    for (name, vs) in given {
        let Some(t) = by_name.get(name) else { continue };
        let v = vs[0];
        if vs.iter().any(|o| o.value != v.value || o.kind != v.kind) || !takes(kind_of(&t.ft, t.flags), v.kind) || t.flags & READ_ONLY != 0 {
            continue;
        }
        if t.id.1 != 0 || t.widgets.iter().any(|w| w.1 != 0) {
            continue;
        }
        let mut shown_at = None;
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
                edit(&mut changed, t.id, &mut |d| d.set("V", Object::Name(state.clone())));
                for (w, own) in t.widgets.iter().zip(&states) {
                    let on = chosen.is_some() && own.as_deref() == chosen.as_deref();
                    edit(&mut changed, *w, &mut |d| d.set("AS", Object::Name(if on { own.clone().unwrap_or_default() } else { b"Off".to_vec() })));
                    if on && shown_at.is_none() {
                        shown_at = shows(doc, *w, own.as_deref().unwrap_or_default(), &pages);
                    }
                }
            }
            _ => {
                edit(&mut changed, t.id, &mut |d| {
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
                    edit(&mut changed, *w, &mut |d| {
                        let mut ap = Dictionary::new();
                        ap.set("N", Object::Reference(blank));
                        d.set("AP", Object::Dictionary(ap));
                    });
                }
            }
        }
        let flags = t.flags | READ_ONLY;
        edit(&mut changed, t.id, &mut |d| d.set("Ff", Object::Integer(flags)));
        written.extend(vs.into_iter().map(|value| Written { value, shown_at }));
    }
    // Viewers must show the appearances as written, not make their own from `/V` — unless a
    // field left as it was has a value and no appearance (it would vanish).
    if !written.is_empty() && !others_need_appearances(doc, &by_name, &changed) {
        if let Some(form_id) = doc.catalog().ok().and_then(|c| c.get(b"AcroForm").ok()).and_then(|a| a.as_reference().ok()) {
            edit(&mut changed, form_id, &mut |d| d.set("NeedAppearances", Object::Boolean(false)));
        } else if let (Ok(root), Ok(catalog)) = (doc.trailer.get(b"Root").and_then(Object::as_reference), doc.catalog()) {
            if let (Ok(Object::Dictionary(form)), 0) = (catalog.get(b"AcroForm"), root.1) {
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

/// Where widget `w` shows its on-state `state` by an appearance of its own that draws
/// something, if it is visible.
fn shows(doc: &Document, w: ObjectId, state: &[u8], pages: &WidgetPages) -> Option<(u32, UserRect)> {
    let d = doc.get_dictionary(w).ok()?;
    if !visible(doc, d) {
        return None;
    }
    let n = deref(doc, d, b"AP").and_then(|a| a.as_dict().ok()).and_then(|a| deref(doc, a, b"N")).and_then(|n| n.as_dict().ok())?;
    let on = n.get(state).ok().and_then(|o| o.as_reference().ok()).and_then(|id| doc.get_object(id).ok()).and_then(|o| o.as_stream().ok())?;
    if on.content.is_empty() {
        return None;
    }
    Some((pages.page(d, w)?, rect_of(doc, d)?))
}

/// Whether a field the update leaves as it was holds a value a viewer draws only from
/// `NeedAppearances` (one of its widgets has no normal appearance).
fn others_need_appearances(doc: &Document, fields: &HashMap<String, Terminal>, changed: &HashMap<ObjectId, Dictionary>) -> bool {
    let needs = doc
        .catalog()
        .ok()
        .and_then(|c| deref(doc, c, b"AcroForm"))
        .and_then(|a| a.as_dict().ok())
        .and_then(|a| a.get(b"NeedAppearances").ok())
        .and_then(|b| b.as_bool().ok())
        .unwrap_or(false);
    needs
        && fields.values().filter(|t| !changed.contains_key(&t.id)).any(|t| {
            let has_value = doc.get_dictionary(t.id).ok().and_then(|d| deref(doc, d, b"V")).is_some_and(|v| !matches!(v, Object::Null));
            has_value && t.widgets.iter().any(|w| doc.get_dictionary(*w).ok().and_then(|d| deref(doc, d, b"AP")).is_none())
        })
}

/// Every terminal field under the AcroForm's `/Fields` by full name, in order, with inherited
/// `/FT` and `/Ff` (`None` for a name two fields share). Each node is visited once, at most
/// `MAX_NODES` of them.
fn terminals(doc: &Document) -> Vec<(String, Option<Terminal>)> {
    let Some(fields) = doc
        .catalog()
        .ok()
        .and_then(|c| deref(doc, c, b"AcroForm"))
        .and_then(|a| a.as_dict().ok())
        .and_then(|a| deref(doc, a, b"Fields"))
        .and_then(|f| f.as_array().ok())
    else {
        return Vec::new();
    };
    let mut out: Vec<(String, Option<Terminal>)> = Vec::new();
    let mut at: HashMap<String, usize> = HashMap::new();
    let mut seen = std::collections::HashSet::new();
    let mut stack: Vec<(ObjectId, String, Vec<u8>, i64, usize)> = Vec::new();
    for id in fields.iter().rev().filter_map(|f| f.as_reference().ok()) {
        if seen.insert(id) {
            stack.push((id, String::new(), Vec::new(), 0, 0));
        }
    }
    // Kid entries looked at in all: arrays shared by many nodes are not read again and again.
    let mut budget = MAX_NODES * 10;
    while let Some((id, prefix, ft, flags, depth)) = stack.pop() {
        if depth > MAX_DEPTH || seen.len() > MAX_NODES || out.len() >= MAX_FIELDS || budget == 0 {
            break;
        }
        let Ok(d) = doc.get_dictionary(id) else { continue };
        let part = deref(doc, d, b"T").and_then(text_of);
        let name = match (&part, prefix.is_empty()) {
            (Some(p), true) => p.clone(),
            (Some(p), false) => format!("{prefix}.{p}"),
            (None, _) => prefix.clone(),
        };
        let ft = deref(doc, d, b"FT").and_then(|o| o.as_name().ok()).map(<[u8]>::to_vec).unwrap_or(ft);
        let flags = deref(doc, d, b"Ff").and_then(|o| o.as_i64().ok()).unwrap_or(flags);
        let kids: Vec<ObjectId> = deref(doc, d, b"Kids")
            .and_then(|k| k.as_array().ok())
            .map(|k| k.iter().take(budget).filter_map(|o| o.as_reference().ok()).collect())
            .unwrap_or_default();
        budget = budget.saturating_sub(kids.len().max(1));
        // Kids with names are fields; kids without are this field's widgets.
        let (child_fields, widgets): (Vec<ObjectId>, Vec<ObjectId>) = kids.into_iter().partition(|k| doc.get_dictionary(*k).is_ok_and(|kd| kd.has(b"T")));
        if child_fields.is_empty() {
            if name.is_empty() {
                continue;
            }
            let mut widgets = if widgets.is_empty() { vec![id] } else { widgets };
            widgets.truncate(MAX_WIDGETS);
            match at.get(&name) {
                Some(&i) => out[i].1 = None,
                None => {
                    at.insert(name.clone(), out.len());
                    out.push((name.clone(), Some(Terminal { id, name, ft, flags, widgets })));
                }
            }
        } else {
            for k in child_fields.into_iter().rev() {
                if seen.insert(k) {
                    stack.push((k, name.clone(), ft.clone(), flags, depth + 1));
                }
            }
        }
    }
    out
}

/// `d[key]`, followed if it is a reference.
fn deref<'a>(doc: &'a Document, d: &'a Dictionary, key: &[u8]) -> Option<&'a Object> {
    d.get(key).ok().and_then(|o| doc.dereference(o).ok()).map(|(_, o)| o)
}

/// Whether a viewer shows the widget (neither Hidden nor NoView).
fn visible(doc: &Document, widget: &Dictionary) -> bool {
    deref(doc, widget, b"F").and_then(|f| f.as_i64().ok()).is_none_or(|f| f & (HIDDEN | NO_VIEW) == 0)
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

/// Which page a widget is on: pages by object, and widgets listed in pages' `/Annots` (for
/// widgets without `/P`).
struct WidgetPages {
    by_page: HashMap<ObjectId, u32>,
    by_annotation: HashMap<ObjectId, u32>,
}

impl WidgetPages {
    fn of(doc: &Document) -> Self {
        let mut by_page = HashMap::new();
        let mut by_annotation = HashMap::new();
        for (n, page) in doc.get_pages() {
            let index = n.saturating_sub(1);
            by_page.insert(page, index);
            let Ok(d) = doc.get_dictionary(page) else { continue };
            let Some(annots) = deref(doc, d, b"Annots").and_then(|a| a.as_array().ok()) else { continue };
            for a in annots.iter().filter_map(|a| a.as_reference().ok()) {
                by_annotation.entry(a).or_insert(index);
            }
        }
        Self { by_page, by_annotation }
    }

    /// The page (0-based) of widget `w` (dictionary `d`): its `/P`, else the page listing it.
    fn page(&self, d: &Dictionary, w: ObjectId) -> Option<u32> {
        d.get(b"P").and_then(Object::as_reference).ok().and_then(|p| self.by_page.get(&p).copied()).or_else(|| self.by_annotation.get(&w).copied())
    }
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
    let Some(opt) = deref(doc, d, b"Opt").and_then(|o| o.as_array().ok()) else { return Vec::new() };
    dedup(
        opt.iter()
            .take(MAX_OPTIONS * 4)
            .filter_map(|o| match doc.dereference(o).ok()?.1 {
                s @ Object::String(..) => text_of(s),
                Object::Array(pair) => pair.first().and_then(text_of),
                _ => None,
            })
            .filter(|s| !s.trim().is_empty()),
    )
}

/// The first `MAX_OPTIONS` distinct values, in order.
fn dedup(v: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    v.into_iter().filter(|s| seen.insert(s.clone())).take(MAX_OPTIONS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use lopdf::dictionary;

    /// A one-page PDF whose form is made by `fields` (given the page's id, it adds its
    /// objects and returns the `/Fields` entries).
    fn form_pdf(fields: impl FnOnce(&mut Document, ObjectId) -> Vec<Object>) -> Vec<u8> {
        let mut doc = Document::with_version("1.7");
        let pages_id = doc.new_object_id();
        let page_id = doc.add_object(dictionary! { "Type" => "Page", "Parent" => pages_id, "MediaBox" => vec![0.into(), 0.into(), 600.into(), 800.into()] });
        let top = fields(&mut doc, page_id);
        let annots: Vec<Object> = doc.objects.keys().filter(|id| **id != page_id && **id != pages_id).map(|id| Object::Reference(*id)).collect();
        if let Ok(Object::Dictionary(p)) = doc.get_object_mut(page_id) {
            p.set("Annots", annots);
        }
        doc.objects.insert(pages_id, Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => vec![page_id.into()], "Count" => 1 }));
        let form = doc.add_object(dictionary! { "Fields" => top, "NeedAppearances" => true });
        let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id, "AcroForm" => form });
        doc.trailer.set("Root", catalog);
        let mut out = Vec::new();
        doc.save_to(&mut out).unwrap();
        out
    }

    fn text_field(doc: &mut Document, page: ObjectId, name: &str, y: i64, flags: i64) -> Object {
        let d = dictionary! {
            "Type" => "Annot", "Subtype" => "Widget", "FT" => "Tx", "T" => Object::string_literal(name), "Ff" => flags,
            "Rect" => vec![100.into(), y.into(), 300.into(), (y + 20).into()], "P" => page,
        };
        Object::Reference(doc.add_object(d))
    }

    #[test]
    fn names_two_fields_share_are_neither_taken_nor_written() {
        let pdf = form_pdf(|doc, page| vec![text_field(doc, page, "a", 700, 0), text_field(doc, page, "a", 600, 0), text_field(doc, page, "b", 500, 0)]);
        let found = fields(&pdf);
        assert_eq!(found.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(), ["b"]);
        let doc = Document::load_mem(&pdf).unwrap();
        let mut up = Update::new(&doc);
        let values = [
            FormValue { name: "a".into(), kind: FieldKind::Text, value: "x".into() },
            FormValue { name: "b".into(), kind: FieldKind::Text, value: "y".into() },
        ];
        let written = fill(&doc, &mut up, &values).unwrap();
        assert_eq!(written.iter().map(|w| w.value.name.as_str()).collect::<Vec<_>>(), ["b"]);
    }

    #[test]
    fn read_only_and_hidden_fields_stay_as_they_are_and_one_field_given_two_values_is_not_written() {
        let pdf = form_pdf(|doc, page| {
            let hidden = doc.add_object(dictionary! {
                "Type" => "Annot", "Subtype" => "Widget", "FT" => "Tx", "T" => Object::string_literal("hidden"), "F" => 2,
                "Rect" => vec![100.into(), 100.into(), 300.into(), 120.into()], "P" => page,
            });
            vec![text_field(doc, page, "locked", 700, READ_ONLY), Object::Reference(hidden), text_field(doc, page, "twice", 500, 0)]
        });
        let found = fields(&pdf);
        assert!(found.iter().find(|f| f.name == "locked").is_some_and(|f| f.read_only));
        assert!(!found.iter().any(|f| f.name == "hidden"), "{found:?}");
        let doc = Document::load_mem(&pdf).unwrap();
        let mut up = Update::new(&doc);
        let v = |name: &str, value: &str| FormValue { name: name.into(), kind: FieldKind::Text, value: value.into() };
        let values = [v("locked", "x"), v("twice", "one"), v("twice", "two")];
        assert!(fill(&doc, &mut up, &values).unwrap().is_empty());
    }

    #[test]
    fn a_form_whose_nodes_all_share_one_kids_array_is_read_in_bounded_time() {
        let pdf = form_pdf(|doc, _| {
            let ids: Vec<ObjectId> = (0..3_000).map(|_| doc.new_object_id()).collect();
            let kids: Vec<Object> = ids.iter().map(|id| Object::Reference(*id)).collect();
            let shared = doc.add_object(Object::Array(kids));
            for id in &ids {
                doc.objects.insert(*id, Object::Dictionary(dictionary! { "T" => Object::string_literal("n"), "Kids" => shared }));
            }
            vec![Object::Reference(ids[0])]
        });
        let started = std::time::Instant::now();
        assert!(fields(&pdf).is_empty());
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
    }

    #[test]
    fn a_check_box_without_an_appearance_is_written_but_not_shown_by_the_form() {
        let pdf = form_pdf(|doc, page| {
            let d = dictionary! {
                "Type" => "Annot", "Subtype" => "Widget", "FT" => "Btn", "T" => Object::string_literal("agree"),
                "Rect" => vec![100.into(), 100.into(), 112.into(), 112.into()], "P" => page,
            };
            vec![Object::Reference(doc.add_object(d))]
        });
        let doc = Document::load_mem(&pdf).unwrap();
        let mut up = Update::new(&doc);
        let values = [FormValue { name: "agree".into(), kind: FieldKind::Checkbox, value: "true".into() }];
        let written = fill(&doc, &mut up, &values).unwrap();
        assert_eq!(written.len(), 1);
        assert!(written[0].shown_at.is_none(), "Dojang's own mark must stay");
    }

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
