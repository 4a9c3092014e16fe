//! `/verify`: anyone can check a PDF — was it sealed by this instance, is it unchanged, which
//! contract, who signed and when. The same answer is available as JSON at `/api/v1/verify`.

use crate::components::header::Header;
use crate::i18n::{error_text, k, t};
use crate::{testid, PageTitle};
use dojang_core::error::AppError;
use leptos::prelude::*;
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct Signer {
    name: String,
    email: String,
    signed_at: Option<String>,
    #[serde(default)]
    verified_by: Vec<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct Envelope {
    id: String,
    name: String,
    organization: String,
    completed_at: Option<String>,
    signers: Vec<Signer>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code)]
struct Result_ {
    sha256: String,
    sealed_by_this_instance: bool,
    intact: bool,
    modified_after_sealing: bool,
    envelope: Option<Envelope>,
    summary: String,
}

#[component]
pub fn VerifyPage() -> impl IntoView {
    let result = RwSignal::new(None::<Result_>);
    let error = RwSignal::new(None::<AppError>);
    let busy = RwSignal::new(false);
    let on_file = move |e: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let Some(input) = e.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else { return };
            let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
            busy.set(true);
            result.set(None);
            error.set(None);
            crate::browser::upload::<Result_>(
                "/api/v1/verify",
                "",
                &file,
                |_| {},
                move |r| {
                    busy.set(false);
                    match r {
                        Ok(v) => result.set(Some(v)),
                        Err(e) => error.set(Some(e)),
                    }
                },
            );
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = e;
    };
    view! {
        <PageTitle key=k::VERIFY_TITLE/>
        <Header/>
        <main class="verify" data-testid=testid::VERIFY_PAGE>
            <h1>{t(k::VERIFY_TITLE)}</h1>
            <p class="lead">{t(k::VERIFY_LEAD)}</p>
            <label class="button">
                {t(k::VERIFY_CHOOSE)}
                <input type="file" accept="application/pdf,.pdf" class="visually-hidden" data-testid=testid::VERIFY_FILE on:change=on_file/>
            </label>
            {move || busy.get().then(|| view! { <p class="muted">{t(k::LOADING)}</p> })}
            {move || error.get().map(|e| view! { <div class="alert" role="alert">{error_text(&e)}</div> })}
            {move || result.get().map(|r| {
                let verdict = if r.intact { t(k::VERIFY_INTACT) } else if r.modified_after_sealing { t(k::VERIFY_MODIFIED) } else { t(k::VERIFY_NOT_OURS) };
                view! {
                    <section class="card verdict" class:ok=r.intact data-testid=testid::VERIFY_RESULT
                        data-intact=r.intact.to_string() data-sealed=r.sealed_by_this_instance.to_string() data-modified=r.modified_after_sealing.to_string()>
                        <h2>{verdict}</h2>
                        <p class="muted">{r.summary.clone()}</p>
                        {r.envelope.clone().map(|e| view! {
                            <p><strong>{e.name.clone()}</strong>" · "{e.organization.clone()}</p>
                            <p class="muted">"ID "<code>{e.id.clone()}</code></p>
                            <ul>
                                {e.signers.iter().map(|s| {
                                    let checks = if s.verified_by.is_empty() { String::new() } else { format!(" · {}: {}", t(k::TRAIL_VERIFIED), s.verified_by.join(", ")) };
                                    view! { <li>{format!("{} <{}> — {}{checks}", s.name, s.email, s.signed_at.clone().unwrap_or_default())}</li> }
                                }).collect_view()}
                            </ul>
                        })}
                        <p class="muted">"SHA-256 "<code class="hash">{r.sha256.clone()}</code></p>
                    </section>
                }
            })}
            <p class="muted"><a href="/verify/root.pem" rel="external">{t(k::VERIFY_ROOT)}</a></p>
        </main>
    }
}
