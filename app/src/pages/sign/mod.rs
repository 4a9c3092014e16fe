//! `/sign/{token}`: the signer's page, mobile first. The signer agrees to sign electronically,
//! fills their fields in place (a guide goes to the next one), signs with the pad, and
//! finishes — or declines with a reason. Anyone else's fields show for context.

mod pad;

use crate::functions::signing::{load_signing_page, signer_consent, signer_decline, signer_opened, signer_submit};
use crate::i18n::{error_text, k, t, Lang};
use crate::testid;
use dojang_core::error::AppError;
use dojang_core::ids::FieldId;
use dojang_core::model::{FieldInput, FieldKind, Language, SignSubmission, SignatureInput, SignerField, SignerState, SignerView};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use pad::SignaturePad;
use std::collections::HashMap;

#[component]
pub fn SignPage() -> impl IntoView {
    let params = use_params_map();
    let token = params.with_untracked(|p| p.get("token").unwrap_or_default());
    let tok = token.clone();
    let view_res = Resource::new(move || tok.clone(), load_signing_page);
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
                            Err(e) => view! { <Closed message=error_text(&e) code=e.code.as_str()/> }.into_any(),
                            Ok(v) => view! { <Signing v token/> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </main>
    }
}

#[component]
fn Closed(message: String, code: String) -> impl IntoView {
    view! {
        <section class="card closed" data-testid=testid::SIGN_CLOSED data-code=code>
            <span class="seal big" aria-hidden="true">"印"</span>
            <p>{message}</p>
        </section>
    }
}

fn state_message(s: SignerState) -> &'static str {
    t(match s {
        SignerState::Ready => k::SIGN_READY,
        SignerState::NotYourTurn => k::SIGN_NOT_YOUR_TURN,
        SignerState::Signed => k::SIGN_DONE,
        SignerState::Declined => k::SIGN_DECLINED,
        SignerState::Cancelled => k::SIGN_CANCELLED,
        SignerState::Expired => k::SIGN_EXPIRED,
        SignerState::Completed => k::SIGN_COMPLETED,
        SignerState::ViewOnly => k::SIGN_VIEW_ONLY,
    })
}

/// What the signer has filled in so far.
#[derive(Clone, Copy)]
struct Fill {
    values: RwSignal<HashMap<FieldId, String>>,
    /// Adopted signatures, with the PNG shown on the page.
    signatures: RwSignal<Vec<(SignatureInput, String)>>,
    /// Which signature each signature/initials field uses.
    uses: RwSignal<HashMap<FieldId, usize>>,
    /// The last signature adopted for signatures and for initials.
    adopted: RwSignal<(Option<usize>, Option<usize>)>,
    pad_for: RwSignal<Option<(FieldId, FieldKind)>>,
    focus: RwSignal<Option<FieldId>>,
}

impl Fill {
    fn is_filled(&self, f: &SignerField) -> bool {
        match f.field.kind {
            FieldKind::Signature | FieldKind::Initials => self.uses.with(|u| u.contains_key(&f.field.id)),
            FieldKind::Date => true,
            FieldKind::Checkbox => !f.field.required || self.values.with(|v| v.get(&f.field.id).is_some_and(|x| x == "true")),
            _ => self.values.with(|v| v.get(&f.field.id).is_some_and(|x| !x.trim().is_empty())),
        }
    }
}

#[component]
fn Signing(v: SignerView, token: String) -> impl IntoView {
    let lang = match v.language {
        Language::Ko => Lang::Ko,
        Language::En => Lang::En,
    };
    provide_context(lang);
    let state = RwSignal::new(v.state);
    let consented = RwSignal::new(v.consented);
    let error = RwSignal::new(None::<AppError>);
    let declining = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let fill = Fill {
        values: RwSignal::new(HashMap::new()),
        signatures: RwSignal::new(Vec::new()),
        uses: RwSignal::new(HashMap::new()),
        adopted: RwSignal::new((None, None)),
        pad_for: RwSignal::new(None),
        focus: RwSignal::new(None),
    };
    // Name and email fields start with what the sender entered.
    for f in v.fields.iter().filter(|f| f.mine) {
        let start = match f.field.kind {
            FieldKind::Name => Some(v.recipient_name.clone()),
            FieldKind::Email => Some(v.recipient_email.clone()),
            _ => None,
        };
        if let Some(s) = start {
            fill.values.update(|m| {
                m.insert(f.field.id.clone(), s);
            });
        }
    }
    // The guide goes through the signer's fields in reading order: document, page, top, left.
    let doc_index = |id: &dojang_core::ids::DocumentId| v.documents.iter().position(|d| d.id == *id).unwrap_or(0);
    let mut mine: Vec<SignerField> = v.fields.iter().filter(|f| f.mine).cloned().collect();
    mine.sort_by(|a, b| {
        let key = |f: &SignerField| (doc_index(&f.field.document_id), f.field.page, (f.field.rect.y * 1000.0) as i64, (f.field.rect.x * 1000.0) as i64);
        key(a).cmp(&key(b))
    });
    let mine = StoredValue::new(mine);
    let remaining = move || mine.with_value(|m| m.iter().filter(|f| f.field.required && !fill.is_filled(f)).count());
    let total = mine.with_value(|m| m.iter().filter(|f| f.field.required).count());
    let token = StoredValue::new(token);
    let redirect = StoredValue::new(v.redirect_url.clone());

    let embed_origins = StoredValue::new(v.embed_origins.clone());
    let tell_host = move |kind: &str, data: serde_json::Value| embed_origins.with_value(|a| crate::embed::post(a, kind, data));
    // Count the first real opening (from a browser running the page, not a link preview).
    Effect::new(move |_| {
        tell_host("signing.loaded", serde_json::json!({ "state": format!("{:?}", state.get_untracked()).to_lowercase() }));
        leptos::task::spawn_local(async move {
            let _ = signer_opened(token.get_value()).await;
        });
    });

    let agree = move |_| {
        busy.set(true);
        leptos::task::spawn_local(async move {
            match signer_consent(token.get_value()).await {
                Ok(()) => consented.set(true),
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let next = move |_| {
        let next = mine.with_value(|m| m.iter().find(|f| f.field.required && !fill.is_filled(f)).or_else(|| m.iter().find(|f| !fill.is_filled(f))).cloned());
        if let Some(f) = next {
            fill.focus.set(Some(f.field.id.clone()));
            scroll_to(&f.field.id);
            if matches!(f.field.kind, FieldKind::Signature | FieldKind::Initials) {
                sign_field(fill, &f.field.id, f.field.kind);
            }
        }
    };
    #[cfg_attr(feature = "ssr", allow(unused_variables))]
    let finish = move |_: leptos::ev::MouseEvent| {
        let fields: Vec<FieldInput> = mine.with_value(|m| {
            m.iter()
                .map(|f| FieldInput {
                    field_id: f.field.id.clone(),
                    value: fill.values.with(|v| v.get(&f.field.id).cloned().unwrap_or_default()),
                    signature: fill.uses.with(|u| u.get(&f.field.id).copied()),
                })
                .collect()
        });
        let signatures = fill.signatures.with(|s| s.iter().map(|(i, _)| i.clone()).collect());
        busy.set(true);
        error.set(None);
        let redirect = redirect.get_value();
        leptos::task::spawn_local(async move {
            match signer_submit(token.get_value(), SignSubmission { fields, signatures }).await {
                Ok(out) => {
                    state.set(out.state);
                    tell_host("signing.completed", serde_json::json!({ "state": format!("{:?}", out.state).to_lowercase() }));
                    if embed_origins.with_value(|a| crate::embed::return_to(a)) {
                        return;
                    }
                    if let Some(url) = out.redirect_url.or(redirect) {
                        go_to(&url);
                    }
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let reason = RwSignal::new(String::new());
    let decline = move |e: leptos::ev::SubmitEvent| {
        e.prevent_default();
        busy.set(true);
        leptos::task::spawn_local(async move {
            match signer_decline(token.get_value(), reason.get_untracked()).await {
                Ok(out) => {
                    state.set(out.state);
                    declining.set(false);
                    tell_host("signing.declined", serde_json::json!({ "reason": reason.get_untracked() }));
                }
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let v = StoredValue::new(v);
    let header = v.with_value(|v| {
        view! {
            <header class="sign-head">
                <span class="seal" aria-hidden="true">"印"</span>
                <div>
                    <h1 data-testid=testid::SIGN_ENVELOPE>{v.envelope_name.clone()}</h1>
                    <p class="muted">{format!("{} · {}", v.sender_name, v.organization_name)}</p>
                </div>
            </header>
            {(!v.message.is_empty()).then(|| view! { <p class="message">{v.message.clone()}</p> })}
        }
    });
    view! {
        {header}
        {move || (state.get() != SignerState::Ready).then(|| view! {
            <section class="card closed" data-testid=testid::SIGN_STATE data-state=format!("{:?}", state.get())>
                <p>{state_message(state.get())}</p>
            </section>
        })}
        <Show when=move || state.get() == SignerState::Ready && !consented.get()>
            <section class="card consent" data-testid=testid::CONSENT>
                <h2>{t(k::CONSENT_TITLE)}</h2>
                <p>{v.with_value(|v| v.consent_text.clone())}</p>
                <p class="muted">{t(k::CONSENT_VERSION)}" "{v.with_value(|v| v.consent_version.clone())}</p>
                <button type="button" data-testid=testid::CONSENT_AGREE disabled=move || busy.get() on:click=agree>{t(k::CONSENT_AGREE)}</button>
                <button type="button" class="secondary" on:click=move |_| declining.set(true)>{t(k::SIGN_DECLINE)}</button>
            </section>
        </Show>
        <Show when=move || state.get() == SignerState::Ready && consented.get()>
            <div class="sign-bar" data-testid=testid::SIGN_BAR>
                <span class="count" data-testid=testid::SIGN_REMAINING data-remaining=move || remaining().to_string()>
                    {move || format!("{}/{} {}", total - remaining(), total, t(k::SIGN_FIELDS_DONE))}
                </span>
                <button type="button" class="secondary" data-testid=testid::SIGN_NEXT on:click=next>{t(k::SIGN_NEXT)}</button>
                <button type="button" data-testid=testid::SIGN_FINISH disabled=move || { remaining() > 0 || busy.get() } on:click=finish>{t(k::SIGN_FINISH)}</button>
                <button type="button" class="ghost" data-testid=testid::SIGN_DECLINE on:click=move |_| declining.set(true)>{t(k::SIGN_DECLINE)}</button>
            </div>
        </Show>
        {move || error.get().map(|e| view! { <div class="alert" role="alert" data-testid=testid::FORM_ERROR data-code=e.code.as_str()>{error_text(&e)}</div> })}
        <Show when=move || declining.get()>
            <form class="card decline" data-testid=testid::DECLINE_FORM on:submit=decline>
                <label>{t(k::DECLINE_REASON)}
                    <textarea rows="3" required=true data-testid=testid::DECLINE_REASON prop:value=reason on:input=move |e| reason.set(event_target_value(&e))></textarea>
                </label>
                <button type="submit" class="danger" data-testid=testid::DECLINE_SUBMIT disabled=move || busy.get()>{t(k::DECLINE_SUBMIT)}</button>
                <button type="button" class="ghost" on:click=move |_| declining.set(false)>{t(k::PAD_CANCEL)}</button>
            </form>
        </Show>
        <div class="sign-pages" class:locked=move || !(state.get() == SignerState::Ready && consented.get())>
            {v.with_value(|v| v.documents.iter().map(|doc| {
                let fields: Vec<SignerField> = v.fields.iter().filter(|f| f.field.document_id == doc.id).cloned().collect();
                doc.pages.iter().map(|p| {
                    let src = format!("/_app/sign/{}/documents/{}/pages/{}?size=page", token.get_value(), doc.id, p.index);
                    let on_page: Vec<SignerField> = fields.iter().filter(|f| f.field.page == p.index).cloned().collect();
                    let today = v.today.clone();
                    view! {
                        <div class="page sign-page" style=format!("aspect-ratio: 1 / {:.6}", p.aspect()) data-page=p.index.to_string()>
                            <img src=src alt="" loading="lazy" draggable="false"/>
                            {on_page.into_iter().map(|f| view! { <SignField f today=today.clone() fill/> }).collect_view()}
                        </div>
                    }
                }).collect_view()
            }).collect_view())}
        </div>
        {move || fill.pad_for.get().map(|(field, kind)| {
            let name = v.with_value(|v| v.recipient_name.clone());
            let adopt = Callback::new(move |(input, png): (SignatureInput, String)| {
                let idx = fill.signatures.with_untracked(|s| s.len());
                fill.signatures.update(|s| s.push((input, png)));
                fill.adopted.update(|a| if kind == FieldKind::Initials { a.1 = Some(idx) } else { a.0 = Some(idx) });
                fill.uses.update(|u| { u.insert(field.clone(), idx); });
                fill.pad_for.set(None);
            });
            view! { <SignaturePad purpose=kind signer_name=name on_adopt=adopt on_close=Callback::new(move |_| fill.pad_for.set(None))/> }
        })}
    }
}

/// Opens the pad for a signature field, or reuses the signature already adopted.
fn sign_field(fill: Fill, id: &FieldId, kind: FieldKind) {
    let adopted = fill.adopted.with_untracked(|a| if kind == FieldKind::Initials { a.1 } else { a.0 });
    match adopted {
        Some(i) if !fill.uses.with_untracked(|u| u.contains_key(id)) => fill.uses.update(|u| {
            u.insert(id.clone(), i);
        }),
        _ => fill.pad_for.set(Some((id.clone(), kind))),
    }
}

#[component]
fn SignField(f: SignerField, today: String, fill: Fill) -> impl IntoView {
    let r = f.field.rect;
    let style = format!("left:{:.4}%;top:{:.4}%;width:{:.4}%;height:{:.4}%", r.x * 100.0, r.y * 100.0, r.width * 100.0, r.height * 100.0);
    let id = f.field.id.clone();
    let kind = f.field.kind;
    if !f.mine {
        return view! {
            <div class="sfield other" style=style data-testid=testid::SIGN_OTHER_FIELD>
                {f.value.clone().filter(|v| !v.is_empty()).map(|v| view! { <span class="value">{v}</span> })}
            </div>
        }
        .into_any();
    }
    let filled = {
        let f = f.clone();
        move || fill.is_filled(&f)
    };
    let focus_id = id.clone();
    let focused = move || fill.focus.with(|x| x.as_ref() == Some(&focus_id));
    let placeholder = if f.field.label.is_empty() { f.field.placeholder.clone() } else { f.field.label.clone() };
    let body = match kind {
        FieldKind::Signature | FieldKind::Initials => {
            let (id1, id2) = (id.clone(), id.clone());
            let image = move || fill.uses.with(|u| u.get(&id1).copied()).and_then(|i| fill.signatures.with(|s| s.get(i).map(|x| x.1.clone())));
            view! {
                <button type="button" class="sig-button" data-testid=testid::SIGN_SIGNATURE_FIELD on:click=move |_| sign_field(fill, &id2, kind)>
                    {move || match image() {
                        Some(src) => view! { <img src=src alt=""/> }.into_any(),
                        None => view! { <span>{if kind == FieldKind::Initials { t(k::SIGN_TAP_INITIALS) } else { t(k::SIGN_TAP_SIGN) }}</span> }.into_any(),
                    }}
                </button>
            }
            .into_any()
        }
        FieldKind::Date => {
            let fmt = f.field.format.clone().unwrap_or_else(|| "YYYY-MM-DD".into());
            view! { <span class="value date">{dojang_core::model::format_date_preview(&today, &fmt)}</span> }.into_any()
        }
        FieldKind::Checkbox => {
            let (id1, id2) = (id.clone(), id.clone());
            let checked = move || fill.values.with(|v| v.get(&id1).is_some_and(|x| x == "true"));
            view! {
                <input type="checkbox" data-testid=testid::SIGN_INPUT prop:checked=checked
                    on:change=move |e| { let c = event_target_checked(&e); fill.values.update(|v| { v.insert(id2.clone(), c.to_string()); }); }/>
            }
            .into_any()
        }
        FieldKind::Radio | FieldKind::Select => {
            let (id1, id2) = (id.clone(), id.clone());
            let current = move || fill.values.with(|v| v.get(&id1).cloned().unwrap_or_default());
            view! {
                <select data-testid=testid::SIGN_INPUT prop:value=current
                    on:change=move |e| { let x = event_target_value(&e); fill.values.update(|v| { v.insert(id2.clone(), x); }); }>
                    <option value="">{placeholder.clone()}</option>
                    {f.field.options.iter().map(|o| view! { <option value=o.clone()>{o.clone()}</option> }).collect_view()}
                </select>
            }
            .into_any()
        }
        _ => {
            let (id1, id2) = (id.clone(), id.clone());
            let value = move || fill.values.with(|v| v.get(&id1).cloned().unwrap_or_default());
            let input_type = match kind {
                FieldKind::Email => "email",
                FieldKind::Number => "text",
                _ => "text",
            };
            let mode = if kind == FieldKind::Number { "decimal" } else { "text" };
            view! {
                <input type=input_type inputmode=mode data-testid=testid::SIGN_INPUT placeholder=placeholder prop:value=value
                    on:input=move |e| { let x = event_target_value(&e); fill.values.update(|v| { v.insert(id2.clone(), x); }); }/>
            }
            .into_any()
        }
    };
    view! {
        <div class="sfield mine" class:filled=filled class:focused=focused class:required=f.field.required style=style
            id=format!("field-{}", id) data-testid=testid::SIGN_FIELD data-kind=kind.as_str() data-field-id=id.to_string()>
            {body}
        </div>
    }
    .into_any()
}

fn scroll_to(id: &FieldId) {
    #[cfg(feature = "hydrate")]
    if let Some(el) = document().get_element_by_id(&format!("field-{id}")) {
        let opts = web_sys::ScrollIntoViewOptions::new();
        opts.set_behavior(web_sys::ScrollBehavior::Smooth);
        opts.set_block(web_sys::ScrollLogicalPosition::Center);
        el.scroll_into_view_with_scroll_into_view_options(&opts);
        if let Ok(Some(input)) = el.query_selector("input, select") {
            use wasm_bindgen::JsCast;
            if let Ok(h) = input.dyn_into::<web_sys::HtmlElement>() {
                let _ = h.focus();
            }
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = id;
}

fn go_to(url: &str) {
    #[cfg(feature = "hydrate")]
    {
        let _ = window().location().set_href(url);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = url;
}
