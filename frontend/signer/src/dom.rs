//! Small DOM helpers: finding elements by test id, casting, and event listeners that are
//! removed when dropped.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, Event, EventTarget};

#[path = "../../../app/src/testid.rs"]
#[allow(dead_code)]
pub mod testid;

pub fn window() -> web_sys::Window {
    web_sys::window().expect_throw("no window")
}

pub fn document() -> Document {
    window().document().expect_throw("no document")
}

/// Marks `el` with the milliseconds since the navigation started (`name`) — how the benchmark
/// reads when the page and the pad became usable, by the page's own clock.
pub fn stamp(el: &Element, name: &str) {
    if let Some(p) = window().performance() {
        let _ = el.set_attribute(name, &(p.now() as u64).to_string());
    }
}

/// The selector of a test id.
pub fn tid(id: &str) -> String {
    format!("[data-testid=\"{id}\"]")
}

pub fn find(root: &Element, selector: &str) -> Option<Element> {
    root.query_selector(selector).ok().flatten()
}

pub fn find_all(root: &Element, selector: &str) -> Vec<Element> {
    let Ok(list) = root.query_selector_all(selector) else { return Vec::new() };
    (0..list.length()).filter_map(|i| list.item(i)?.dyn_into::<Element>().ok()).collect()
}

pub fn cast<T: JsCast>(e: &Element) -> Option<T> {
    e.clone().dyn_into::<T>().ok()
}

pub fn set_hidden(e: &Element, hidden: bool) {
    if hidden {
        let _ = e.set_attribute("hidden", "");
    } else {
        let _ = e.remove_attribute("hidden");
    }
}

pub fn set_disabled(e: &Element, disabled: bool) {
    if let Some(b) = cast::<web_sys::HtmlButtonElement>(e) {
        b.set_disabled(disabled);
    }
}

pub fn toggle_class(e: &Element, class: &str, on: bool) {
    let _ = e.class_list().toggle_with_force(class, on);
}

/// An event listener, removed from its target when dropped.
pub struct Listener {
    target: EventTarget,
    event: &'static str,
    closure: Closure<dyn FnMut(Event)>,
}

impl Listener {
    pub fn new(target: &EventTarget, event: &'static str, f: impl FnMut(Event) + 'static) -> Self {
        let closure = Closure::<dyn FnMut(Event)>::new(f);
        let _ = target.add_event_listener_with_callback(event, closure.as_ref().unchecked_ref());
        Self { target: target.clone(), event, closure }
    }

    /// Keeps the listener for the page's lifetime.
    pub fn forever(self) {
        std::mem::forget(self);
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.target.remove_event_listener_with_callback(self.event, self.closure.as_ref().unchecked_ref());
    }
}

/// A listener for the page's lifetime.
pub fn on(target: &EventTarget, event: &'static str, f: impl FnMut(Event) + 'static) {
    Listener::new(target, event, f).forever();
}
