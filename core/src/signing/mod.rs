//! Signing by link: who a link belongs to and where they stand (`link`), what they submit
//! (`submission`), and each of their steps (`signer`). The changes those steps make are the
//! envelope's transitions (`envelope::transition`), each guarded in one transaction, so
//! signing twice, out of turn, after cancel or expiry, or from two tabs at once ends in a
//! clear error and never in a half-changed envelope.

pub mod link;
pub mod signer;
pub mod submission;

use crate::model::Language;

/// Version of the electronic-signature disclosure (`consent_text` in the locale files);
/// recorded with each consent. A new wording is a new version.
pub const CONSENT_VERSION: &str = "2026-11-23";

/// The disclosure a signer agrees to (`consent_text` in the locale files).
pub fn consent_text(lang: Language) -> &'static str {
    crate::i18n::text(crate::i18n::k::CONSENT_TEXT, lang)
}

/// "Today" in an IANA time zone, as YYYY-MM-DD (UTC when the zone is unknown).
pub fn today_in(tz: &str) -> String {
    let now = jiff::Timestamp::now();
    let zoned = jiff::tz::TimeZone::get(tz).map(|z| now.to_zoned(z)).unwrap_or_else(|_| now.to_zoned(jiff::tz::TimeZone::UTC));
    zoned.strftime("%Y-%m-%d").to_string()
}

pub use crate::model::format_date_preview as format_date;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_follow_the_field_format() {
        assert_eq!(format_date("2026-11-23", "YYYY-MM-DD"), "2026-11-23");
        assert_eq!(format_date("2026-11-23", "YYYY년 MM월 DD일"), "2026년 11월 23일");
        assert_eq!(format_date("2026-11-23", "MM/DD/YYYY"), "11/23/2026");
        assert_eq!(format_date("2026-11-23", "YYYY. MM. DD."), "2026. 11. 23.");
    }

    #[test]
    fn the_disclosure_changes_only_with_its_version() {
        use sha2::Digest as _;
        // A new wording in the locale files is a new disclosure: give it a new CONSENT_VERSION
        // and record its hash here.
        let both = format!("{}\n{}", consent_text(Language::Ko), consent_text(Language::En));
        let digest = hex::encode(sha2::Sha256::digest(both.as_bytes()));
        assert_eq!((CONSENT_VERSION, digest.as_str()), ("2026-11-23", "ae2a52706bf438a7d371cb29c710ae75918aa3712794ebb86f4281ff2898df2f"));
    }

    #[test]
    fn today_is_a_date_in_the_zone() {
        let t = today_in("Asia/Seoul");
        assert_eq!(t.len(), 10);
        assert_eq!(today_in("Not/AZone").len(), 10);
    }
}
