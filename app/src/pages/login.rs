//! `/login`.

use crate::components::form::{action_error, CsrfField, FormError, PasswordField, TextField};
use crate::components::header::Header;
use crate::functions::auth::LogIn;
use crate::i18n::{k, t};
use crate::{testid, PageTitle};
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<LogIn>::new();
    let error = action_error(action);
    view! {
        <PageTitle key=k::LOGIN_TITLE/>
        <Header/>
        <main class="auth">
            <h1>{t(k::LOGIN_TITLE)}</h1>
            <ActionForm action=action attr:data-testid=testid::LOGIN_FORM attr:class="card">
                <CsrfField/>
                <FormError error testid=testid::LOGIN_ERROR/>
                <TextField name="email" label=t(k::LOGIN_EMAIL) kind="email" autocomplete="username" error/>
                <PasswordField name="password" label=t(k::LOGIN_PASSWORD) autocomplete="current-password" error/>
                <button type="submit" data-testid=testid::LOGIN_SUBMIT disabled=move || action.pending().get()>
                    {t(k::LOGIN_SUBMIT)}
                </button>
            </ActionForm>
            <p class="switch"><A href="/signup">{t(k::LOGIN_NO_ACCOUNT)}</A></p>
        </main>
    }
}
