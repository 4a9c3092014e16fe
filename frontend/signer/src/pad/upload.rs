//! The uploaded signature: an image file, fitted on a transparent canvas, kept as PNG and
//! shown in the upload tab.

use super::draw::new_canvas;
use super::Shared;
use crate::dom::{cast, document, find, testid, tid, Listener};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlInputElement};

/// Choosing a file loads it, shows it and keeps it as the pad's upload.
pub(super) fn wire(listeners: &mut Vec<Listener>, root: &Element, state: &Shared, aspect: u32) {
    let Some(file) = find(root, &tid(testid::PAD_FILE)) else { return };
    let (state, root2) = (state.clone(), root.clone());
    listeners.push(Listener::new(&file.clone(), "change", move |_| {
        let (state, root2) = (state.clone(), root2.clone());
        let Some(input) = cast::<HtmlInputElement>(&file) else { return };
        load_image(&input, aspect, move |png| {
            show(&root2, &png);
            state.borrow_mut().uploaded = Some(png);
        });
    }));
}

/// Puts the uploaded picture in the upload panel, in place of an earlier one.
fn show(root: &Element, png: &str) {
    if let Some(old) = find(root, "img.uploaded") {
        old.remove();
    }
    if let (Some(panel), Ok(img)) = (find(root, &format!("[data-panel=\"{}\"]", testid::PAD_TAB_UPLOAD)), document().create_element("img")) {
        let _ = img.set_attribute("class", "uploaded");
        let _ = img.set_attribute("alt", "");
        let _ = img.set_attribute("src", png);
        let _ = panel.append_child(&img);
    }
}

/// Reads an uploaded image (up to 5 MB), fits it on a transparent canvas, keeps it as PNG.
fn load_image(input: &HtmlInputElement, aspect: u32, out: impl FnOnce(String) + 'static) {
    let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
    if file.size() > 5.0 * 1024.0 * 1024.0 {
        return;
    }
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&file) else { return };
    let Ok(img) = web_sys::HtmlImageElement::new() else { return };
    let img2 = img.clone();
    let onload = Closure::once_into_js(move || {
        let (w, h) = (300 * aspect, 300);
        let Some((c, ctx)) = new_canvas(w, h) else { return };
        let (iw, ih) = (f64::from(img2.natural_width()), f64::from(img2.natural_height()));
        let scale = (f64::from(w) / iw).min(f64::from(h) / ih).min(1.0).max(0.0001);
        let (dw, dh) = (iw * scale, ih * scale);
        let _ = ctx.draw_image_with_html_image_element_and_dw_and_dh(&img2, (f64::from(w) - dw) / 2.0, (f64::from(h) - dh) / 2.0, dw, dh);
        let _ = web_sys::Url::revoke_object_url(&img2.src());
        if let Ok(png) = c.to_data_url() {
            out(png);
        }
    });
    img.set_onload(Some(onload.unchecked_ref()));
    img.set_src(&url);
}
