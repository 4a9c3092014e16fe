//! Step 2: the pages with their fields. Fields come from the palette by dragging (mouse,
//! finger or pen — Pointer Events throughout) or by a tap; they move and resize by dragging,
//! and the keyboard (`keys.rs`) nudges, deletes, copies, pastes, undoes and redoes.

use super::panels::{Palette, Properties, Recipients};
use super::state::{clamp_rect, LiveField, SaveState};
use super::use_editor;
use crate::browser::{page_at, PageHit};
use crate::i18n::{error_text, k, t};
use crate::testid;
use dojang_core::geometry::FieldRect;
use dojang_core::ids::{DocumentId, FieldId};
use dojang_core::model::{DocumentInfo, FieldKind, PageInfo};
use leptos::prelude::*;

/// A pointer gesture in progress.
#[derive(Clone, Debug)]
enum Gesture {
    /// Dragging a new field out of the palette.
    New {
        kind: FieldKind,
        start: (f64, f64),
        moved: bool,
    },
    /// Moving a field: where the pointer grabbed it, as fractions of the field's page.
    Move {
        id: FieldId,
        start: (f64, f64),
        rect: FieldRect,
        page_px: (f64, f64),
        grab: (f64, f64),
        moved: bool,
    },
    Resize {
        id: FieldId,
        start: (f64, f64),
        rect: FieldRect,
        page_px: (f64, f64),
    },
}

/// The palette's ghost that follows the pointer while a new field is dragged.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ghost {
    pub kind: FieldKind,
    pub x: f64,
    pub y: f64,
}

#[derive(Clone, Copy)]
pub struct Pointer {
    editor: super::state::Editor,
    gesture: StoredValue<Option<Gesture>>,
    pub ghost: RwSignal<Option<Ghost>>,
}

const DRAG_THRESHOLD_PX: f64 = 4.0;

impl Pointer {
    /// Starts dragging a new field of `kind` from the palette.
    pub fn start_new(&self, kind: FieldKind, x: f64, y: f64) {
        self.gesture.set_value(Some(Gesture::New { kind, start: (x, y), moved: false }));
    }

    fn moved(&self, x: f64, y: f64) {
        let editor = self.editor;
        let Some(mut g) = self.gesture.get_value() else { return };
        match &mut g {
            Gesture::New { kind, start, moved } => {
                if !*moved && dist(*start, (x, y)) < DRAG_THRESHOLD_PX {
                    return;
                }
                *moved = true;
                self.ghost.set(Some(Ghost { kind: *kind, x, y }));
            }
            Gesture::Move { id, start, rect, page_px, moved, .. } => {
                if !*moved && dist(*start, (x, y)) < DRAG_THRESHOLD_PX {
                    return;
                }
                *moved = true;
                let r = clamp_rect(FieldRect { x: rect.x + (x - start.0) / page_px.0, y: rect.y + (y - start.1) / page_px.1, ..*rect });
                editor.live.set(Some(LiveField { id: id.clone(), rect: r }));
            }
            Gesture::Resize { id, start, rect, page_px } => {
                let r = clamp_rect(FieldRect {
                    width: (rect.width + (x - start.0) / page_px.0).min(1.0 - rect.x),
                    height: (rect.height + (y - start.1) / page_px.1).min(1.0 - rect.y),
                    ..*rect
                });
                editor.live.set(Some(LiveField { id: id.clone(), rect: r }));
            }
        }
        self.gesture.set_value(Some(g));
    }

    fn released(&self, x: f64, y: f64, cancelled: bool) {
        let editor = self.editor;
        let Some(g) = self.gesture.get_value() else { return };
        self.gesture.set_value(None);
        self.ghost.set(None);
        let live = editor.live.get_untracked();
        editor.live.set(None);
        if cancelled {
            return;
        }
        match g {
            Gesture::New { kind, moved, .. } => {
                // A drop lands where released; a tap lands mid-page of the page in view.
                let hit = if moved { page_at(x, y) } else { crate::browser::page_in_view() };
                if let Some(hit) = hit {
                    editor.add_field(kind, hit.document_id.clone(), hit.page, hit.fx, hit.fy, aspect_of(&hit));
                }
            }
            Gesture::Move { id, rect, grab, moved, .. } => {
                if !moved {
                    return;
                }
                let Some(field) = editor.field(&id) else { return };
                match page_at(x, y) {
                    // Dropped on another page: keep the grab point under the pointer.
                    Some(hit) if hit.document_id != field.document_id || hit.page != field.page => {
                        let r = clamp_rect(FieldRect { x: hit.fx - grab.0, y: hit.fy - grab.1, ..rect });
                        editor.update_field(&id, |f| {
                            f.document_id = hit.document_id.clone();
                            f.page = hit.page;
                            f.rect = r;
                        });
                    }
                    _ => {
                        if let Some(l) = live.filter(|l| l.id == id) {
                            editor.update_field(&id, |f| f.rect = l.rect);
                        }
                    }
                }
            }
            Gesture::Resize { id, .. } => {
                if let Some(l) = live.filter(|l| l.id == id) {
                    editor.update_field(&id, |f| f.rect = l.rect);
                }
            }
        }
    }
}

fn aspect_of(hit: &PageHit) -> f64 {
    if hit.width_px > 0.0 {
        hit.height_px / hit.width_px
    } else {
        1.414
    }
}

fn dist(a: (f64, f64), b: (f64, f64)) -> f64 {
    ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
}

pub fn use_pointer() -> Pointer {
    expect_context::<Pointer>()
}

#[component]
pub fn FieldsStep(on_next: impl Fn() + Send + Sync + 'static) -> impl IntoView {
    let editor = use_editor();
    let pointer = Pointer { editor, gesture: StoredValue::new(None), ghost: RwSignal::new(None) };
    provide_context(pointer);
    install_window_handlers(pointer);

    view! {
        <div class="editor" data-testid=testid::EDITOR>
            <aside class="side">
                <Palette/>
                <Recipients/>
            </aside>
            <section class="canvas">
                <div class="toolbar">
                    <button type="button" class="ghost" data-testid=testid::UNDO title="Ctrl+Z"
                        disabled=move || !editor.can_undo() on:click=move |_| editor.undo()>{t(k::EDITOR_UNDO)}</button>
                    <button type="button" class="ghost" data-testid=testid::REDO title="Ctrl+Shift+Z"
                        disabled=move || !editor.can_redo() on:click=move |_| editor.redo()>{t(k::EDITOR_REDO)}</button>
                    <span class="spacer"></span>
                    <button type="button" class="ghost" aria-label=t(k::EDITOR_ZOOM_OUT) data-testid=testid::ZOOM_OUT
                        on:click=move |_| editor.zoom.update(|z| *z = (*z - 0.25).max(0.5))>"−"</button>
                    <span class="zoom" data-testid=testid::ZOOM_LEVEL>{move || format!("{:.0}%", editor.zoom.get() * 100.0)}</span>
                    <button type="button" class="ghost" aria-label=t(k::EDITOR_ZOOM_IN) data-testid=testid::ZOOM_IN
                        on:click=move |_| editor.zoom.update(|z| *z = (*z + 0.25).min(3.0))>"+"</button>
                </div>
                <div class="pages" style=move || format!("--zoom: {}", editor.zoom.get())>
                    <For each=move || editor.documents.get() key=|d| d.id.clone() let:doc>
                        <DocumentPages doc/>
                    </For>
                </div>
            </section>
            <aside class="props-panel">
                <Properties/>
            </aside>
            {move || pointer.ghost.get().map(|g| view! {
                <div class="ghost-field" style=format!("left:{}px;top:{}px", g.x, g.y)>{kind_label(g.kind)}</div>
            })}
        </div>
        <div class="step-actions">
            <button type="button" data-testid=testid::NEXT_FINISH on:click=move |_| on_next()>{t(k::EDITOR_NEXT)}</button>
        </div>
    }
}

#[component]
fn DocumentPages(doc: DocumentInfo) -> impl IntoView {
    let name = doc.name.clone();
    let id = doc.id.clone();
    view! {
        <h3 class="doc-title">{name}</h3>
        {doc.pages.into_iter().map(|p| view! { <Page document_id=id.clone() page=p/> }).collect_view()}
    }
}

#[component]
fn Page(document_id: DocumentId, page: PageInfo) -> impl IntoView {
    let editor = use_editor();
    let src = format!("/_app/documents/{}/pages/{}?size=page", document_id, page.index);
    let aspect = page.aspect();
    let index = page.index;
    let doc = document_id.clone();
    let field_ids = move || editor.fields.with(|fs| fs.iter().filter(|f| f.document_id == doc && f.page == index).map(|f| f.id.clone()).collect::<Vec<_>>());
    view! {
        <div
            class="page"
            data-testid=testid::PAGE
            data-doc=document_id.to_string()
            data-page=index.to_string()
            data-rotation=page.geometry.rotation.to_string()
            style=format!("aspect-ratio: 1 / {aspect:.6}")
            on:pointerdown=move |_| editor.selected.set(None)
        >
            <img src=src alt="" loading="lazy" draggable="false"/>
            <span class="page-no">{index + 1}</span>
            <For each=field_ids key=|id| id.clone() let:id>
                <FieldBox id/>
            </For>
        </div>
    }
}

#[component]
fn FieldBox(id: FieldId) -> impl IntoView {
    let editor = use_editor();
    let pointer = use_pointer();
    let fid = id.clone();
    let field = Memo::new(move |_| editor.field(&fid));
    let fid = id.clone();
    let rect = move || editor.live.with(|l| l.as_ref().filter(|l| l.id == fid).map(|l| l.rect)).or_else(|| field.with(|f| f.as_ref().map(|f| f.rect)));
    let style = move || {
        let color = field.with(|f| f.as_ref().map(|f| editor.recipient_color(&f.recipient_id))).unwrap_or("#888");
        rect()
            .map(|r| format!("left:{:.4}%;top:{:.4}%;width:{:.4}%;height:{:.4}%;--c:{color}", r.x * 100.0, r.y * 100.0, r.width * 100.0, r.height * 100.0))
            .unwrap_or_default()
    };
    let sel_id = id.clone();
    let selected = move || editor.selected.with(|s| s.as_ref() == Some(&sel_id));
    let down_id = id.clone();
    let on_down = move |e: web_sys::PointerEvent| {
        if e.button() != 0 {
            return;
        }
        e.stop_propagation();
        e.prevent_default();
        editor.selected.set(Some(down_id.clone()));
        let Some(f) = editor.field(&down_id) else { return };
        let Some((w, h, fx, fy)) = page_size_from_event(&e) else { return };
        capture(&e);
        pointer.gesture.set_value(Some(Gesture::Move {
            id: down_id.clone(),
            start: (e.client_x() as f64, e.client_y() as f64),
            rect: f.rect,
            page_px: (w, h),
            grab: (fx - f.rect.x, fy - f.rect.y),
            moved: false,
        }));
    };
    let handle_id = id.clone();
    let on_handle = move |e: web_sys::PointerEvent| {
        e.stop_propagation();
        e.prevent_default();
        editor.selected.set(Some(handle_id.clone()));
        let Some(f) = editor.field(&handle_id) else { return };
        let Some((w, h, _, _)) = page_size_from_event(&e) else { return };
        capture(&e);
        pointer.gesture.set_value(Some(Gesture::Resize {
            id: handle_id.clone(),
            start: (e.client_x() as f64, e.client_y() as f64),
            rect: f.rect,
            page_px: (w, h),
        }));
    };
    let label =
        move || field.with(|f| f.as_ref().map(|f| if f.label.is_empty() { kind_label(f.kind).to_owned() } else { f.label.clone() }).unwrap_or_default());
    let kind = move || field.with(|f| f.as_ref().map(|f| f.kind.as_str()).unwrap_or(""));
    let recipient = move || field.with(|f| f.as_ref().map(|f| f.recipient_id.to_string()).unwrap_or_default());
    view! {
        <div
            class="fbox"
            class:selected=selected
            data-testid=testid::FIELD
            data-field-id=id.to_string()
            data-kind=kind
            data-recipient=recipient
            style=style
            tabindex="0"
            on:pointerdown=on_down
        >
            <span class="field-label">{label}</span>
            <span class="handle" data-testid=testid::FIELD_HANDLE on:pointerdown=on_handle></span>
        </div>
    }
}

/// The size of the page under a pointer event's target, and the point as page fractions.
fn page_size_from_event(e: &web_sys::PointerEvent) -> Option<(f64, f64, f64, f64)> {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let target = e.target()?.dyn_into::<web_sys::Element>().ok()?;
        let page = target.closest(".page").ok()??;
        let hit = crate::browser::page_hit(&page, e.client_x() as f64, e.client_y() as f64)?;
        Some((hit.width_px, hit.height_px, hit.fx, hit.fy))
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = e;
        None
    }
}

/// Keeps the pointer's events coming to us while it is down, wherever it goes.
fn capture(e: &web_sys::PointerEvent) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if let Some(el) = e.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) {
            let _ = el.set_pointer_capture(e.pointer_id());
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = e;
}

pub fn kind_label(kind: FieldKind) -> &'static str {
    t(match kind {
        FieldKind::Signature => k::FIELD_SIGNATURE,
        FieldKind::Initials => k::FIELD_INITIALS,
        FieldKind::Date => k::FIELD_DATE,
        FieldKind::Text => k::FIELD_TEXT,
        FieldKind::Number => k::FIELD_NUMBER,
        FieldKind::Checkbox => k::FIELD_CHECKBOX,
        FieldKind::Radio => k::FIELD_RADIO,
        FieldKind::Select => k::FIELD_SELECT,
        FieldKind::Name => k::FIELD_NAME,
        FieldKind::Email => k::FIELD_EMAIL,
    })
}

/// Pointer moves and releases anywhere in the window, and the editor's keyboard shortcuts.
fn install_window_handlers(pointer: Pointer) {
    let editor = use_editor();
    let lang = crate::i18n::lang();
    Effect::new(move |_| {
        let _ = lang;
        let moves = window_event_listener(leptos::ev::pointermove, move |e| {
            pointer.moved(e.client_x() as f64, e.client_y() as f64);
        });
        let ups = window_event_listener(leptos::ev::pointerup, move |e| {
            pointer.released(e.client_x() as f64, e.client_y() as f64, false);
        });
        let cancels = window_event_listener(leptos::ev::pointercancel, move |e| {
            pointer.released(e.client_x() as f64, e.client_y() as f64, true);
        });
        let keys = window_event_listener(leptos::ev::keydown, move |e| super::keys::on_key(editor, e));
        on_cleanup(move || {
            moves.remove();
            ups.remove();
            cancels.remove();
            keys.remove();
        });
    });
}

/// "Saving… / Saved / not saved" next to the steps.
#[component]
pub fn SaveStatus() -> impl IntoView {
    let editor = use_editor();
    view! {
        <span class="save-status" data-testid=testid::SAVE_STATUS data-state=move || match editor.save_state.get() {
            SaveState::Saved => "saved",
            SaveState::Pending => "pending",
            SaveState::Saving => "saving",
            SaveState::Failed(_) => "failed",
        }>
            {move || match editor.save_state.get() {
                SaveState::Saved => t(k::SAVE_SAVED).to_owned(),
                SaveState::Pending | SaveState::Saving => t(k::SAVE_SAVING).to_owned(),
                SaveState::Failed(e) => format!("{}: {}", t(k::SAVE_FAILED), error_text(&e)),
            }}
        </span>
    }
}
