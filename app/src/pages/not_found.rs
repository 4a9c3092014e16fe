//! The page for any unknown path, served with status 404.

use crate::components::header::Header;
use crate::i18n::{k, t};
use crate::PageTitle;
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(opts) = use_context::<leptos_axum::ResponseOptions>() {
        opts.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <PageTitle key=k::NOT_FOUND_TITLE/>
        <Header/>
        <main class="notfound">
            <h1>{t(k::NOT_FOUND_TITLE)}</h1>
            <p>{t(k::NOT_FOUND_BODY)}</p>
            <A href="/">{t(k::BACK_HOME)}</A>
        </main>
    }
}
