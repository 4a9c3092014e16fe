//! The signature (and initials) pad: draw with a mouse, a finger or a pen, type, or upload.
//!
//! Drawing uses Pointer Events for every device, with `touch-action: none` on the canvas so
//! the page does not scroll. Each point keeps its position (as fractions of the pad), time
//! and — for pens only — pressure; coalesced events keep fast strokes smooth. Stroke width
//! follows pressure, or speed when there is none. Once a pen has touched the pad, touches
//! are ignored (the palm resting on the screen). The canvas is redrawn from the stored
//! points whenever its size changes, so rotating or resizing keeps the drawing exactly.

use crate::i18n::{k, t};
use crate::testid;
use dojang_core::model::{DrawnSignature, FieldKind, PointerKind, SignatureInput, Stroke, StrokePoint};
use leptos::html::Canvas;
use leptos::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tab {
    Draw,
    Type,
    Upload,
}

#[derive(Clone, Debug, Default)]
struct Ink {
    strokes: Vec<Stroke>,
    /// The pointer drawing the current stroke.
    active: Option<i32>,
    pen_seen: bool,
    t0: Option<f64>,
}

/// A short fingerprint of the strokes, for tests and for "nothing changed" checks.
pub fn digest(strokes: &[Stroke]) -> String {
    let json = serde_json::to_string(strokes).unwrap_or_default();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in json.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

#[component]
pub fn SignaturePad(
    purpose: FieldKind,
    signer_name: String,
    on_adopt: Callback<(SignatureInput, String)>,
    on_close: Callback<()>,
) -> impl IntoView {
    let tab = RwSignal::new(Tab::Draw);
    let ink = StoredValue::new(Ink::default());
    let version = RwSignal::new(0u64);
    let canvas = NodeRef::<Canvas>::new();
    let error = RwSignal::new(None::<&'static str>);
    let typed = RwSignal::new(signer_name.clone());
    let uploaded = RwSignal::new(None::<String>);
    let aspect = if purpose == FieldKind::Initials { 2.0 } else { 3.0 };
    let redraw = move || {
        if let Some(c) = canvas.get_untracked() {
            ink.with_value(|i| draw_all(&c, &i.strokes));
        }
    };

    // Redraw after every change, and whenever the window changes size or orientation.
    Effect::new(move |_| {
        version.track();
        redraw();
    });
    Effect::new(move |_| {
        let h = window_event_listener(leptos::ev::resize, move |_| redraw());
        on_cleanup(move || h.remove());
    });

    let point = move |e: &web_sys::PointerEvent, t0: f64| -> Option<StrokePoint> {
        let c = canvas.get_untracked()?;
        let r = c.get_bounding_client_rect();
        if r.width() <= 0.0 || r.height() <= 0.0 {
            return None;
        }
        let pen = e.pointer_type() == "pen";
        Some(StrokePoint {
            x: ((e.client_x() as f64 - r.left()) / r.width()).clamp(0.0, 1.0) as f32,
            y: ((e.client_y() as f64 - r.top()) / r.height()).clamp(0.0, 1.0) as f32,
            t: (e.time_stamp() - t0).max(0.0) as f32,
            p: pen.then(|| e.pressure()),
        })
    };
    let down = move |e: web_sys::PointerEvent| {
        let kind = match e.pointer_type().as_str() {
            "pen" => PointerKind::Pen,
            "touch" => PointerKind::Touch,
            _ => PointerKind::Mouse,
        };
        let ignore = ink.with_value(|i| i.active.is_some() || (i.pen_seen && kind == PointerKind::Touch));
        if ignore || (kind == PointerKind::Mouse && e.button() != 0) {
            return;
        }
        e.prevent_default();
        if let Some(c) = canvas.get_untracked() {
            let _ = c.set_pointer_capture(e.pointer_id());
        }
        let t0 = ink.with_value(|i| i.t0).unwrap_or_else(|| e.time_stamp());
        let Some(p) = point(&e, t0) else { return };
        ink.update_value(|i| {
            i.t0 = Some(t0);
            i.pen_seen |= kind == PointerKind::Pen;
            i.active = Some(e.pointer_id());
            i.strokes.push(Stroke { pointer: kind, points: vec![p] });
        });
        error.set(None);
        version.update(|v| *v += 1);
    };
    let moved = move |e: web_sys::PointerEvent| {
        if ink.with_value(|i| i.active) != Some(e.pointer_id()) {
            return;
        }
        e.prevent_default();
        let t0 = ink.with_value(|i| i.t0).unwrap_or(0.0);
        // Coalesced events: every sample the device reported since the last frame.
        let mut samples: Vec<StrokePoint> = Vec::new();
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            for ev in e.get_coalesced_events().iter() {
                if let Ok(pe) = ev.dyn_into::<web_sys::PointerEvent>() {
                    samples.extend(point(&pe, t0));
                }
            }
        }
        if samples.is_empty() {
            samples.extend(point(&e, t0));
        }
        ink.update_value(|i| {
            if let Some(s) = i.strokes.last_mut() {
                s.points.extend(samples);
            }
        });
        version.update(|v| *v += 1);
    };
    let up = move |e: web_sys::PointerEvent| {
        if ink.with_value(|i| i.active) == Some(e.pointer_id()) {
            ink.update_value(|i| i.active = None);
            version.update(|v| *v += 1);
        }
    };
    let undo = move |_| {
        ink.update_value(|i| {
            i.strokes.pop();
            i.active = None;
        });
        version.update(|v| *v += 1);
    };
    let clear = move |_| {
        ink.update_value(|i| *i = Ink { pen_seen: i.pen_seen, ..Ink::default() });
        version.update(|v| *v += 1);
    };
    let adopt = move |_| match tab.get_untracked() {
        Tab::Draw => {
            let drawing = DrawnSignature { aspect: aspect as f32, strokes: ink.with_value(|i| i.strokes.clone()) };
            if !drawing.is_substantial() {
                error.set(Some(t(k::PAD_TOO_SMALL)));
                return;
            }
            let png = canvas.get_untracked().and_then(|c| c.to_data_url().ok()).unwrap_or_default();
            on_adopt.run((SignatureInput::Drawn { drawing, png: png.clone() }, png));
        }
        Tab::Type => {
            let text = typed.get_untracked().trim().to_owned();
            if text.is_empty() {
                error.set(Some(t(k::PAD_TYPE_EMPTY)));
                return;
            }
            leptos::task::spawn_local(async move {
                let png = render_typed(&text, aspect).await;
                on_adopt.run((SignatureInput::Typed { text, png: png.clone() }, png));
            });
        }
        Tab::Upload => match uploaded.get_untracked() {
            Some(png) => on_adopt.run((SignatureInput::Uploaded { png: png.clone() }, png)),
            None => error.set(Some(t(k::PAD_UPLOAD_EMPTY))),
        },
    };
    let stats = move || {
        version.track();
        ink.with_value(|i| (i.strokes.len(), i.strokes.iter().map(|s| s.points.len()).sum::<usize>(), digest(&i.strokes)))
    };
    let title = if purpose == FieldKind::Initials { t(k::PAD_TITLE_INITIALS) } else { t(k::PAD_TITLE_SIGNATURE) };
    let tab_button = move |which: Tab, key, id: &'static str| {
        view! {
            <button type="button" role="tab" class="tab" class:current=move || tab.get() == which data-testid=id
                aria-selected=move || (tab.get() == which).to_string() on:click=move |_| { tab.set(which); error.set(None); }>
                {t(key)}
            </button>
        }
    };
    view! {
        <div class="pad-backdrop" role="dialog" aria-modal="true" aria-label=title data-testid=testid::PAD>
            <div class="pad">
                <h2>{title}</h2>
                <div class="tabs" role="tablist">
                    {tab_button(Tab::Draw, k::PAD_DRAW, testid::PAD_TAB_DRAW)}
                    {tab_button(Tab::Type, k::PAD_TYPE, testid::PAD_TAB_TYPE)}
                    {tab_button(Tab::Upload, k::PAD_UPLOAD, testid::PAD_TAB_UPLOAD)}
                </div>
                <div class="pad-body" class:hidden=move || tab.get() != Tab::Draw>
                    <canvas
                        node_ref=canvas
                        class="pad-canvas"
                        data-testid=testid::PAD_CANVAS
                        style=format!("aspect-ratio: {aspect}")
                        data-strokes=move || stats().0.to_string()
                        data-points=move || stats().1.to_string()
                        data-digest=move || stats().2
                        data-pen-seen=move || { version.track(); ink.with_value(|i| i.pen_seen).to_string() }
                        on:pointerdown=down
                        on:pointermove=moved
                        on:pointerup=up
                        on:pointercancel=up
                    ></canvas>
                    <p class="hint">{t(k::PAD_DRAW_HINT)}</p>
                    <div class="inline">
                        <button type="button" class="ghost" data-testid=testid::PAD_UNDO on:click=undo>{t(k::PAD_UNDO)}</button>
                        <button type="button" class="ghost" data-testid=testid::PAD_CLEAR on:click=clear>{t(k::PAD_CLEAR)}</button>
                    </div>
                </div>
                <div class="pad-body" class:hidden=move || tab.get() != Tab::Type>
                    <input type="text" class="typed-input" maxlength="100" data-testid=testid::PAD_TYPED
                        prop:value=typed on:input=move |e| typed.set(event_target_value(&e))/>
                    <p class="typed-preview" data-testid=testid::PAD_TYPED_PREVIEW>{move || typed.get()}</p>
                </div>
                <div class="pad-body" class:hidden=move || tab.get() != Tab::Upload>
                    <input type="file" accept="image/png,image/jpeg" data-testid=testid::PAD_FILE
                        on:change=move |e| load_image(e, aspect, uploaded)/>
                    {move || uploaded.get().map(|src| view! { <img class="uploaded" src=src alt=""/> })}
                </div>
                {move || error.get().map(|m| view! { <p class="alert" role="alert" data-testid=testid::PAD_ERROR>{m}</p> })}
                <div class="pad-actions">
                    <button type="button" class="secondary" on:click=move |_| on_close.run(())>{t(k::PAD_CANCEL)}</button>
                    <button type="button" data-testid=testid::PAD_ADOPT on:click=adopt>{t(k::PAD_ADOPT)}</button>
                </div>
            </div>
        </div>
    }
}

/// Redraws every stroke at the canvas's current size, sharp at the device's pixel ratio.
fn draw_all(c: &web_sys::HtmlCanvasElement, strokes: &[Stroke]) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
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
        let Some(ctx) = c.get_context("2d").ok().flatten().and_then(|x| x.dyn_into::<web_sys::CanvasRenderingContext2d>().ok()) else {
            return;
        };
        let _ = ctx.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0);
        ctx.clear_rect(0.0, 0.0, w, h);
        ctx.set_stroke_style_str("#14213d");
        ctx.set_fill_style_str("#14213d");
        ctx.set_line_cap("round");
        ctx.set_line_join("round");
        for s in strokes {
            draw_stroke(&ctx, s, w, h);
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (c, strokes);
}

#[cfg(feature = "hydrate")]
fn draw_stroke(ctx: &web_sys::CanvasRenderingContext2d, s: &Stroke, w: f64, h: f64) {
    use dojang_core::ink;
    let pts: Vec<(f64, f64)> = s.points.iter().map(|p| (f64::from(p.x) * w, f64::from(p.y) * h)).collect();
    let ws = ink::widths(s, w);
    for seg in ink::segments(&pts, &ws) {
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

/// The typed name in the handwriting font (which covers Hangul), as a PNG.
async fn render_typed(text: &str, aspect: f64) -> String {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let doc = document();
        let font = "120px 'Dojang Script'";
        {
            let p = doc.fonts().load_with_text(font, text);
            let _ = wasm_bindgen_futures::JsFuture::from(p).await;
        }
        let Some(c) = doc.create_element("canvas").ok().and_then(|e| e.dyn_into::<web_sys::HtmlCanvasElement>().ok()) else {
            return String::new();
        };
        let (w, h) = ((200.0 * aspect) as u32 * 2, 400);
        c.set_width(w);
        c.set_height(h);
        let Some(ctx) = c.get_context("2d").ok().flatten().and_then(|x| x.dyn_into::<web_sys::CanvasRenderingContext2d>().ok()) else {
            return String::new();
        };
        let mut size = 220.0;
        loop {
            ctx.set_font(&format!("{size}px 'Dojang Script'"));
            let width = ctx.measure_text(text).map(|m| m.width()).unwrap_or(0.0);
            if width <= f64::from(w) * 0.9 || size < 30.0 {
                break;
            }
            size *= 0.9;
        }
        ctx.set_fill_style_str("#14213d");
        ctx.set_text_align("center");
        ctx.set_text_baseline("middle");
        let _ = ctx.fill_text(text, f64::from(w) / 2.0, f64::from(h) / 2.0);
        c.to_data_url().unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (text, aspect);
        String::new()
    }
}

/// Reads an uploaded image, fits it on a transparent canvas, keeps it as PNG.
fn load_image(e: leptos::ev::Event, aspect: f64, out: RwSignal<Option<String>>) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::closure::Closure;
        use wasm_bindgen::JsCast;
        let Some(input) = e.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else { return };
        let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
        if file.size() > 5.0 * 1024.0 * 1024.0 {
            return;
        }
        let Ok(url) = web_sys::Url::create_object_url_with_blob(&file) else { return };
        let Ok(img) = web_sys::HtmlImageElement::new() else { return };
        let img2 = img.clone();
        let onload = Closure::once_into_js(move || {
            let doc = document();
            let Some(c) = doc.create_element("canvas").ok().and_then(|e| e.dyn_into::<web_sys::HtmlCanvasElement>().ok()) else { return };
            let (w, h) = ((300.0 * aspect) as u32, 300);
            c.set_width(w);
            c.set_height(h);
            if let Some(ctx) = c.get_context("2d").ok().flatten().and_then(|x| x.dyn_into::<web_sys::CanvasRenderingContext2d>().ok()) {
                let (iw, ih) = (f64::from(img2.natural_width()), f64::from(img2.natural_height()));
                let scale = (f64::from(w) / iw).min(f64::from(h) / ih).min(1.0).max(0.0001);
                let (dw, dh) = (iw * scale, ih * scale);
                let _ = ctx.draw_image_with_html_image_element_and_dw_and_dh(&img2, (f64::from(w) - dw) / 2.0, (f64::from(h) - dh) / 2.0, dw, dh);
            }
            out.set(c.to_data_url().ok());
            let _ = web_sys::Url::revoke_object_url(&img2.src());
        });
        img.set_onload(Some(onload.unchecked_ref()));
        img.set_src(&url);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (e, aspect, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stroke(pointer: PointerKind, pressures: &[Option<f32>]) -> Stroke {
        Stroke {
            pointer,
            points: pressures.iter().enumerate().map(|(i, p)| StrokePoint { x: i as f32 * 0.05, y: 0.5, t: i as f32 * 16.0, p: *p }).collect(),
        }
    }

    #[test]
    fn the_digest_changes_with_the_drawing() {
        let a = vec![stroke(PointerKind::Mouse, &[None; 5])];
        let mut b = a.clone();
        b[0].points[2].x += 0.01;
        assert_eq!(digest(&a), digest(&a.clone()));
        assert_ne!(digest(&a), digest(&b));
    }
}
