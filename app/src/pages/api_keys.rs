//! `/settings/api`: the organization's API keys. A new key and its secret are shown once;
//! afterwards only the prefix, mode, creation and last use are listed. Revoking is immediate.

use crate::components::header::Header;
use crate::functions::api_keys::{create_api_key, get_embed_origins, list_api_keys, revoke_api_key, set_embed_origins};
use crate::functions::auth::{get_csrf_token, get_current_user};
use crate::i18n::{error_text, k, t};
use crate::pages::dashboard::display_time;
use crate::{testid, PageTitle};
use dojang_core::error::AppError;
use dojang_core::model::{ApiKeySummary, Mode, NewApiKey};
use leptos::prelude::*;
use leptos_router::components::Redirect;

#[component]
pub fn ApiKeysPage() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let user = Resource::new(|| (), |_| get_current_user());
    let keys = Resource::new(move || version.get(), |_| list_api_keys());
    let csrf = Resource::new(|| (), |_| get_csrf_token());
    let created = RwSignal::new(None::<NewApiKey>);
    view! {
        <PageTitle key=k::API_KEYS_TITLE/>
        <Header/>
        <main class="api-keys" data-testid=testid::API_KEYS_PAGE>
            <h1>{t(k::API_KEYS_TITLE)}</h1>
            <p class="muted">{t(k::API_KEYS_INTRO)}" "<a href="/api/docs" rel="external">{t(k::API_KEYS_DOCS)}</a></p>
            <Suspense fallback=|| view! { <p class="muted">{t(k::LOADING)}</p> }>
                {move || Suspend::new(async move {
                    match (user.await, keys.await, csrf.await) {
                        (Ok(Some(_)), Ok(list), csrf) => {
                            let csrf = csrf.unwrap_or_default();
                            let reload = move || version.update(|v| *v += 1);
                            view! {
                                <CreateForm csrf=csrf.clone() created reload/>
                                {move || created.get().map(|k| view! {
                                    <section class="card new-key" data-testid=testid::API_KEY_CREATED>
                                        <h2>{t(k::API_KEYS_SHOWN_ONCE)}</h2>
                                        <label>{t(k::API_KEYS_KEY)}<input readonly value=k.key.clone() data-testid=testid::API_KEY_VALUE/></label>
                                        <label>{t(k::API_KEYS_SECRET)}<input readonly value=k.secret.clone() data-testid=testid::API_KEY_SECRET/></label>
                                    </section>
                                })}
                                <KeyList list csrf=csrf.clone() reload/>
                                <EmbedOrigins csrf/>
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
fn CreateForm(csrf: String, created: RwSignal<Option<NewApiKey>>, reload: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let mode = RwSignal::new("test".to_owned());
    let error = RwSignal::new(None::<AppError>);
    let submit = move |e: leptos::ev::SubmitEvent| {
        e.prevent_default();
        let csrf = csrf.clone();
        leptos::task::spawn_local(async move {
            match create_api_key(csrf, name.get_untracked(), mode.get_untracked()).await {
                Ok(k) => {
                    created.set(Some(k));
                    error.set(None);
                    reload();
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <form class="card" data-testid=testid::API_KEY_FORM on:submit=submit>
            <h2>{t(k::API_KEYS_NEW)}</h2>
            <label>{t(k::API_KEYS_NAME)}
                <input type="text" maxlength="100" data-testid=testid::API_KEY_NAME prop:value=name on:input=move |e| name.set(event_target_value(&e))/>
            </label>
            <label>{t(k::API_KEYS_MODE)}
                <select data-testid=testid::API_KEY_MODE on:change=move |e| mode.set(event_target_value(&e))>
                    <option value="test" selected=true>{t(k::API_KEYS_MODE_TEST)}</option>
                    <option value="live">{t(k::API_KEYS_MODE_LIVE)}</option>
                </select>
            </label>
            {move || error.get().map(|e| view! { <div class="alert" role="alert">{error_text(&e)}</div> })}
            <button type="submit" data-testid=testid::API_KEY_CREATE>{t(k::API_KEYS_CREATE)}</button>
        </form>
    }
}

#[component]
fn KeyList(list: Vec<ApiKeySummary>, csrf: String, reload: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="muted">{t(k::API_KEYS_EMPTY)}</p> }.into_any();
    }
    view! {
        <ul class="contracts" data-testid=testid::API_KEY_LIST>
            {list.into_iter().map(|key| {
                let csrf = csrf.clone();
                let id = key.id.to_string();
                let revoked = key.revoked_at.is_some();
                let revoke = move |_| {
                    let (csrf, id) = (csrf.clone(), id.clone());
                    leptos::task::spawn_local(async move {
                        if revoke_api_key(csrf, id).await.is_ok() {
                            reload();
                        }
                    });
                };
                view! {
                    <li class="contract-row" data-testid=testid::API_KEY_ROW data-revoked=revoked.to_string()>
                        <div class="title">
                            <code>{key.prefix.clone()}</code>
                            <span class=format!("badge {}", key.mode.as_str())>{if key.mode == Mode::Live { t(k::API_KEYS_MODE_LIVE) } else { t(k::API_KEYS_MODE_TEST) }}</span>
                            <span>{key.name.clone()}</span>
                            {if revoked {
                                view! { <span class="badge cancelled">{t(k::API_KEYS_REVOKED)}</span> }.into_any()
                            } else {
                                view! { <button type="button" class="secondary danger small" data-testid=testid::API_KEY_REVOKE on:click=revoke>{t(k::API_KEYS_REVOKE)}</button> }.into_any()
                            }}
                        </div>
                        <div class="muted">
                            <span>{t(k::API_KEYS_CREATED)}": "{display_time(&key.created_at)}</span>
                            <span>{t(k::API_KEYS_LAST_USED)}": "{key.last_used_at.as_deref().map(display_time).unwrap_or_else(|| "—".into())}</span>
                        </div>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn EmbedOrigins(csrf: String) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let error = RwSignal::new(None::<AppError>);
    let saved = RwSignal::new(false);
    let current = Resource::new(|| (), |_| get_embed_origins());
    Effect::new(move |_| {
        if let Some(Ok(list)) = current.get() {
            text.set(list.join("\n"));
        }
    });
    let submit = move |e: leptos::ev::SubmitEvent| {
        e.prevent_default();
        let csrf = csrf.clone();
        leptos::task::spawn_local(async move {
            match set_embed_origins(csrf, text.get_untracked()).await {
                Ok(list) => {
                    text.set(list.join("\n"));
                    error.set(None);
                    saved.set(true);
                }
                Err(e) => {
                    saved.set(false);
                    error.set(Some(e));
                }
            }
        });
    };
    view! {
        <form class="card" data-testid=testid::EMBED_ORIGINS_FORM on:submit=submit>
            <h2>{t(k::EMBEDDING_TITLE)}</h2>
            <p class="muted">{t(k::EMBEDDING_INTRO)}</p>
            <textarea rows="3" data-testid=testid::EMBED_ORIGINS placeholder="https://app.example.com" prop:value=text on:input=move |e| { saved.set(false); text.set(event_target_value(&e)) }></textarea>
            {move || error.get().map(|e| view! { <div class="alert" role="alert">{error_text(&e)}</div> })}
            {move || saved.get().then(|| view! { <p class="ok" role="status">{t(k::EMBEDDING_SAVED)}</p> })}
            <button type="submit" data-testid=testid::EMBED_ORIGINS_SAVE>{t(k::EMBEDDING_SAVE)}</button>
        </form>
    }
}
