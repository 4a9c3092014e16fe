//! The top bar: the product name, the signed-in user with logout, and the language switch.

use crate::components::form::CsrfField;
use crate::functions::auth::{get_current_user, LogOut};
use crate::i18n::{k, t};
use crate::testid;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_location;

#[component]
pub fn Header() -> impl IntoView {
    // Inside another company's site the host page is the frame; no bar of ours.
    if crate::embed::embedded() {
        return ().into_any();
    }
    let user = Resource::new(|| (), |_| get_current_user());
    let logout = ServerAction::<LogOut>::new();
    let location = use_location();
    let switch_href = move || {
        let here = location.pathname.get();
        format!("/lang?set={}&next={}", t(k::LANG_OTHER_CODE), urlencode(&here))
    };
    view! {
        <header class="topbar">
            <A href="/" attr:class="brand">
                <span class="seal" aria-hidden="true">"印"</span>
                {t(k::APP_NAME)}
            </A>
            <nav>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        match user.await {
                            Ok(Some(u)) => view! {
                                <A href="/dashboard">{t(k::NAV_DASHBOARD)}</A>
                                <A href="/templates" attr:data-testid=testid::NAV_TEMPLATES>{t(k::NAV_TEMPLATES)}</A>
                                <A href="/settings/api" attr:data-testid=testid::NAV_API_KEYS>{t(k::NAV_API_KEYS)}</A>
                                <A href="/settings/webhooks" attr:data-testid=testid::NAV_WEBHOOKS>{t(k::NAV_WEBHOOKS)}</A>
                                <span class="who" data-testid=testid::CURRENT_USER>{u.name}" · "{u.organization_name}</span>
                                <ActionForm action=logout attr:class="inline">
                                    <CsrfField/>
                                    <button type="submit" class="ghost" data-testid=testid::LOGOUT>{t(k::NAV_LOGOUT)}</button>
                                </ActionForm>
                            }.into_any(),
                            _ => view! {
                                <A href="/login">{t(k::NAV_LOGIN)}</A>
                                <A href="/signup" attr:class="button small">{t(k::NAV_SIGNUP)}</A>
                            }.into_any(),
                        }
                    })}
                </Suspense>
                <a href=switch_href rel="external nofollow" data-testid=testid::LANG_SWITCH hreflang=t(k::LANG_OTHER_CODE)>{t(k::LANG_OTHER)}</a>
            </nav>
        </header>
    }
    .into_any()
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
