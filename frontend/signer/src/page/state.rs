//! The page's state (the signer's fields, their values, the signatures, the open pad) and how
//! it shows on the page: what is filled and left, the consent card, errors, the closing card.

use super::Texts;
use crate::dom::{document, find, set_disabled, set_hidden, testid, tid, toggle_class};
use crate::net::Failure;
use crate::{host, pad};
use dojang_core::geometry::FieldRect;
use dojang_core::ids::{DocumentId, FieldId};
use dojang_core::model::{FieldKind, SignatureInput, SignerBoot, SignerState};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use web_sys::Element;

pub(super) struct MyField {
    pub(super) id: FieldId,
    pub(super) kind: FieldKind,
    pub(super) required: bool,
    pub(super) el: Element,
    /// A signature the signer placed themselves (free-form signing): where.
    pub(super) placed: Option<Placed>,
}

/// Where a free-form signer put a signature.
pub(super) struct Placed {
    pub(super) document_id: DocumentId,
    pub(super) page: u32,
    pub(super) rect: FieldRect,
}

pub(super) struct Page {
    pub(super) boot: SignerBoot,
    pub(super) texts: Rc<Texts>,
    pub(super) main: Element,
    /// The signer's fields in reading order.
    pub(super) fields: Vec<MyField>,
    pub(super) values: HashMap<FieldId, String>,
    pub(super) signatures: Vec<SignatureInput>,
    /// Which signature each signature or initials field uses.
    pub(super) uses: HashMap<FieldId, usize>,
    /// The last signature adopted, for signatures and for initials.
    pub(super) adopted: (Option<usize>, Option<usize>),
    pub(super) busy: bool,
    /// Agreed, and the consent is on its way to the server.
    pub(super) consenting: bool,
    pub(super) pad: Option<pad::Pad>,
}

pub(super) type Shared = Rc<RefCell<Page>>;

impl Page {
    pub(super) fn is_filled(&self, f: &MyField) -> bool {
        match f.kind {
            FieldKind::Signature | FieldKind::Initials => self.uses.contains_key(&f.id),
            FieldKind::Date => true,
            FieldKind::Checkbox => !f.required || self.values.get(&f.id).is_some_and(|x| x == "true"),
            _ => self.values.get(&f.id).is_some_and(|x| !x.trim().is_empty()),
        }
    }

    /// Required fields not filled yet; a free-form signer who placed nothing has one left.
    fn remaining(&self) -> usize {
        let unplaced = usize::from(self.boot.free_form && !self.fields.iter().any(|f| f.placed.is_some()));
        unplaced + self.fields.iter().filter(|f| f.required && !self.is_filled(f)).count()
    }

    fn total(&self) -> usize {
        self.fields.iter().filter(|f| f.required).count().max(usize::from(self.boot.free_form))
    }

    pub(super) fn part(&self, id: &str) -> Option<Element> {
        find(&self.main, &tid(id))
    }

    /// Shows what is filled, how many are left, and whether the signer may finish.
    pub(super) fn refresh(&self) {
        for f in &self.fields {
            toggle_class(&f.el, "filled", self.is_filled(f));
        }
        let remaining = self.remaining();
        let total = self.total();
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
    pub(super) fn ask_consent(&self, asking: bool) {
        if let Some(c) = self.part(testid::CONSENT) {
            set_hidden(&c, !asking);
        }
        for id in [testid::SIGN_BAR, testid::SIGN_FREE_FORM_HINT] {
            if let Some(e) = self.part(id) {
                set_hidden(&e, asking);
            }
        }
        if let Some(pages) = find(&self.main, ".sign-pages") {
            toggle_class(&pages, "locked", asking);
        }
    }

    pub(super) fn show_error(&self, e: Option<&Failure>) {
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
    pub(super) fn settle(&self, state: SignerState) {
        for id in [testid::SIGN_BAR, testid::CONSENT, testid::DECLINE_FORM, testid::SIGN_STATE, testid::SIGN_FREE_FORM_HINT] {
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

    pub(super) fn tell_host(&self, kind: &str, data: serde_json::Value) {
        host::post(&self.boot.embed_origins, kind, data);
    }
}

pub(super) fn set_value(page: &Shared, id: &FieldId, value: String) {
    let mut p = page.borrow_mut();
    p.values.insert(id.clone(), value);
    p.refresh();
}

pub(super) fn set_busy(page: &Shared, busy: bool) {
    let mut p = page.borrow_mut();
    p.busy = busy;
    p.refresh();
}
