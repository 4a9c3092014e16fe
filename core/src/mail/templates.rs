//! Emails in Korean and English: an HTML version and a plain-text version of each, their
//! words from the locale files (`mail_*` keys). Everything interpolated into HTML is escaped.

use crate::i18n::{self, filled, k};
use crate::model::Language;

pub struct Rendered {
    pub subject: String,
    pub html: String,
    pub text: String,
}

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The shared frame: a heading, paragraphs, an optional button, a footer.
fn layout(lang: Language, heading: &str, paragraphs: &[String], button: Option<(&str, &str)>) -> (String, String) {
    let footer = i18n::text(k::MAIL_FOOTER, lang);
    let mut html = format!(
        "<!DOCTYPE html><html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"></head>\
         <body style=\"margin:0;padding:24px;background:#faf8f6;font-family:'Apple SD Gothic Neo','Malgun Gothic','Noto Sans KR',Arial,sans-serif;color:#1d1b1a\">\
         <div style=\"max-width:560px;margin:0 auto;background:#fff;border:1px solid #e4dfdb;border-radius:10px;padding:24px\">\
         <h1 style=\"font-size:20px;margin:0 0 16px\">{}</h1>",
        lang.as_str(),
        escape(heading)
    );
    let mut text = format!("{heading}\n\n");
    for p in paragraphs {
        html.push_str(&format!("<p style=\"line-height:1.6;white-space:pre-line\">{}</p>", escape(p)));
        text.push_str(p);
        text.push_str("\n\n");
    }
    if let Some((label, url)) = button {
        html.push_str(&format!(
            "<p style=\"margin:24px 0\"><a href=\"{}\" style=\"background:#c0392b;color:#fff;padding:12px 20px;border-radius:8px;text-decoration:none;font-weight:bold;display:inline-block\">{}</a></p>\
             <p style=\"font-size:12px;color:#6b6561;word-break:break-all\">{}</p>",
            escape(url),
            escape(label),
            escape(url)
        ));
        text.push_str(&format!("{label}: {url}\n\n"));
    }
    html.push_str(&format!("<p style=\"font-size:12px;color:#6b6561;margin-top:24px\">{}</p></div></body></html>", escape(footer)));
    text.push_str("-- \n");
    text.push_str(footer);
    text.push('\n');
    (html, text)
}

/// A one-time code for the signing page's email check.
pub fn code(lang: Language, recipient: &str, envelope: &str, code: &str) -> Rendered {
    let values = [("recipient", recipient), ("envelope", envelope), ("code", code)];
    let subject = filled(k::MAIL_CODE_SUBJECT, lang, &values);
    let heading = filled(k::MAIL_CODE_HEADING, lang, &values);
    let paragraphs = [filled(k::MAIL_CODE_LEAD, lang, &values), code.to_owned(), filled(k::MAIL_CODE_NOTE, lang, &values)];
    let (html, text) = layout(lang, &heading, &paragraphs, None);
    Rendered { subject, html, text }
}

pub struct Invite<'a> {
    pub lang: Language,
    pub recipient_name: &'a str,
    pub sender_name: &'a str,
    pub organization_name: &'a str,
    pub envelope_name: &'a str,
    pub message: &'a str,
    pub link: &'a str,
    pub expires_at: Option<&'a str>,
    pub reminder: bool,
}

pub fn invite(m: &Invite<'_>) -> Rendered {
    let lang = m.lang;
    let values = [("recipient", m.recipient_name), ("sender", m.sender_name), ("organization", m.organization_name), ("envelope", m.envelope_name)];
    let subject = filled(if m.reminder { k::MAIL_REMINDER_SUBJECT } else { k::MAIL_INVITE_SUBJECT }, lang, &values);
    let heading = filled(k::MAIL_INVITE_HEADING, lang, &values);
    let mut paragraphs = vec![filled(k::MAIL_INVITE_LEAD, lang, &values)];
    if !m.message.trim().is_empty() {
        paragraphs.push(m.message.trim().to_owned());
    }
    paragraphs.extend(m.expires_at.map(|e| filled(k::MAIL_INVITE_EXPIRY, lang, &[("expires", e)])));
    let (html, text) = layout(lang, &heading, &paragraphs, Some((i18n::text(k::MAIL_INVITE_BUTTON, lang), m.link)));
    Rendered { subject, html, text }
}

pub fn cancelled(lang: Language, recipient_name: &str, envelope_name: &str, organization_name: &str, reason: &str) -> Rendered {
    let values = [("recipient", recipient_name), ("envelope", envelope_name), ("organization", organization_name)];
    let subject = filled(k::MAIL_CANCELLED_SUBJECT, lang, &values);
    let heading = filled(k::MAIL_CANCELLED_HEADING, lang, &values);
    let mut p = vec![filled(k::MAIL_CANCELLED_LEAD, lang, &values)];
    if !reason.trim().is_empty() {
        p.push(filled(k::MAIL_REASON, lang, &[("reason", reason.trim())]));
    }
    let (html, text) = layout(lang, &heading, &p, None);
    Rendered { subject, html, text }
}

pub fn declined(lang: Language, sender_name: &str, envelope_name: &str, signer: &str, reason: &str, link: &str) -> Rendered {
    let values = [("sender", sender_name), ("envelope", envelope_name), ("signer", signer)];
    let subject = filled(k::MAIL_DECLINED_SUBJECT, lang, &values);
    let heading = filled(k::MAIL_DECLINED_HEADING, lang, &values);
    let paragraphs = [filled(k::MAIL_DECLINED_LEAD, lang, &values), filled(k::MAIL_REASON, lang, &[("reason", reason)])];
    let (html, text) = layout(lang, &heading, &paragraphs, Some((i18n::text(k::MAIL_DECLINED_BUTTON, lang), link)));
    Rendered { subject, html, text }
}

/// To everyone when an envelope is sealed: the documents are attached, or behind `link`
/// (a URL and how many days it works).
/// How the completion mail hands over the sealed documents.
pub enum Handover<'a> {
    Attached,
    /// A download link working for that many days.
    Link(&'a str, i64),
    /// A download link that asks for the recipient's checks first.
    CheckedLink(&'a str, i64),
}

pub fn completed(lang: Language, name: &str, envelope_name: &str, organization_name: &str, handover: Handover<'_>) -> Rendered {
    let values = [("name", name), ("envelope", envelope_name), ("organization", organization_name)];
    let subject = filled(k::MAIL_COMPLETED_SUBJECT, lang, &values);
    let heading = filled(k::MAIL_COMPLETED_HEADING, lang, &values);
    let lead = filled(k::MAIL_COMPLETED_LEAD, lang, &values);
    let (html, text) = match handover {
        Handover::Link(url, days) | Handover::CheckedLink(url, days) => {
            let mut notes = vec![lead, filled(k::MAIL_COMPLETED_LINK_DAYS, lang, &[("days", &days.to_string())])];
            if matches!(handover, Handover::CheckedLink(..)) {
                notes.push(i18n::text(k::MAIL_COMPLETED_VERIFY, lang).to_owned());
            }
            layout(lang, &heading, &notes, Some((i18n::text(k::MAIL_COMPLETED_BUTTON, lang), url)))
        }
        Handover::Attached => layout(lang, &heading, &[lead, i18n::text(k::MAIL_COMPLETED_ATTACHED, lang).to_owned()], None),
    };
    Rendered { subject, html, text }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invitations_escape_what_users_typed_and_speak_both_languages() {
        let m = Invite {
            lang: Language::Ko,
            recipient_name: "김철수",
            sender_name: "<b>Kim</b>",
            organization_name: "도장 주식회사",
            envelope_name: "근로계약서",
            message: "잘 부탁드립니다 & 감사합니다",
            link: "https://sign.example.com/sign/abc",
            expires_at: None,
            reminder: false,
        };
        let r = invite(&m);
        assert!(r.subject.contains("근로계약서"));
        assert!(r.html.contains("&lt;b&gt;Kim&lt;/b&gt;"), "user text is escaped");
        assert!(!r.html.contains("<b>Kim"));
        assert!(r.text.contains("https://sign.example.com/sign/abc"));
        assert!(r.html.contains("잘 부탁드립니다 &amp; 감사합니다"));
        let en = invite(&Invite { lang: Language::En, reminder: true, ..m });
        assert!(en.subject.starts_with("Reminder: Signature requested"));
        assert!(en.html.contains("Review and sign"));
    }

    /// The words of every email, in both languages, as they were written before they moved to
    /// the locale files.
    #[test]
    fn every_email_reads_as_written() {
        let footer_ko = "-- \n이 메일은 도장(Dojang) 전자계약 서비스에서 보냈습니다.\n";
        let footer_en = "-- \nSent by Dojang, the e-contract service.\n";
        let m = Invite {
            lang: Language::Ko,
            recipient_name: "김철수",
            sender_name: "이영희",
            organization_name: "도장 주식회사",
            envelope_name: "근로계약서",
            message: " 잘 부탁드립니다 ",
            link: "https://x/sign/t",
            expires_at: Some("2026-12-01 09:00"),
            reminder: false,
        };
        let r = invite(&m);
        assert_eq!(r.subject, "[서명 요청] 근로계약서 - 도장 주식회사");
        assert_eq!(
            r.text,
            format!(
                "김철수님, 서명을 요청받았습니다\n\n이영희(도장 주식회사)님이 「근로계약서」 문서에 서명을 요청했습니다.\n\n잘 부탁드립니다\n\n\
                 서명 기한: 2026-12-01 09:00 (UTC)\n\n문서 확인하고 서명하기: https://x/sign/t\n\n{footer_ko}"
            )
        );
        assert_eq!(invite(&Invite { reminder: true, ..m }).subject, "[다시 알림] [서명 요청] 근로계약서 - 도장 주식회사");
        let r = invite(&Invite { lang: Language::En, message: "", ..m });
        assert_eq!(r.subject, "Signature requested: 근로계약서 — 도장 주식회사");
        assert_eq!(
            r.text,
            format!(
                "김철수, you are asked to sign\n\n이영희 (도장 주식회사) asks you to sign “근로계약서”.\n\n\
                 Please sign before 2026-12-01 09:00 (UTC).\n\nReview and sign: https://x/sign/t\n\n{footer_en}"
            )
        );

        let r = cancelled(Language::Ko, "김철수", "근로계약서", "도장 주식회사", " 조건 변경 ");
        assert_eq!(r.subject, "[서명 요청 취소] 근로계약서");
        assert_eq!(
            r.text,
            format!(
                "김철수님, 서명 요청이 취소되었습니다\n\n도장 주식회사에서 「근로계약서」 서명 요청을 취소했습니다. 더 이상 서명할 필요가 없습니다.\n\n사유: 조건 변경\n\n{footer_ko}"
            )
        );
        let r = cancelled(Language::En, "Kim", "NDA", "Dojang Inc", "");
        assert_eq!(r.subject, "Signature request cancelled: NDA");
        assert_eq!(
            r.text,
            format!(
                "Kim, the signature request was cancelled\n\nDojang Inc cancelled the request to sign “NDA”. You no longer need to sign it.\n\n{footer_en}"
            )
        );

        let r = declined(Language::Ko, "이영희", "근로계약서", "김철수", "금액이 다릅니다", "https://x/contracts/1");
        assert_eq!(r.subject, "[서명 거절] 근로계약서");
        assert_eq!(
            r.text,
            format!("이영희님, 서명이 거절되었습니다\n\n김철수님이 「근로계약서」 문서의 서명을 거절했습니다.\n\n사유: 금액이 다릅니다\n\n계약 보기: https://x/contracts/1\n\n{footer_ko}")
        );
        let r = declined(Language::En, "Lee", "NDA", "Kim", "Wrong amount", "https://x/contracts/1");
        assert_eq!(r.subject, "Declined: NDA");
        assert_eq!(
            r.text,
            format!("Lee, a signer declined\n\nKim declined to sign “NDA”.\n\nReason: Wrong amount\n\nView the contract: https://x/contracts/1\n\n{footer_en}")
        );

        let r = completed(Language::Ko, "김철수", "근로계약서", "도장 주식회사", Handover::Attached);
        assert_eq!(r.subject, "[서명 완료] 근로계약서");
        assert_eq!(
            r.text,
            format!(
                "김철수님, 모든 서명이 완료되었습니다\n\n도장 주식회사의 「근로계약서」 문서에 모든 서명자가 서명했습니다. \
                 전자서명으로 봉인된 문서와 감사 추적 기록을 보관해 두세요.\n\n봉인된 문서를 첨부했습니다.\n\n{footer_ko}"
            )
        );
        let r = completed(Language::Ko, "김철수", "근로계약서", "도장 주식회사", Handover::Link("https://x/download/t", 30));
        assert!(r.text.contains("\n\n링크는 30일 동안 유효합니다.\n\n봉인된 문서 받기: https://x/download/t\n\n"), "{}", r.text);
        let r = completed(Language::En, "Kim", "NDA", "Dojang Inc", Handover::CheckedLink("https://x/download/t", 30));
        assert_eq!(r.subject, "Completed: NDA");
        assert_eq!(
            r.text,
            format!(
                "Kim, everyone has signed\n\nEveryone has signed “NDA” from Dojang Inc. Keep the sealed document, digitally signed with its audit trail.\n\n\
                 The link works for 30 days.\n\nYou will be asked to confirm who you are, as when you signed, before the documents open.\n\n\
                 Download the sealed documents: https://x/download/t\n\n{footer_en}"
            )
        );
        assert!(completed(Language::En, "Kim", "NDA", "Dojang Inc", Handover::Attached).text.contains("\n\nThe sealed documents are attached.\n\n"));
        assert!(r.html.starts_with("<!DOCTYPE html><html lang=\"en\">") && r.html.contains(">Download the sealed documents</a>"));
    }

    #[test]
    fn values_that_look_like_placeholders_are_kept() {
        let r = declined(Language::En, "{envelope}", "{signer}", "<i>{reason}</i>", "{sender}", "https://x/c");
        assert_eq!(r.subject, "Declined: {signer}");
        assert!(r.text.starts_with("{envelope}, a signer declined\n\n<i>{reason}</i> declined to sign “{signer}”.\n\nReason: {sender}\n\n"), "{}", r.text);
        assert!(r.html.contains("&lt;i&gt;{reason}&lt;/i&gt;"));
    }
}
