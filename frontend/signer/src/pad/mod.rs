//! The signature (and initials) pad: draw with a mouse, a finger or a pen, type, or upload.
//!
//! Drawing uses Pointer Events for every device, with `touch-action: none` on the canvas so
//! the page does not scroll. Each point keeps its position (as fractions of the pad), time
//! and — for pens only — pressure; coalesced events keep fast strokes smooth. Stroke width
//! follows pressure, or speed when there is none (`dojang_core::ink`, the same as in the
//! sealed PDF). Once a pen has touched the pad, touches are ignored (the palm resting on the
//! screen). The canvas is redrawn from the stored points whenever its size changes, so
//! rotating or resizing keeps the drawing exactly.
//!
//! This module builds the dialog, switches its tabs and ends it (cancel or adopt); drawing is
//! in `draw`, typing in `typed`, uploading in `upload`.

mod draw;
mod typed;
mod upload;

use crate::dom::{cast, find, testid, tid, toggle_class, Listener};
use crate::page::Texts;
use dojang_core::model::{DrawnSignature, FieldKind, SignatureInput, Stroke};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlCanvasElement, HtmlInputElement};

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

/// The pad's state, shared by its listeners.
type Shared = Rc<RefCell<State>>;

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

/// The pad's elements that its listeners use.
struct Dom {
    root: Element,
    canvas: HtmlCanvasElement,
    typed: HtmlInputElement,
    preview: Element,
    error: Element,
}

/// Opens the pad for a signature or initials field.
pub fn open(template: &Element, host: &Element, purpose: FieldKind, signer_name: &str, texts: Rc<Texts>, done: Done) -> Option<Pad> {
    // Width over height; whole numbers, so no float formatting is compiled in.
    let aspect: u32 = if purpose == FieldKind::Initials { 2 } else { 3 };
    let title = texts.get(if purpose == FieldKind::Initials { "pad_title_initials" } else { "pad_title_signature" });
    let dom = build(template, host, title, aspect, signer_name)?;
    let state: Shared = Rc::new(RefCell::new(State { ink: Ink::default(), tab: testid::PAD_TAB_DRAW, uploaded: None }));
    let mut listeners = Vec::new();
    wire_tabs(&mut listeners, &dom.root, &dom.error, &state);
    draw::wire(&mut listeners, &dom.root, &dom.canvas, &dom.error, &state);
    typed::wire(&mut listeners, &dom.typed, &dom.preview);
    upload::wire(&mut listeners, &dom.root, &state, aspect);
    wire_cancel(&mut listeners, &dom.root, &done);
    wire_adopt(&mut listeners, &dom, &state, aspect, texts, done);
    Some(ready(dom, &state, listeners))
}

/// Puts a copy of the pad's template into `host`, titled, its canvas at the pad's aspect and
/// the typed tab starting with the signer's name.
fn build(template: &Element, host: &Element, title: &str, aspect: u32, signer_name: &str) -> Option<Dom> {
    let fragment = cast::<web_sys::HtmlTemplateElement>(template)?.content().clone_node_with_deep(true).ok()?;
    let root = fragment.dyn_ref::<web_sys::DocumentFragment>()?.first_element_child()?;
    host.append_child(&fragment).ok()?;
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
    Some(Dom { root, canvas, typed, preview, error })
}

/// Shows `msg` in the pad's error line, or hides the line.
fn show_error(error: &Element, msg: Option<&str>) {
    error.set_text_content(msg);
    crate::dom::set_hidden(error, msg.is_none());
}

/// Each tab button shows its panel and hides the others.
fn wire_tabs(listeners: &mut Vec<Listener>, root: &Element, error: &Element, state: &Shared) {
    for id in TABS {
        let Some(button) = find(root, &tid(id)) else { continue };
        let (root2, state, error) = (root.clone(), state.clone(), error.clone());
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
            show_error(&error, None);
        }));
    }
}

/// Cancel (the button, or Escape anywhere in the dialog).
fn wire_cancel(listeners: &mut Vec<Listener>, root: &Element, done: &Done) {
    if let Some(b) = find(root, "[data-action=\"pad-cancel\"]") {
        let done = done.clone();
        listeners.push(Listener::new(&b, "click", move |_| done(None)));
    }
    let done = done.clone();
    listeners.push(Listener::new(root, "keydown", move |e| {
        if e.dyn_ref::<web_sys::KeyboardEvent>().is_some_and(|k| k.key() == "Escape") {
            done(None);
        }
    }));
}

/// Adopt: ends the pad with what the current tab holds, or says what is missing.
fn wire_adopt(listeners: &mut Vec<Listener>, dom: &Dom, state: &Shared, aspect: u32, texts: Rc<Texts>, done: Done) {
    let Some(b) = find(&dom.root, &tid(testid::PAD_ADOPT)) else { return };
    let (state, canvas, typed, error) = (state.clone(), dom.canvas.clone(), dom.typed.clone(), dom.error.clone());
    listeners.push(Listener::new(&b, "click", move |_| {
        let tab = state.borrow().tab;
        match tab {
            testid::PAD_TAB_TYPE => {
                let text = typed.value().trim().to_owned();
                if text.is_empty() {
                    return show_error(&error, Some(texts.get("pad_type_empty")));
                }
                let done = done.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let png = typed::render(&text, aspect).await;
                    done(Some(SignatureInput::Typed { text, png }));
                });
            }
            testid::PAD_TAB_UPLOAD => match state.borrow().uploaded.clone() {
                Some(png) => done(Some(SignatureInput::Uploaded { png })),
                None => show_error(&error, Some(texts.get("pad_upload_empty"))),
            },
            _ => {
                let drawing = DrawnSignature { aspect: aspect as f32, strokes: state.borrow().ink.strokes.clone() };
                if !drawing.is_substantial() {
                    return show_error(&error, Some(texts.get("pad_too_small")));
                }
                let png = canvas.to_data_url().unwrap_or_default();
                done(Some(SignatureInput::Drawn { drawing, png }));
            }
        }
    }));
}

/// Draws the (empty) canvas, moves the focus into the dialog and marks the pad ready.
fn ready(dom: Dom, state: &Shared, listeners: Vec<Listener>) -> Pad {
    draw::ink_changed(&dom.canvas, state);
    let Dom { root, canvas, .. } = dom;
    // Keyboard and screen reader users land in the dialog.
    let _ = root.set_attribute("tabindex", "-1");
    if let Some(r) = root.dyn_ref::<web_sys::HtmlElement>() {
        let _ = r.focus();
    }
    // Tells tests and the benchmark that the pad takes input now.
    let _ = canvas.set_attribute("data-ready", "true");
    crate::dom::stamp(&canvas, "data-ready-at");
    Pad { root, _listeners: listeners }
}
