//! Email texts in Korean and English: an HTML version and a plain-text version of each.
//! Everything interpolated into HTML is escaped.

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
    let footer = match lang {
        Language::Ko => "이 메일은 도장(Dojang) 전자계약 서비스에서 보냈습니다.",
        Language::En => "Sent by Dojang, the e-contract service.",
    };
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
    let (subject, heading, lead, button, expiry) = match m.lang {
        Language::Ko => (
            format!("{}[서명 요청] {} - {}", if m.reminder { "[다시 알림] " } else { "" }, m.envelope_name, m.organization_name),
            format!("{}님, 서명을 요청받았습니다", m.recipient_name),
            format!("{}({})님이 「{}」 문서에 서명을 요청했습니다.", m.sender_name, m.organization_name, m.envelope_name),
            "문서 확인하고 서명하기",
            m.expires_at.map(|e| format!("서명 기한: {e} (UTC)")),
        ),
        Language::En => (
            format!("{}Signature requested: {} — {}", if m.reminder { "Reminder: " } else { "" }, m.envelope_name, m.organization_name),
            format!("{}, you are asked to sign", m.recipient_name),
            format!("{} ({}) asks you to sign “{}”.", m.sender_name, m.organization_name, m.envelope_name),
            "Review and sign",
            m.expires_at.map(|e| format!("Please sign before {e} (UTC).")),
        ),
    };
    let mut paragraphs = vec![lead];
    if !m.message.trim().is_empty() {
        paragraphs.push(m.message.trim().to_owned());
    }
    paragraphs.extend(expiry);
    let (html, text) = layout(m.lang, &heading, &paragraphs, Some((button, m.link)));
    Rendered { subject, html, text }
}

pub fn cancelled(lang: Language, recipient_name: &str, envelope_name: &str, organization_name: &str, reason: &str) -> Rendered {
    let (subject, heading, lead) = match lang {
        Language::Ko => (
            format!("[서명 요청 취소] {envelope_name}"),
            format!("{recipient_name}님, 서명 요청이 취소되었습니다"),
            format!("{organization_name}에서 「{envelope_name}」 서명 요청을 취소했습니다. 더 이상 서명할 필요가 없습니다."),
        ),
        Language::En => (
            format!("Signature request cancelled: {envelope_name}"),
            format!("{recipient_name}, the signature request was cancelled"),
            format!("{organization_name} cancelled the request to sign “{envelope_name}”. You no longer need to sign it."),
        ),
    };
    let mut p = vec![lead];
    if !reason.trim().is_empty() {
        p.push(match lang {
            Language::Ko => format!("사유: {}", reason.trim()),
            Language::En => format!("Reason: {}", reason.trim()),
        });
    }
    let (html, text) = layout(lang, &heading, &p, None);
    Rendered { subject, html, text }
}

pub fn declined(lang: Language, sender_name: &str, envelope_name: &str, signer: &str, reason: &str, link: &str) -> Rendered {
    let (subject, heading, lead, button) = match lang {
        Language::Ko => (
            format!("[서명 거절] {envelope_name}"),
            format!("{sender_name}님, 서명이 거절되었습니다"),
            format!("{signer}님이 「{envelope_name}」 문서의 서명을 거절했습니다."),
            "계약 보기",
        ),
        Language::En => (
            format!("Declined: {envelope_name}"),
            format!("{sender_name}, a signer declined"),
            format!("{signer} declined to sign “{envelope_name}”."),
            "View the contract",
        ),
    };
    let reason_line = match lang {
        Language::Ko => format!("사유: {reason}"),
        Language::En => format!("Reason: {reason}"),
    };
    let (html, text) = layout(lang, &heading, &[lead, reason_line], Some((button, link)));
    Rendered { subject, html, text }
}

pub fn completed(lang: Language, name: &str, envelope_name: &str, organization_name: &str, link: Option<&str>) -> Rendered {
    let (subject, heading, lead, attached, button) = match lang {
        Language::Ko => (
            format!("[서명 완료] {envelope_name}"),
            format!("{name}님, 모든 서명이 완료되었습니다"),
            format!("{organization_name}의 「{envelope_name}」 문서에 모든 서명자가 서명했습니다. 전자서명으로 봉인된 문서와 감사 추적 기록을 보관해 두세요."),
            "봉인된 문서를 첨부했습니다.",
            "봉인된 문서 받기",
        ),
        Language::En => (
            format!("Completed: {envelope_name}"),
            format!("{name}, everyone has signed"),
            format!("Everyone has signed “{envelope_name}” from {organization_name}. Keep the sealed document, digitally signed with its audit trail."),
            "The sealed documents are attached.",
            "Download the sealed documents",
        ),
    };
    let (html, text) = match link {
        Some(url) => {
            let note = match lang {
                Language::Ko => "링크는 30일 동안 유효합니다.",
                Language::En => "The link works for 30 days.",
            };
            layout(lang, &heading, &[lead, note.to_owned()], Some((button, url)))
        }
        None => layout(lang, &heading, &[lead, attached.to_owned()], None),
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
}
