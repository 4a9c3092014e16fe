//! Step 3: name the contract and save it as a draft — or save it as a template to send again
//! and again (its recipients become the template's roles).

use super::state::SaveState;
use super::use_editor;
use crate::functions::contracts::rename_envelope;
use crate::functions::templates::save_as_template;
use crate::i18n::{error_text, field_error_text, k, t};
use crate::testid;
use dojang_core::error::AppError;
use dojang_core::model::RecipientRole;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

#[component]
pub fn FinishStep() -> impl IntoView {
    let editor = use_editor();
    let name = RwSignal::new(editor.name.get_untracked());
    let error = RwSignal::new(None::<AppError>);
    let busy = RwSignal::new(false);
    let saved = RwSignal::new(false);
    let host = expect_context::<super::EmbedHost>();
    let embedded = crate::embed::embedded();
    let template = editor.template.get_value();
    let new_template = editor.new_template.get_value();
    let navigate = use_navigate();
    let signers_without_fields = move || {
        editor.recipients.with(|rs| {
            rs.iter()
                .filter(|r| r.role == RecipientRole::Signer)
                .filter(|r| editor.fields.with(|fs| !fs.iter().any(|f| f.recipient_id == r.id)))
                .map(|r| if r.name.is_empty() { r.email.clone() } else { r.name.clone() })
                .collect::<Vec<_>>()
        })
    };
    let save = move |e: leptos::ev::SubmitEvent| {
        e.prevent_default();
        busy.set(true);
        error.set(None);
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            let res = save_named(editor, name.get_untracked()).await;
            busy.set(false);
            match res {
                Ok(id) => {
                    editor.name.set(name.get_untracked());
                    let as_template = template || new_template;
                    if embedded {
                        let json = if as_template {
                            serde_json::json!({ "templateId": id, "name": name.get_untracked() })
                        } else {
                            serde_json::json!({ "contractId": id, "name": name.get_untracked() })
                        };
                        host.post(if as_template { "template.saved" } else { "contract.saved" }, json);
                        saved.set(true);
                        host.return_to();
                    } else {
                        navigate(if as_template { "/templates" } else { "/dashboard" }, Default::default());
                    }
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let navigate = use_navigate();
    let as_template = move |_| {
        busy.set(true);
        error.set(None);
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            let res = async {
                saved_editor(editor).await?;
                save_as_template(editor.csrf.get_untracked(), editor.contract_id.get_value(), name.get_untracked()).await
            }
            .await;
            busy.set(false);
            match res {
                Ok(_) => navigate("/templates", Default::default()),
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <form class="card finish" data-testid=testid::FINISH_FORM on:submit=save>
            <div class="field" class:invalid=move || error.with(|e| e.as_ref().and_then(|e| field_error_text(e, "name")).is_some())>
                <label for="contract-name">{t(if template || new_template { k::FINISH_TEMPLATE_NAME } else { k::FINISH_NAME })}</label>
                <input id="contract-name" type="text" required=true maxlength="200" data-testid=testid::CONTRACT_NAME
                    prop:value=name on:input=move |e| name.set(event_target_value(&e))/>
            </div>
            <ul class="summary">
                <li>{move || format!("{}: {}", t(k::STEP_DOCUMENTS), editor.documents.with(|d| d.len()))}</li>
                <li>{move || format!("{}: {}", t(k::RECIPIENTS_TITLE), editor.recipients.with(|r| r.len()))}</li>
                <li>{move || format!("{}: {}", t(k::STEP_FIELDS), editor.fields.with(|f| f.len()))}</li>
            </ul>
            {move || {
                let missing = signers_without_fields();
                (!missing.is_empty()).then(|| view! { <p class="warn">{t(k::FINISH_SIGNER_NO_FIELDS)}" "{missing.join(", ")}</p> })
            }}
            {move || error.get().map(|e| view! { <div class="alert" role="alert" data-code=e.code.as_str()>{error_text(&e)}</div> })}
            {move || saved.get().then(|| view! { <p class="ok" role="status" data-testid=testid::EMBED_SAVED>{t(k::EMBED_SAVED)}</p> })}
            <div class="inline">
                <button type="submit" data-testid=testid::SAVE_CONTRACT disabled=move || busy.get()>{t(if template || new_template { k::FINISH_SAVE_TEMPLATE_CHANGES } else { k::FINISH_SAVE })}</button>
                {(!embedded && !template && !new_template).then(|| view! {
                    <button type="button" class="secondary" data-testid=testid::SAVE_TEMPLATE disabled=move || busy.get() on:click=as_template>{t(k::FINISH_SAVE_TEMPLATE)}</button>
                })}
            </div>
        </form>
    }
}

/// Saves under the name the step gives: a template's rename, a new template made from the
/// working draft (which then goes), or a contract's rename. Returns the id the host hears of.
async fn save_named(editor: super::state::Editor, name: String) -> Result<String, AppError> {
    let (csrf, id) = (editor.csrf.get_untracked(), editor.contract_id.get_value());
    if editor.template.get_value() {
        // A template's rename is a change of its own: the fields are saved first.
        saved_editor(editor).await?;
        crate::functions::templates::rename_template(csrf, id.clone(), name).await?;
        editor.version.update(|v| *v += 1);
        Ok(id)
    } else if editor.new_template.get_value() {
        saved_editor(editor).await?;
        let made = save_as_template(csrf.clone(), id.clone(), name).await?;
        crate::functions::contracts::delete_draft(csrf, id).await?;
        Ok(made)
    } else {
        // Flush the editor first, then name the contract.
        if !matches!(editor.save_state.get_untracked(), SaveState::Saved) {
            editor.save_now();
        }
        rename_envelope(csrf, id.clone(), name).await?;
        Ok(id)
    }
}

/// Waits (up to ten seconds) until the editor's recipients and fields are saved, saving them
/// if a change is pending; the save's error when it fails.
async fn saved_editor(editor: super::state::Editor) -> Result<(), AppError> {
    for _ in 0..100 {
        match editor.save_state.get_untracked() {
            SaveState::Saved => return Ok(()),
            SaveState::Failed(e) => return Err(e),
            SaveState::Pending => editor.save_now(),
            SaveState::Saving => {}
        }
        crate::browser::sleep(100).await;
    }
    Err(AppError::new(dojang_core::error::ErrorCode::ServiceUnavailable, "The contract is still being saved"))
}
