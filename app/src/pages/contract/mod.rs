//! `/contract/upload[?contractId=ID]`: turn PDFs into a contract ready to send, in three
//! steps — documents, fields (with recipients), name and save. The same screens reopen a
//! saved contract for editing.

mod canvas;
mod finish;
mod panels;
pub mod state;
mod upload;

use crate::components::header::Header;
use crate::functions::auth::{get_csrf_token, get_current_user};
use crate::functions::contracts::get_contract;
use crate::i18n::{error_text, k, t};
use crate::{testid, PageTitle};
use dojang_core::ids::EnvelopeId;
use dojang_core::model::{ContractDraft, EnvelopeStatus};
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
    let csrf = Resource::new(|| (), |_| get_csrf_token());
    let draft = Resource::new(
        move || initial_id.clone(),
        |id| async move {
            match id {
                Some(id) => get_contract(id).await.map(Some),
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
                    let (user, csrf, draft) = (user.await, csrf.await, draft.await);
                    match (user, draft) {
                        (Ok(None), _) | (Err(_), _) => view! { <Redirect path="/login"/> }.into_any(),
                        (_, Err(e)) => view! {
                            <div class="alert" role="alert" data-testid=testid::FORM_ERROR data-code=e.code.as_str()>{error_text(&e)}</div>
                        }.into_any(),
                        (Ok(Some(_)), Ok(draft)) => {
                            let draft = draft.unwrap_or_else(empty_draft);
                            view! { <Workspace draft csrf=csrf.unwrap_or_default() initial_step/> }.into_any()
                        }
                    }
                })}
            </Suspense>
        </main>
    }
}

/// A contract that does not exist yet: the first upload creates it.
fn empty_draft() -> ContractDraft {
    ContractDraft {
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
fn Workspace(draft: ContractDraft, csrf: String, initial_step: Option<Step>) -> impl IntoView {
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
    Effect::new(move |_| {
        let s = step.get();
        let id = editor.contract_id.get_value();
        editor.documents.track();
        if !id.is_empty() {
            crate::browser::replace_url(&format!("/contract/upload?contractId={id}&step={}", s.as_str()));
        }
    });
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
