//! `/`: what Dojang is, with the way in.

use crate::components::header::Header;
use crate::i18n::{k, t};
use crate::PageTitle;
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <PageTitle key=k::TAGLINE/>
        <Header/>
        <main class="home">
            <section class="hero">
                <h1>{t(k::HOME_TITLE)}</h1>
                <p class="lead">{t(k::HOME_LEAD)}</p>
                <div class="actions">
                    <A href="/signup" attr:class="button">{t(k::HOME_CTA_SIGNUP)}</A>
                    <A href="/login" attr:class="button secondary">{t(k::HOME_CTA_LOGIN)}</A>
                </div>
            </section>
            <ul class="features">
                <li>{t(k::HOME_FEATURE_PREPARE)}</li>
                <li>{t(k::HOME_FEATURE_SIGN)}</li>
                <li>{t(k::HOME_FEATURE_SEAL)}</li>
            </ul>
        </main>
    }
}
