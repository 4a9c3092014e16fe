//! Every text a person reads — pages, emails, the consent, the audit trail — in English and
//! Korean, from `core/locales/{en,ko}.toml` (made into tables by `build.rs`, which fails on a
//! key missing from a language). Shared by the server and the browser.
//!
//! A text with values names them in braces (`{envelope}`); `fill` puts them in.

use crate::model::Language;

include!(concat!(env!("OUT_DIR"), "/i18n.rs"));

/// A text's key (one constant per key in `k`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Key(usize);

impl Key {
    pub fn text(self, lang: Language) -> &'static str {
        match lang {
            Language::En => EN[self.0],
            Language::Ko => KO[self.0],
        }
    }

    /// The key as written in the locale files (`error.not_found`).
    pub fn name(self) -> &'static str {
        NAMES[self.0]
    }

    pub fn by_name(name: &str) -> Option<Self> {
        key_by_name(name)
    }

    /// Every key, in the files' (alphabetical) order.
    pub fn all() -> impl Iterator<Item = Self> {
        (0..NAMES.len()).map(Key)
    }
}

/// The text of `key` in `lang`.
pub fn text(key: Key, lang: Language) -> &'static str {
    key.text(lang)
}

/// `text` with each `{name}` replaced by its value. One pass: what a value holds is never read
/// as a placeholder (a contract named "{envelope}" keeps its name). A placeholder without a
/// value, and any other brace, stays as it is.
pub fn fill(text: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(text.len() + values.iter().map(|(_, v)| v.len()).sum::<usize>());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}').map(|close| (&after[..close], close)).filter(|(name, _)| is_placeholder(name)) {
            Some((name, close)) => {
                match values.iter().find(|(n, _)| *n == name) {
                    Some((_, value)) => out.push_str(value),
                    None => out.push_str(&rest[open..open + close + 2]),
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The text of `key` in `lang` with its values filled in.
pub fn filled(key: Key, lang: Language, values: &[(&str, &str)]) -> String {
    fill(key.text(lang), values)
}

fn is_placeholder(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// The placeholders a text names, each once, in order of their first use.
pub fn placeholders(text: &str) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}').map(|close| (&after[..close], close)).filter(|(name, _)| is_placeholder(name)) {
            Some((name, close)) => {
                if !out.contains(&name) {
                    out.push(name);
                }
                rest = &after[close + 1..];
            }
            None => rest = after,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_puts_each_value_in_once() {
        assert_eq!(fill("{name}, sign “{envelope}”.", &[("name", "Kim"), ("envelope", "NDA")]), "Kim, sign “NDA”.");
        assert_eq!(fill("{a}{a}", &[("a", "x")]), "xx", "every use of a placeholder");
        assert_eq!(fill("{envelope}", &[("envelope", "{name}"), ("name", "Kim")]), "{name}", "values are not read for placeholders");
        assert_eq!(fill("{missing} {}", &[]), "{missing} {}", "what has no value stays");
        assert_eq!(fill("{ x } {Name} {", &[("x", "1")]), "{ x } {Name} {", "only {{snake_case}} is a placeholder");
        assert_eq!(fill("서명 기한: {expires} (UTC)", &[("expires", "2026-12-01 09:00")]), "서명 기한: 2026-12-01 09:00 (UTC)");
        assert_eq!(filled(k::MAIL_DECLINED_SUBJECT, Language::Ko, &[("envelope", "근로계약서")]), "[서명 거절] 근로계약서");
    }

    #[test]
    fn both_languages_name_the_same_placeholders() {
        let mut seen = 0;
        for key in Key::all() {
            let mut en = placeholders(key.text(Language::En));
            let mut ko = placeholders(key.text(Language::Ko));
            seen += en.len();
            en.sort_unstable();
            ko.sort_unstable();
            assert_eq!(en, ko, "{}: English and Korean name different placeholders", key.name());
        }
        assert!(seen > 0, "some texts take values");
        assert_eq!(placeholders("{a} {b} {a} {B} {}"), ["a", "b"]);
    }

    #[test]
    fn every_key_has_a_text_in_both_languages() {
        assert_eq!(EN.len(), KO.len());
        assert!(Key::all().all(|key| !key.text(Language::En).is_empty() && !key.text(Language::Ko).is_empty()));
        assert_eq!(text(k::APP_NAME, Language::Ko), "도장");
        assert_eq!(Key::by_name("app_name"), Some(k::APP_NAME));
        assert_eq!(k::APP_NAME.name(), "app_name");
        assert_eq!(both::APP_NAME, "Dojang · 도장");
        assert_eq!(both::TEST_NOTICE, "TEST — not legally binding · 테스트 — 법적 효력 없음", "as sealed pages have always said");
    }
}
