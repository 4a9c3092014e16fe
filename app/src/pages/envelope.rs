//! `/contracts/{id}`: a contract as its sender follows it — send a draft (message, order,
//! expiry, reminders, languages), each recipient's progress, cancel, the audit log.

use super::send_recipients::{RecipientSettings, Settings};
use crate::components::header::Header;
use crate::functions::auth::{get_csrf_token, get_current_user};
use crate::functions::signing::{cancel_envelope, get_envelope, send_envelope, unlock_recipient};
use crate::i18n::{error_text, field_error_text, k, status_text, t};
use crate::{testid, PageTitle};
use dojang_core::error::AppError;
use dojang_core::model::{EnvelopeDetail, EnvelopeStatus, Fieldless, RecipientProgress, SendRequest, SigningOrder};
use leptos::prelude::*;
use leptos_router::components::{Redirect, A};
use leptos_router::hooks::use_params_map;

#[component]
pub fn EnvelopePage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let version = RwSignal::new(0u32);
    let user = Resource::new(|| (), |_| get_current_user());
    let detail = Resource::new(move || (id(), version.get()), |(id, _)| get_envelope(id));
    let csrf = Resource::new(|| (), |_| get_csrf_token());
    view! {
        <PageTitle key=k::ENVELOPE_TITLE/>
        <Header/>
        <main class="envelope" data-testid=testid::ENVELOPE_PAGE>
            <Suspense fallback=|| view! { <p class="muted">{t(k::LOADING)}</p> }>
                {move || Suspend::new(async move {
                    match (user.await, detail.await, csrf.await) {
                        (Ok(None), _, _) | (Err(_), _, _) => view! { <Redirect path="/login"/> }.into_any(),
                        (_, Err(e), _) => view! { <div class="alert" role="alert" data-code=e.code.as_str()>{error_text(&e)}</div> }.into_any(),
                        (_, Ok(d), csrf) => view! { <Detail d csrf=csrf.unwrap_or_default() reload=move || version.update(|v| *v += 1)/> }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

fn when(ts: &Option<String>) -> String {
    ts.as_deref().map(|t| format!("{} {} UTC", &t[..10.min(t.len())], t.get(11..16).unwrap_or(""))).unwrap_or_default()
}

#[component]
fn Detail(d: EnvelopeDetail, csrf: String, reload: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let is_draft = d.status == EnvelopeStatus::Draft;
    let is_sent = d.status == EnvelopeStatus::Sent;
    let edit = format!("/contract/upload?contractId={}", d.id);
    view! {
        <div class="page-head">
            <div>
                <h1 data-testid=testid::ENVELOPE_NAME>{d.name.clone()}</h1>
                <span class=format!("badge {}", d.status.as_str()) data-testid=testid::ENVELOPE_STATUS data-status=d.status.as_str()>
                    {status_text(d.status)}
                </span>
            </div>
            {is_draft.then(|| view! { <a class="button secondary" rel="external" href=edit>{t(k::ENVELOPE_EDIT)}</a> })}
        </div>
        <p class="muted">
            {d.documents.iter().map(|doc| doc.name.clone()).collect::<Vec<_>>().join(", ")}
            {format!(" · {} {}", d.field_count, t(k::RECIPIENT_FIELDS))}
        </p>
        {d.cancel_reason.clone().filter(|_| d.status == EnvelopeStatus::Cancelled).map(|r| view! {
            <p class="alert">{t(k::ENVELOPE_CANCELLED_BECAUSE)}" "{r}</p>
        })}
        <SealBox d=d.clone()/>
        <h2>{t(k::RECIPIENTS_TITLE)}</h2>
        <table class="progress" data-testid=testid::RECIPIENT_PROGRESS>
            <thead><tr>
                <th>{t(k::RECIPIENT_ORDER)}</th><th>{t(k::RECIPIENT_NAME)}</th><th>{t(k::PROGRESS_INVITED)}</th>
                <th>{t(k::PROGRESS_VIEWED)}</th><th>{t(k::PROGRESS_SIGNED)}</th>
            </tr></thead>
            <tbody>
                {d.recipients.iter().map(|r| view! { <ProgressRow r=r.clone() envelope=d.id.to_string() csrf=csrf.clone() reload/> }).collect_view()}
            </tbody>
        </table>
        {is_draft.then(|| view! { <SendForm d=d.clone() csrf=csrf.clone() reload/> })}
        {is_sent.then(|| view! { <CancelForm id=d.id.to_string() csrf=csrf.clone() reload/> })}
        <p class=if d.audit_integrity.intact { "muted" } else { "alert" } data-testid=testid::AUDIT_INTEGRITY data-intact=d.audit_integrity.intact.to_string()>
            {if d.audit_integrity.intact { t(k::AUDIT_INTACT) } else { t(k::AUDIT_BROKEN) }}
            " "<code class="hash">{d.audit_integrity.head.clone()}</code>
        </p>
        <details class="events">
            <summary>{t(k::ENVELOPE_EVENTS)}" ("{d.events.len()}")"</summary>
            <ol data-testid=testid::AUDIT_EVENTS>
                {d.events.iter().map(|e| view! {
                    <li data-kind=e.kind.clone()>
                        <code>{e.at.clone()}</code>" "{e.kind.clone()}
                        {e.recipient.clone().map(|r| format!(" · {r}"))}
                        {e.ip.clone().map(|ip| format!(" · {ip}"))}
                    </li>
                }).collect_view()}
            </ol>
        </details>
        <p><A href="/dashboard">{t(k::NAV_DASHBOARD)}</A></p>
    }
}

/// Once everyone has signed: the sealing status, then the sealed documents and audit trail.
#[component]
fn SealBox(d: EnvelopeDetail) -> impl IntoView {
    if !matches!(d.status, EnvelopeStatus::Completed | EnvelopeStatus::Sealing) {
        return ().into_any();
    }
    let id = d.id.to_string();
    let sealed = d.seal_status == Some(dojang_core::model::SealStatus::Sealed);
    view! {
        <section class="card seal" data-testid=testid::SEAL_BOX data-seal-status=d.seal_status.map(|s| s.as_str()).unwrap_or_default()>
            <h2>{t(k::SEAL_TITLE)}</h2>
            {(!sealed).then(|| view! {
                <p class="muted">{t(k::SEAL_PENDING)}</p>
                {d.seal_error.clone().map(|e| view! { <p class="alert" data-testid=testid::SEAL_ERROR>{t(k::SEAL_RETRYING)}" "{e}</p> })}
            })}
            {sealed.then(|| view! {
                <ul class="downloads">
                    {d.sealed_documents.iter().map(|s| {
                        let href = format!("/_app/envelopes/{}/documents/{}/sealed.pdf", id, s.document_id);
                        view! {
                            <li>
                                <a href=href rel="external" data-testid=testid::SEALED_DOWNLOAD>{s.name.clone()}</a>
                                <br/><code class="hash">"SHA-256 "{s.sealed_sha256.clone()}</code>
                            </li>
                        }
                    }).collect_view()}
                    <li><a href=format!("/_app/envelopes/{id}/audit-trail.pdf") rel="external" data-testid=testid::TRAIL_DOWNLOAD>{t(k::SEAL_TRAIL)}</a></li>
                </ul>
            })}
        </section>
    }
    .into_any()
}

#[component]
fn ProgressRow(r: RecipientProgress, envelope: String, csrf: String, reload: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let signed = match (&r.signed_at, &r.declined_at) {
        (Some(_), _) => when(&r.signed_at),
        (_, Some(_)) => format!("{} {}", t(k::PROGRESS_DECLINED), r.decline_reason.clone().unwrap_or_default()),
        _ => String::new(),
    };
    view! {
        <tr data-testid=testid::RECIPIENT_PROGRESS_ROW data-email=r.email.clone()
            data-signed=r.signed_at.is_some().to_string() data-declined=r.declined_at.is_some().to_string()>
            <td>{r.order}</td>
            <td>
                <strong>{r.name.clone()}</strong><br/><span class="muted">{r.email.clone()}</span>
                {r.verified_at.clone().map(|at| view! { <br/><span class="muted" data-testid=testid::RECIPIENT_VERIFIED>{t(k::PROGRESS_VERIFIED)}" "{when(&Some(at))}</span> })}
                {r.locked.then(|| {
                    let (rid, envelope, csrf) = (r.id.to_string(), envelope.clone(), csrf.clone());
                    view! {
                        <br/><span class="alert">{t(k::PROGRESS_LOCKED)}</span>" "
                        <button type="button" class="secondary" data-testid=testid::RECIPIENT_UNLOCK on:click=move |_| {
                            let (rid, envelope, csrf) = (rid.clone(), envelope.clone(), csrf.clone());
                            leptos::task::spawn_local(async move {
                                if unlock_recipient(csrf, envelope, rid).await.is_ok() {
                                    reload();
                                }
                            });
                        }>{t(k::PROGRESS_UNLOCK)}</button>
                    }
                })}
            </td>
            <td>{when(&r.invited_at)}</td>
            <td>{when(&r.viewed_at)}</td>
            <td>{signed}</td>
        </tr>
    }
}

#[component]
fn SendForm(d: EnvelopeDetail, csrf: String, reload: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let message = RwSignal::new(String::new());
    let order = RwSignal::new(SigningOrder::Parallel);
    let fieldless = RwSignal::new(d.fieldless);
    let expiry_days = RwSignal::new(String::from("14"));
    let reminder = RwSignal::new(String::new());
    let settings = RwSignal::new(d.recipients.iter().map(Settings::of).collect::<Vec<_>>());
    let error = RwSignal::new(None::<AppError>);
    let busy = RwSignal::new(false);
    let id = d.id.to_string();
    let submit = move |e: leptos::ev::SubmitEvent| {
        e.prevent_default();
        busy.set(true);
        let days: Option<i64> = expiry_days.get_untracked().trim().parse().ok().filter(|d| *d > 0);
        let request = SendRequest {
            message: message.get_untracked(),
            signing_order: order.get_untracked(),
            expires_in: days.map(|d| d * 86_400),
            reminder_days: reminder.get_untracked().trim().parse().ok(),
            languages: settings.with_untracked(|all| all.iter().map(|s| (s.id.clone(), s.language)).collect()),
            identities: settings.with_untracked(|all| all.iter().map(|s| (s.id.clone(), s.identity.clone())).collect()),
            fieldless: Some(fieldless.get_untracked()),
            ..Default::default()
        };
        let (csrf, id) = (csrf.clone(), id.clone());
        leptos::task::spawn_local(async move {
            let res = send_envelope(csrf, id, request).await;
            busy.set(false);
            match res {
                Ok(()) => reload(),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <form class="card send" data-testid=testid::SEND_FORM on:submit=submit>
            <h2>{t(k::SEND_TITLE)}</h2>
            <label>{t(k::SEND_MESSAGE)}
                <textarea rows="3" data-testid=testid::SEND_MESSAGE prop:value=message on:input=move |e| message.set(event_target_value(&e))></textarea>
            </label>
            <fieldset>
                <legend>{t(k::SEND_ORDER)}</legend>
                <label class="check"><input type="radio" name="order" checked=true on:change=move |_| order.set(SigningOrder::Parallel)/>{t(k::SEND_PARALLEL)}</label>
                <label class="check"><input type="radio" name="order" data-testid=testid::SEND_SEQUENTIAL on:change=move |_| order.set(SigningOrder::Sequential)/>{t(k::SEND_SEQUENTIAL)}</label>
            </fieldset>
            <fieldset>
                <legend>{t(k::SEND_FIELDLESS)}</legend>
                <label class="check"><input type="radio" name="fieldless" checked=d.fieldless == Fieldless::AppendPage on:change=move |_| fieldless.set(Fieldless::AppendPage)/>{t(k::SEND_FIELDLESS_PAGE)}</label>
                <label class="check"><input type="radio" name="fieldless" data-testid=testid::SEND_FREE_FORM checked=d.fieldless == Fieldless::FreeForm on:change=move |_| fieldless.set(Fieldless::FreeForm)/>{t(k::SEND_FIELDLESS_FREE)}</label>
            </fieldset>
            <div class="inline">
                <label>{t(k::SEND_EXPIRY_DAYS)}
                    <input type="number" min="0" max="365" data-testid=testid::SEND_EXPIRY prop:value=expiry_days on:input=move |e| expiry_days.set(event_target_value(&e))/>
                </label>
                <label>{t(k::SEND_REMINDER_DAYS)}
                    <input type="number" min="1" max="30" prop:value=reminder on:input=move |e| reminder.set(event_target_value(&e))/>
                </label>
            </div>
            <h3>{t(k::SEND_LANGUAGES)}</h3>
            <RecipientSettings recipients=d.recipients.clone() settings/>
            {move || error.get().map(|e| {
                let detail: Vec<String> = e.fields.iter().map(|f| format!("{}: {}", f.field, field_error_text(&e, &f.field).unwrap_or_default())).collect();
                view! { <div class="alert" role="alert" data-testid=testid::FORM_ERROR data-code=e.code.as_str()>{error_text(&e)}" "{detail.join("; ")}</div> }
            })}
            <button type="submit" data-testid=testid::SEND_SUBMIT disabled=move || busy.get()>{t(k::SEND_SUBMIT)}</button>
        </form>
    }
}

#[component]
fn CancelForm(id: String, csrf: String, reload: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let reason = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let submit = move |e: leptos::ev::SubmitEvent| {
        e.prevent_default();
        let (csrf, id) = (csrf.clone(), id.clone());
        leptos::task::spawn_local(async move {
            match cancel_envelope(csrf, id, reason.get_untracked()).await {
                Ok(()) => reload(),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <form class="card cancel" data-testid=testid::CANCEL_FORM on:submit=submit>
            <h2>{t(k::CANCEL_TITLE)}</h2>
            <label>{t(k::CANCEL_REASON)}
                <input type="text" data-testid=testid::CANCEL_REASON prop:value=reason on:input=move |e| reason.set(event_target_value(&e))/>
            </label>
            {move || error.get().map(|e| view! { <div class="alert" role="alert">{error_text(&e)}</div> })}
            <button type="submit" class="secondary danger" data-testid=testid::CANCEL_SUBMIT>{t(k::CANCEL_SUBMIT)}</button>
        </form>
    }
}
