//! The signature (and initials) pad: draw with a mouse, a finger or a pen, type, or upload.
//!
//! Drawing uses Pointer Events for every device, with `touch-action: none` on the canvas so
//! the page does not scroll. Each point keeps its position (as fractions of the pad), time
//! and — for pens only — pressure; coalesced events keep fast strokes smooth. Stroke width
//! follows pressure, or speed when there is none (`dojang_core::ink`, the same as in the
//! sealed PDF). Once a pen has touched the pad, touches are ignored (the palm resting on the
//! screen). The canvas is redrawn from the stored points whenever its size changes, so
//! rotating or resizing keeps the drawing exactly.

use crate::dom::{cast, document, find, testid, tid, toggle_class, window, Listener};
use crate::page::Texts;
use dojang_core::ink;
use dojang_core::model::{DrawnSignature, FieldKind, PointerKind, SignatureInput, Stroke, StrokePoint};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, Element, HtmlCanvasElement, HtmlInputElement, PointerEvent};

#[derive(Default)]
struct Ink {
    strokes: Vec<Stroke>,
    /// The pointer drawing the current stroke.
    active: Option<i32>,
    pen_seen: bool,
    t0: Option<f64>,
}

struct State {
    ink: Ink,
    tab: &'static str,
    uploaded: Option<String>,
}

/// What the pad ends with: a signature, or nothing (cancelled).
pub type Done = Rc<dyn Fn(Option<SignatureInput>)>;

/// An open pad: its element and listeners (both go away when it is closed).
pub struct Pad {
    root: Element,
    _listeners: Vec<Listener>,
}

impl Pad {
    pub fn close(self) {
        self.root.remove();
        // The listeners may be running this very call: drop them after it returns.
        wasm_bindgen_futures::spawn_local(async move { drop(self) });
    }
}

const TABS: [&str; 3] = [testid::PAD_TAB_DRAW, testid::PAD_TAB_TYPE, testid::PAD_TAB_UPLOAD];

/// Opens the pad for a signature or initials field.
pub fn open(template: &Element, host: &Element, purpose: FieldKind, signer_name: &str, texts: Rc<Texts>, done: Done) -> Option<Pad> {
    let fragment = cast::<web_sys::HtmlTemplateElement>(template)?.content().clone_node_with_deep(true).ok()?;
    let root = fragment.dyn_ref::<web_sys::DocumentFragment>()?.first_element_child()?;
    host.append_child(&fragment).ok()?;
    // Width over height; whole numbers, so no float formatting is compiled in.
    let aspect: u32 = if purpose == FieldKind::Initials { 2 } else { 3 };
    let title = texts.get(if purpose == FieldKind::Initials { "pad_title_initials" } else { "pad_title_signature" });
    let _ = root.set_attribute("aria-label", title);
    if let Some(h) = find(&root, "h2") {
        h.set_text_content(Some(title));
    }
    let canvas: HtmlCanvasElement = cast(&find(&root, &tid(testid::PAD_CANVAS))?)?;
    let _ = canvas.style().set_property("aspect-ratio", &aspect.to_string());
    let typed: HtmlInputElement = cast(&find(&root, &tid(testid::PAD_TYPED))?)?;
    typed.set_value(signer_name);
    let preview = find(&root, &tid(testid::PAD_TYPED_PREVIEW))?;
    preview.set_text_content(Some(signer_name));
    let error = find(&root, &tid(testid::PAD_ERROR))?;
    let state = Rc::new(RefCell::new(State { ink: Ink::default(), tab: testid::PAD_TAB_DRAW, uploaded: None }));

    let show_error = {
        let error = error.clone();
        move |msg: Option<&str>| {
            error.set_text_content(msg);
            crate::dom::set_hidden(&error, msg.is_none());
        }
    };
    let changed = {
        let (canvas, state) = (canvas.clone(), state.clone());
        move || {
            let s = state.borrow();
            draw_all(&canvas, &s.ink.strokes);
            let points: usize = s.ink.strokes.iter().map(|x| x.points.len()).sum();
            let _ = canvas.set_attribute("data-strokes", &s.ink.strokes.len().to_string());
            let _ = canvas.set_attribute("data-points", &points.to_string());
            let _ = canvas.set_attribute("data-digest", &ink::digest(&s.ink.strokes));
            let _ = canvas.set_attribute("data-pen-seen", if s.ink.pen_seen { "true" } else { "false" });
        }
    };
    let changed = Rc::new(changed);
    let mut listeners = Vec::new();

    // Tabs.
    for id in TABS {
        let Some(button) = find(&root, &tid(id)) else { continue };
        let (root2, state, show_error) = (root.clone(), state.clone(), show_error.clone());
        listeners.push(Listener::new(&button, "click", move |_| {
            state.borrow_mut().tab = id;
            for other in TABS {
                let current = other == id;
                if let Some(b) = find(&root2, &tid(other)) {
                    toggle_class(&b, "current", current);
                    let _ = b.set_attribute("aria-selected", if current { "true" } else { "false" });
                }
                if let Some(panel) = find(&root2, &format!("[data-panel=\"{other}\"]")) {
                    toggle_class(&panel, "hidden", !current);
                }
            }
            show_error(None);
        }));
    }

    // Drawing.
    let point = {
        let canvas = canvas.clone();
        move |e: &PointerEvent, t0: f64| -> Option<StrokePoint> {
            let r = canvas.get_bounding_client_rect();
            if r.width() <= 0.0 || r.height() <= 0.0 {
                return None;
            }
            let pen = e.pointer_type() == "pen";
            Some(StrokePoint {
                x: ((f64::from(e.client_x()) - r.left()) / r.width()).clamp(0.0, 1.0) as f32,
                y: ((f64::from(e.client_y()) - r.top()) / r.height()).clamp(0.0, 1.0) as f32,
                t: (e.time_stamp() - t0).max(0.0) as f32,
                p: pen.then(|| e.pressure()),
            })
        }
    };
    {
        let (state, changed, canvas2, point, show_error) = (state.clone(), changed.clone(), canvas.clone(), point.clone(), show_error.clone());
        listeners.push(Listener::new(&canvas, "pointerdown", move |e| {
            let Some(e) = e.dyn_ref::<PointerEvent>() else { return };
            let kind = match e.pointer_type().as_str() {
                "pen" => PointerKind::Pen,
                "touch" => PointerKind::Touch,
                _ => PointerKind::Mouse,
            };
            {
                let s = state.borrow();
                if s.ink.active.is_some() || (s.ink.pen_seen && kind == PointerKind::Touch) || (kind == PointerKind::Mouse && e.button() != 0) {
                    return;
                }
            }
            e.prevent_default();
            let _ = canvas2.set_pointer_capture(e.pointer_id());
            let t0 = state.borrow().ink.t0.unwrap_or_else(|| e.time_stamp());
            let Some(p) = point(e, t0) else { return };
            {
                let mut s = state.borrow_mut();
                s.ink.t0 = Some(t0);
                s.ink.pen_seen |= kind == PointerKind::Pen;
                s.ink.active = Some(e.pointer_id());
                s.ink.strokes.push(Stroke { pointer: kind, points: vec![p] });
            }
            show_error(None);
            changed();
        }));
    }
    {
        let (state, changed, point) = (state.clone(), changed.clone(), point.clone());
        listeners.push(Listener::new(&canvas, "pointermove", move |e| {
            let Some(e) = e.dyn_ref::<PointerEvent>() else { return };
            let t0 = {
                let s = state.borrow();
                if s.ink.active != Some(e.pointer_id()) {
                    return;
                }
                s.ink.t0.unwrap_or(0.0)
            };
            e.prevent_default();
            // Coalesced events: every sample the device reported since the last frame.
            let mut samples: Vec<StrokePoint> = e.get_coalesced_events().iter().filter_map(|ev| point(ev.dyn_ref::<PointerEvent>()?, t0)).collect();
            if samples.is_empty() {
                samples.extend(point(e, t0));
            }
            if let Some(s) = state.borrow_mut().ink.strokes.last_mut() {
                s.points.extend(samples);
            }
            changed();
        }));
    }
    for ev in ["pointerup", "pointercancel"] {
        let state = state.clone();
        listeners.push(Listener::new(&canvas, ev, move |e| {
            let Some(e) = e.dyn_ref::<PointerEvent>() else { return };
            let mut s = state.borrow_mut();
            if s.ink.active == Some(e.pointer_id()) {
                s.ink.active = None;
            }
        }));
    }
    if let Some(b) = find(&root, &tid(testid::PAD_UNDO)) {
        let (state, changed) = (state.clone(), changed.clone());
        listeners.push(Listener::new(&b, "click", move |_| {
            {
                let mut s = state.borrow_mut();
                s.ink.strokes.pop();
                s.ink.active = None;
            }
            changed();
        }));
    }
    if let Some(b) = find(&root, &tid(testid::PAD_CLEAR)) {
        let (state, changed) = (state.clone(), changed.clone());
        listeners.push(Listener::new(&b, "click", move |_| {
            {
                let mut s = state.borrow_mut();
                let pen_seen = s.ink.pen_seen;
                s.ink = Ink { pen_seen, ..Ink::default() };
            }
            changed();
        }));
    }
    // Redraw from the points whenever the window changes size or orientation.
    {
        let changed = changed.clone();
        listeners.push(Listener::new(&window(), "resize", move |_| changed()));
    }

    // Typing and uploading.
    {
        let (typed2, preview) = (typed.clone(), preview.clone());
        listeners.push(Listener::new(&typed, "input", move |_| preview.set_text_content(Some(&typed2.value()))));
    }
    if let Some(file) = find(&root, &tid(testid::PAD_FILE)) {
        let (state, root2) = (state.clone(), root.clone());
        listeners.push(Listener::new(&file.clone(), "change", move |_| {
            let (state, root2) = (state.clone(), root2.clone());
            let Some(input) = cast::<HtmlInputElement>(&file) else { return };
            load_image(&input, aspect, move |png| {
                if let Some(old) = find(&root2, "img.uploaded") {
                    old.remove();
                }
                if let (Some(panel), Ok(img)) = (find(&root2, &format!("[data-panel=\"{}\"]", testid::PAD_TAB_UPLOAD)), document().create_element("img")) {
                    let _ = img.set_attribute("class", "uploaded");
                    let _ = img.set_attribute("alt", "");
                    let _ = img.set_attribute("src", &png);
                    let _ = panel.append_child(&img);
                }
                state.borrow_mut().uploaded = Some(png);
            });
        }));
    }

    // Cancel (the button, or Escape anywhere in the dialog) and adopt.
    if let Some(b) = find(&root, "[data-action=\"pad-cancel\"]") {
        let done = done.clone();
        listeners.push(Listener::new(&b, "click", move |_| done(None)));
    }
    {
        let done = done.clone();
        listeners.push(Listener::new(&root, "keydown", move |e| {
            if e.dyn_ref::<web_sys::KeyboardEvent>().is_some_and(|k| k.key() == "Escape") {
                done(None);
            }
        }));
    }
    if let Some(b) = find(&root, &tid(testid::PAD_ADOPT)) {
        let (state, canvas, typed) = (state.clone(), canvas.clone(), typed.clone());
        listeners.push(Listener::new(&b, "click", move |_| {
            let tab = state.borrow().tab;
            match tab {
                testid::PAD_TAB_TYPE => {
                    let text = typed.value().trim().to_owned();
                    if text.is_empty() {
                        return show_error(Some(texts.get("pad_type_empty")));
                    }
                    let done = done.clone();
                    wasm_bindgen_futures::spawn_local(async move {
                        let png = render_typed(&text, aspect).await;
                        done(Some(SignatureInput::Typed { text, png }));
                    });
                }
                testid::PAD_TAB_UPLOAD => match state.borrow().uploaded.clone() {
                    Some(png) => done(Some(SignatureInput::Uploaded { png })),
                    None => show_error(Some(texts.get("pad_upload_empty"))),
                },
                _ => {
                    let drawing = DrawnSignature { aspect: aspect as f32, strokes: state.borrow().ink.strokes.clone() };
                    if !drawing.is_substantial() {
                        return show_error(Some(texts.get("pad_too_small")));
                    }
                    let png = canvas.to_data_url().unwrap_or_default();
                    done(Some(SignatureInput::Drawn { drawing, png }));
                }
            }
        }));
    }
    changed();
    // Keyboard and screen reader users land in the dialog.
    let _ = root.set_attribute("tabindex", "-1");
    if let Some(r) = root.dyn_ref::<web_sys::HtmlElement>() {
        let _ = r.focus();
    }
    // Tells tests and the benchmark that the pad takes input now.
    let _ = canvas.set_attribute("data-ready", "true");
    crate::dom::stamp(&canvas, "data-ready-at");
    Some(Pad { root, _listeners: listeners })
}

fn context(c: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    c.get_context("2d").ok().flatten()?.dyn_into().ok()
}

fn new_canvas(w: u32, h: u32) -> Option<(HtmlCanvasElement, CanvasRenderingContext2d)> {
    let c: HtmlCanvasElement = document().create_element("canvas").ok()?.dyn_into().ok()?;
    c.set_width(w);
    c.set_height(h);
    let ctx = context(&c)?;
    Some((c, ctx))
}

/// Redraws every stroke at the canvas's current size, sharp at the device's pixel ratio.
fn draw_all(c: &HtmlCanvasElement, strokes: &[Stroke]) {
    let r = c.get_bounding_client_rect();
    let (w, h) = (r.width(), r.height());
    if w <= 0.0 || h <= 0.0 {
        return;
    }
    let dpr = window().device_pixel_ratio().max(1.0);
    let (bw, bh) = ((w * dpr).round() as u32, (h * dpr).round() as u32);
    if c.width() != bw || c.height() != bh {
        c.set_width(bw);
        c.set_height(bh);
    }
    let Some(ctx) = context(c) else { return };
    let _ = ctx.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0);
    ctx.clear_rect(0.0, 0.0, w, h);
    ctx.set_stroke_style_str(INK);
    ctx.set_fill_style_str(INK);
    ctx.set_line_cap("round");
    ctx.set_line_join("round");
    for s in strokes {
        let pts: Vec<(f64, f64)> = s.points.iter().map(|p| (f64::from(p.x) * w, f64::from(p.y) * h)).collect();
        let widths = ink::widths(s, w);
        for seg in ink::segments(&pts, &widths) {
            ctx.begin_path();
            if seg.from == seg.to {
                let _ = ctx.arc(seg.from.0, seg.from.1, seg.width / 2.0, 0.0, std::f64::consts::TAU);
                ctx.fill();
                continue;
            }
            ctx.set_line_width(seg.width);
            ctx.move_to(seg.from.0, seg.from.1);
            ctx.quadratic_curve_to(seg.ctrl.0, seg.ctrl.1, seg.to.0, seg.to.1);
            ctx.stroke();
        }
    }
}

const INK: &str = "#14213d";

/// The typed name in the handwriting font (which covers Hangul), as a PNG.
async fn render_typed(text: &str, aspect: u32) -> String {
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
