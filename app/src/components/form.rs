//! Form parts: the hidden CSRF field, labelled inputs with their errors, the password input
//! with a show/hide toggle, and the form-level error banner.

use crate::functions::auth::get_csrf_token;
use crate::i18n::{error_text, field_error_text, k, t};
use crate::testid;
use dojang_core::error::AppError;
use leptos::prelude::*;

/// The hidden `csrf` input every state-changing form carries.
#[component]
pub fn CsrfField() -> impl IntoView {
    let token = Resource::new(|| (), |_| get_csrf_token());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let value = token.await.unwrap_or_default();
                view! { <input type="hidden" name="csrf" value=value/> }
            })}
        </Suspense>
    }
}

/// The error of the last submission, read from an action's value.
pub type Submitted = Signal<Option<AppError>>;

/// A labelled input with the message of its field, if the last submission rejected it.
#[component]
pub fn TextField(
    name: &'static str,
    /// The field name the server uses in its errors (camelCase), when it differs from `name`.
    #[prop(optional)]
    error_field: Option<&'static str>,
    label: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] hint: Option<&'static str>,
    error: Submitted,
) -> impl IntoView {
    let field = error_field.unwrap_or(name);
    let message = move || error.get().and_then(|e| field_error_text(&e, field));
    let id = format!("f-{name}");
    view! {
        <div class="field" class:invalid=move || message().is_some()>
            <label for=id.clone()>{label}</label>
            <input id=id type=kind name=name autocomplete=autocomplete required=true/>
            {hint.map(|h| view! { <p class="hint">{h}</p> })}
            <p class="field-error" role="alert">{message}</p>
        </div>
    }
}

/// A password input whose text can be shown (works once the page has hydrated).
#[component]
pub fn PasswordField(
    name: &'static str,
    label: &'static str,
    autocomplete: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    error: Submitted,
) -> impl IntoView {
    let visible = RwSignal::new(false);
    let message = move || error.get().and_then(|e| field_error_text(&e, name));
    let id = format!("f-{name}");
    view! {
        <div class="field" class:invalid=move || message().is_some()>
            <label for=id.clone()>{label}</label>
            <div class="password">
                <input
                    id=id
                    type=move || if visible.get() { "text" } else { "password" }
                    name=name
                    autocomplete=autocomplete
                    required=true
                />
                <button
                    type="button"
                    class="ghost"
                    data-testid=testid::PASSWORD_TOGGLE
                    aria-pressed=move || visible.get().to_string()
                    on:click=move |_| visible.update(|v| *v = !*v)
                >
                    {move || if visible.get() { t(k::PASSWORD_HIDE) } else { t(k::PASSWORD_SHOW) }}
                </button>
            </div>
            {hint.map(|h| view! { <p class="hint">{h}</p> })}
            <p class="field-error" role="alert">{message}</p>
        </div>
    }
}

/// The form-level message of the last submission (not shown for field-only errors).
#[component]
pub fn FormError(error: Submitted, #[prop(default = testid::FORM_ERROR)] testid: &'static str) -> impl IntoView {
    move || {
        error.get().filter(|e| e.fields.is_empty()).map(|e| {
            view! { <div class="alert" role="alert" data-testid=testid data-code=e.code.as_str()>{error_text(&e)}</div> }
        })
    }
}

/// The error out of an action's last value.
pub fn action_error<I>(action: ServerAction<I>) -> Submitted
where
    I: leptos::server_fn::ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    I::Output: Clone + Send + Sync + 'static,
{
    let value = action.value();
    Signal::derive(move || value.get().and_then(|r| r.err()))
}
