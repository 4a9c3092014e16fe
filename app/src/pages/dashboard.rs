//! `/dashboard`: the organization's contracts. Sends visitors who are not signed in to login.

use crate::components::header::Header;
use crate::functions::auth::get_current_user;
use crate::functions::contracts::list_envelopes;
use crate::i18n::{k, status_text, t};
use crate::{testid, PageTitle};
use dojang_core::model::EnvelopeSummary;
use leptos::prelude::*;
use leptos_router::components::{Redirect, A};

#[component]
pub fn DashboardPage() -> impl IntoView {
    let user = Resource::new(|| (), |_| get_current_user());
    let contracts = Resource::new(|| (), |_| list_envelopes());
    view! {
        <PageTitle key=k::DASHBOARD_TITLE/>
        <Header/>
        <main class="dashboard" data-testid=testid::DASHBOARD>
            <Suspense fallback=|| view! { <p class="muted">{t(k::LOADING)}</p> }>
                {move || Suspend::new(async move {
                    match user.await {
                        Ok(Some(u)) => {
                            let list = contracts.await.unwrap_or_default();
                            view! {
                                <div class="page-head">
                                    <div>
                                        <h1>{t(k::DASHBOARD_TITLE)}</h1>
                                        <p class="muted">{t(k::DASHBOARD_WELCOME)}" "{u.email}</p>
                                    </div>
                                    <a href="/contract/upload" rel="external" class="button" data-testid=testid::NEW_CONTRACT>{t(k::DASHBOARD_NEW)}</a>
                                </div>
                                <EnvelopeList list/>
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
fn EnvelopeList(list: Vec<EnvelopeSummary>) -> impl IntoView {
    if list.is_empty() {
        return view! {
            <section class="empty" data-testid=testid::DASHBOARD_EMPTY>
                <h2>{t(k::DASHBOARD_EMPTY_TITLE)}</h2>
                <p>{t(k::DASHBOARD_EMPTY_BODY)}</p>
            </section>
        }
        .into_any();
    }
    view! {
        <ul class="contracts" data-testid=testid::CONTRACT_LIST>
            {list.into_iter().map(|c| {
                let details = format!("/contracts/{}", c.id);
                let href = if c.status == dojang_core::model::EnvelopeStatus::Draft {
                    format!("/contract/upload?contractId={}", c.id)
                } else {
                    details.clone()
                };
                view! {
                    <li class="contract-row" data-testid=testid::CONTRACT_ROW data-contract-id=c.id.to_string()>
                        <div class="title">
                            <A href=href attr:rel="external">{c.name.clone()}</A>
                            <span class=format!("badge {}", c.status.as_str())>{status_text(c.status)}</span>
                            <a class="details" href=details data-testid=testid::CONTRACT_DETAILS>{t(k::CONTRACT_DETAILS)}</a>
                        </div>
                        <div class="muted">
                            <span>{t(k::CONTRACTS_COL_DOCUMENTS)}": "{c.documents.join(", ")}</span>
                            <span>{t(k::CONTRACTS_COL_RECIPIENTS)}": "{c.recipients.join(", ")}</span>
                            <span>{t(k::CONTRACTS_COL_UPDATED)}": "<time datetime=c.updated_at.clone()>{display_time(&c.updated_at)}</time></span>
                        </div>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}

/// `2026-11-23T16:11:09.123Z` → `2026-11-23 16:11 UTC` (the same on server and browser).
pub(crate) fn display_time(ts: &str) -> String {
    match (ts.get(..10), ts.get(11..16)) {
        (Some(d), Some(hm)) => format!("{d} {hm} UTC"),
        _ => ts.to_owned(),
    }
}
