//! `/contract/list`: the embedded list of a client user's contracts (opened with a client
//! token, like the editor): open a draft in the editor, delete a draft, see where each stands.

use crate::functions::auth::{embed_csrf_token, embed_origins};
use crate::functions::contracts::list_envelopes;
use crate::i18n::{k, t};
use crate::pages::dashboard::EnvelopeList;
use crate::{testid, PageTitle};
use leptos::prelude::*;

#[component]
pub fn ContractListPage() -> impl IntoView {
    let session = Resource::new(|| (), |_| embed_origins());
    let csrf = Resource::new(|| (), |_| embed_csrf_token());
    let contracts = Resource::new(|| (), |_| list_envelopes());
    view! {
        <PageTitle key=k::DASHBOARD_TITLE/>
        <main class="dashboard embedded" data-testid=testid::CONTRACT_LIST_PAGE>
            <Suspense fallback=|| view! { <p class="muted">{t(k::LOADING)}</p> }>
                {move || Suspend::new(async move {
                    match (session.await, csrf.await) {
                        (Ok(Some(_)), Ok(Some(csrf))) => {
                            let list = contracts.await.unwrap_or_default();
                            view! {
                                <div class="page-head"><h1>{t(k::DASHBOARD_TITLE)}</h1></div>
                                <EnvelopeList list csrf editor_query=crate::embed::carried_query() details=false/>
                            }.into_any()
                        }
                        // Only ever a hosted screen: without a live embed session, say so.
                        _ => view! {
                            <div class="card closed" role="alert" data-testid=testid::EMBED_EXPIRED>
                                <span class="seal big" aria-hidden="true">"印"</span>
                                <p>{t(k::EMBED_SESSION_EXPIRED)}</p>
                            </div>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}
