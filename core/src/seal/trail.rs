//! The audit trail: pages that state who did what, when, from where, on which document —
//! appended to every sealed document and also issued as a PDF of its own. Labels are in
//! English and Korean at once (`trail_*` in the locale files, through `i18n::both`); times
//! are given in UTC and in the sender's time zone.

use super::compose::{Canvas, Mark, NewPage, Resources};
use crate::i18n::both;
use crate::infra::db::Timestamp;
use crate::model::AuditEntry;
use crate::pdf::font::FontKind;
use crate::pdf::write::real;
use std::fmt::Write as _;

/// A4 in points: the pages Dojang writes itself.
pub(super) const PAGE_W: f64 = 595.28;
pub(super) const PAGE_H: f64 = 841.89;
const MARGIN: f64 = 48.0;

pub struct TrailDocument {
    pub name: String,
    pub pages: usize,
    pub original_sha256: String,
    /// Known only outside the sealed file itself (a file cannot hold its own hash).
    pub sealed_sha256: Option<String>,
}

pub struct TrailRecipient {
    pub name: String,
    pub email: String,
    pub role: String,
    pub order: i64,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub invited: Option<Timestamp>,
    pub viewed: Option<Timestamp>,
    pub consented: Option<Timestamp>,
    pub signed: Option<Timestamp>,
    pub consent_version: Option<String>,
    /// The identity checks asked for (empty: the link alone), and when they were first passed.
    pub checks: Vec<String>,
    pub verified: Option<Timestamp>,
    pub signature: Option<Mark>,
}

pub struct Trail {
    pub envelope_id: String,
    pub name: String,
    pub organization: String,
    pub sender: String,
    pub time_zone: String,
    pub sent_at: Option<Timestamp>,
    pub completed_at: Option<Timestamp>,
    pub documents: Vec<TrailDocument>,
    pub recipients: Vec<TrailRecipient>,
    pub consent_text: String,
    pub events: Vec<AuditEntry>,
    pub chain_head: String,
    pub chain_intact: bool,
    pub test_mode: bool,
    /// Made before the envelope was finished and sealed (an interim record).
    pub interim: bool,
}

/// A time in UTC and in `tz`.
pub fn both_times(t: Option<Timestamp>, tz: &str) -> String {
    let Some(t) = t else { return "—".into() };
    let utc = t.to_db().replace('T', " ");
    let utc = utc.get(..19).unwrap_or(&utc).to_owned();
    let local = jiff::Timestamp::from_second(t.unix_seconds())
        .ok()
        .and_then(|ts| jiff::tz::TimeZone::get(tz).ok().map(|z| ts.to_zoned(z)))
        .map(|z| z.strftime("%Y-%m-%d %H:%M:%S %Z").to_string())
        .unwrap_or_default();
    format!("{utc} UTC · {local} ({tz})")
}

struct Writer<'a> {
    res: &'a mut Resources,
    pages: Vec<Canvas>,
    y: f64,
}

impl Writer<'_> {
    fn page(&mut self) -> &mut Canvas {
        self.pages.last_mut().expect("a page")
    }

    fn new_page(&mut self) {
        self.pages.push(Canvas::default());
        self.y = PAGE_H - MARGIN - 24.0;
    }

    fn ensure(&mut self, h: f64) {
        if self.y - h < MARGIN + 20.0 {
            self.new_page();
        }
    }

    /// Wrapped text; returns nothing, advances the cursor.
    fn para(&mut self, size: f64, indent: f64, text: &str) {
        let width = PAGE_W - 2.0 * MARGIN - indent;
        for line in wrap(&self.res.text, text, size, width) {
            self.ensure(size * 1.4);
            self.y -= size * 1.4;
            let y = self.y;
            let (res, page) = (&mut *self.res, self.pages.last_mut().expect("a page"));
            page.text(res, FontKind::Text, size, MARGIN + indent, y, &line);
        }
    }

    fn heading(&mut self, text: &str) {
        self.ensure(40.0);
        self.y -= 10.0;
        self.para(12.5, 0.0, text);
        let y = self.y - 4.0;
        let _ = writeln!(self.page().ops, "q 0.75 0.22 0.17 RG 1 w {} {} m {} {} l S Q", real(MARGIN), real(y), real(PAGE_W - MARGIN), real(y));
        self.y -= 6.0;
    }

    fn field(&mut self, label: &str, value: &str) {
        self.para(8.5, 0.0, &format!("{label}: {value}"));
    }

    /// A smaller, indented `label: value` (under a document or a recipient).
    fn field_at(&mut self, indent: f64, label: &str, value: &str) {
        self.para(8.0, indent, &format!("{label}: {value}"));
    }
}

/// Breaks `text` into lines no wider than `width` (at word boundaries when possible; Hangul
/// and long tokens break anywhere).
pub(super) fn wrap(font: &crate::pdf::font::FontUse, text: &str, size: f64, width: f64) -> Vec<String> {
    let mut lines = Vec::new();
    for raw in text.split('\n') {
        let mut line = String::new();
        for word in raw.split_inclusive(' ') {
            let candidate = format!("{line}{word}");
            if font.measure(candidate.trim_end(), size) <= width {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(line.trim_end().to_owned());
                line.clear();
            }
            for c in word.chars() {
                let next = format!("{line}{c}");
                if font.measure(next.trim_end(), size) > width && !line.is_empty() {
                    lines.push(line.trim_end().to_owned());
                    line = c.to_string();
                } else {
                    line = next;
                }
            }
        }
        lines.push(line.trim_end().to_owned());
    }
    lines
}

/// Lays the trail out on A4 pages (content streams using `res`).
pub fn pages(t: &Trail, res: &mut Resources) -> anyhow::Result<Vec<NewPage>> {
    let mut w = Writer { res, pages: Vec::new(), y: 0.0 };
    w.new_page();
    w.para(18.0, 0.0, both::TRAIL_TITLE);
    if t.test_mode {
        w.para(11.0, 0.0, both::TEST_NOTICE);
    }
    if t.interim {
        w.para(11.0, 0.0, both::TRAIL_INTERIM);
    }
    w.y -= 6.0;
    w.field(both::TRAIL_CONTRACT, &t.name);
    w.field(both::TRAIL_ENVELOPE_ID, &t.envelope_id);
    w.field(both::TRAIL_ORGANIZATION, &t.organization);
    w.field(both::TRAIL_SENDER, &t.sender);
    w.field(both::TRAIL_SENT, &both_times(t.sent_at, &t.time_zone));
    w.field(both::TRAIL_COMPLETED, &both_times(t.completed_at, &t.time_zone));

    w.heading(both::TRAIL_DOCUMENTS);
    for (i, d) in t.documents.iter().enumerate() {
        w.para(9.5, 0.0, &format!("{}. {} ({} {})", i + 1, d.name, d.pages, both::TRAIL_PAGES));
        w.field_at(12.0, both::TRAIL_SHA_ORIGINAL, &d.original_sha256);
        w.field_at(12.0, both::TRAIL_SHA_SEALED, d.sealed_sha256.as_deref().unwrap_or(both::TRAIL_SEALED_ELSEWHERE));
    }

    w.heading(both::TRAIL_RECIPIENTS);
    for r in &t.recipients {
        let sig_h = if r.signature.is_some() { 60.0 } else { 0.0 };
        w.ensure(110.0 + sig_h);
        w.para(10.0, 0.0, &format!("{}. {} <{}> · {}", r.order, r.name, r.email, r.role));
        let mut rows = vec![
            (both::TRAIL_INVITED, both_times(r.invited, &t.time_zone)),
            (both::TRAIL_VIEWED, both_times(r.viewed, &t.time_zone)),
            (
                both::TRAIL_CONSENTED,
                format!("{} ({} {})", both_times(r.consented, &t.time_zone), both::TRAIL_DISCLOSURE, r.consent_version.as_deref().unwrap_or("—")),
            ),
            (both::TRAIL_SIGNED, both_times(r.signed, &t.time_zone)),
            (both::TRAIL_IP, r.ip.clone().unwrap_or_else(|| "—".into())),
            (both::TRAIL_DEVICE, r.user_agent.clone().unwrap_or_else(|| "—".into())),
        ];
        if !r.checks.is_empty() {
            rows.insert(2, (both::TRAIL_VERIFIED, format!("{} ({})", both_times(r.verified, &t.time_zone), r.checks.join(", "))));
        }
        for (label, value) in rows {
            w.field_at(12.0, label, &value);
        }
        if let Some(mark) = &r.signature {
            w.y -= 4.0;
            let (x, y, bw, bh) = (MARGIN + 12.0, w.y - 50.0, 160.0, 50.0);
            let (res, page) = (&mut *w.res, w.pages.last_mut().expect("a page"));
            let _ = writeln!(page.ops, "q 0.8 0.8 0.8 RG 0.5 w {} {} {} {} re S Q", real(x), real(y), real(bw), real(bh));
            let _ = writeln!(page.ops, "q 1 0 0 1 {} {} cm", real(x), real(y));
            page.mark(res, mark, bw, bh)?;
            page.push("Q");
            w.y -= 56.0;
        }
        w.y -= 4.0;
    }

    w.heading(both::TRAIL_CONSENT);
    w.para(8.0, 0.0, &t.consent_text);

    w.heading(both::TRAIL_EVENTS);
    for e in &t.events {
        let who = e.recipient.as_deref().map(|r| format!(" · {r}")).unwrap_or_default();
        let ip = e.ip.as_deref().map(|ip| format!(" · {ip}")).unwrap_or_default();
        w.para(7.5, 0.0, &format!("#{} {} {}{}{}", e.seq, e.at, e.kind, who, ip));
    }
    w.heading(both::TRAIL_INTEGRITY);
    w.para(8.0, 0.0, &format!("{}: {}", both::TRAIL_CHAIN_HEAD, t.chain_head));
    w.para(8.0, 0.0, if t.chain_intact { both::TRAIL_CHAIN_INTACT } else { both::TRAIL_CHAIN_BROKEN });
    w.para(8.0, 0.0, both::TRAIL_PADES);

    let total = w.pages.len();
    let mut out = Vec::with_capacity(total);
    let pages = std::mem::take(&mut w.pages);
    for (i, mut page) in pages.into_iter().enumerate() {
        let footer = format!("Dojang · {} · {}/{}", t.envelope_id, i + 1, total);
        page.push("0.42 0.4 0.38 rg");
        page.text(w.res, FontKind::Text, 7.5, MARGIN, MARGIN - 16.0, &footer);
        out.push(NewPage { width: PAGE_W, height: PAGE_H, content: format!("0.08 0.08 0.08 rg\n{}", page.ops) });
    }
    Ok(out)
}

/// A PDF holding only the audit trail.
pub fn standalone(t: &Trail) -> anyhow::Result<Vec<u8>> {
    let base = empty_pdf();
    let mut res = Resources::default();
    let pages = pages(t, &mut res)?;
    super::compose::compose(&base, &[], &[], &[], pages, res)
}

/// A valid PDF with an empty page tree, to append pages to.
pub(super) fn empty_pdf() -> Vec<u8> {
    let mut out = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let objs = ["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [] /Count 0 >>"];
    let mut offs = Vec::new();
    for (i, o) in objs.iter().enumerate() {
        offs.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let x = out.len();
    out.extend_from_slice(b"xref\n0 3\n0000000000 65535 f\r\n");
    for o in offs {
        out.extend_from_slice(format!("{o:010} 00000 n\r\n").as_bytes());
    }
    out.extend_from_slice(format!("trailer\n<< /Size 3 /Root 1 0 R >>\nstartxref\n{x}\n%%EOF\n").as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::both;

    /// The labels, as the trail printed them before they moved to the locale files.
    #[test]
    fn labels_read_as_written() {
        let labels = [
            (both::TRAIL_TITLE, "Audit trail · 감사 추적 기록"),
            (both::TRAIL_CONTRACT, "Contract · 계약"),
            (both::TRAIL_ENVELOPE_ID, "Envelope ID · 계약 ID"),
            (both::TRAIL_ORGANIZATION, "Organization · 조직"),
            (both::TRAIL_SENDER, "Sender · 보낸 사람"),
            (both::TRAIL_SENT, "Sent · 발송"),
            (both::TRAIL_COMPLETED, "Completed · 완료"),
            (both::TRAIL_DOCUMENTS, "Documents · 문서"),
            (both::TRAIL_PAGES, "pages · 쪽"),
            (both::TRAIL_SHA_ORIGINAL, "SHA-256 original · 원본"),
            (both::TRAIL_SHA_SEALED, "SHA-256 sealed · 봉인본"),
            (both::TRAIL_SEALED_ELSEWHERE, "in the separate audit trail and on the verification page · 별도 감사 추적 기록과 검증 페이지에 기재"),
            (both::TRAIL_RECIPIENTS, "Recipients · 수신자"),
            (both::TRAIL_INVITED, "Invited · 요청"),
            (both::TRAIL_VIEWED, "Viewed · 열람"),
            (both::TRAIL_CONSENTED, "Consented · 동의"),
            (both::TRAIL_DISCLOSURE, "disclosure · 고지"),
            (both::TRAIL_SIGNED, "Signed · 서명"),
            (both::TRAIL_IP, "IP address · IP 주소"),
            (both::TRAIL_DEVICE, "Device · 기기"),
            (both::TRAIL_CONSENT, "Consent to sign electronically · 전자서명 동의"),
            (both::TRAIL_EVENTS, "Event log · 이벤트 기록"),
            (both::TRAIL_INTEGRITY, "Integrity · 무결성"),
            (both::TRAIL_CHAIN_HEAD, "Event chain head (SHA-256) · 이벤트 체인 최종 해시"),
            (
                both::TRAIL_CHAIN_INTACT,
                "Every event's hash covers the previous one; the chain is intact. · 모든 이벤트 해시가 이전 해시를 포함하며, 체인이 온전합니다.",
            ),
            (both::TRAIL_CHAIN_BROKEN, "WARNING: the event chain does not verify. · 경고: 이벤트 체인이 검증되지 않습니다."),
            (
                both::TRAIL_PADES,
                "This document is sealed with a digital signature (PAdES). Any change after sealing is detected by signature validation. · \
                 이 문서는 전자서명(PAdES)으로 봉인되어, 봉인 후 변경은 서명 검증에서 드러납니다.",
            ),
        ];
        for (label, written) in labels {
            assert_eq!(label, written);
        }
    }
}
