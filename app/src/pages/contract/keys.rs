//! The editor's keyboard shortcuts: undo/redo, copy/paste/duplicate, delete, deselect and
//! arrow nudges (Shift for bigger steps) — never while typing in a form field.

use leptos::prelude::*;

pub(super) fn on_key(editor: super::state::Editor, e: web_sys::KeyboardEvent) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let typing = e
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .map(|el| matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT") || el.has_attribute("contenteditable"))
            .unwrap_or(false);
        if typing {
            return;
        }
    }
    let ctrl = e.ctrl_key() || e.meta_key();
    let key = e.key();
    let step = if e.shift_key() { 0.02 } else { 0.002 };
    let handled = match (ctrl, key.as_str()) {
        (true, "z" | "Z") if e.shift_key() => {
            editor.redo();
            true
        }
        (true, "z" | "Z") => {
            editor.undo();
            true
        }
        (true, "y" | "Y") => {
            editor.redo();
            true
        }
        (true, "c" | "C") => {
            editor.copy_selected();
            editor.selected.get_untracked().is_some()
        }
        (true, "v" | "V") => {
            editor.paste();
            true
        }
        (true, "d" | "D") => {
            if let Some(id) = editor.selected.get_untracked() {
                editor.duplicate(&id);
            }
            true
        }
        (false, "Delete" | "Backspace") => match editor.selected.get_untracked() {
            Some(id) => {
                editor.delete_field(&id);
                true
            }
            None => false,
        },
        (false, "Escape") => {
            editor.selected.set(None);
            true
        }
        (false, "ArrowLeft") => nudge(editor, -step, 0.0),
        (false, "ArrowRight") => nudge(editor, step, 0.0),
        (false, "ArrowUp") => nudge(editor, 0.0, -step),
        (false, "ArrowDown") => nudge(editor, 0.0, step),
        _ => false,
    };
    if handled {
        e.prevent_default();
    }
}

fn nudge(editor: super::state::Editor, dx: f64, dy: f64) -> bool {
    if editor.selected.get_untracked().is_none() {
        return false;
    }
    editor.nudge(dx, dy);
    true
}
