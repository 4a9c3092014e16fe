//! The send form's settings per recipient: language, the checks before signing (any of email
//! code, SMS code, access code, phone number and birth date), phone and channel. Secrets (an
//! access code, a birth date) are written once and never shown back.

use crate::i18n::{k, t};
use crate::testid;
use dojang_core::ids::RecipientId;
use dojang_core::model::{AuthMethod, Channel, Language, RecipientIdentity, RecipientProgress};
use leptos::prelude::*;

/// What the form holds for each recipient.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub id: RecipientId,
    pub language: Language,
    pub identity: RecipientIdentity,
}

impl Settings {
    pub fn of(r: &RecipientProgress) -> Self {
        Self {
            id: r.id.clone(),
            language: r.language,
            identity: RecipientIdentity { methods: r.auth_method.clone(), phone: r.phone.clone(), channel: r.channel, access_code: None, birth_date: None },
        }
    }
}

fn method_label(m: AuthMethod) -> &'static str {
    match m {
        AuthMethod::EmailCode => t(k::IDENTITY_EMAIL_CODE),
        AuthMethod::SmsCode => t(k::IDENTITY_SMS_CODE),
        AuthMethod::AccessCode => t(k::IDENTITY_ACCESS_CODE),
        AuthMethod::Knowledge => t(k::IDENTITY_KNOWLEDGE),
    }
}

#[component]
pub fn RecipientSettings(recipients: Vec<RecipientProgress>, settings: RwSignal<Vec<Settings>>) -> impl IntoView {
    let edit = move |id: RecipientId, f: Box<dyn Fn(&mut Settings)>| settings.update(|all| all.iter_mut().filter(|s| s.id == id).for_each(|s| f(s)));
    recipients
        .into_iter()
        .map(|r| {
            let id = r.id.clone();
            let (i1, i2, i3, i4, i5) = (id.clone(), id.clone(), id.clone(), id.clone(), id.clone());
            let checks = AuthMethod::ALL
                .into_iter()
                .map(|m| {
                    let id = id.clone();
                    let on = r.auth_method.contains(&m);
                    view! {
                        <label class="check">
                            <input type="checkbox" checked=on data-testid=testid::SEND_AUTH data-method=m.as_str() on:change=move |e| {
                                let checked = event_target_checked(&e);
                                edit(id.clone(), Box::new(move |s| {
                                    s.identity.methods.retain(|x| *x != m);
                                    if checked {
                                        s.identity.methods.push(m);
                                    }
                                }));
                            }/>
                            {method_label(m)}
                        </label>
                    }
                })
                .collect_view();
            view! {
                <fieldset class="recipient-settings" data-testid=testid::SEND_RECIPIENT data-email=r.email.clone()>
                    <legend>{r.name.clone()}" "<span class="muted">{r.email.clone()}</span></legend>
                    <div class="inline">
                        <label>{t(k::SEND_LANGUAGE)}
                            <select prop:value=r.language.as_str() data-testid=testid::SEND_LANGUAGE on:change=move |e| {
                                let l = Language::parse(&event_target_value(&e)).unwrap_or_default();
                                edit(i1.clone(), Box::new(move |s| s.language = l));
                            }>
                                <option value="ko">"한국어"</option>
                                <option value="en">"English"</option>
                            </select>
                        </label>
                        <label>{t(k::SEND_CHANNEL)}
                            <select prop:value=r.channel.as_str() data-testid=testid::SEND_CHANNEL on:change=move |e| {
                                let c = Channel::parse(&event_target_value(&e)).unwrap_or_default();
                                edit(i2.clone(), Box::new(move |s| s.identity.channel = c));
                            }>
                                <option value="email">{t(k::SEND_CHANNEL_EMAIL)}</option>
                                <option value="sms">{t(k::SEND_CHANNEL_SMS)}</option>
                                <option value="both">{t(k::SEND_CHANNEL_BOTH)}</option>
                            </select>
                        </label>
                        <label>{t(k::IDENTITY_PHONE)}
                            <input type="tel" inputmode="tel" placeholder="010-1234-5678" prop:value=r.phone.clone().unwrap_or_default() data-testid=testid::SEND_PHONE
                                on:input=move |e| { let v = event_target_value(&e); edit(i3.clone(), Box::new(move |s| s.identity.phone = Some(v.clone()).filter(|v| !v.trim().is_empty()))); }/>
                        </label>
                    </div>
                    <p class="muted">{t(k::SEND_CHECKS)}</p>
                    <div class="inline">{checks}</div>
                    <div class="inline">
                        <label>{t(k::SEND_ACCESS_CODE)}
                            <input type="text" autocomplete="off" data-testid=testid::SEND_ACCESS_CODE
                                on:input=move |e| { let v = event_target_value(&e); edit(i4.clone(), Box::new(move |s| s.identity.access_code = Some(v.clone()))); }/>
                        </label>
                        <label>{t(k::SEND_BIRTH_DATE)}
                            <input type="text" inputmode="numeric" placeholder="1990-05-17" data-testid=testid::SEND_BIRTH_DATE
                                on:input=move |e| { let v = event_target_value(&e); edit(i5.clone(), Box::new(move |s| s.identity.birth_date = Some(v.clone()))); }/>
                        </label>
                    </div>
                </fieldset>
            }
        })
        .collect_view()
}
