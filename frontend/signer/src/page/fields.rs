//! Filling the fields: the guide to the next field, and signatures through the pad (or the
//! one already adopted) put on signature and initials fields.

use super::state::Shared;
use crate::dom::{cast, document, find, testid, tid, toggle_class};
use crate::pad;
use dojang_core::ids::FieldId;
use dojang_core::model::{FieldKind, SignatureInput};
use std::rc::Rc;

/// Goes to the next field to fill (required ones first), and opens the pad for signatures.
pub(super) fn next(page: &Shared) {
    let target = {
        let p = page.borrow();
        let pick = p.fields.iter().find(|f| f.required && !p.is_filled(f)).or_else(|| p.fields.iter().find(|f| !p.is_filled(f)));
        pick.map(|f| (f.id.clone(), f.kind, f.el.clone()))
    };
    let Some((id, kind, el)) = target else {
        // A free-form signer with nothing placed: to the hint that says where to tap.
        if let Some(hint) = page.borrow().part(testid::SIGN_FREE_FORM_HINT) {
            hint.scroll_into_view();
        }
        return;
    };
    for f in &page.borrow().fields {
        toggle_class(&f.el, "focused", f.id == id);
    }
    let opts = web_sys::ScrollIntoViewOptions::new();
    opts.set_behavior(web_sys::ScrollBehavior::Smooth);
    opts.set_block(web_sys::ScrollLogicalPosition::Center);
    el.scroll_into_view_with_scroll_into_view_options(&opts);
    if let Some(input) = find(&el, "input, select").and_then(|i| cast::<web_sys::HtmlElement>(&i)) {
        let _ = input.focus();
    }
    if matches!(kind, FieldKind::Signature | FieldKind::Initials) {
        sign_field(page, &id, kind);
    }
}

/// Opens the pad for a signature field, or reuses the signature already adopted.
pub(super) fn sign_field(page: &Shared, id: &FieldId, kind: FieldKind) {
    let initials = kind == FieldKind::Initials;
    let reuse = {
        let p = page.borrow();
        if p.pad.is_some() {
            return;
        }
        let adopted = if initials { p.adopted.1 } else { p.adopted.0 };
        adopted.filter(|_| !p.uses.contains_key(id))
    };
    if let Some(i) = reuse {
        return use_signature(page, id, i);
    }
    let (template, name, texts, main) = {
        let p = page.borrow();
        let Some(t) = document().get_element_by_id("sign-pad") else { return };
        (t, p.boot.signer_name.clone(), p.texts.clone(), p.main.clone())
    };
    let done = pad_done(page, id, initials);
    let opened = pad::open(&template, &main, kind, &name, texts, done);
    page.borrow_mut().pad = opened;
}

/// What the pad for field `id` ends with: the pad closes, and a signature is adopted (for
/// signatures or for initials) and put on the field.
fn pad_done(page: &Shared, id: &FieldId, initials: bool) -> pad::Done {
    let (page, id) = (page.clone(), id.clone());
    Rc::new(move |result: Option<SignatureInput>| {
        let pad = page.borrow_mut().pad.take();
        if let Some(pad) = pad {
            pad.close();
        }
        let Some(input) = result else {
            super::place::drop_unsigned(&page, &id);
            return;
        };
        let index = {
            let mut p = page.borrow_mut();
            p.signatures.push(input);
            let index = p.signatures.len() - 1;
            if initials {
                p.adopted.1 = Some(index);
            } else {
                p.adopted.0 = Some(index);
            }
            index
        };
        use_signature(&page, &id, index);
    })
}

/// Puts signature `index` on a field: it shows its picture and counts as filled.
fn use_signature(page: &Shared, id: &FieldId, index: usize) {
    let mut p = page.borrow_mut();
    p.uses.insert(id.clone(), index);
    let png = p.signatures.get(index).map(|s| s.png().to_owned()).unwrap_or_default();
    if let Some(button) = p.fields.iter().find(|f| f.id == *id).and_then(|f| find(&f.el, &tid(testid::SIGN_SIGNATURE_FIELD))) {
        button.set_inner_html("");
        if let Ok(img) = document().create_element("img") {
            let _ = img.set_attribute("alt", "");
            let _ = img.set_attribute("src", &png);
            let _ = button.append_child(&img);
        }
    }
    p.refresh();
}
