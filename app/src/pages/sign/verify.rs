//! The identity checks before anything of the contract shows (on the signing page, and on a
//! recipient's download page): one card per check, each a plain form posted to
//! `{page}/verify[/send]` (they work before the page's script runs, and on any phone). A
//! failed answer comes back as `?verify_error=CODE`.

use crate::i18n::{k, t, text_by_name};
use crate::testid;
use dojang_core::model::{AuthMethod, VerificationGate, VerificationStep};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn Verify(gate: VerificationGate, page: String) -> impl IntoView {
    let error = use_query_map().with_untracked(|q| q.get("verify_error"));
    let error_text = error.map(|code| {
        let text = text_by_name(&format!("error.{}", code.to_ascii_lowercase()));
        (code, if text.is_empty() { t(k::ERROR_GENERIC) } else { text })
    });
    if gate.locked {
        return view! {
            <section class="card closed" data-testid=testid::VERIFY_LOCKED>
                <p>{text_by_name("error.verification_locked")}</p>
            </section>
        }
        .into_any();
    }
    let steps = gate.steps.into_iter().map(|s| view! { <Step s page=page.clone()/> }).collect_view();
    view! {
        <section class="card verify" data-testid=testid::VERIFY>
            <h2>{t(k::IDENTITY_TITLE)}</h2>
            <p class="muted">{t(k::IDENTITY_LEAD)}</p>
            {error_text.map(|(code, text)| view! { <p class="alert" role="alert" data-testid=testid::VERIFY_ERROR data-code=code>{text}</p> })}
            {steps}
        </section>
    }
    .into_any()
}

#[component]
fn Step(s: VerificationStep, page: String) -> impl IntoView {
    let method = s.method.as_str();
    let title = match s.method {
        AuthMethod::EmailCode => t(k::IDENTITY_EMAIL_CODE),
        AuthMethod::SmsCode => t(k::IDENTITY_SMS_CODE),
        AuthMethod::AccessCode => t(k::IDENTITY_ACCESS_CODE),
        AuthMethod::Knowledge => t(k::IDENTITY_KNOWLEDGE),
    };
    if s.done {
        return view! {
            <div class="verify-step done" data-testid=testid::VERIFY_STEP data-method=method data-done="true">
                <h3>{title}</h3><p class="muted">{t(k::IDENTITY_DONE)}</p>
            </div>
        }
        .into_any();
    }
    let answer_url = format!("{page}/verify");
    let send = s.method.sends_code().then(|| {
        let to = s.sent_to.clone();
        view! {
            <form method="post" action=format!("{page}/verify/send") class="inline">
                <input type="hidden" name="method" value=method/>
                <p class="muted">{match &to {
                    Some(to) => dojang_core::i18n::fill(t(k::IDENTITY_SENT_TO), &[("to", to)]),
                    None => t(k::IDENTITY_SENT_TO_PHONE).to_owned(),
                }}</p>
                <button type="submit" class="secondary" data-testid=testid::VERIFY_SEND>
                    {if s.code_sent { t(k::IDENTITY_RESEND) } else { t(k::IDENTITY_SEND) }}
                </button>
            </form>
        }
    });
    let inputs = match s.method {
        AuthMethod::Knowledge => view! {
            <label>{t(k::IDENTITY_PHONE)}
                <input type="tel" name="phone" autocomplete="tel" inputmode="tel" required=true data-testid=testid::VERIFY_PHONE/>
            </label>
            <label>{t(k::IDENTITY_BIRTH_DATE)}
                <input type="text" name="birth_date" inputmode="numeric" placeholder="19900517" maxlength="10" required=true data-testid=testid::VERIFY_BIRTH_DATE/>
            </label>
        }
        .into_any(),
        AuthMethod::AccessCode => view! {
            <label>{t(k::IDENTITY_ACCESS_LABEL)}
                <input type="text" name="code" autocomplete="off" maxlength="64" required=true data-testid=testid::VERIFY_CODE/>
            </label>
        }
        .into_any(),
        _ => view! {
            <label>{t(k::IDENTITY_CODE_LABEL)}
                <input type="text" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required=true data-testid=testid::VERIFY_CODE/>
            </label>
        }
        .into_any(),
    };
    // A code can be typed once one was sent.
    let can_answer = !s.method.sends_code() || s.code_sent;
    view! {
        <div class="verify-step" data-testid=testid::VERIFY_STEP data-method=method data-done="false">
            <h3>{title}</h3>
            {send}
            {can_answer.then(|| view! {
                <form method="post" action=answer_url.clone() class="stack">
                    <input type="hidden" name="method" value=method/>
                    {inputs}
                    <button type="submit" data-testid=testid::VERIFY_SUBMIT>{t(k::IDENTITY_SUBMIT)}</button>
                </form>
            })}
        </div>
    }
    .into_any()
}
