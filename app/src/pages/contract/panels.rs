//! The editor's side panels: the field palette, the recipients (who signs, in which order,
//! shown by colour) and the selected field's properties.

use super::canvas::{kind_label, use_pointer};
use super::use_editor;
use crate::i18n::{k, t};
use crate::testid;
use dojang_core::ids::RecipientId;
use dojang_core::model::{FieldKind, RecipientRole, DATE_FORMATS};
use leptos::prelude::*;

#[component]
pub fn Palette() -> impl IntoView {
    let pointer = use_pointer();
    let editor = use_editor();
    view! {
        <section class="palette" aria-label=t(k::EDITOR_PALETTE)>
            <h2>{t(k::EDITOR_PALETTE)}</h2>
            <p class="hint">{t(k::EDITOR_PALETTE_HINT)}</p>
            <div class="kinds">
                {FieldKind::ALL.into_iter().map(|kind| view! {
                    <button
                        type="button"
                        class="kind"
                        data-testid=testid::PALETTE_ITEM
                        data-kind=kind.as_str()
                        on:pointerdown=move |e: web_sys::PointerEvent| {
                            if e.button() != 0 { return; }
                            e.prevent_default();
                            pointer.start_new(kind, e.client_x() as f64, e.client_y() as f64);
                        }
                    >
                        {kind_label(kind)}
                    </button>
                }).collect_view()}
            </div>
            {(!editor.template.get_value()).then(|| view! { <FormFieldsButton/> })}
        </section>
    }
}

/// Adds the documents' own form fields (AcroForm) for the active recipient, as one change
/// (undo takes them all back); says how many, or that there were none.
#[component]
fn FormFieldsButton() -> impl IntoView {
    let editor = use_editor();
    let note = RwSignal::new(None::<String>);
    let take = Action::new(move |_: &()| {
        let id = editor.contract_id.get_value();
        let recipient = editor.active_recipient.get_untracked().or_else(|| editor.recipients.with_untracked(|r| r.first().map(|r| r.id.clone())));
        async move {
            match recipient {
                Some(r) => crate::functions::contracts::form_fields(id, r.to_string()).await,
                None => Err(dojang_core::error::AppError::field("recipientId", "required", t(k::EDITOR_FORM_NEEDS_RECIPIENT))),
            }
        }
    });
    Effect::new(move |_| match take.value().get() {
        Some(Ok(found)) => {
            let n = found.len();
            if n > 0 {
                editor.commit(move |_, fields| fields.extend(found));
            }
            note.set(Some(crate::i18n::fill(t(k::EDITOR_FORM_ADDED), &[("n", &n.to_string())])));
        }
        Some(Err(e)) => note.set(Some(crate::i18n::error_text(&e))),
        None => {}
    });
    view! {
        <button type="button" class="secondary small" data-testid=testid::FORM_FIELDS_IMPORT disabled=move || take.pending().get()
            on:click=move |_| { take.dispatch(()); }>{t(k::EDITOR_FORM_IMPORT)}</button>
        {move || note.get().map(|n| view! { <p class="hint" role="status" data-testid=testid::FORM_FIELDS_NOTE>{n}</p> })}
    }
}

#[component]
pub fn Recipients() -> impl IntoView {
    let editor = use_editor();
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let role = RwSignal::new(RecipientRole::Signer);
    let add = move |e: leptos::ev::SubmitEvent| {
        e.prevent_default();
        editor.add_recipient(name.get_untracked().trim().to_owned(), email.get_untracked().trim().to_owned(), role.get_untracked());
        name.set(String::new());
        email.set(String::new());
    };
    view! {
        <section class="recipients" aria-label=t(k::RECIPIENTS_TITLE)>
            <h2>{t(k::RECIPIENTS_TITLE)}</h2>
            <ol class="recipient-list">
                <For each=move || editor.recipients.get() key=|r| r.id.clone() let:r>
                    <RecipientRow id=r.id.clone()/>
                </For>
            </ol>
            <form class="add-recipient" data-testid=testid::RECIPIENT_FORM on:submit=add>
                <input type="text" placeholder=t(k::RECIPIENT_NAME) aria-label=t(k::RECIPIENT_NAME)
                    data-testid=testid::RECIPIENT_NAME prop:value=name on:input=move |e| name.set(event_target_value(&e))/>
                // A template's roles are not people: no email.
                {(!editor.template.get_value()).then(|| view! {
                    <input type="email" placeholder=t(k::RECIPIENT_EMAIL) aria-label=t(k::RECIPIENT_EMAIL)
                        data-testid=testid::RECIPIENT_EMAIL prop:value=email on:input=move |e| email.set(event_target_value(&e))/>
                })}
                <select aria-label=t(k::RECIPIENT_ROLE) data-testid=testid::RECIPIENT_ROLE
                    on:change=move |e| role.set(RecipientRole::parse(&event_target_value(&e)).unwrap_or(RecipientRole::Signer))>
                    <option value="signer">{t(k::ROLE_SIGNER)}</option>
                    <option value="viewer">{t(k::ROLE_VIEWER)}</option>
                </select>
                <button type="submit" class="secondary" data-testid=testid::RECIPIENT_ADD>{t(k::RECIPIENT_ADD)}</button>
            </form>
        </section>
    }
}

#[component]
fn RecipientRow(id: RecipientId) -> impl IntoView {
    let editor = use_editor();
    let rid = id.clone();
    let r = Memo::new(move |_| editor.recipients.with(|rs| rs.iter().find(|r| r.id == rid).cloned()));
    let color = {
        let id = id.clone();
        move || editor.recipient_color(&id)
    };
    let active = {
        let id = id.clone();
        move || editor.active_recipient.with(|a| a.as_ref() == Some(&id))
    };
    let set = {
        let id = id.clone();
        move |f: Box<dyn FnOnce(&mut dojang_core::model::RecipientDraft)>| {
            editor.commit(|rs, _| {
                if let Some(r) = rs.iter_mut().find(|r| r.id == id) {
                    f(r);
                }
            })
        }
    };
    let (s1, s2, s3, s4) = (set.clone(), set.clone(), set.clone(), set);
    let pick = id.clone();
    let remove = id.clone();
    let count = {
        let id = id.clone();
        move || editor.fields.with(|fs| fs.iter().filter(|f| f.recipient_id == id).count())
    };
    view! {
        <li class="recipient" class:active=active data-testid=testid::RECIPIENT_ROW data-recipient-id=id.to_string()
            style=move || format!("--c:{}", color())>
            <button type="button" class="swatch" aria-label=t(k::RECIPIENT_USE) data-testid=testid::RECIPIENT_PICK
                on:click=move |_| editor.active_recipient.set(Some(pick.clone()))>
                {move || r.with(|r| r.as_ref().map(|r| r.order)).unwrap_or(1)}
            </button>
            <div class="recipient-fields">
                <input type="text" aria-label=t(k::RECIPIENT_NAME) placeholder=t(k::RECIPIENT_NAME)
                    prop:value=move || r.with(|r| r.as_ref().map(|r| r.name.clone())).unwrap_or_default()
                    on:change=move |e| { let v = event_target_value(&e); s1(Box::new(move |r| r.name = v)) }/>
                {(!editor.template.get_value()).then(|| view! {
                    <input type="email" aria-label=t(k::RECIPIENT_EMAIL) placeholder=t(k::RECIPIENT_EMAIL)
                        prop:value=move || r.with(|r| r.as_ref().map(|r| r.email.clone())).unwrap_or_default()
                        on:change=move |e| { let v = event_target_value(&e); s2(Box::new(move |r| r.email = v)) }/>
                })}
                <div class="inline">
                    <select aria-label=t(k::RECIPIENT_ROLE)
                        prop:value=move || r.with(|r| r.as_ref().map(|r| r.role.as_str())).unwrap_or("signer")
                        on:change=move |e| {
                            let v = RecipientRole::parse(&event_target_value(&e)).unwrap_or(RecipientRole::Signer);
                            s3(Box::new(move |r| r.role = v))
                        }>
                        <option value="signer">{t(k::ROLE_SIGNER)}</option>
                        <option value="viewer">{t(k::ROLE_VIEWER)}</option>
                    </select>
                    <label class="order">{t(k::RECIPIENT_ORDER)}
                        <input type="number" min="1" max="50"
                            prop:value=move || r.with(|r| r.as_ref().map(|r| r.order.to_string())).unwrap_or_default()
                            on:change=move |e| {
                                let v = event_target_value(&e).parse::<i64>().unwrap_or(1).clamp(1, 50);
                                s4(Box::new(move |r| r.order = v))
                            }/>
                    </label>
                    <span class="muted">{move || format!("{} {}", count(), t(k::RECIPIENT_FIELDS))}</span>
                    <button type="button" class="ghost small" aria-label=t(k::RECIPIENT_REMOVE)
                        on:click=move |_| editor.remove_recipient(&remove)>"✕"</button>
                </div>
            </div>
        </li>
    }
}

#[component]
pub fn Properties() -> impl IntoView {
    let editor = use_editor();
    let selected = Memo::new(move |_| editor.selected.get().and_then(|id| editor.field(&id)));
    view! {
        {move || match selected.get() {
            None => view! { <p class="hint">{t(k::PROPS_NONE)}</p> }.into_any(),
            Some(f) => {
                let id = f.id.clone();
                let (i1, i2, i3, i4, i5, i6, i7, i8, i9) =
                    (id.clone(), id.clone(), id.clone(), id.clone(), id.clone(), id.clone(), id.clone(), id.clone(), id.clone());
                let options = f.options.join("\n");
                view! {
                    <section class="props" data-testid=testid::PROPERTIES data-field-id=id.to_string()>
                        <h2>{kind_label(f.kind)}</h2>
                        <label>{t(k::PROPS_RECIPIENT)}
                            <select data-testid=testid::PROP_RECIPIENT
                                prop:value=f.recipient_id.to_string()
                                on:change=move |e| {
                                    if let Ok(r) = RecipientId::parse(&event_target_value(&e)) {
                                        editor.update_field(&i1, |f| f.recipient_id = r);
                                    }
                                }>
                                {editor.recipients.get_untracked().into_iter().map(|r| {
                                    let label = if r.name.is_empty() { r.email.clone() } else { r.name.clone() };
                                    view! { <option value=r.id.to_string()>{format!("{}. {label}", r.order)}</option> }
                                }).collect_view()}
                            </select>
                        </label>
                        <label class="check">
                            <input type="checkbox" data-testid=testid::PROP_REQUIRED prop:checked=f.required
                                on:change=move |e| { let v = event_target_checked(&e); editor.update_field(&i2, |f| f.required = v) }/>
                            {t(k::PROPS_REQUIRED)}
                        </label>
                        <label>{t(k::PROPS_LABEL)}
                            <input type="text" data-testid=testid::PROP_LABEL prop:value=f.label.clone()
                                on:change=move |e| { let v = event_target_value(&e); editor.update_field(&i3, |f| f.label = v) }/>
                        </label>
                        {matches!(f.kind, FieldKind::Text | FieldKind::Number | FieldKind::Name | FieldKind::Email | FieldKind::Select).then(|| view! {
                            <label>{t(k::PROPS_PLACEHOLDER)}
                                <input type="text" prop:value=f.placeholder.clone()
                                    on:change=move |e| { let v = event_target_value(&e); editor.update_field(&i4, |f| f.placeholder = v) }/>
                            </label>
                        })}
                        {(!matches!(f.kind, FieldKind::Signature | FieldKind::Initials | FieldKind::Date)).then(|| view! {
                            <label>{t(k::PROPS_NAME)}
                                <input type="text" maxlength="100" data-testid=testid::PROP_NAME prop:value=f.name.clone().unwrap_or_default()
                                    on:change=move |e| {
                                        let v = event_target_value(&e).trim().to_owned();
                                        editor.update_field(&i9, |f| f.name = (!v.is_empty()).then_some(v))
                                    }/>
                            </label>
                        })}
                        {f.kind.has_options().then(|| view! {
                            <label>{t(k::PROPS_OPTIONS)}
                                <textarea rows="4" data-testid=testid::PROP_OPTIONS prop:value=options
                                    on:change=move |e| {
                                        let v: Vec<String> = event_target_value(&e).lines().map(|l| l.trim().to_owned()).filter(|l| !l.is_empty()).collect();
                                        editor.update_field(&i5, |f| f.options = v)
                                    }></textarea>
                            </label>
                        })}
                        {(f.kind == FieldKind::Date).then(|| view! {
                            <label>{t(k::PROPS_DATE_FORMAT)}
                                <select prop:value=f.format.clone().unwrap_or_default()
                                    on:change=move |e| { let v = event_target_value(&e); editor.update_field(&i6, |f| f.format = Some(v)) }>
                                    {DATE_FORMATS.iter().map(|d| view! { <option value=*d>{*d}</option> }).collect_view()}
                                </select>
                            </label>
                        })}
                        <div class="inline">
                            <button type="button" class="secondary" data-testid=testid::PROP_DUPLICATE
                                on:click=move |_| editor.duplicate(&i7)>{t(k::PROPS_DUPLICATE)}</button>
                            <button type="button" class="secondary danger" data-testid=testid::PROP_DELETE
                                on:click=move |_| editor.delete_field(&i8)>{t(k::PROPS_DELETE)}</button>
                        </div>
                    </section>
                }.into_any()
            }
        }}
    }
}
