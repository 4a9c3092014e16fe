//! `/templates/{id}/bulk` — choose a CSV, see each row with its problems marked, send (the
//! broken rows left out if asked) — and `/batches/{id}`, where a batch's progress and each
//! row's contract show as it goes, with cancel for the rest.

use crate::components::header::Header;
use crate::functions::auth::{get_csrf_token, get_current_user};
use crate::functions::templates::{cancel_batch, get_batch, list_templates, preview_bulk, send_bulk};
use crate::i18n::{error_text, fill, k, t, Key};
use crate::{testid, PageTitle};
use dojang_core::error::AppError;
use dojang_core::model::{BatchStatus, BatchView, BulkPreview, RowProblem, TemplateSummary};
use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::{use_navigate, use_params_map};

#[component]
pub fn BulkPage() -> impl IntoView {
    let params = use_params_map();
    let id = params.with_untracked(|p| p.get("id").unwrap_or_default());
    let user = Resource::new(|| (), |_| get_current_user());
    let templates = Resource::new(|| (), |_| list_templates());
    let csrf = Resource::new(|| (), |_| get_csrf_token());
    view! {
        <PageTitle key=k::TEMPLATES_BULK/>
        <Header/>
        <main class="dashboard" data-testid=testid::BULK_PAGE>
            <Suspense fallback=|| view! { <p class="muted">{t(k::LOADING)}</p> }>
                {move || {
                    let id = id.clone();
                    Suspend::new(async move {
                        match (user.await, templates.await, csrf.await) {
                            (Ok(Some(_)), Ok(list), Ok(csrf)) => match list.into_iter().find(|x| x.id.as_str() == id) {
                                Some(tpl) => view! { <BulkForm tpl csrf/> }.into_any(),
                                None => view! { <div class="alert" role="alert" data-code="NOT_FOUND">{t(k::NOT_FOUND_TITLE)}</div> }.into_any(),
                            },
                            (Ok(Some(_)), Err(e), _) | (Ok(Some(_)), _, Err(e)) => failed(e).into_any(),
                            _ => view! { <Redirect path="/login"/> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </main>
    }
}

fn failed(e: AppError) -> impl IntoView {
    view! { <div class="alert" role="alert" data-code=e.code.as_str()>{error_text(&e)}</div> }
}

#[component]
fn BulkForm(tpl: TemplateSummary, csrf: String) -> impl IntoView {
    let header = tpl.csv_header();
    let csv = RwSignal::new(String::new());
    let preview = RwSignal::new(None::<BulkPreview>);
    let error = RwSignal::new(None::<AppError>);
    let tpl_id = StoredValue::new(tpl.id.to_string());
    let csrf = StoredValue::new(csrf);
    let navigate = use_navigate();
    let check = Action::new(move |text: &String| {
        let text = text.clone();
        async move { preview_bulk(csrf.get_value(), tpl_id.get_value(), text).await }
    });
    Effect::new(move |_| match check.value().get() {
        Some(Ok(p)) => preview.set(Some(p)),
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    let send = Action::new(move |skip: &bool| {
        let skip = *skip;
        async move { send_bulk(csrf.get_value(), tpl_id.get_value(), csv.get_untracked(), skip).await }
    });
    Effect::new(move |_| match send.value().get() {
        Some(Ok(batch)) => navigate(&format!("/batches/{batch}"), Default::default()),
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    let chose = move |e: leptos::ev::Event| {
        error.set(None);
        preview.set(None);
        leptos::task::spawn_local(async move {
            if let Some(text) = crate::browser::chosen_file_text(&e).await {
                csv.set(text.clone());
                check.dispatch(text);
            }
        });
    };
    view! {
        <div class="page-head"><h1>{t(k::TEMPLATES_BULK)}" · "{tpl.name.clone()}</h1></div>
        <section class="card">
            <p>{t(k::BULK_LEAD)}</p>
            <pre class="csv-header">{header}</pre>
            <label>{t(k::BULK_FILE)}
                <input type="file" accept=".csv,text/csv" data-testid=testid::BULK_FILE on:change=chose/>
            </label>
        </section>
        {move || error.get().map(failed)}
        {move || preview.get().map(|p| {
            let (ok, total) = (p.valid_rows(), p.rows.len());
            let bad = total - ok;
            view! {
                <section class="card">
                    {p.problems.iter().map(|m| view! { <p class="alert" role="alert">{m.clone()}</p> }).collect_view()}
                    <p data-testid=testid::BULK_SUMMARY data-ok=ok data-total=total>
                        {fill(t(k::BULK_ROWS_OK), &[("ok", &ok.to_string()), ("total", &total.to_string())])}
                        {(bad > 0).then(|| view! { " "{t(k::BULK_ROWS_BROKEN)} })}
                    </p>
                    <table class="rows">
                        <thead><tr>
                            <th>{t(k::BULK_COL_ROW)}</th><th>{t(k::BULK_COL_RECIPIENTS)}</th><th>{t(k::BULK_COL_VALUES)}</th><th>{t(k::BULK_COL_PROBLEMS)}</th>
                        </tr></thead>
                        <tbody>
                            {p.rows.into_iter().map(|r| view! {
                                <tr data-testid=testid::BULK_ROW data-index=r.index class:invalid=!r.errors.is_empty() data-invalid=(!r.errors.is_empty()).to_string()>
                                    <td>{r.index + 1}</td>
                                    <td>{r.recipients.join(", ")}</td>
                                    <td>{r.values.join(", ")}</td>
                                    <td>{r.errors.iter().map(|e| view! { <div class="alert" data-code=e.code.clone()>{problem_text(e)}</div> }).collect_view()}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                    {(ok > 0 && p.problems.is_empty()).then(|| {
                        let label = if bad == 0 {
                            fill(t(k::BULK_SEND), &[("n", &ok.to_string())])
                        } else {
                            fill(t(k::BULK_SEND_SKIPPING), &[("n", &ok.to_string()), ("bad", &bad.to_string())])
                        };
                        view! { <button type="button" data-testid=testid::BULK_SEND disabled=move || send.pending().get() on:click=move |_| { send.dispatch(bad > 0); }>{label}</button> }
                    })}
                </section>
            }
        })}
    }
}

/// `근로자.email: 올바른 값이 아닙니다.` — the code's text in the reader's language where there is one.
fn problem_text(p: &RowProblem) -> String {
    let text = match (crate::i18n::lang(), Key::by_name(&format!("field.{}", p.code))) {
        (crate::i18n::Lang::Ko, Some(key)) => t(key).to_owned(),
        _ => p.message.clone(),
    };
    if p.column.is_empty() {
        text
    } else {
        format!("{}: {text}", p.column)
    }
}

#[component]
pub fn BatchPage() -> impl IntoView {
    let params = use_params_map();
    let id = params.with_untracked(|p| p.get("id").unwrap_or_default());
    let user = Resource::new(|| (), |_| get_current_user());
    let csrf = Resource::new(|| (), |_| get_csrf_token());
    let first = Resource::new(move || id.clone(), get_batch);
    view! {
        <PageTitle key=k::TEMPLATES_BULK/>
        <Header/>
        <main class="dashboard" data-testid=testid::BATCH_PAGE>
            <Suspense fallback=|| view! { <p class="muted">{t(k::LOADING)}</p> }>
                {move || Suspend::new(async move {
                    match (user.await, first.await, csrf.await) {
                        (Ok(Some(_)), Ok(batch), Ok(csrf)) => view! { <Batch batch csrf/> }.into_any(),
                        (Ok(Some(_)), Err(e), _) | (Ok(Some(_)), _, Err(e)) => failed(e).into_any(),
                        _ => view! { <Redirect path="/login"/> }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

/// The batch, read again every second while it runs.
#[component]
fn Batch(batch: BatchView, csrf: String) -> impl IntoView {
    let batch = RwSignal::new(batch);
    let error = RwSignal::new(None::<AppError>);
    let refresh = move || {
        let id = batch.with_untracked(|b| b.id.to_string());
        leptos::task::spawn_local(async move {
            match get_batch(id).await {
                Ok(b) => batch.set(b),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    #[cfg(feature = "hydrate")]
    {
        let handle = set_interval_with_handle(
            move || {
                if batch.with_untracked(|b| b.status == BatchStatus::Running) {
                    refresh();
                }
            },
            std::time::Duration::from_millis(1000),
        );
        if let Ok(h) = handle {
            on_cleanup(move || h.clear());
        }
    }
    let csrf = StoredValue::new(csrf);
    let cancel = Action::new(move |_: &()| {
        let id = batch.with_untracked(|b| b.id.to_string());
        async move { cancel_batch(csrf.get_value(), id).await }
    });
    Effect::new(move |_| match cancel.value().get() {
        Some(Ok(())) => refresh(),
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    let status_key = |prefix: &str, s: &str| Key::by_name(&format!("{prefix}.{s}")).map(t).unwrap_or("").to_owned();
    view! {
        {move || batch.with(|b| {
            let percent = if b.total > 0 { b.finished * 100 / b.total } else { 100 };
            view! {
                <div class="page-head">
                    <div>
                        <h1>{t(k::TEMPLATES_BULK)}" · "{b.template_name.clone()}</h1>
                        <span class=format!("badge {}", b.status.as_str()) data-testid=testid::BATCH_STATUS data-status=b.status.as_str()>{status_key("batch_status", b.status.as_str())}</span>
                    </div>
                    {(b.status == BatchStatus::Running).then(|| view! {
                        <button type="button" class="secondary danger" data-testid=testid::BATCH_CANCEL disabled=move || cancel.pending().get()
                            on:click=move |_| { cancel.dispatch(()); }>{t(k::BULK_CANCEL)}</button>
                    })}
                </div>
                <section class="card">
                    <progress max=b.total value=b.finished data-testid=testid::BATCH_PROGRESS data-finished=b.finished data-total=b.total></progress>
                    <p>{fill(t(k::BULK_PROGRESS), &[("done", &b.finished.to_string()), ("total", &b.total.to_string())])}" ("{percent}"%)"</p>
                    <p class="muted">{b.counts.iter().filter(|(_, n)| *n > 0).map(|(s, n)| format!("{} {n}", status_key("row_status", s.as_str()))).collect::<Vec<_>>().join(" · ")}</p>
                </section>
                <table class="rows">
                    <thead><tr>
                        <th>{t(k::BULK_COL_ROW)}</th><th>{t(k::BULK_COL_RECIPIENTS)}</th><th>{t(k::BULK_COL_STATE)}</th><th>{t(k::BULK_COL_CONTRACT)}</th>
                    </tr></thead>
                    <tbody>
                        {b.rows.iter().map(|r| view! {
                            <tr data-testid=testid::BATCH_ROW data-index=r.index data-status=r.status.as_str()>
                                <td>{r.index + 1}</td>
                                <td>{r.recipients.join(", ")}</td>
                                <td>{status_key("row_status", r.status.as_str())}{r.error.clone().map(|e| view! { <div class="muted">{e}</div> })}</td>
                                <td>{r.envelope_id.clone().map(|e| view! { <a href=format!("/contracts/{e}")>{t(k::BULK_OPEN)}</a> })}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            }
        })}
        {move || error.get().map(failed)}
    }
}
