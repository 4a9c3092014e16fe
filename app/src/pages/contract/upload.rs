//! Step 1: add PDFs (drop zone or file picker, several at once), see upload and rendering
//! progress, reorder and remove them.

use super::use_editor;
use crate::functions::contracts::{remove_document, reorder_documents};
use crate::i18n::{error_text, k, t};
use crate::testid;
use dojang_core::error::AppError;
use dojang_core::ids::DocumentId;
use dojang_core::model::DocumentInfo;
use leptos::prelude::*;
use serde::Deserialize;

#[derive(Clone, Debug, PartialEq)]
struct Pending {
    key: u64,
    name: String,
    progress: f64,
    error: Option<AppError>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Uploaded {
    #[serde(rename = "contractId")]
    contract_id: String,
    document: DocumentInfo,
}

#[component]
pub fn DocumentsStep(on_next: impl Fn() + Send + Sync + 'static) -> impl IntoView {
    let editor = use_editor();
    let pending = RwSignal::new(Vec::<Pending>::new());
    let dragging = RwSignal::new(false);
    watch_rendering();
    #[cfg(feature = "hydrate")]
    let add_files = uploader(editor, pending);
    #[cfg(not(feature = "hydrate"))]
    let add_files = |_: Option<web_sys::FileList>| {};
    #[allow(clippy::clone_on_copy)] // Copy on the server, a cloneable handle in the browser.
    let add_dropped = add_files.clone();

    view! {
        <section
            class="dropzone"
            class:over=move || dragging.get()
            data-testid=testid::DROPZONE
            on:dragover=move |e: web_sys::DragEvent| {
                e.prevent_default();
                dragging.set(true);
            }
            on:dragleave=move |_| dragging.set(false)
            on:drop=move |e: web_sys::DragEvent| {
                e.prevent_default();
                dragging.set(false);
                add_dropped(e.data_transfer().and_then(|d| d.files()));
            }
        >
            <p class="lead">{t(k::UPLOAD_DROP)}</p>
            <label class="button">
                {t(k::UPLOAD_CHOOSE)}
                <input
                    type="file"
                    accept="application/pdf,.pdf"
                    multiple=true
                    class="visually-hidden"
                    data-testid=testid::FILE_INPUT
                    on:change=move |e| {
                        use wasm_bindgen::JsCast;
                        let input = e.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok());
                        if let Some(input) = input {
                            add_files(input.files());
                            input.set_value("");
                        }
                    }
                />
            </label>
            <p class="hint">{t(k::UPLOAD_LIMITS)}</p>
        </section>

        <ul class="pending">
            <For each=move || pending.get() key=|p| (p.key, p.error.is_some()) let:p>
                <li data-testid=testid::UPLOAD_PENDING>
                    <span class="name">{p.name.clone()}</span>
                    {match p.error.clone() {
                        Some(e) => view! {
                            <span class="alert" role="alert" data-testid=testid::UPLOAD_ERROR data-code=e.code.as_str()>{error_text(&e)}</span>
                        }.into_any(),
                        None => {
                            let key = p.key;
                            let pct = move || pending.with(|l| l.iter().find(|x| x.key == key).map(|x| x.progress).unwrap_or(1.0));
                            view! {
                                <progress max="1" value=move || pct().to_string()></progress>
                                <span class="muted">{t(k::UPLOAD_UPLOADING)}</span>
                            }.into_any()
                        }
                    }}
                </li>
            </For>
        </ul>

        <ol class="documents" data-testid=testid::DOCUMENT_LIST>
            <For each=move || editor.documents.get() key=|d| (d.id.clone(), d.pages_rendered) let:doc>
                <DocumentRow doc/>
            </For>
        </ol>

        <div class="step-actions">
            <button
                type="button"
                data-testid=testid::NEXT_FIELDS
                disabled=move || editor.documents.with(|d| d.is_empty())
                on:click=move |_| on_next()
            >
                {t(k::UPLOAD_NEXT)}
            </button>
        </div>
    }
}

#[component]
fn DocumentRow(doc: DocumentInfo) -> impl IntoView {
    let editor = use_editor();
    let id = doc.id.clone();
    let total = doc.pages.len() as u32;
    let rendered = doc.pages_rendered.min(total);
    let thumb = format!("/_app/documents/{}/pages/0?size=thumb", doc.id);
    let size_mb = format!("{:.1} MB", doc.size_bytes as f64 / 1_048_576.0);
    let move_by = {
        let id = id.clone();
        move |delta: i64| {
            let mut order: Vec<DocumentId> = editor.documents.with_untracked(|d| d.iter().map(|x| x.id.clone()).collect());
            let Some(at) = order.iter().position(|x| *x == id) else { return };
            let to = at as i64 + delta;
            if to < 0 || to >= order.len() as i64 {
                return;
            }
            order.swap(at, to as usize);
            editor.documents.update(|d| d.sort_by_key(|x| order.iter().position(|o| *o == x.id)));
            let (csrf, cid) = (editor.csrf.get_untracked(), editor.contract_id.get_value());
            let order: Vec<String> = order.iter().map(ToString::to_string).collect();
            leptos::task::spawn_local(async move {
                let _ = reorder_documents(csrf, cid, order).await;
            });
        }
    };
    let up = move_by.clone();
    let down = move_by;
    let remove = {
        let id = id.clone();
        move |_| {
            #[cfg(feature = "hydrate")]
            if !window().confirm_with_message(t(k::UPLOAD_REMOVE_CONFIRM)).unwrap_or(false) {
                return;
            }
            let doc = id.clone();
            editor.commit(|_, fields| fields.retain(|f| f.document_id != doc));
            editor.documents.update(|d| d.retain(|x| x.id != doc));
            let (csrf, cid) = (editor.csrf.get_untracked(), editor.contract_id.get_value());
            let doc = doc.to_string();
            leptos::task::spawn_local(async move {
                let _ = remove_document(csrf, cid, doc).await;
            });
        }
    };
    view! {
        <li class="document" data-testid=testid::DOCUMENT_ROW data-document-id=doc.id.to_string()>
            <img class="thumb" src=thumb alt="" loading="lazy" width="60"/>
            <div class="meta">
                <strong>{doc.name.clone()}</strong>
                <span class="muted">{format!("{total} {} · {size_mb}", t(k::UPLOAD_PAGES))}</span>
                {(rendered < total).then(|| view! {
                    <span class="muted" data-testid=testid::RENDER_PROGRESS>
                        <progress max=total.to_string() value=rendered.to_string()></progress>
                        {format!(" {} {rendered}/{total}", t(k::UPLOAD_RENDERING))}
                    </span>
                })}
            </div>
            <div class="row-actions">
                <button type="button" class="ghost" aria-label=t(k::UPLOAD_MOVE_UP) on:click=move |_| up(-1)>"↑"</button>
                <button type="button" class="ghost" aria-label=t(k::UPLOAD_MOVE_DOWN) on:click=move |_| down(1)>"↓"</button>
                <button type="button" class="ghost" aria-label=t(k::UPLOAD_REMOVE) data-testid=testid::DOCUMENT_REMOVE on:click=remove>"✕"</button>
            </div>
        </li>
    }
}

/// Queues files and uploads them one after another: the first one creates the contract the
/// others join. Browser-only (it holds browser objects).
#[cfg(feature = "hydrate")]
fn uploader(editor: super::state::Editor, pending: RwSignal<Vec<Pending>>) -> impl Fn(Option<web_sys::FileList>) + Clone + 'static {
    use std::cell::{Cell, RefCell};
    use std::collections::VecDeque;
    use std::rc::Rc;

    struct Queue {
        files: RefCell<VecDeque<web_sys::File>>,
        busy: Cell<bool>,
        next_key: Cell<u64>,
    }

    fn pump(q: Rc<Queue>, editor: super::state::Editor, pending: RwSignal<Vec<Pending>>) {
        if q.busy.get() {
            return;
        }
        let Some(file) = q.files.borrow_mut().pop_front() else { return };
        q.busy.set(true);
        let key = q.next_key.get();
        q.next_key.set(key + 1);
        pending.update(|p| p.push(Pending { key, name: file.name(), progress: 0.0, error: None }));
        let id = editor.contract_id.get_value();
        let url = if id.is_empty() { "/_app/documents".to_owned() } else { format!("/_app/documents?contractId={id}") };
        let again = q.clone();
        crate::browser::upload::<Uploaded>(
            &url,
            &editor.csrf.get_untracked(),
            &file,
            move |p| pending.update(|list| list.iter_mut().filter(|x| x.key == key).for_each(|x| x.progress = p)),
            move |res: Result<Uploaded, AppError>| {
                match res {
                    Ok(up) => {
                        editor.contract_id.set_value(up.contract_id);
                        editor.documents.update(|d| d.push(up.document));
                        pending.update(|p| p.retain(|x| x.key != key));
                    }
                    Err(e) => pending.update(|p| p.iter_mut().filter(|x| x.key == key).for_each(|x| x.error = Some(e.clone()))),
                }
                again.busy.set(false);
                pump(again, editor, pending);
            },
        );
    }

    let q = Rc::new(Queue { files: RefCell::new(VecDeque::new()), busy: Cell::new(false), next_key: Cell::new(0) });
    move |files: Option<web_sys::FileList>| {
        let Some(files) = files else { return };
        for i in 0..files.length() {
            if let Some(f) = files.get(i) {
                q.files.borrow_mut().push_back(f);
            }
        }
        pump(q.clone(), editor, pending);
    }
}

/// While pages are still rendering in the background, refreshes the documents' progress.
fn watch_rendering() {
    let editor = use_editor();
    #[cfg(feature = "hydrate")]
    {
        use crate::functions::contracts::get_draft;
        let handle = set_interval_with_handle(
            move || {
                let id = editor.contract_id.get_value();
                let unfinished = editor.documents.with_untracked(|d| d.iter().any(|x| (x.pages_rendered as usize) < x.pages.len()));
                if id.is_empty() || !unfinished {
                    return;
                }
                leptos::task::spawn_local(async move {
                    if let Ok(fresh) = get_draft(id).await {
                        if editor.name.get_untracked().is_empty() {
                            editor.name.set(fresh.name);
                        }
                        editor.documents.update(|docs| {
                            for d in docs.iter_mut() {
                                if let Some(f) = fresh.documents.iter().find(|f| f.id == d.id) {
                                    d.pages_rendered = f.pages_rendered;
                                }
                            }
                        });
                    }
                });
            },
            std::time::Duration::from_millis(1000),
        );
        if let Ok(h) = handle {
            on_cleanup(move || h.clear());
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = editor;
}
