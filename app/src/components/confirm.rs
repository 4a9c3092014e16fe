//! A delete button that asks first: the button, then the question with yes and no; the error
//! shows beside it.

use crate::i18n::{error_text, k, t, Key};
use dojang_core::error::AppError;
use leptos::prelude::*;

#[component]
pub fn ConfirmDelete(
    /// Deletes when dispatched.
    action: Action<(), Result<(), AppError>>,
    on_deleted: Callback<()>,
    label: Key,
    question: Key,
    testid: &'static str,
    yes_testid: &'static str,
) -> impl IntoView {
    let asking = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    Effect::new(move |_| match action.value().get() {
        Some(Ok(())) => on_deleted.run(()),
        Some(Err(e)) => error.set(Some(error_text(&e))),
        None => {}
    });
    view! {
        <span class="delete-draft">
            <Show when=move || asking.get() fallback=move || view! {
                <button type="button" class="link danger" data-testid=testid on:click=move |_| asking.set(true)>{t(label)}</button>
            }>
                <span role="alertdialog">{t(question)}" "</span>
                <button type="button" class="danger" data-testid=yes_testid disabled=move || action.pending().get() on:click=move |_| { action.dispatch(()); }>{t(k::CONTRACT_DELETE_YES)}</button>
                <button type="button" class="link" on:click=move |_| asking.set(false)>{t(k::CONTRACT_DELETE_NO)}</button>
            </Show>
            {move || error.get().map(|e| view! { <span class="alert" role="alert">{e}</span> })}
        </span>
    }
}
