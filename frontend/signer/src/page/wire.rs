//! Wires the page's markup to the actions: the consent, decline, next and finish buttons,
//! and each of the signer's fields.

use super::fields::{next, sign_field};
use super::state::{set_value, Shared};
use super::submit::{agree, decline, finish};
use crate::dom::{cast, find, find_all, on, set_hidden, testid, tid};
use dojang_core::model::FieldKind;
use wasm_bindgen::JsCast;

pub(super) fn wire(page: &Shared) {
    wire_buttons(page);
    wire_fields(page);
    if page.borrow().boot.free_form {
        super::place::wire(page);
    }
}

fn wire_buttons(page: &Shared) {
    let p = page.borrow();
    let main = p.main.clone();
    if let Some(b) = p.part(testid::CONSENT_AGREE) {
        let page = page.clone();
        on(&b, "click", move |_| agree(&page));
    }
    for b in find_all(&main, "[data-action=\"decline\"]") {
        let page = page.clone();
        on(&b, "click", move |_| {
            if let Some(form) = page.borrow().part(testid::DECLINE_FORM) {
                set_hidden(&form, false);
                if let Some(t) = find(&form, "textarea").and_then(|t| cast::<web_sys::HtmlElement>(&t)) {
                    let _ = t.focus();
                }
            }
        });
    }
    if let Some(b) = find(&main, "[data-action=\"decline-cancel\"]") {
        let page = page.clone();
        on(&b, "click", move |_| {
            if let Some(form) = page.borrow().part(testid::DECLINE_FORM) {
                set_hidden(&form, true);
            }
        });
    }
    if let Some(form) = p.part(testid::DECLINE_FORM) {
        let page = page.clone();
        on(&form, "submit", move |e| {
            e.prevent_default();
            decline(&page);
        });
    }
    if let Some(b) = p.part(testid::SIGN_NEXT) {
        let page = page.clone();
        on(&b, "click", move |_| next(&page));
    }
    if let Some(b) = p.part(testid::SIGN_FINISH) {
        let page = page.clone();
        on(&b, "click", move |_| finish(&page));
    }
}

/// Signature fields open the pad; the other fields keep their value in the page's state.
fn wire_fields(page: &Shared) {
    let p = page.borrow();
    for f in &p.fields {
        let id = f.id.clone();
        match f.kind {
            FieldKind::Signature | FieldKind::Initials => {
                let Some(b) = find(&f.el, &tid(testid::SIGN_SIGNATURE_FIELD)) else { continue };
                let (page, kind) = (page.clone(), f.kind);
                on(&b, "click", move |_| sign_field(&page, &id, kind));
            }
            FieldKind::Date => {}
            FieldKind::Checkbox => {
                let Some(input) = find(&f.el, "input").and_then(|i| cast::<web_sys::HtmlInputElement>(&i)) else { continue };
                let page = page.clone();
                let i2 = input.clone();
                on(&input, "change", move |_| set_value(&page, &id, if i2.checked() { "true" } else { "false" }.to_owned()));
            }
            _ => {
                let Some(el) = find(&f.el, "input, select") else { continue };
                let page = page.clone();
                let el2 = el.clone();
                let read = move || match el2.dyn_ref::<web_sys::HtmlSelectElement>() {
                    Some(s) => s.value(),
                    None => el2.dyn_ref::<web_sys::HtmlInputElement>().map(|i| i.value()).unwrap_or_default(),
                };
                // Text inputs and selects both fire `input` on every change.
                on(&el, "input", move |_| set_value(&page, &id, read()));
            }
        }
    }
}
