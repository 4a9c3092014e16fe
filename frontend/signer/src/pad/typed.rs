//! The typed signature: the name as the signer types it, previewed as typed, and drawn in
//! the handwriting font as a PNG when adopted.

use super::draw::{new_canvas, INK};
use crate::dom::{document, Listener};
use web_sys::{Element, HtmlInputElement};

/// The preview follows the typed name.
pub(super) fn wire(listeners: &mut Vec<Listener>, typed: &HtmlInputElement, preview: &Element) {
    let (typed2, preview) = (typed.clone(), preview.clone());
    listeners.push(Listener::new(typed, "input", move |_| preview.set_text_content(Some(&typed2.value()))));
}

/// The typed name in the handwriting font (which covers Hangul), as a PNG.
pub(super) async fn render(text: &str, aspect: u32) -> String {
    let _ = wasm_bindgen_futures::JsFuture::from(document().fonts().load_with_text("120px 'Dojang Script'", text)).await;
    let (w, h) = (400 * aspect, 400);
    let Some((c, ctx)) = new_canvas(w, h) else { return String::new() };
    let mut size: u32 = 220;
    loop {
        ctx.set_font(&format!("{size}px 'Dojang Script'"));
        let width = ctx.measure_text(text).map(|m| m.width()).unwrap_or(0.0);
        if width <= f64::from(w) * 0.9 || size < 30 {
            break;
        }
        size = size * 9 / 10;
    }
    ctx.set_fill_style_str(INK);
    ctx.set_text_align("center");
    ctx.set_text_baseline("middle");
    let _ = ctx.fill_text(text, f64::from(w) / 2.0, f64::from(h) / 2.0);
    c.to_data_url().unwrap_or_default()
}
