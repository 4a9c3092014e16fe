//! `/sign/{token}`: the signer's page, mobile first — rendered here, on the server, as plain
//! markup in its first state. It is not hydrated by the app's wasm: a phone on a slow network
//! would wait for the whole app. The page's own small wasm module (`frontend/signer`) brings it
//! to life instead: consent, filling fields in place with a guide to the next one, the pad
//! (kept in this page as a `<template>`), finishing or declining with a reason.
//!
//! The contract between the two is this markup (test ids, `data-*` attributes) and the
//! `SignerBoot` JSON written into the page.

pub(crate) mod verify;

use crate::functions::signing::load_signing_page;
use crate::i18n::{error_text, k, t, text_by_name, texts_where, Lang};
use crate::testid;
use dojang_core::model::{FieldKind, SignerBoot, SignerField, SignerState, SignerView};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// The ids the signer module looks up.
pub const BOOT_ID: &str = "sign-boot";
pub const PAD_TEMPLATE_ID: &str = "sign-pad";

#[component]
pub fn SignPage() -> impl IntoView {
    let params = use_params_map();
    let token = params.with_untracked(|p| p.get("token").unwrap_or_default());
    // Loaded in a task of its own, so a render that polls and drops its futures early never
    // holds a connection mid-query. Not a `Resource`: the page is not hydrated, so nothing of
    // the view is serialized into it for a hydration to read.
    let tok = token.clone();
    let view_res = AsyncDerived::new(move || load_signing_page(tok.clone()));
    #[cfg(feature = "ssr")]
    if let Some(opts) = use_context::<leptos_axum::ResponseOptions>() {
        // The link's token must not leak through the Referer header or shared caches.
        opts.insert_header(http::header::REFERRER_POLICY, http::HeaderValue::from_static("no-referrer"));
    }
    view! {
        <Title text=t(k::SIGN_TITLE)/>
        <main class="sign" data-testid=testid::SIGN_PAGE>
            <Suspense fallback=|| view! { <p class="muted">{t(k::LOADING)}</p> }>
                {move || {
                    let token = token.clone();
                    Suspend::new(async move {
                        match view_res.await {
                            Err(e) => view! {
                                <section class="card closed" data-testid=testid::SIGN_CLOSED data-code=e.code.as_str()>
                                    <span class="seal big" aria-hidden="true">"印"</span>
                                    <p>{error_text(&e)}</p>
                                </section>
                            }
                            .into_any(),
                            Ok(v) => view! { <Signing v token/> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </main>
    }
}

/// Whether a field counts as filled before the signer touched anything.
fn filled_at_start(f: &SignerField) -> bool {
    if f.field.prefill.as_deref().is_some_and(|v| !v.is_empty() && v != "false") {
        return true;
    }
    match f.field.kind {
        FieldKind::Date | FieldKind::Name | FieldKind::Email => true,
        FieldKind::Checkbox => !f.field.required,
        _ => false,
    }
}

#[component]
fn Signing(v: SignerView, token: String) -> impl IntoView {
    provide_context(Lang::from(v.language));
    #[cfg(feature = "ssr")]
    if let (Some(opts), Ok(origins)) = (use_context::<leptos_axum::ResponseOptions>(), http::HeaderValue::from_str(&v.embed_origins.join(" "))) {
        opts.insert_header(http::HeaderName::from_static(dojang_core::embed::FRAME_ORIGINS_HEADER), origins);
    }
    if let Some(gate) = v.verification.clone() {
        // Nothing of the contract until the checks are passed (the view holds none of it).
        return view! {
            {sign_head(&v)}
            <verify::Verify gate page=format!("/sign/{token}")/>
        }
        .into_any();
    }
    let ready = v.state == SignerState::Ready;
    let active = ready && v.consented;
    // The guide goes through the signer's fields in reading order: document, page, top, left.
    let doc_index = |id: &dojang_core::ids::DocumentId| v.documents.iter().position(|d| d.id == *id).unwrap_or(0);
    let mut mine: Vec<&SignerField> = v.fields.iter().filter(|f| f.mine).collect();
    mine.sort_by_key(|f| (doc_index(&f.field.document_id), f.field.page, (f.field.rect.y * 1000.0) as i64, (f.field.rect.x * 1000.0) as i64));
    let order: Vec<_> = mine.iter().map(|f| f.field.id.clone()).collect();
    // A free-form signer has one thing to do: place a signature.
    let total = if v.free_form { 1 } else { mine.iter().filter(|f| f.field.required).count() };
    let remaining = if v.free_form { 1 } else { mine.iter().filter(|f| f.field.required && !filled_at_start(f)).count() };

    let boot = SignerBoot {
        token: token.clone(),
        consented: v.consented,
        signer_name: v.recipient_name.clone(),
        redirect_url: v.redirect_url.clone(),
        embed_origins: v.embed_origins.clone(),
        free_form: v.free_form,
        texts: texts_where(|n| n.starts_with("sign_") || n.starts_with("pad_") || n.starts_with("error.")),
    };
    // `<` escaped so that no text can close the script element.
    let boot_json = serde_json::to_string(&boot).unwrap_or_default().replace('<', "\\u003c");

    let pages = v
        .documents
        .iter()
        .flat_map(|doc| doc.pages.iter().map(move |p| (doc, p)))
        .map(|(doc, p)| {
            let src = format!("/_app/sign/{token}/documents/{}/pages/{}?size=page", doc.id, p.index);
            let fields = v
                .fields
                .iter()
                .filter(|f| f.field.document_id == doc.id && f.field.page == p.index)
                .map(|f| {
                    let position = order.iter().position(|id| *id == f.field.id);
                    view! { <SignField f=f.clone() order=position today=v.today.clone() name=v.recipient_name.clone() email=v.recipient_email.clone()/> }
                })
                .collect_view();
            view! {
                <div class="page sign-page" style=format!("aspect-ratio: 1 / {:.6}", p.aspect()) data-page=p.index.to_string() data-document=doc.id.to_string()>
                    <img src=src alt="" loading="lazy" decoding="async" fetchpriority="low" draggable="false"/>
                    {fields}
                </div>
            }
        })
        .collect_view();

    view! {
        {sign_head(&v)}
        {v.test_mode.then(|| view! { <p class="alert test-mode" role="note" data-testid=testid::SIGN_TEST_MODE>{dojang_core::i18n::both::TEST_NOTICE}</p> })}
        {(!v.message.is_empty()).then(|| view! { <p class="message">{v.message.clone()}</p> })}
        {(!ready).then(|| view! {
            <section class="card closed" data-testid=testid::SIGN_STATE data-state=format!("{:?}", v.state)>
                <p>{text_by_name(v.state.message_key())}</p>
            </section>
        })}
        {(ready && !v.consented).then(|| view! {
            <section class="card consent" data-testid=testid::CONSENT>
                <h2>{t(k::CONSENT_TITLE)}</h2>
                <p>{v.consent_text.clone()}</p>
                <p class="muted">{t(k::CONSENT_VERSION)}" "{v.consent_version.clone()}</p>
                <button type="button" data-testid=testid::CONSENT_AGREE>{t(k::CONSENT_AGREE)}</button>
                <button type="button" class="secondary" data-action="decline">{t(k::SIGN_DECLINE)}</button>
            </section>
        })}
        {ready.then(|| view! {
            <div class="sign-bar" data-testid=testid::SIGN_BAR hidden=!active>
                <span class="count" data-testid=testid::SIGN_REMAINING data-remaining=remaining.to_string() data-total=total.to_string()>
                    {format!("{}/{} {}", total - remaining, total, t(k::SIGN_FIELDS_DONE))}
                </span>
                <button type="button" class="secondary" data-testid=testid::SIGN_NEXT>{t(k::SIGN_NEXT)}</button>
                <button type="button" data-testid=testid::SIGN_FINISH disabled=remaining > 0>{t(k::SIGN_FINISH)}</button>
                <button type="button" class="ghost" data-testid=testid::SIGN_DECLINE data-action="decline">{t(k::SIGN_DECLINE)}</button>
            </div>
            {v.free_form.then(|| view! {
                <p class="alert free-form-hint" role="note" data-testid=testid::SIGN_FREE_FORM_HINT hidden=!active>{t(k::SIGN_FREE_FORM_HINT)}</p>
            })}
            <form class="card decline" data-testid=testid::DECLINE_FORM hidden=true>
                <label>{t(k::DECLINE_REASON)}
                    <textarea rows="3" required=true data-testid=testid::DECLINE_REASON></textarea>
                </label>
                <button type="submit" class="danger" data-testid=testid::DECLINE_SUBMIT>{t(k::DECLINE_SUBMIT)}</button>
                <button type="button" class="ghost" data-action="decline-cancel">{t(k::PAD_CANCEL)}</button>
            </form>
            <template id=PAD_TEMPLATE_ID><Pad/></template>
        })}
        <div class="sign-pages" class:locked=!active class:free-form=v.free_form data-free-form=v.free_form.then_some("true")>{pages}</div>
        <script type="application/json" id=BOOT_ID inner_html=boot_json></script>
    }
    .into_any()
}

#[component]
fn SignField(f: SignerField, order: Option<usize>, today: String, name: String, email: String) -> impl IntoView {
    let r = f.field.rect;
    let style = format!("left:{:.4}%;top:{:.4}%;width:{:.4}%;height:{:.4}%", r.x * 100.0, r.y * 100.0, r.width * 100.0, r.height * 100.0);
    let kind = f.field.kind;
    if !f.mine {
        return view! {
            <div class="sfield other" style=style data-testid=testid::SIGN_OTHER_FIELD>
                {f.value.clone().filter(|v| !v.is_empty()).map(|v| view! { <span class="value">{v}</span> })}
            </div>
        }
        .into_any();
    }
    let placeholder = if f.field.label.is_empty() { f.field.placeholder.clone() } else { f.field.label.clone() };
    // A value given before signing: shown filled in; a read-only one cannot be changed.
    let prefill = f.field.prefill.clone().filter(|v| !v.is_empty());
    let locked = f.field.read_only;
    let body = match kind {
        FieldKind::Signature | FieldKind::Initials => view! {
            <button type="button" class="sig-button" data-testid=testid::SIGN_SIGNATURE_FIELD>
                <span>{if kind == FieldKind::Initials { t(k::SIGN_TAP_INITIALS) } else { t(k::SIGN_TAP_SIGN) }}</span>
            </button>
        }
        .into_any(),
        FieldKind::Date => {
            let fmt = f.field.format.clone().unwrap_or_else(|| "YYYY-MM-DD".into());
            view! { <span class="value date">{dojang_core::model::format_date_preview(&today, &fmt)}</span> }.into_any()
        }
        FieldKind::Checkbox => {
            view! { <input type="checkbox" data-testid=testid::SIGN_INPUT checked=prefill.as_deref() == Some("true") disabled=locked/> }.into_any()
        }
        FieldKind::Radio | FieldKind::Select => view! {
            <select data-testid=testid::SIGN_INPUT disabled=locked>
                <option value="">{placeholder.clone()}</option>
                {f.field
                    .options
                    .iter()
                    .map(|o| view! { <option value=o.clone() selected=prefill.as_ref() == Some(o)>{o.clone()}</option> })
                    .collect_view()}
            </select>
        }
        .into_any(),
        _ => {
            let (input_type, mode) = match kind {
                FieldKind::Email => ("email", "email"),
                FieldKind::Number => ("text", "decimal"),
                _ => ("text", "text"),
            };
            let value = prefill.unwrap_or(match kind {
                FieldKind::Name => name,
                FieldKind::Email => email,
                _ => String::new(),
            });
            view! { <input type=input_type inputmode=mode data-testid=testid::SIGN_INPUT placeholder=placeholder value=value readonly=locked/> }.into_any()
        }
    };
    view! {
        <div class="sfield mine" class:filled=filled_at_start(&f) class:required=f.field.required style=style
            id=format!("field-{}", f.field.id) data-testid=testid::SIGN_FIELD data-kind=kind.as_str() data-field-id=f.field.id.to_string()
            data-required=f.field.required.to_string() data-order=order.map(|o| o.to_string())
            data-read-only=locked.then_some("true")>
            {body}
        </div>
    }
    .into_any()
}

/// The contract's name and who sends it: all a signer sees before their checks.
fn sign_head(v: &SignerView) -> impl IntoView {
    view! {
        <header class="sign-head">
            <span class="seal" aria-hidden="true">"印"</span>
            <div>
                <h1 data-testid=testid::SIGN_ENVELOPE>{v.envelope_name.clone()}</h1>
                <p class="muted">{format!("{} · {}", v.sender_name, v.organization_name)}</p>
            </div>
        </header>
    }
}

/// The signature and initials pad, copied out of its `<template>` by the signer module each
/// time it opens (its title and the canvas's aspect are set then, by what is signed).
#[component]
fn Pad() -> impl IntoView {
    let tab = |id: &'static str, key, current: bool| {
        view! {
            <button type="button" role="tab" class="tab" class:current=current data-testid=id data-tab=id aria-selected=current.to_string()>{t(key)}</button>
        }
    };
    view! {
        <div class="pad-backdrop" role="dialog" aria-modal="true" data-testid=testid::PAD>
            <div class="pad">
                <h2></h2>
                <div class="tabs" role="tablist">
                    {tab(testid::PAD_TAB_DRAW, k::PAD_DRAW, true)}
                    {tab(testid::PAD_TAB_TYPE, k::PAD_TYPE, false)}
                    {tab(testid::PAD_TAB_UPLOAD, k::PAD_UPLOAD, false)}
                </div>
                <div class="pad-body" data-panel=testid::PAD_TAB_DRAW>
                    <canvas class="pad-canvas" data-testid=testid::PAD_CANVAS data-strokes="0" data-points="0" data-pen-seen="false"></canvas>
                    <p class="hint">{t(k::PAD_DRAW_HINT)}</p>
                    <div class="inline">
                        <button type="button" class="ghost" data-testid=testid::PAD_UNDO>{t(k::PAD_UNDO)}</button>
                        <button type="button" class="ghost" data-testid=testid::PAD_CLEAR>{t(k::PAD_CLEAR)}</button>
                    </div>
                </div>
                <div class="pad-body hidden" data-panel=testid::PAD_TAB_TYPE>
                    <input type="text" class="typed-input" maxlength="100" data-testid=testid::PAD_TYPED/>
                    <p class="typed-preview" data-testid=testid::PAD_TYPED_PREVIEW></p>
                </div>
                <div class="pad-body hidden" data-panel=testid::PAD_TAB_UPLOAD>
                    <input type="file" accept="image/png,image/jpeg" data-testid=testid::PAD_FILE/>
                </div>
                <p class="alert" role="alert" data-testid=testid::PAD_ERROR hidden=true></p>
                <div class="pad-actions">
                    <button type="button" class="secondary" data-action="pad-cancel">{t(k::PAD_CANCEL)}</button>
                    <button type="button" data-testid=testid::PAD_ADOPT>{t(k::PAD_ADOPT)}</button>
                </div>
            </div>
        </div>
    }
}
