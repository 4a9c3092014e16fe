//! `/templates`: the organization's templates — make a contract from one (a person for each
//! role, then send it from its page), edit it in the editor, open its bulk send, delete it. Templates are made from
//! the editor's last step ("Save as template") or by the API.

use crate::components::confirm::ConfirmDelete;
use crate::components::header::Header;
use crate::functions::auth::{get_csrf_token, get_current_user};
use crate::functions::templates::{delete_template, list_templates, use_template};
use crate::i18n::{error_text, k, t};
use crate::pages::dashboard::display_time;
use crate::{testid, PageTitle};
use dojang_core::error::AppError;
use dojang_core::model::{RoleAssignment, TemplateSummary};
use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_navigate;

#[component]
pub fn TemplatesPage() -> impl IntoView {
    let user = Resource::new(|| (), |_| get_current_user());
    let templates = Resource::new(|| (), |_| list_templates());
    let csrf = Resource::new(|| (), |_| get_csrf_token());
    view! {
        <PageTitle key=k::TEMPLATES_TITLE/>
        <Header/>
        <main class="dashboard" data-testid=testid::TEMPLATES_PAGE>
            <Suspense fallback=|| view! { <p class="muted">{t(k::LOADING)}</p> }>
                {move || Suspend::new(async move {
                    match (user.await, templates.await, csrf.await) {
                        (Ok(Some(_)), Ok(list), Ok(csrf)) => view! {
                            <div class="page-head">
                                <h1>{t(k::TEMPLATES_TITLE)}</h1>
                                <a href="/template/edit" rel="external" class="button" data-testid=testid::TEMPLATE_NEW>{t(k::TEMPLATES_NEW)}</a>
                            </div>
                            <TemplateList list csrf/>
                        }.into_any(),
                        (Ok(Some(_)), Err(e), _) | (Ok(Some(_)), _, Err(e)) => view! {
                            <div class="alert" role="alert" data-code=e.code.as_str()>{error_text(&e)}</div>
                        }.into_any(),
                        _ => view! { <Redirect path="/login"/> }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

#[component]
fn TemplateList(list: Vec<TemplateSummary>, csrf: String) -> impl IntoView {
    if list.is_empty() {
        return view! { <section class="empty" data-testid=testid::TEMPLATES_EMPTY><p>{t(k::TEMPLATES_EMPTY)}</p></section> }.into_any();
    }
    let rows = RwSignal::new(list);
    let csrf = StoredValue::new(csrf);
    view! {
        <ul class="contracts">
            <For each=move || rows.get() key=|t| t.id.clone() let:tpl>
                {
                    let id = tpl.id.clone();
                    let tid = tpl.id.to_string();
                    let (use_id, roles) = (tid.clone(), tpl.roles.clone());
                    let opened = RwSignal::new(false);
                    let bulk = format!("/templates/{}/bulk", tpl.id);
                    let removed = Callback::new(move |_| rows.update(|r| r.retain(|x| x.id != id)));
                    view! {
                        <li class="contract-row" data-testid=testid::TEMPLATE_ROW data-template-id=tid.clone()>
                            <div class="title">
                                <strong>{tpl.name.clone()}</strong>
                                <button type="button" class="small" data-testid=testid::TEMPLATE_NEW_CONTRACT on:click=move |_| opened.update(|o| *o = !*o)>
                                    {t(k::TEMPLATES_NEW_CONTRACT)}
                                </button>
                                <a class="button secondary small" href=format!("/template/edit?templateId={tid}") rel="external" data-testid=testid::TEMPLATE_EDIT>{t(k::TEMPLATES_EDIT)}</a>
                                <a class="button secondary small" href=bulk data-testid=testid::TEMPLATE_BULK>{t(k::TEMPLATES_BULK)}</a>
                                <DeleteTemplate id=tid.clone() csrf=csrf.get_value() on_deleted=removed/>
                            </div>
                            <div class="muted">
                                <span>{t(k::TEMPLATES_ROLES)}": "{tpl.roles.join(", ")}</span>
                                <span>{t(k::CONTRACTS_COL_DOCUMENTS)}": "{tpl.documents.join(", ")}</span>
                                {(!tpl.field_names.is_empty()).then(|| view! { <span>{t(k::TEMPLATES_FIELDS)}": "{tpl.field_names.join(", ")}</span> })}
                                <span>{t(k::CONTRACTS_COL_UPDATED)}": "<time datetime=tpl.updated_at.clone()>{display_time(&tpl.updated_at)}</time></span>
                            </div>
                            <Show when=move || opened.get()>
                                <UseForm id=use_id.clone() roles=roles.clone() csrf=csrf.get_value()/>
                            </Show>
                        </li>
                    }
                }
            </For>
        </ul>
    }
    .into_any()
}

/// A name and email for each role; makes the draft and opens its page to send it.
#[component]
fn UseForm(id: String, roles: Vec<String>, csrf: String) -> impl IntoView {
    let people: Vec<(String, RwSignal<String>, RwSignal<String>)> =
        roles.into_iter().map(|r| (r, RwSignal::new(String::new()), RwSignal::new(String::new()))).collect();
    let people = StoredValue::new(people);
    let error = RwSignal::new(None::<AppError>);
    let navigate = use_navigate();
    let create = Action::new(move |_: &()| {
        let (id, csrf) = (id.clone(), csrf.clone());
        let recipients: Vec<RoleAssignment> = people.with_value(|p| {
            p.iter().map(|(role, name, email)| RoleAssignment { role: role.clone(), name: name.get_untracked(), email: email.get_untracked() }).collect()
        });
        async move { use_template(csrf, id, recipients).await }
    });
    Effect::new(move |_| match create.value().get() {
        Some(Ok(envelope)) => navigate(&format!("/contracts/{envelope}"), Default::default()),
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    let submit = move |e: leptos::ev::SubmitEvent| {
        e.prevent_default();
        error.set(None);
        create.dispatch(());
    };
    view! {
        <form class="card use-template" on:submit=submit>
            {people.get_value().into_iter().map(|(role, name, email)| view! {
                <fieldset class="inline">
                    <legend>{role}</legend>
                    <input type="text" required=true maxlength="100" placeholder=t(k::RECIPIENT_NAME) aria-label=t(k::RECIPIENT_NAME)
                        data-testid=testid::TEMPLATE_ROLE_NAME prop:value=name on:input=move |e| name.set(event_target_value(&e))/>
                    <input type="email" required=true placeholder=t(k::RECIPIENT_EMAIL) aria-label=t(k::RECIPIENT_EMAIL)
                        data-testid=testid::TEMPLATE_ROLE_EMAIL prop:value=email on:input=move |e| email.set(event_target_value(&e))/>
                </fieldset>
            }).collect_view()}
            {move || error.get().map(|e| view! { <div class="alert" role="alert" data-code=e.code.as_str()>{error_text(&e)}</div> })}
            <button type="submit" data-testid=testid::TEMPLATE_CREATE disabled=move || create.pending().get()>{t(k::TEMPLATES_CREATE)}</button>
        </form>
    }
}

/// Delete, then the question with yes and no.
#[component]
fn DeleteTemplate(id: String, csrf: String, on_deleted: Callback<()>) -> impl IntoView {
    let delete = Action::new(move |_: &()| {
        let (id, csrf) = (id.clone(), csrf.clone());
        async move { delete_template(csrf, id).await }
    });
    view! {
        <ConfirmDelete action=delete on_deleted label=k::TEMPLATES_DELETE question=k::TEMPLATES_DELETE_CONFIRM
            testid=testid::TEMPLATE_DELETE yes_testid=testid::TEMPLATE_DELETE_YES/>
    }
}
