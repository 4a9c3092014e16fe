//! `/dashboard`: the organization's contracts (drafts can be deleted). Sends visitors who are
//! not signed in to login. The list is shared with the embedded list (`contract_list`).

use crate::components::confirm::ConfirmDelete;
use crate::components::header::Header;
use crate::functions::auth::{get_csrf_token, get_current_user};
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
    let csrf = Resource::new(|| (), |_| get_csrf_token());
    view! {
        <PageTitle key=k::DASHBOARD_TITLE/>
        <Header/>
        <main class="dashboard" data-testid=testid::DASHBOARD>
            <Suspense fallback=|| view! { <p class="muted">{t(k::LOADING)}</p> }>
                {move || Suspend::new(async move {
                    match user.await {
                        Ok(Some(u)) => {
                            let list = contracts.await.unwrap_or_default();
                            let csrf = csrf.await.unwrap_or_default();
                            view! {
                                <div class="page-head">
                                    <div>
                                        <h1>{t(k::DASHBOARD_TITLE)}</h1>
                                        <p class="muted">{t(k::DASHBOARD_WELCOME)}" "{u.email}</p>
                                    </div>
                                    <a href="/contract/upload" rel="external" class="button" data-testid=testid::NEW_CONTRACT>{t(k::DASHBOARD_NEW)}</a>
                                </div>
                                <EnvelopeList list csrf/>
                            }.into_any()
                        }
                        _ => view! { <Redirect path="/login"/> }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

/// Contracts newest first; drafts open in the editor and can be deleted (after a second
/// click). `editor_query` is added to editor links (an embedded list keeps `embed=1`…);
/// `details` says whether rows link to the contract's details page (not when embedded).
#[component]
pub(crate) fn EnvelopeList(
    list: Vec<EnvelopeSummary>,
    csrf: String,
    #[prop(optional)] editor_query: String,
    #[prop(default = true)] details: bool,
) -> impl IntoView {
    if list.is_empty() {
        return view! {
            <section class="empty" data-testid=testid::DASHBOARD_EMPTY>
                <h2>{t(k::DASHBOARD_EMPTY_TITLE)}</h2>
                <p>{t(k::DASHBOARD_EMPTY_BODY)}</p>
            </section>
        }
        .into_any();
    }
    let rows = RwSignal::new(list);
    let csrf = StoredValue::new(csrf);
    let editor_query = StoredValue::new(editor_query);
    view! {
        <ul class="contracts" data-testid=testid::CONTRACT_LIST>
            <For each=move || rows.get() key=|c| c.id.clone() let:c>
                {
                    let details_href = format!("/contracts/{}", c.id);
                    let draft = c.status == dojang_core::model::EnvelopeStatus::Draft;
                    let href = if draft {
                        format!("/contract/upload?contractId={}{}", c.id, editor_query.get_value())
                    } else {
                        details_href.clone()
                    };
                    let id = c.id.clone();
                    view! {
                        <li class="contract-row" data-testid=testid::CONTRACT_ROW data-contract-id=c.id.to_string()>
                            <div class="title">
                                <A href=href attr:rel="external">{c.name.clone()}</A>
                                <span class=format!("badge {}", c.status.as_str())>{status_text(c.status)}</span>
                                {details.then(|| view! { <a class="details" href=details_href data-testid=testid::CONTRACT_DETAILS>{t(k::CONTRACT_DETAILS)}</a> })}
                                {draft.then(|| view! { <DeleteDraft id=id.to_string() csrf=csrf.get_value() on_deleted=Callback::new(move |_| rows.update(|r| r.retain(|x| x.id != id)))/> })}
                            </div>
                            <div class="muted">
                                <span>{t(k::CONTRACTS_COL_DOCUMENTS)}": "{c.documents.join(", ")}</span>
                                <span>{t(k::CONTRACTS_COL_RECIPIENTS)}": "{c.recipients.join(", ")}</span>
                                <span>{t(k::CONTRACTS_COL_UPDATED)}": "<time datetime=c.updated_at.clone()>{display_time(&c.updated_at)}</time></span>
                            </div>
                        </li>
                    }
                }
            </For>
        </ul>
    }
    .into_any()
}

/// Delete, then "Delete this draft?" with yes and no.
#[component]
fn DeleteDraft(id: String, csrf: String, on_deleted: Callback<()>) -> impl IntoView {
    let delete = Action::new(move |_: &()| {
        let (id, csrf) = (id.clone(), csrf.clone());
        async move { crate::functions::contracts::delete_draft(csrf, id).await }
    });
    view! {
        <ConfirmDelete action=delete on_deleted label=k::CONTRACT_DELETE question=k::CONTRACT_DELETE_CONFIRM
            testid=testid::CONTRACT_DELETE yes_testid=testid::CONTRACT_DELETE_YES/>
    }
}

/// `2026-11-23T16:11:09.123Z` → `2026-11-23 16:11 UTC` (the same on server and browser).
pub(crate) fn display_time(ts: &str) -> String {
    match (ts.get(..10), ts.get(11..16)) {
        (Some(d), Some(hm)) => format!("{d} {hm} UTC"),
        _ => ts.to_owned(),
    }
}
