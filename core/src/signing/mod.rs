//! Signing by link: who a link belongs to and where they stand (`link`), what they submit
//! (`submission`), and each of their steps (`signer`). The changes those steps make are the
//! envelope's transitions (`envelope::transition`), each guarded in one transaction, so
//! signing twice, out of turn, after cancel or expiry, or from two tabs at once ends in a
//! clear error and never in a half-changed envelope.

pub mod link;
pub mod signer;
pub mod submission;

use crate::model::Language;

/// Version of the electronic-signature disclosure; recorded with each consent.
pub const CONSENT_VERSION: &str = "2026-11-23";

pub fn consent_text(lang: Language) -> &'static str {
    match lang {
        Language::Ko => "전자서명 동의: 본인은 이 문서에 전자적으로 서명하는 데 동의하며, 전자서명이 자필 서명과 같은 효력을 가질 수 있음을 이해합니다. \
            서명 과정에서 IP 주소, 기기 정보, 시각이 감사 기록으로 남습니다. 종이 문서를 원하시면 보낸 사람에게 요청할 수 있고, 서명 전에는 언제든 거절할 수 있습니다.",
        Language::En => "Consent to sign electronically: I agree to sign this document electronically and understand that my electronic signature \
            can be as binding as a handwritten one. The signing process records my IP address, device and times in an audit trail. \
            I may ask the sender for a paper copy, and I may decline at any time before signing.",
    }
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
    fn today_is_a_date_in_the_zone() {
        let t = today_in("Asia/Seoul");
        assert_eq!(t.len(), 10);
        assert_eq!(today_in("Not/AZone").len(), 10);
    }
}
