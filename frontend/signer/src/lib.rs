//! The signer page's own wasm module. The page (`/sign/{token}`) is rendered by the server;
//! this module, a few dozen kilobytes instead of the whole app, makes it interactive: a phone
//! on a slow network can sign seconds sooner. It reads the `SignerBoot` JSON the server wrote
//! into the page and wires the markup (see `page`), and opens the signature pad (see `pad`).

mod dom;
mod host;
mod net;
mod pad;
mod page;

use dojang_core::model::SignerBoot;
use wasm_bindgen::prelude::*;

/// Reads the page's `SignerBoot` with the browser's JSON parser (no deserializer is compiled
/// into the module; the names are the struct's serde names).
fn read_boot(json: &str) -> Option<SignerBoot> {
    let v = js_sys::JSON::parse(json).ok()?;
    let get = |key: &str| js_sys::Reflect::get(&v, &JsValue::from_str(key)).ok();
    let strings = |x: Option<JsValue>| -> Vec<String> { x.map(|a| js_sys::Array::from(&a).iter().filter_map(|s| s.as_string()).collect()).unwrap_or_default() };
    let texts = get("texts")
        .map(|t| {
            js_sys::Object::entries(&js_sys::Object::from(t))
                .iter()
                .filter_map(|pair| {
                    let pair = js_sys::Array::from(&pair);
                    Some((pair.get(0).as_string()?, pair.get(1).as_string()?))
                })
                .collect()
        })
        .unwrap_or_default();
    Some(SignerBoot {
        token: net::text(&v, "token")?,
        consented: get("consented").and_then(|b| b.as_bool()).unwrap_or(false),
        signer_name: net::text(&v, "signer_name").unwrap_or_default(),
        redirect_url: net::text(&v, "redirect_url"),
        embed_origins: strings(get("embed_origins")),
        free_form: get("free_form").and_then(|b| b.as_bool()).unwrap_or(false),
        texts,
    })
}

#[wasm_bindgen(start)]
pub fn start() {
    let boot = dom::document().get_element_by_id("sign-boot").and_then(|e| e.text_content()).and_then(|json| read_boot(&json));
    // A link that no longer works has no boot data: the page is complete as rendered.
    if let Some(boot) = boot {
        page::start(boot);
    }
    if let Some(html) = dom::document().document_element() {
        let _ = html.set_attribute("data-hydrated", "true");
        dom::stamp(&html, "data-hydrated-at");
    }
}
