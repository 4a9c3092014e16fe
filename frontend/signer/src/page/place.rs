//! Free-form signing: a signer without fields taps the place on any page where they want to
//! sign. A signature box appears there, centred on the tap, with the signature already
//! adopted or the pad open for one; the box can be removed again, and one whose pad was
//! cancelled goes. Each box is sent as a placement (`SignSubmission::placements`).

use super::fields::sign_field;
use super::state::{MyField, Placed, Shared};
use crate::dom::{document, find_all, on, testid};
use dojang_core::geometry::FieldRect;
use dojang_core::ids::{DocumentId, FieldId};
use dojang_core::model::FieldKind;
use wasm_bindgen::JsCast;
use web_sys::Element;

/// A placed signature's width, as a fraction of the page; its height follows the pad's 3:1.
const WIDTH: f64 = 0.3;

/// Lets every page take a tap that places a signature.
pub(super) fn wire(page: &Shared) {
    let main = page.borrow().main.clone();
    for sheet in find_all(&main, ".sign-page[data-document]") {
        let (page, sheet2) = (page.clone(), sheet.clone());
        on(&sheet, "click", move |e| {
            let on_a_field = e.target().and_then(|t| t.dyn_into::<Element>().ok()).and_then(|t| t.closest(".sfield").ok().flatten()).is_some();
            let Some(at) = e.dyn_ref::<web_sys::MouseEvent>() else { return };
            if on_a_field || !ready(&page) {
                return;
            }
            add(&page, &sheet2, f64::from(at.client_x()), f64::from(at.client_y()));
        });
    }
}

/// Whether a tap places a signature now: consented, nothing under way, no pad open.
fn ready(page: &Shared) -> bool {
    let p = page.borrow();
    p.pad.is_none() && !p.busy && !p.consenting && p.part(testid::CONSENT).is_none_or(|c| c.has_attribute("hidden"))
}

/// The box centred on the tap at (`cx`, `cy`) in the viewport, kept inside the page.
fn rect_at(sheet: &Element, cx: f64, cy: f64) -> Option<FieldRect> {
    let r = sheet.get_bounding_client_rect();
    if r.width() <= 0.0 || r.height() <= 0.0 {
        return None;
    }
    let (w, h) = (WIDTH, (WIDTH * r.width() / 3.0 / r.height()).min(1.0));
    let x = ((cx - r.left()) / r.width() - w / 2.0).clamp(0.0, 1.0 - w);
    let y = ((cy - r.top()) / r.height() - h / 2.0).clamp(0.0, 1.0 - h);
    FieldRect::parse(x, y, w, h).ok()
}

/// A percentage with two decimals, without compiling float formatting in.
fn percent(v: f64) -> String {
    let hundredths = (v * 10_000.0).round() as u32;
    format!("{}.{:02}%", hundredths / 100, hundredths % 100)
}

/// A local id for a placed box, one more each time (the server gives the field its own id).
fn local_id() -> Option<FieldId> {
    static PLACED: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = PLACED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    FieldId::parse(&format!("{:032x}", u128::from(n) | (0xf1ee << 112))).ok()
}

fn add(page: &Shared, sheet: &Element, cx: f64, cy: f64) {
    let Some(rect) = rect_at(sheet, cx, cy) else { return };
    let Some(document_id) = sheet.get_attribute("data-document").and_then(|d| DocumentId::parse(&d).ok()) else { return };
    let Some(index) = sheet.get_attribute("data-page").and_then(|p| p.parse::<u32>().ok()) else { return };
    let Some(id) = local_id() else { return };
    let Some(el) = build(page, rect) else { return };
    let _ = sheet.append_child(&el);
    let sign = el.query_selector("[data-testid=\"sign-signature-field\"]").ok().flatten();
    let remove = el.query_selector("[data-testid=\"sign-placed-remove\"]").ok().flatten();
    page.borrow_mut().fields.push(MyField {
        id: id.clone(),
        kind: FieldKind::Signature,
        required: true,
        el,
        placed: Some(Placed { document_id, page: index, rect }),
    });
    if let Some(b) = sign {
        let (page, id) = (page.clone(), id.clone());
        on(&b, "click", move |_| sign_field(&page, &id, FieldKind::Signature));
    }
    if let Some(b) = remove {
        let (page, id) = (page.clone(), id.clone());
        on(&b, "click", move |_| take_away(&page, &id));
    }
    page.borrow().refresh();
    sign_field(page, &id, FieldKind::Signature);
}

/// The box: a signature button (the pad, or the picture once signed) and a remove button.
fn build(page: &Shared, rect: FieldRect) -> Option<Element> {
    let texts = page.borrow().texts.clone();
    let el = document().create_element("div").ok()?;
    let _ = el.set_attribute("class", "sfield mine required placed");
    let _ = el.set_attribute("data-testid", testid::SIGN_PLACED);
    let _ =
        el.set_attribute("style", &format!("left:{};top:{};width:{};height:{}", percent(rect.x), percent(rect.y), percent(rect.width), percent(rect.height)));
    let sign = document().create_element("button").ok()?;
    let _ = sign.set_attribute("type", "button");
    let _ = sign.set_attribute("class", "sig-button");
    let _ = sign.set_attribute("data-testid", testid::SIGN_SIGNATURE_FIELD);
    sign.set_text_content(Some(texts.get("sign_tap_sign")));
    let remove = document().create_element("button").ok()?;
    let _ = remove.set_attribute("type", "button");
    let _ = remove.set_attribute("class", "placed-remove");
    let _ = remove.set_attribute("data-testid", testid::SIGN_PLACED_REMOVE);
    let _ = remove.set_attribute("aria-label", texts.get("sign_placed_remove"));
    remove.set_text_content(Some("×"));
    el.append_child(&sign).ok()?;
    el.append_child(&remove).ok()?;
    Some(el)
}

/// Removes a placed box.
fn take_away(page: &Shared, id: &FieldId) {
    let mut p = page.borrow_mut();
    if p.pad.is_some() || p.busy {
        return;
    }
    if let Some(i) = p.fields.iter().position(|f| f.id == *id && f.placed.is_some()) {
        p.fields.remove(i).el.remove();
        p.uses.remove(id);
    }
    p.refresh();
}

/// After the pad closed without a signature: a placed box that has none goes.
pub(super) fn drop_unsigned(page: &Shared, id: &FieldId) {
    let mut p = page.borrow_mut();
    if p.uses.contains_key(id) {
        return;
    }
    if let Some(i) = p.fields.iter().position(|f| f.id == *id && f.placed.is_some()) {
        p.fields.remove(i).el.remove();
    }
    p.refresh();
}
