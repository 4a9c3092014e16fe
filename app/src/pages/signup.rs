//! `/signup`: create an organization and its owner.

use crate::components::form::{action_error, CsrfField, FormError, PasswordField, TextField};
use crate::components::header::Header;
use crate::functions::auth::SignUp;
use crate::i18n::{k, t};
use crate::{testid, PageTitle};
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn SignUpPage() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    let error = action_error(action);
    view! {
        <PageTitle key=k::SIGNUP_TITLE/>
        <Header/>
        <main class="auth">
            <h1>{t(k::SIGNUP_TITLE)}</h1>
            <ActionForm action=action attr:data-testid=testid::SIGNUP_FORM attr:class="card">
                <CsrfField/>
                <FormError error/>
                <TextField name="org_name" error_field="orgName" label=t(k::SIGNUP_ORG_NAME) autocomplete="organization" error/>
                <TextField name="name" label=t(k::SIGNUP_NAME) autocomplete="name" error/>
                <TextField name="email" label=t(k::SIGNUP_EMAIL) kind="email" autocomplete="email" error/>
                <PasswordField name="password" label=t(k::SIGNUP_PASSWORD) autocomplete="new-password" hint=t(k::SIGNUP_PASSWORD_HINT) error/>
                <button type="submit" data-testid=testid::SIGNUP_SUBMIT disabled=move || action.pending().get()>
                    {t(k::SIGNUP_SUBMIT)}
                </button>
            </ActionForm>
            <p class="switch"><A href="/login">{t(k::SIGNUP_HAVE_ACCOUNT)}</A></p>
        </main>
    }
}
