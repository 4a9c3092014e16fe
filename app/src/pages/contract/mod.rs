//! `/contract/upload[?contractId=ID]`: turn PDFs into a contract ready to send, in three
//! steps — documents, fields (with recipients), name and save. The same screens reopen a
//! saved contract for editing, and open a template (`/template/edit?templateId=ID`) in the same
//! editor.

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
    view! { <EditorScreen template=false/> }
}

/// `/template/edit?templateId=ID`: the same editor on a template (its roles as recipients, no
/// documents step; see `Workspace`); without an id, a new template prepared like a contract.
#[component]
pub fn TemplateEditPage() -> impl IntoView {
    view! { <EditorScreen template=true/> }
}

#[component]
fn EditorScreen(template: bool) -> impl IntoView {
    let query = use_query_map();
    let initial_id = query.with_untracked(|q| q.get(if template { "templateId" } else { "contractId" }));
    // `/template/edit` without an id makes a new template: a contract prepared as usual, kept
    // as a template when saved (the working draft then goes).
    let new_template = template && initial_id.is_none();
    let template = template && !new_template;
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
        move |id| async move {
            match id {
                Some(id) if template => crate::functions::templates::template_editor(id).await.map(|t| Some(as_draft(t))),
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
                            view! { <Workspace draft csrf=csrf.unwrap_or_default() initial_step template new_template/> }.into_any()
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

    /// `contract.{what}` with `contractId`, or `template.{what}` with `templateId`.
    pub fn post_about(self, template: bool, what: &str, id: &str) {
        let (kind, key) = if template { ("template", "templateId") } else { ("contract", "contractId") };
        let mut data = serde_json::Map::new();
        data.insert(key.to_owned(), serde_json::Value::from(id));
        self.post(&format!("{kind}.{what}"), serde_json::Value::Object(data));
    }

    pub fn return_to(self) -> bool {
        self.0.with_value(|a| crate::embed::return_to(a))
    }
}

/// A template in the editor's terms: its roles are the recipients. The editor keeps ids as
/// text, so the template's id stands where a contract's would.
fn as_draft(t: dojang_core::model::TemplateDraft) -> EnvelopeDraft {
    EnvelopeDraft {
        id: EnvelopeId::parse(t.id.as_str()).expect("ids share one form"),
        name: t.name,
        status: EnvelopeStatus::Draft,
        version: t.version,
        documents: t.documents,
        recipients: t.roles,
        fields: t.fields,
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
fn Workspace(draft: EnvelopeDraft, csrf: String, initial_step: Option<Step>, template: bool, new_template: bool) -> impl IntoView {
    let is_new = !template && draft.documents.is_empty() && draft.fields.is_empty() && draft.name.is_empty();
    let editable = draft.status == EnvelopeStatus::Draft;
    // A template's documents are fixed (the API changes them): no documents step.
    let start = match initial_step {
        Some(Step::Documents) | None if template => Step::Fields,
        Some(s) => s,
        None if draft.documents.is_empty() => Step::Documents,
        None => Step::Fields,
    };
    let editor = Editor::new(draft, csrf);
    editor.template.set_value(template);
    editor.new_template.set_value(new_template);
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
        if template {
            crate::browser::replace_url(&format!("/template/edit?templateId={id}&step={}{carried}", s.as_str()));
        } else if !id.is_empty() && !new_template {
            crate::browser::replace_url(&format!("/contract/upload?contractId={id}&step={}{carried}", s.as_str()));
        }
    });
    let host = expect_context::<EmbedHost>();
    Effect::new(move |_| host.post_about(template, "loaded", &editor.contract_id.get_value()));
    let close = move |_| {
        host.post_about(template, "closed", &editor.contract_id.get_value());
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
            {(!template).then(|| tab(Step::Documents, k::STEP_DOCUMENTS))}
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
