//! The signing page: consent, the signer's fields (filled in place, a guide to the next
//! one), signatures through the pad, finishing and declining. It works on the markup the
//! server rendered (`app/src/pages/sign`), which is the page in its first state.

use crate::dom::{cast, document, find, find_all, on, set_disabled, set_hidden, testid, tid, toggle_class, window};
use crate::net::Failure;
use crate::{host, net, pad};
use dojang_core::ids::FieldId;
use dojang_core::model::{FieldInput, FieldKind, SignSubmission, SignatureInput, SignerBoot, SignerState};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::Element;

/// The page's texts in the signer's language, by locale key.
pub struct Texts(pub BTreeMap<String, String>);

impl Texts {
    pub fn get(&self, key: &str) -> &str {
        self.0.get(key).map(String::as_str).unwrap_or("")
    }

    /// The message for an error: its code's translation, else the server's message (the
    /// same rule as the app's `error_text`).
    fn error(&self, e: &Failure) -> String {
        let key = format!("error.{}", e.code.to_ascii_lowercase());
        match self.0.get(&key) {
            Some(t) => t.clone(),
            None if e.status >= 500 => self.get("error.generic").to_owned(),
            None => e.message.clone(),
        }
    }
}

struct MyField {
    id: FieldId,
    kind: FieldKind,
    required: bool,
    el: Element,
}

struct Page {
    boot: SignerBoot,
    texts: Rc<Texts>,
    main: Element,
    /// The signer's fields in reading order.
    fields: Vec<MyField>,
    values: HashMap<FieldId, String>,
    signatures: Vec<SignatureInput>,
    /// Which signature each signature or initials field uses.
    uses: HashMap<FieldId, usize>,
    /// The last signature adopted, for signatures and for initials.
    adopted: (Option<usize>, Option<usize>),
    busy: bool,
    /// Agreed, and the consent is on its way to the server.
    consenting: bool,
    pad: Option<pad::Pad>,
}

type Shared = Rc<RefCell<Page>>;

impl Page {
    fn is_filled(&self, f: &MyField) -> bool {
        match f.kind {
            FieldKind::Signature | FieldKind::Initials => self.uses.contains_key(&f.id),
            FieldKind::Date => true,
            FieldKind::Checkbox => !f.required || self.values.get(&f.id).is_some_and(|x| x == "true"),
            _ => self.values.get(&f.id).is_some_and(|x| !x.trim().is_empty()),
        }
    }

    fn remaining(&self) -> usize {
        self.fields.iter().filter(|f| f.required && !self.is_filled(f)).count()
    }

    fn part(&self, id: &str) -> Option<Element> {
        find(&self.main, &tid(id))
    }

    /// Shows what is filled, how many are left, and whether the signer may finish.
    fn refresh(&self) {
        for f in &self.fields {
            toggle_class(&f.el, "filled", self.is_filled(f));
        }
        let remaining = self.remaining();
        let total = self.fields.iter().filter(|f| f.required).count();
        if let Some(count) = self.part(testid::SIGN_REMAINING) {
            let _ = count.set_attribute("data-remaining", &remaining.to_string());
            count.set_text_content(Some(&format!("{}/{} {}", total - remaining, total, self.texts.get("sign_fields_done"))));
        }
        if let Some(b) = self.part(testid::SIGN_FINISH) {
            set_disabled(&b, remaining > 0 || self.busy || self.consenting);
        }
        for id in [testid::CONSENT_AGREE, testid::DECLINE_SUBMIT] {
            if let Some(b) = self.part(id) {
                set_disabled(&b, self.busy);
            }
        }
    }

    /// Shows the consent card (the fields locked), or the fields and the sign bar.
    fn ask_consent(&self, asking: bool) {
        if let Some(c) = self.part(testid::CONSENT) {
            set_hidden(&c, !asking);
        }
        if let Some(bar) = self.part(testid::SIGN_BAR) {
            set_hidden(&bar, asking);
        }
        if let Some(pages) = find(&self.main, ".sign-pages") {
            toggle_class(&pages, "locked", asking);
        }
    }

    fn show_error(&self, e: Option<&Failure>) {
        if let Some(old) = self.part(testid::FORM_ERROR) {
            old.remove();
        }
        let Some(e) = e else { return };
        let Ok(alert) = document().create_element("div") else { return };
        let _ = alert.set_attribute("class", "alert");
        let _ = alert.set_attribute("role", "alert");
        let _ = alert.set_attribute("data-testid", testid::FORM_ERROR);
        let _ = alert.set_attribute("data-code", &e.code);
        alert.set_text_content(Some(&self.texts.error(e)));
        let anchor = self.part(testid::SIGN_BAR).or_else(|| self.part(testid::CONSENT));
        match anchor {
            Some(a) => {
                let _ = a.after_with_node_1(&alert);
            }
            None => {
                let _ = self.main.append_child(&alert);
            }
        }
    }

    /// The signing is over for this signer (signed or declined): say so, lock the page.
    fn settle(&self, state: SignerState) {
        for id in [testid::SIGN_BAR, testid::CONSENT, testid::DECLINE_FORM, testid::SIGN_STATE] {
            if let Some(e) = self.part(id) {
                e.remove();
            }
        }
        if let Some(pages) = find(&self.main, ".sign-pages") {
            toggle_class(&pages, "locked", true);
        }
        let Ok(card) = document().create_element("section") else { return };
        let _ = card.set_attribute("class", "card closed");
        let _ = card.set_attribute("data-testid", testid::SIGN_STATE);
        let _ = card.set_attribute("data-state", &format!("{state:?}"));
        if let Ok(p) = document().create_element("p") {
            p.set_text_content(Some(self.texts.get(state.message_key())));
            let _ = card.append_child(&p);
        }
        match find(&self.main, ".message").or_else(|| find(&self.main, ".sign-head")) {
            Some(a) => {
                let _ = a.after_with_node_1(&card);
            }
            None => {
                let _ = self.main.prepend_with_node_1(&card);
            }
        }
    }

    fn tell_host(&self, kind: &str, data: serde_json::Value) {
        host::post(&self.boot.embed_origins, kind, data);
    }
}

/// The signer's state in a `SignOutcome` answer.
fn outcome_state(out: &wasm_bindgen::JsValue) -> SignerState {
    net::text(out, "state").and_then(|s| SignerState::from_name(&s)).unwrap_or(SignerState::Signed)
}

fn state_name(s: SignerState) -> String {
    format!("{s:?}").to_ascii_lowercase()
}

/// Brings the server-rendered signing page to life.
pub fn start(mut boot: SignerBoot) {
    let Some(main) = document().query_selector(&tid(testid::SIGN_PAGE)).ok().flatten() else { return };
    let mut fields: Vec<(usize, MyField)> = find_all(&main, &format!("{}[data-order]", tid(testid::SIGN_FIELD)))
        .into_iter()
        .filter_map(|el| {
            let order = el.get_attribute("data-order")?.parse().ok()?;
            let id = FieldId::parse(&el.get_attribute("data-field-id")?).ok()?;
            let kind = FieldKind::parse(&el.get_attribute("data-kind")?)?;
            let required = el.get_attribute("data-required").as_deref() == Some("true");
            Some((order, MyField { id, kind, required, el }))
        })
        .collect();
    fields.sort_unstable_by_key(|(o, _)| *o);
    let fields: Vec<MyField> = fields.into_iter().map(|(_, f)| f).collect();
    // Name and email fields start with what the sender entered.
    let values = fields
        .iter()
        .filter_map(|f| {
            let input = cast::<web_sys::HtmlInputElement>(&find(&f.el, "input:not([type=checkbox])")?)?;
            let v = input.value();
            (!v.is_empty()).then(|| (f.id.clone(), v))
        })
        .collect();
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
    wire(&page);
    page.borrow().refresh();

    // Count the first real opening (from a browser running the page, not a link preview).
    let state = find(&main, &tid(testid::SIGN_STATE)).and_then(|e| e.get_attribute("data-state")).unwrap_or_else(|| "Ready".into());
    page.borrow().tell_host("signing.loaded", serde_json::json!({ "state": state.to_ascii_lowercase() }));
    let token = page.borrow().boot.token.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let _ = net::call("sign/opened", net::Body::Form(vec![("token", token)])).await;
    });
}

fn wire(page: &Shared) {
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

fn set_value(page: &Shared, id: &FieldId, value: String) {
    let mut p = page.borrow_mut();
    p.values.insert(id.clone(), value);
    p.refresh();
}

fn set_busy(page: &Shared, busy: bool) {
    let mut p = page.borrow_mut();
    p.busy = busy;
    p.refresh();
}

/// Agreeing opens the fields at once while the consent is recorded (a round trip a phone on
/// a slow network would otherwise wait for). Finishing waits for it — the server refuses a
/// signature without consent anyway — and a refusal closes the fields again and says why.
fn agree(page: &Shared) {
    {
        let mut p = page.borrow_mut();
        p.consenting = true;
        p.ask_consent(false);
        p.refresh();
    }
    let page = page.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let token = page.borrow().boot.token.clone();
        let result = net::call("sign/consent", net::Body::Form(vec![("token", token)])).await;
        let pad = {
            let mut p = page.borrow_mut();
            p.consenting = false;
            let pad = match &result {
                Ok(_) => {
                    if let Some(c) = p.part(testid::CONSENT) {
                        c.remove();
                    }
                    p.show_error(None);
                    None
                }
                Err(e) => {
                    p.ask_consent(true);
                    p.show_error(Some(e));
                    p.pad.take()
                }
            };
            p.refresh();
            pad
        };
        if let Some(pad) = pad {
            pad.close();
        }
    });
}

fn decline(page: &Shared) {
    let reason = page.borrow().part(testid::DECLINE_REASON).and_then(|t| cast::<web_sys::HtmlTextAreaElement>(&t)).map(|t| t.value()).unwrap_or_default();
    set_busy(page, true);
    let page = page.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let token = page.borrow().boot.token.clone();
        let result = net::call("sign/decline", net::Body::Form(vec![("token", token), ("reason", reason.clone())])).await;
        set_busy(&page, false);
        let p = page.borrow();
        match result {
            Ok(out) => {
                p.show_error(None);
                p.settle(outcome_state(&out));
                p.tell_host("signing.declined", serde_json::json!({ "reason": reason }));
            }
            Err(e) => p.show_error(Some(&e)),
        }
    });
}

/// Goes to the next field to fill (required ones first), and opens the pad for signatures.
fn next(page: &Shared) {
    let target = {
        let p = page.borrow();
        let pick = p.fields.iter().find(|f| f.required && !p.is_filled(f)).or_else(|| p.fields.iter().find(|f| !p.is_filled(f)));
        pick.map(|f| (f.id.clone(), f.kind, f.el.clone()))
    };
    let Some((id, kind, el)) = target else { return };
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
fn sign_field(page: &Shared, id: &FieldId, kind: FieldKind) {
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
    let done: pad::Done = {
        let (page, id) = (page.clone(), id.clone());
        Rc::new(move |result: Option<SignatureInput>| {
            let pad = page.borrow_mut().pad.take();
            if let Some(pad) = pad {
                pad.close();
            }
            let Some(input) = result else { return };
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
    };
    let opened = pad::open(&template, &main, kind, &name, texts, done);
    page.borrow_mut().pad = opened;
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

fn finish(page: &Shared) {
    let submission = {
        let p = page.borrow();
        SignSubmission {
            fields: p
                .fields
                .iter()
                .map(|f| FieldInput { field_id: f.id.clone(), value: p.values.get(&f.id).cloned().unwrap_or_default(), signature: p.uses.get(&f.id).copied() })
                .collect(),
            signatures: p.signatures.clone(),
        }
    };
    {
        page.borrow().show_error(None);
    }
    set_busy(page, true);
    let page = page.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let token = page.borrow().boot.token.clone();
        let body = serde_json::json!({ "token": token, "submission": submission }).to_string();
        let result = net::call("sign/submit", net::Body::Json(body)).await;
        set_busy(&page, false);
        let p = page.borrow();
        match result {
            Ok(out) => {
                let state = outcome_state(&out);
                p.settle(state);
                p.tell_host("signing.completed", serde_json::json!({ "state": state_name(state) }));
                if host::return_to(&p.boot.embed_origins) {
                    return;
                }
                if let Some(url) = net::text(&out, "redirect_url").or_else(|| p.boot.redirect_url.clone()) {
                    let _ = window().location().set_href(&url);
                }
            }
            Err(e) => p.show_error(Some(&e)),
        }
    });
}
