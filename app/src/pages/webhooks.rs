//! `/settings/webhooks`: the organization's webhook endpoints. A new endpoint's signing secret
//! is shown once. Each endpoint shows whether it is enabled (and why not), and opens its
//! delivery log: every message with its attempts (status code or error, when), and a resend.

use crate::components::header::Header;
use crate::functions::auth::{get_csrf_token, get_current_user};
use crate::functions::webhooks::{create_webhook, delete_webhook, enable_webhook, list_webhooks, resend_webhook, webhook_deliveries};
use crate::i18n::{error_text, k, t};
use crate::pages::dashboard::display_time;
use crate::{testid, PageTitle};
use dojang_core::error::AppError;
use dojang_core::model::{NewWebhookEndpoint, WebhookDelivery, WebhookEndpoint, WEBHOOK_EVENT_TYPES};
use leptos::prelude::*;
use leptos_router::components::Redirect;

#[component]
pub fn WebhooksPage() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let user = Resource::new(|| (), |_| get_current_user());
    let endpoints = Resource::new(move || version.get(), |_| list_webhooks());
    let csrf = Resource::new(|| (), |_| get_csrf_token());
    let created = RwSignal::new(None::<NewWebhookEndpoint>);
    view! {
        <PageTitle key=k::WEBHOOKS_TITLE/>
        <Header/>
        <main class="api-keys" data-testid=testid::WEBHOOKS_PAGE>
            <h1>{t(k::WEBHOOKS_TITLE)}</h1>
            <p class="muted">{t(k::WEBHOOKS_INTRO)}</p>
            <Suspense fallback=|| view! { <p class="muted">{t(k::LOADING)}</p> }>
                {move || Suspend::new(async move {
                    match (user.await, endpoints.await, csrf.await) {
                        (Ok(Some(_)), Ok(list), csrf) => {
                            let csrf = csrf.unwrap_or_default();
                            let reload = move || version.update(|v| *v += 1);
                            view! {
                                <CreateForm csrf=csrf.clone() created reload/>
                                {move || created.get().map(|c| view! {
                                    <section class="card new-key">
                                        <h2>{t(k::WEBHOOKS_SECRET_ONCE)}</h2>
                                        <label>{t(k::WEBHOOKS_SECRET)}<input readonly value=c.secret.clone() data-testid=testid::WEBHOOK_SECRET/></label>
                                    </section>
                                })}
                                <EndpointList list csrf reload/>
                            }.into_any()
                        }
                        _ => view! { <Redirect path="/login"/> }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

#[component]
fn CreateForm(csrf: String, created: RwSignal<Option<NewWebhookEndpoint>>, reload: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let url = RwSignal::new(String::new());
    let chosen = RwSignal::new(WEBHOOK_EVENT_TYPES.iter().map(|e| (*e).to_owned()).collect::<Vec<_>>());
    let error = RwSignal::new(None::<AppError>);
    let submit = move |e: leptos::ev::SubmitEvent| {
        e.prevent_default();
        let csrf = csrf.clone();
        leptos::task::spawn_local(async move {
            match create_webhook(csrf, url.get_untracked(), chosen.get_untracked().join(" ")).await {
                Ok(c) => {
                    created.set(Some(c));
                    error.set(None);
                    url.set(String::new());
                    reload();
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <form class="card" data-testid=testid::WEBHOOK_FORM on:submit=submit>
            <h2>{t(k::WEBHOOKS_NEW)}</h2>
            <label>{t(k::WEBHOOKS_URL)}
                <input type="url" required placeholder="https://example.com/dojang/webhooks" data-testid=testid::WEBHOOK_URL prop:value=url on:input=move |e| url.set(event_target_value(&e))/>
            </label>
            <fieldset class="events">
                <legend>{t(k::WEBHOOKS_EVENTS)}</legend>
                {WEBHOOK_EVENT_TYPES.iter().map(|ev| {
                    let ev = (*ev).to_owned();
                    let checked = { let ev = ev.clone(); move || chosen.get().contains(&ev) };
                    let toggle = { let ev = ev.clone(); move |e: leptos::ev::Event| {
                        let on = event_target_checked(&e);
                        chosen.update(|c| { c.retain(|x| *x != ev); if on { c.push(ev.clone()); } });
                    }};
                    view! {
                        <label class="check"><input type="checkbox" data-testid=testid::WEBHOOK_EVENT value=ev.clone() prop:checked=checked on:change=toggle/><code>{ev.clone()}</code></label>
                    }
                }).collect_view()}
            </fieldset>
            {move || error.get().map(|e| view! { <div class="alert" role="alert">{error_text(&e)}</div> })}
            <button type="submit" data-testid=testid::WEBHOOK_CREATE>{t(k::WEBHOOKS_CREATE)}</button>
        </form>
    }
}

#[component]
fn EndpointList(list: Vec<WebhookEndpoint>, csrf: String, reload: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="muted">{t(k::WEBHOOKS_EMPTY)}</p> }.into_any();
    }
    view! {
        <ul class="contracts">
            {list.into_iter().map(|ep| view! { <EndpointRow ep csrf=csrf.clone() reload/> }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn EndpointRow(ep: WebhookEndpoint, csrf: String, reload: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let id = ep.id.to_string();
    let open = RwSignal::new(false);
    let log_version = RwSignal::new(0u32);
    let log = {
        let id = id.clone();
        Resource::new(
            move || (open.get(), log_version.get()),
            move |(open, _)| {
                let id = id.clone();
                async move {
                    if open {
                        webhook_deliveries(id).await.map(Some)
                    } else {
                        Ok(None)
                    }
                }
            },
        )
    };
    let act = {
        let (csrf, id) = (csrf.clone(), id.clone());
        move |enable: bool| {
            let (csrf, id) = (csrf.clone(), id.clone());
            leptos::task::spawn_local(async move {
                let ok = if enable { enable_webhook(csrf, id).await.is_ok() } else { delete_webhook(csrf, id).await.is_ok() };
                if ok {
                    reload();
                }
            });
        }
    };
    let (enable, delete) = (act.clone(), act);
    view! {
        <li class="contract-row" data-testid=testid::WEBHOOK_ROW data-enabled=ep.enabled.to_string()>
            <div class="title">
                <code>{ep.url.clone()}</code>
                {if ep.enabled {
                    view! { <span class="badge completed">{t(k::WEBHOOKS_ENABLED)}</span> }.into_any()
                } else {
                    view! {
                        <span class="badge cancelled" title=ep.disabled_reason.clone().unwrap_or_default()>{t(k::WEBHOOKS_DISABLED)}</span>
                        <button type="button" class="secondary small" data-testid=testid::WEBHOOK_ENABLE on:click=move |_| enable(true)>{t(k::WEBHOOKS_ENABLE)}</button>
                    }.into_any()
                }}
                <button type="button" class="secondary small" data-testid=testid::WEBHOOK_SHOW_LOG on:click=move |_| open.update(|o| *o = !*o)>{t(k::WEBHOOKS_SHOW_LOG)}</button>
                <button type="button" class="secondary danger small" data-testid=testid::WEBHOOK_DELETE on:click=move |_| delete(false)>{t(k::WEBHOOKS_DELETE)}</button>
            </div>
            <div class="muted">
                <span>{ep.events.join(", ")}</span>
                {ep.disabled_reason.clone().map(|r| view! { <span>{r}</span> })}
            </div>
            <Suspense fallback=|| ()>
                {move || {
                    let (id, csrf) = (id.clone(), csrf.clone());
                    Suspend::new(async move {
                    match log.await {
                        Ok(Some(list)) => view! { <DeliveryLog list endpoint=id csrf reload=move || log_version.update(|v| *v += 1)/> }.into_any(),
                        Ok(None) => ().into_any(),
                        Err(e) => view! { <div class="alert" role="alert">{error_text(&e)}</div> }.into_any(),
                    }
                })}}
            </Suspense>
        </li>
    }
}

#[component]
fn DeliveryLog(list: Vec<WebhookDelivery>, endpoint: String, csrf: String, reload: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="muted">{t(k::WEBHOOKS_LOG_EMPTY)}</p> }.into_any();
    }
    view! {
        <table class="deliveries">
            <tbody>
                {list.into_iter().map(|d| {
                    let (csrf, endpoint, message) = (csrf.clone(), endpoint.clone(), d.id.clone());
                    let resend = move |_| {
                        let (csrf, endpoint, message) = (csrf.clone(), endpoint.clone(), message.clone());
                        leptos::task::spawn_local(async move {
                            if resend_webhook(csrf, endpoint, message).await.is_ok() {
                                reload();
                            }
                        });
                    };
                    let status = match d.status.as_str() {
                        "delivered" => t(k::WEBHOOKS_STATUS_DELIVERED),
                        "failed" => t(k::WEBHOOKS_STATUS_FAILED),
                        _ => t(k::WEBHOOKS_STATUS_PENDING),
                    };
                    let attempts = d.attempts.iter().map(|a| {
                        let what = a.status_code.map(|c| c.to_string()).or_else(|| a.error.clone()).unwrap_or_default();
                        format!("#{} {} · {} ({} ms)", a.attempt, display_time(&a.at), what, a.duration_ms)
                    }).collect::<Vec<_>>();
                    view! {
                        <tr data-testid=testid::WEBHOOK_DELIVERY data-status=d.status.clone()>
                            <td><code>{d.event_type.clone()}</code><br/><small class="muted">{d.id.clone()}</small></td>
                            <td>{status}{d.next_attempt_at.as_deref().map(|n| format!(" · {} {}", t(k::WEBHOOKS_NEXT_ATTEMPT), display_time(n)))}</td>
                            <td><small>{t(k::WEBHOOKS_ATTEMPTS)}": "</small>{attempts.into_iter().map(|a| view! { <div><small>{a}</small></div> }).collect_view()}</td>
                            <td><button type="button" class="secondary small" data-testid=testid::WEBHOOK_RESEND on:click=resend>{t(k::WEBHOOKS_RESEND)}</button></td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
