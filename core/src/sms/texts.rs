//! What the SMS say, from the locale files (`sms_*`), kept short: one link, the sender's
//! name and the contract's, cut to fit.

use crate::i18n::{filled, k};
use crate::model::Language;

/// Longest text sent (an LMS; a Korean SMS of 90 bytes would cut the link).
pub const MAX_CHARS: usize = 500;

/// Shortens a name that would make the message long.
fn short(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        format!("{}…", s.chars().take(max - 1).collect::<String>())
    }
}

/// An invitation or a reminder with its link.
pub fn invitation(lang: Language, sender: &str, envelope: &str, link: &str, reminder: bool) -> String {
    let s = filled(
        if reminder { k::SMS_REMINDER } else { k::SMS_INVITATION },
        lang,
        &[("sender", &short(sender, 40)), ("envelope", &short(envelope, 60)), ("link", link)],
    );
    s.chars().take(MAX_CHARS).collect()
}

/// A one-time code.
pub fn code(lang: Language, envelope: &str, code: &str) -> String {
    filled(k::SMS_CODE, lang, &[("envelope", &short(envelope, 40)), ("code", code)])
}

/// The contract is complete: the link to the signer's copy.
pub fn completed(lang: Language, envelope: &str, link: &str) -> String {
    filled(k::SMS_COMPLETED, lang, &[("envelope", &short(envelope, 60)), ("link", link)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn korean_texts_carry_the_link_and_code() {
        let s = invitation(Language::Ko, "김철수", "근로계약서", "https://x/sign/abc", false);
        assert!(s.contains("김철수") && s.contains("근로계약서") && s.contains("https://x/sign/abc"), "{s}");
        let long = invitation(Language::En, &"A".repeat(300), &"B".repeat(300), "https://x/sign/abc", true);
        assert!(long.contains("https://x/sign/abc") && long.chars().count() < 250, "{long}");
        let c = code(Language::Ko, "근로계약서", "123456");
        assert!(c.contains("123456") && c.contains("근로계약서"), "{c}");
    }
}
