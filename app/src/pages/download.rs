//! `/download/{token}`: the page a completion email links to when the sealed documents were
//! too large to attach — each sealed document and the audit trail, while the link lasts, in
//! the visitor's language. The files themselves are served by the server
//! (`/download/{token}/documents/{doc}`, `/download/{token}/audit-trail.pdf`); an expired or
//! unknown link shows that it is closed, with status 404. A recipient's own link (one with
//! identity checks) shows their checks first, and nothing of the contract until they pass.

use crate::functions::download::load_download_page;
use crate::i18n::{error_text, k, t};
use crate::testid;
use crate::PageTitle;
use dojang_core::error::ErrorCode;
use dojang_core::model::DownloadView;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[component]
pub fn DownloadPage() -> impl IntoView {
    let params = use_params_map();
    let token = params.with_untracked(|p| p.get("token").unwrap_or_default());
    let tok = token.clone();
    let view_res = Resource::new(move || tok.clone(), load_download_page);
    #[cfg(feature = "ssr")]
    if let Some(opts) = use_context::<leptos_axum::ResponseOptions>() {
        // The link's token must not leak through the Referer header.
        opts.insert_header(http::header::REFERRER_POLICY, http::HeaderValue::from_static("no-referrer"));
    }
    view! {
        <PageTitle key=k::DOWNLOAD_TITLE/>
        <main class="download" data-testid=testid::DOWNLOAD_PAGE>
            <Suspense fallback=|| view! { <p class="muted">{t(k::LOADING)}</p> }>
                {move || {
                    let token = token.clone();
                    Suspend::new(async move {
                        match view_res.await {
                            Err(e) => {
                                let message = if e.code == ErrorCode::NotFound { t(k::DOWNLOAD_CLOSED).to_owned() } else { error_text(&e) };
                                view! {
                                    <section class="card closed" data-testid=testid::DOWNLOAD_CLOSED data-code=e.code.as_str()>
                                        <span class="seal big" aria-hidden="true">"印"</span>
                                        <p>{message}</p>
                                    </section>
                                }
                                .into_any()
                            }
                            Ok(DownloadView { verification: Some(gate), envelope_name, .. }) => view! {
                                <header class="sign-head">
                                    <span class="seal" aria-hidden="true">"印"</span>
                                    <div><h1>{t(k::DOWNLOAD_TITLE)}</h1><p class="muted">{envelope_name}</p></div>
                                </header>
                                <crate::pages::sign::verify::Verify gate page=format!("/download/{token}")/>
                            }
                            .into_any(),
                            Ok(v) => view! { <Downloads v token/> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </main>
    }
}

#[component]
fn Downloads(v: DownloadView, token: String) -> impl IntoView {
    let documents = v
        .documents
        .into_iter()
        .map(|d| {
            let href = format!("/download/{token}/documents/{}", d.document_id);
            view! { <li><a href=href rel="external" data-testid=testid::DOWNLOAD_DOCUMENT>{d.file_name}</a></li> }
        })
        .collect_view();
    view! {
        <header class="sign-head">
            <span class="seal" aria-hidden="true">"印"</span>
            <div>
                <h1>{t(k::DOWNLOAD_TITLE)}</h1>
                <p class="muted">{v.envelope_name}</p>
            </div>
        </header>
        <section class="card">
            <p>{t(k::DOWNLOAD_LEAD)}</p>
            <ul class="downloads">
                {documents}
                <li><a href=format!("/download/{token}/audit-trail.pdf") rel="external" data-testid=testid::DOWNLOAD_TRAIL>{t(k::DOWNLOAD_TRAIL)}</a></li>
            </ul>
        </section>
    }
}
