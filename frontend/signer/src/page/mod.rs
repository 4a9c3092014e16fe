//! The signing page: consent, the signer's fields (filled in place, a guide to the next
//! one), signatures through the pad, finishing and declining. It works on the markup the
//! server rendered (`app/src/pages/sign`), which is the page in its first state.
//!
//! This module reads that markup into the page's state (`state`) and wires it (`wire`) to
//! the actions: filling fields (`fields`), placing signatures where the signer has no fields
//! (`place`) and the calls that agree, decline or finish (`submit`).

mod fields;
mod place;
mod state;
mod submit;
mod texts;
mod wire;

pub use texts::Texts;

use crate::dom::{document, find, find_all, testid, tid};
use crate::net;
use dojang_core::ids::FieldId;
use dojang_core::model::{FieldKind, SignerBoot};
use state::{MyField, Page, Shared};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::Element;

/// Brings the server-rendered signing page to life.
pub fn start(mut boot: SignerBoot) {
    let Some(main) = document().query_selector(&tid(testid::SIGN_PAGE)).ok().flatten() else { return };
    let fields = read_fields(&main);
    let values = prefilled(&fields);
    let texts = Rc::new(Texts(std::mem::take(&mut boot.texts)));
    let page: Shared = Rc::new(RefCell::new(Page {
        boot,
        texts,
        main: main.clone(),
        fields,
        values,
        signatures: Vec::new(),
        uses: HashMap::new(),
        adopted: (None, None),
        busy: false,
        consenting: false,
        pad: None,
    }));
    wire::wire(&page);
    page.borrow().refresh();
    opened(&page, &main);
}

/// The signer's fields in the page, in reading order (`data-order`).
fn read_fields(main: &Element) -> Vec<MyField> {
    let mut fields: Vec<(usize, MyField)> = find_all(main, &format!("{}[data-order]", tid(testid::SIGN_FIELD)))
        .into_iter()
        .filter_map(|el| {
            let order = el.get_attribute("data-order")?.parse().ok()?;
            let id = FieldId::parse(&el.get_attribute("data-field-id")?).ok()?;
            let kind = FieldKind::parse(&el.get_attribute("data-kind")?)?;
            let required = el.get_attribute("data-required").as_deref() == Some("true");
            Some((order, MyField { id, kind, required, el, placed: None }))
        })
        .collect();
    fields.sort_unstable_by_key(|(o, _)| *o);
    fields.into_iter().map(|(_, f)| f).collect()
}

/// Name and email fields start with what the sender entered.
fn prefilled(fields: &[MyField]) -> HashMap<FieldId, String> {
    fields
        .iter()
        .filter_map(|f| {
            let el = find(&f.el, "input, select")?;
            let v = if let Some(select) = el.dyn_ref::<web_sys::HtmlSelectElement>() {
                select.value()
            } else {
                let input = el.dyn_ref::<web_sys::HtmlInputElement>()?;
                match input.type_().as_str() {
                    "checkbox" if input.checked() => "true".to_owned(),
                    "checkbox" => String::new(),
                    _ => input.value(),
                }
            };
            (!v.is_empty()).then(|| (f.id.clone(), v))
        })
        .collect()
}

/// Tells the host page that the page loaded, and the server that the link was opened.
fn opened(page: &Shared, main: &Element) {
    // Count the first real opening (from a browser running the page, not a link preview).
    let state = find(main, &tid(testid::SIGN_STATE)).and_then(|e| e.get_attribute("data-state")).unwrap_or_else(|| "Ready".into());
    page.borrow().tell_host("signing.loaded", serde_json::json!({ "state": state.to_ascii_lowercase() }));
    let token = page.borrow().boot.token.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let _ = net::call("sign/opened", net::Body::Form(vec![("token", token)])).await;
    });
}
