//! The signer page's own wasm module. The page (`/sign/{token}`) is rendered by the server;
//! this module, a few dozen kilobytes instead of the whole app, makes it interactive: a phone
//! on a slow network can sign seconds sooner. It reads the `SignerBoot` JSON the server wrote
//! into the page and wires the markup (see `page`), and opens the signature pad (see `pad`).

mod dom;
mod host;
mod net;
mod page;
mod pad;

use dojang_core::model::SignerBoot;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(start)]
pub fn start() {
    let boot = dom::document()
        .get_element_by_id("sign-boot")
        .and_then(|e| e.text_content())
        .and_then(|json| serde_json::from_str::<SignerBoot>(&json).ok());
    // A link that no longer works has no boot data: the page is complete as rendered.
    if let Some(boot) = boot {
        page::start(boot);
    }
    if let Some(html) = dom::document().document_element() {
        let _ = html.set_attribute("data-hydrated", "true");
    }
}
