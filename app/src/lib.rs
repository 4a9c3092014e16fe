#![recursion_limit = "512"]
//! Dojang's user interface: the HTML shell, the router and every page. Server functions live
//! in `functions`; their server-only halves and helpers in `ssr`.

pub mod browser;
pub mod components;
pub mod embed;
pub mod functions;
pub mod i18n;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod ssr;
pub mod testid;

use i18n::{t, Lang};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};

/// The whole HTML document, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let lang = Lang::detect();
    #[cfg(feature = "ssr")]
    ssr::set_page_headers();
    view! {
        <!DOCTYPE html>
        <html lang=lang.code()>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover"/>
                <meta name="color-scheme" content="light"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <AutoReload options=options.clone()/>
                {if signer_page() { SignerScripts().into_any() } else { view! { <HydrationScripts options/> }.into_any() }}
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// Whether this request is for a signing link (`/sign/{token}`): those pages load the small
/// signer module instead of hydrating the whole app (see `pages::sign`).
fn signer_page() -> bool {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>().is_some_and(|p| ssr::is_signer_path(p.uri.path()))
    }
    #[cfg(not(feature = "ssr"))]
    false
}

/// The signer module (`frontend/signer`, built by `scripts/build-signer.sh`) and the styles,
/// inlined: a signing page is a single response (see `ssr::signer_assets`). Linked instead
/// when the files cannot be read.
#[allow(non_snake_case)]
fn SignerScripts() -> impl IntoView {
    let nonce = leptos::nonce::use_nonce();
    #[cfg(feature = "ssr")]
    if let Some(a) = ssr::state().ok().and_then(|st| ssr::signer_assets(&st.settings.site_root)) {
        // Their markers: the server puts them in (`ssr::Inline`).
        return view! {
            <style inner_html=a.css.marker.as_str()></style>
            <script type="module" nonce=nonce inner_html=a.script.marker.as_str()></script>
        }
        .into_any();
    }
    view! {
        <link rel="stylesheet" href="/pkg/dojang.css"/>
        <link rel="modulepreload" href="/signer/dojang-signer.js" nonce=nonce.clone()/>
        <link rel="preload" href="/signer/dojang-signer_bg.wasm" r#as="fetch" r#type="application/wasm" crossorigin=""/>
        <script type="module" nonce=nonce>
            "import init from '/signer/dojang-signer.js'; init({ module_or_path: '/signer/dojang-signer_bg.wasm' });"
        </script>
    }
    .into_any()
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_context(Lang::detect());
    // Only the browser runs effects: this attribute tells tests the wasm has taken over.
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(el) = document().document_element() {
            let _ = el.set_attribute("data-hydrated", "true");
        }
    });

    view! {
        // Signing pages carry their styles inline (see `SignerScripts`).
        {(!signer_page()).then(|| view! { <Stylesheet id="dojang" href="/pkg/dojang.css"/> })}
        <Title formatter=|page: String| if page.is_empty() { "Dojang".to_owned() } else { format!("{page} · Dojang") }/>
        <Router>
            <Routes fallback=pages::not_found::NotFound>
                <Route path=path!("/") view=pages::home::HomePage/>
                <Route path=path!("/signup") view=pages::signup::SignUpPage/>
                <Route path=path!("/login") view=pages::login::LoginPage/>
                <Route path=path!("/dashboard") view=pages::dashboard::DashboardPage/>
                <Route path=path!("/contract/upload") view=pages::contract::ContractPage/>
                <Route path=path!("/contract/list") view=pages::contract_list::ContractListPage/>
                <Route path=path!("/contracts/:id") view=pages::envelope::EnvelopePage/>
                <Route path=path!("/sign/:token") view=pages::sign::SignPage ssr=SsrMode::Async/>
                <Route path=path!("/download/:token") view=pages::download::DownloadPage ssr=SsrMode::Async/>
                <Route path=path!("/verify") view=pages::verify::VerifyPage/>
                <Route path=path!("/templates") view=pages::templates::TemplatesPage/>
                <Route path=path!("/template/edit") view=pages::contract::TemplateEditPage/>
                <Route path=path!("/templates/:id/bulk") view=pages::bulk::BulkPage/>
                <Route path=path!("/batches/:id") view=pages::bulk::BatchPage/>
                <Route path=path!("/settings/api") view=pages::api_keys::ApiKeysPage/>
                <Route path=path!("/settings/webhooks") view=pages::webhooks::WebhooksPage/>
            </Routes>
        </Router>
    }
}

/// The window title for a page, in the current language.
#[component]
pub fn PageTitle(key: i18n::Key) -> impl IntoView {
    view! { <Title text=t(key)/> }
}
