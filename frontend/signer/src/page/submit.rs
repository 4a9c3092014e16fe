//! The calls that change the signer's state on the server: agreeing (the consent),
//! declining and finishing, and what the page does with their answers.

use super::state::{set_busy, Page, Shared};
use crate::dom::{cast, testid, window};
use crate::net::Failure;
use crate::{host, net, pad};
use dojang_core::model::{FieldInput, Placement, SignSubmission, SignerState};
use wasm_bindgen::JsValue;

/// The signer's state in a `SignOutcome` answer.
fn outcome_state(out: &JsValue) -> SignerState {
    net::text(out, "state").and_then(|s| SignerState::from_name(&s)).unwrap_or(SignerState::Signed)
}

fn state_name(s: SignerState) -> String {
    format!("{s:?}").to_ascii_lowercase()
}

/// Agreeing opens the fields at once while the consent is recorded (a round trip a phone on
/// a slow network would otherwise wait for). Finishing waits for it — the server refuses a
/// signature without consent anyway — and a refusal closes the fields again and says why.
pub(super) fn agree(page: &Shared) {
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
        let pad = consent_answered(&mut page.borrow_mut(), &result);
        if let Some(pad) = pad {
            pad.close();
        }
    });
}

/// The consent is recorded (the card goes), or refused (the card is back, with the reason);
/// a refusal also takes the open pad, for the caller to close.
fn consent_answered(p: &mut Page, result: &Result<JsValue, Failure>) -> Option<pad::Pad> {
    p.consenting = false;
    let pad = match result {
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
}

pub(super) fn decline(page: &Shared) {
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

/// Every field's value and signature, the signatures, and where the signer placed theirs.
fn submission(p: &Page) -> SignSubmission {
    let (placed, given): (Vec<_>, Vec<_>) = p.fields.iter().partition(|f| f.placed.is_some());
    SignSubmission {
        fields: given
            .iter()
            .map(|f| FieldInput { field_id: f.id.clone(), value: p.values.get(&f.id).cloned().unwrap_or_default(), signature: p.uses.get(&f.id).copied() })
            .collect(),
        signatures: p.signatures.clone(),
        placements: placed
            .iter()
            .filter_map(|f| {
                let at = f.placed.as_ref()?;
                Some(Placement { document_id: at.document_id.clone(), page: at.page, rect: at.rect, signature: *p.uses.get(&f.id)? })
            })
            .collect(),
    }
}

pub(super) fn finish(page: &Shared) {
    let submission = submission(&page.borrow());
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
            Ok(out) => completed(&p, &out),
            Err(e) => p.show_error(Some(&e)),
        }
    });
}

/// Finished: the page says so, tells the host, and goes back to the host or on to the
/// redirect address, if there is one.
fn completed(p: &Page, out: &JsValue) {
    let state = outcome_state(out);
    p.settle(state);
    p.tell_host("signing.completed", serde_json::json!({ "state": state_name(state) }));
    if host::return_to(&p.boot.embed_origins) {
        return;
    }
    if let Some(url) = net::text(out, "redirect_url").or_else(|| p.boot.redirect_url.clone()) {
        let _ = window().location().set_href(&url);
    }
}
