//! Korean and English in the app. The language comes from the `dojang_lang` cookie, else the
//! browser's Accept-Language, else English; the server writes it into `<html lang>` and the
//! browser reads it back from there when it hydrates, so both render the same words. The texts
//! themselves live in `dojang_core::i18n` (`core/locales`), shared with emails and PDFs.

use dojang_core::error::AppError;
use dojang_core::model::Language;
use leptos::prelude::*;

pub use dojang_core::i18n::{fill, k, Key};

pub const LANG_COOKIE: &str = "dojang_lang";

/// The language of the interface (English unless the visitor asks for Korean).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lang {
    #[default]
    En,
    Ko,
}

impl From<Lang> for Language {
    fn from(lang: Lang) -> Self {
        match lang {
            Lang::En => Language::En,
            Lang::Ko => Language::Ko,
        }
    }
}

impl From<Language> for Lang {
    fn from(lang: Language) -> Self {
        match lang {
            Language::En => Lang::En,
            Language::Ko => Lang::Ko,
        }
    }
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ko => "ko",
        }
    }

    pub fn from_code(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().get(..2) {
            Some("ko") => Some(Lang::Ko),
            Some("en") => Some(Lang::En),
            _ => None,
        }
    }

    /// The first supported language of an Accept-Language header, by quality.
    pub fn from_accept_language(header: &str) -> Option<Self> {
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',') {
            let mut it = part.split(';');
            let tag = it.next().unwrap_or("").trim();
            let q = it.find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse::<f32>().ok())).unwrap_or(1.0);
            if let Some(lang) = Lang::from_code(tag) {
                if best.is_none_or(|(bq, _)| q > bq) {
                    best = Some((q, lang));
                }
            }
        }
        best.map(|(_, l)| l)
    }

    /// The language of this render: request headers on the server, `<html lang>` in the browser.
    pub fn detect() -> Self {
        #[cfg(feature = "ssr")]
        {
            use_context::<http::request::Parts>().map(|p| Self::from_headers(&p.headers)).unwrap_or_default()
        }
        #[cfg(not(feature = "ssr"))]
        {
            document().document_element().map(|e| e.get_attribute("lang").unwrap_or_default()).and_then(|l| Lang::from_code(&l)).unwrap_or_default()
        }
    }

    #[cfg(feature = "ssr")]
    pub fn from_headers(headers: &http::HeaderMap) -> Self {
        let cookie = headers
            .get_all(http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .find_map(|c| c.trim().strip_prefix(LANG_COOKIE).and_then(|r| r.strip_prefix('=')))
            .and_then(Lang::from_code);
        cookie.or_else(|| headers.get(http::header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).and_then(Lang::from_accept_language)).unwrap_or_default()
    }
}

/// The current language (provided once by `App`).
pub fn lang() -> Lang {
    use_context::<Lang>().unwrap_or_default()
}

/// The text of `key` in the current language.
pub fn t(key: Key) -> &'static str {
    key.text(lang().into())
}

/// The text of a key given by name (empty when there is no such key).
pub fn text_by_name(name: &str) -> &'static str {
    Key::by_name(name).map(t).unwrap_or("")
}

/// Every text whose key `wanted` accepts, by key, in the current language (for a page whose
/// script shows texts after the page was rendered).
pub fn texts_where(wanted: impl Fn(&str) -> bool) -> std::collections::BTreeMap<String, String> {
    Key::all().filter(|key| wanted(key.name())).map(|key| (key.name().to_owned(), t(key).to_owned())).collect()
}

/// A user-facing message for an error: its code's translation, else the server's message.
pub fn error_text(err: &AppError) -> String {
    let name = format!("error.{}", err.code.as_str().to_ascii_lowercase());
    match Key::by_name(&name) {
        Some(key) => t(key).to_owned(),
        None if err.code.status() >= 500 => t(k::ERROR_GENERIC).to_owned(),
        None => err.message.clone(),
    }
}

/// The name of an envelope status in the current language.
pub fn status_text(status: dojang_core::model::EnvelopeStatus) -> &'static str {
    Key::by_name(&format!("status.{}", status.as_str())).map(t).unwrap_or("")
}

/// The message for one rejected form field, translated by its field code when we can.
pub fn field_error_text(err: &AppError, field: &str) -> Option<String> {
    let fe = err.fields.iter().find(|f| f.field == field)?;
    Some(match (lang(), Key::by_name(&format!("field.{}", fe.code))) {
        (Lang::En, _) | (_, None) => fe.message.clone(),
        (_, Some(key)) => t(key).to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_best_supported() {
        assert_eq!(Lang::from_accept_language("ko-KR,ko;q=0.9,en-US;q=0.8"), Some(Lang::Ko));
        assert_eq!(Lang::from_accept_language("fr-FR,en;q=0.5,ko;q=0.7"), Some(Lang::Ko));
        assert_eq!(Lang::from_accept_language("en-US,en;q=0.9"), Some(Lang::En));
        assert_eq!(Lang::from_accept_language("fr, de"), None);
    }

    #[test]
    fn the_interface_language_is_a_language_of_texts() {
        assert_eq!(k::APP_NAME.text(Lang::Ko.into()), "도장");
        assert_eq!(Lang::from(Language::En), Lang::En);
        assert_eq!(Language::from(Lang::Ko), Language::Ko);
    }
}
