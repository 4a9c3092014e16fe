//! Drawing on the pad: pointer input into strokes, undo and clear, and the canvas redrawn
//! from the stored points; also the canvas helpers the typed and uploaded signatures use.

use super::{show_error, Ink, Shared};
use crate::dom::{document, find, testid, tid, window, Listener};
use dojang_core::ink;
use dojang_core::model::{PointerKind, Stroke, StrokePoint};
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, Element, HtmlCanvasElement, PointerEvent};

pub(super) const INK: &str = "#14213d";

/// Wires the canvas (strokes from pointer input), the undo and clear buttons, and redrawing
/// on resize.
pub(super) fn wire(listeners: &mut Vec<Listener>, root: &Element, canvas: &HtmlCanvasElement, error: &Element, state: &Shared) {
    wire_pointer_down(listeners, canvas, error, state);
    wire_pointer_move(listeners, canvas, state);
    wire_pointer_up(listeners, canvas, state);
    wire_undo(listeners, root, canvas, state);
    wire_clear(listeners, root, canvas, state);
    // Redraw from the points whenever the window changes size or orientation.
    let (canvas, state) = (canvas.clone(), state.clone());
    listeners.push(Listener::new(&window(), "resize", move |_| ink_changed(&canvas, &state)));
}

/// Redraws the ink and describes it in the canvas's `data-strokes`, `data-points`,
/// `data-digest` and `data-pen-seen`.
pub(super) fn ink_changed(canvas: &HtmlCanvasElement, state: &Shared) {
    let s = state.borrow();
    draw_all(canvas, &s.ink.strokes);
    let points: usize = s.ink.strokes.iter().map(|x| x.points.len()).sum();
    let _ = canvas.set_attribute("data-strokes", &s.ink.strokes.len().to_string());
    let _ = canvas.set_attribute("data-points", &points.to_string());
    let _ = canvas.set_attribute("data-digest", &ink::digest(&s.ink.strokes));
    let _ = canvas.set_attribute("data-pen-seen", if s.ink.pen_seen { "true" } else { "false" });
}

/// The point of a pointer event on the canvas, `t0` being the drawing's first moment.
fn point(canvas: &HtmlCanvasElement, e: &PointerEvent, t0: f64) -> Option<StrokePoint> {
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

fn pointer_kind(e: &PointerEvent) -> PointerKind {
    match e.pointer_type().as_str() {
        "pen" => PointerKind::Pen,
        "touch" => PointerKind::Touch,
        _ => PointerKind::Mouse,
    }
}

/// Whether a pointer going down starts no stroke: another one is drawing, it is a touch once
/// a pen has been seen, or it is a mouse button other than the main one.
fn ignored(ink: &Ink, kind: PointerKind, e: &PointerEvent) -> bool {
    ink.active.is_some() || (ink.pen_seen && kind == PointerKind::Touch) || (kind == PointerKind::Mouse && e.button() != 0)
}

/// A pointer going down on the canvas starts a stroke (and captures the pointer).
fn wire_pointer_down(listeners: &mut Vec<Listener>, canvas: &HtmlCanvasElement, error: &Element, state: &Shared) {
    let (state, canvas2, error) = (state.clone(), canvas.clone(), error.clone());
    listeners.push(Listener::new(canvas, "pointerdown", move |e| {
        let Some(e) = e.dyn_ref::<PointerEvent>() else { return };
        let kind = pointer_kind(e);
        if ignored(&state.borrow().ink, kind, e) {
            return;
        }
        e.prevent_default();
        let _ = canvas2.set_pointer_capture(e.pointer_id());
        let t0 = state.borrow().ink.t0.unwrap_or_else(|| e.time_stamp());
        let Some(p) = point(&canvas2, e, t0) else { return };
        {
            let mut s = state.borrow_mut();
            s.ink.t0 = Some(t0);
            s.ink.pen_seen |= kind == PointerKind::Pen;
            s.ink.active = Some(e.pointer_id());
            s.ink.strokes.push(Stroke { pointer: kind, points: vec![p] });
        }
        show_error(&error, None);
        ink_changed(&canvas2, &state);
    }));
}

/// The drawing pointer moving extends the current stroke.
fn wire_pointer_move(listeners: &mut Vec<Listener>, canvas: &HtmlCanvasElement, state: &Shared) {
    let (state, canvas2) = (state.clone(), canvas.clone());
    listeners.push(Listener::new(canvas, "pointermove", move |e| {
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
        let mut samples: Vec<StrokePoint> = e.get_coalesced_events().iter().filter_map(|ev| point(&canvas2, ev.dyn_ref::<PointerEvent>()?, t0)).collect();
        if samples.is_empty() {
            samples.extend(point(&canvas2, e, t0));
        }
        if let Some(s) = state.borrow_mut().ink.strokes.last_mut() {
            s.points.extend(samples);
        }
        ink_changed(&canvas2, &state);
    }));
}

/// The drawing pointer going up (or cancelled) ends the stroke.
fn wire_pointer_up(listeners: &mut Vec<Listener>, canvas: &HtmlCanvasElement, state: &Shared) {
    for ev in ["pointerup", "pointercancel"] {
        let state = state.clone();
        listeners.push(Listener::new(canvas, ev, move |e| {
            let Some(e) = e.dyn_ref::<PointerEvent>() else { return };
            let mut s = state.borrow_mut();
            if s.ink.active == Some(e.pointer_id()) {
                s.ink.active = None;
            }
        }));
    }
}

/// Undo removes the last stroke.
fn wire_undo(listeners: &mut Vec<Listener>, root: &Element, canvas: &HtmlCanvasElement, state: &Shared) {
    let Some(b) = find(root, &tid(testid::PAD_UNDO)) else { return };
    let (state, canvas) = (state.clone(), canvas.clone());
    listeners.push(Listener::new(&b, "click", move |_| {
        {
            let mut s = state.borrow_mut();
            s.ink.strokes.pop();
            s.ink.active = None;
        }
        ink_changed(&canvas, &state);
    }));
}

/// Clear removes every stroke (a pen, once seen, is still remembered).
fn wire_clear(listeners: &mut Vec<Listener>, root: &Element, canvas: &HtmlCanvasElement, state: &Shared) {
    let Some(b) = find(root, &tid(testid::PAD_CLEAR)) else { return };
    let (state, canvas) = (state.clone(), canvas.clone());
    listeners.push(Listener::new(&b, "click", move |_| {
        {
            let mut s = state.borrow_mut();
            let pen_seen = s.ink.pen_seen;
            s.ink = Ink { pen_seen, ..Ink::default() };
        }
        ink_changed(&canvas, &state);
    }));
}

fn context(c: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    c.get_context("2d").ok().flatten()?.dyn_into().ok()
}

pub(super) fn new_canvas(w: u32, h: u32) -> Option<(HtmlCanvasElement, CanvasRenderingContext2d)> {
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
