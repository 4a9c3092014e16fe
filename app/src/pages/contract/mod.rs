//! `/contract/upload[?contractId=ID]`: turn PDFs into a contract ready to send, in three
//! steps — documents, fields (with recipients), name and save. The same screens reopen a
//! saved contract for editing.

mod canvas;
mod finish;
mod keys;
mod panels;
pub mod state;
mod upload;

use crate::components::header::Header;
use crate::functions::auth::{embed_csrf_token, embed_origins, get_csrf_token, get_current_user};
use crate::functions::contracts::get_draft;
use crate::i18n::{error_text, k, t};
use crate::{testid, PageTitle};
use dojang_core::ids::EnvelopeId;
use dojang_core::model::{EnvelopeDraft, EnvelopeStatus};
use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_query_map;
use state::Editor;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Documents,
    Fields,
    Finish,
}

impl Step {
    fn as_str(self) -> &'static str {
        match self {
            Self::Documents => "documents",
            Self::Fields => "fields",
            Self::Finish => "finish",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "documents" => Some(Self::Documents),
            "fields" => Some(Self::Fields),
            "finish" => Some(Self::Finish),
            _ => None,
        }
    }
}

#[component]
pub fn ContractPage() -> impl IntoView {
    let query = use_query_map();
    let initial_id = query.with_untracked(|q| q.get("contractId"));
    let initial_step = query.with_untracked(|q| q.get("step").and_then(|s| Step::parse(&s)));
    let user = Resource::new(|| (), |_| get_current_user());
    let embedded = crate::embed::embedded();
    let embed = Resource::new(|| (), |_| embed_origins());
    let csrf = Resource::new(
        || (),
        move |_| async move {
            if embedded {
                embed_csrf_token().await.map(Option::unwrap_or_default)
            } else {
                get_csrf_token().await
            }
        },
    );
    let draft = Resource::new(
        move || initial_id.clone(),
        |id| async move {
            match id {
                Some(id) => get_draft(id).await.map(Some),
                None => Ok(None),
            }
        },
    );
    view! {
        <PageTitle key=k::CONTRACT_TITLE/>
        <Header/>
        <main class="contract" data-testid=testid::CONTRACT_PAGE>
            <Suspense fallback=|| view! { <p class="muted">{t(k::LOADING)}</p> }>
                {move || Suspend::new(async move {
                    let (user, embed, csrf, draft) = (user.await, embed.await, csrf.await, draft.await);
                    let allowed = embed.clone().ok().flatten().unwrap_or_default();
                    provide_context(EmbedHost(StoredValue::new(allowed.clone())));
                    let signed_in = matches!(user, Ok(Some(_))) || matches!(embed, Ok(Some(_)));
                    match (signed_in, draft) {
                        // Embedded without a live session: say so (never a login form inside another site).
                        (false, _) if embedded => view! {
                            <div class="card closed" role="alert" data-testid=testid::EMBED_EXPIRED>
                                <span class="seal big" aria-hidden="true">"印"</span>
                                <p>{t(k::EMBED_SESSION_EXPIRED)}</p>
                            </div>
                        }.into_any(),
                        (false, _) => view! { <Redirect path="/login"/> }.into_any(),
                        (true, Err(e)) => {
                            crate::embed::post(&allowed, "error", serde_json::json!({ "code": e.code.as_str(), "message": e.message }));
                            view! {
                                <div class="alert" role="alert" data-testid=testid::FORM_ERROR data-code=e.code.as_str()>{error_text(&e)}</div>
                            }.into_any()
                        }
                        (true, Ok(draft)) => {
                            let draft = draft.unwrap_or_else(empty_draft);
                            view! { <Workspace draft csrf=csrf.unwrap_or_default() initial_step/> }.into_any()
                        }
                    }
                })}
            </Suspense>
        </main>
    }
}

/// The origins the host page of an embedded editor may be (empty when not embedded).
#[derive(Clone, Copy)]
pub struct EmbedHost(pub StoredValue<Vec<String>>);

impl EmbedHost {
    pub fn post(self, kind: &str, data: serde_json::Value) {
        self.0.with_value(|a| crate::embed::post(a, kind, data));
    }

    pub fn return_to(self) -> bool {
        self.0.with_value(|a| crate::embed::return_to(a))
    }
}

/// A contract that does not exist yet: the first upload creates it.
fn empty_draft() -> EnvelopeDraft {
    EnvelopeDraft {
        id: EnvelopeId::parse("00000000000000000000000000000000").expect("valid id"),
        name: String::new(),
        status: EnvelopeStatus::Draft,
        version: 1,
        documents: Vec::new(),
        recipients: Vec::new(),
        fields: Vec::new(),
    }
}

#[component]
fn Workspace(draft: EnvelopeDraft, csrf: String, initial_step: Option<Step>) -> impl IntoView {
    let is_new = draft.documents.is_empty() && draft.fields.is_empty() && draft.name.is_empty();
    let editable = draft.status == EnvelopeStatus::Draft;
    let start = initial_step.unwrap_or(if draft.documents.is_empty() { Step::Documents } else { Step::Fields });
    let editor = Editor::new(draft, csrf);
    if is_new {
        editor.contract_id.set_value(String::new());
    }
    provide_context(editor);
    let step = RwSignal::new(start);
    // Keep the address bar in step with the contract and step, so a reload lands here again.
    let carried = crate::embed::carried_query();
    Effect::new(move |_| {
        let s = step.get();
        let id = editor.contract_id.get_value();
        editor.documents.track();
        if !id.is_empty() {
            crate::browser::replace_url(&format!("/contract/upload?contractId={id}&step={}{carried}", s.as_str()));
        }
    });
    let host = expect_context::<EmbedHost>();
    Effect::new(move |_| host.post("contract.loaded", serde_json::json!({ "contractId": editor.contract_id.get_value() })));
    let close = move |_| {
        host.post("contract.closed", serde_json::json!({ "contractId": editor.contract_id.get_value() }));
        crate::embed::close_popup();
    };
    let has_docs = move || editor.documents.with(|d| !d.is_empty());
    let tab = move |s: Step, key| {
        view! {
            <button
                type="button"
                class="step"
                class:current=move || step.get() == s
                data-testid=format!("step-{}", s.as_str())
                disabled=move || s != Step::Documents && !has_docs()
                on:click=move |_| step.set(s)
            >
                {t(key)}
            </button>
        }
    };
    view! {
        <nav class="steps" aria-label=t(k::CONTRACT_TITLE)>
            {tab(Step::Documents, k::STEP_DOCUMENTS)}
            {tab(Step::Fields, k::STEP_FIELDS)}
            {tab(Step::Finish, k::STEP_FINISH)}
            <canvas::SaveStatus/>
            {crate::embed::embedded().then(|| view! {
                <button type="button" class="secondary small" data-testid=testid::EMBED_CLOSE on:click=close>{t(k::EMBED_CLOSE)}</button>
            })}
        </nav>
        <Show when=move || editable fallback=|| view! { <p class="alert">{t(k::CONTRACT_NOT_DRAFT)}</p> }>
            {move || match step.get() {
                Step::Documents => view! { <upload::DocumentsStep on_next=move || step.set(Step::Fields)/> }.into_any(),
                Step::Fields => view! { <canvas::FieldsStep on_next=move || step.set(Step::Finish)/> }.into_any(),
                Step::Finish => view! { <finish::FinishStep/> }.into_any(),
            }}
        </Show>
    }
}

/// The editor of the current contract page.
pub fn use_editor() -> Editor {
    expect_context::<Editor>()
}
