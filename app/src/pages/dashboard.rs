//! `/dashboard`: the organization's contracts. Sends visitors who are not signed in to login.

use crate::components::header::Header;
use crate::functions::auth::get_current_user;
use crate::i18n::{k, t};
use crate::{testid, PageTitle};
use leptos::prelude::*;
use leptos_router::components::Redirect;

#[component]
pub fn DashboardPage() -> impl IntoView {
    let user = Resource::new(|| (), |_| get_current_user());
    view! {
        <PageTitle key=k::DASHBOARD_TITLE/>
        <Header/>
        <main class="dashboard" data-testid=testid::DASHBOARD>
            <Suspense fallback=|| view! { <p class="muted">{t(k::LOADING)}</p> }>
                {move || Suspend::new(async move {
                    match user.await {
                        Ok(Some(u)) => view! {
                            <div class="page-head">
                                <h1>{t(k::DASHBOARD_TITLE)}</h1>
                                <p class="muted">{t(k::DASHBOARD_WELCOME)}" "{u.email}</p>
                            </div>
                            <section class="empty" data-testid=testid::DASHBOARD_EMPTY>
                                <h2>{t(k::DASHBOARD_EMPTY_TITLE)}</h2>
                                <p>{t(k::DASHBOARD_EMPTY_BODY)}</p>
                            </section>
                        }.into_any(),
                        _ => view! { <Redirect path="/login"/> }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}
