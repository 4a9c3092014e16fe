//! The signature page: appended to an envelope whose signers were given no fields ("just
//! sign these PDFs"), one block per such signer — name, email, a signature box and a date
//! box, labelled in English and Korean. Its boxes become that signer's signature and date
//! fields, so signing, sealing, the audit trail and verification treat it like any page.

use super::compose::{compose, Canvas, NewPage, Resources};
use super::trail::{PAGE_H, PAGE_W};
use crate::geometry::FieldRect;
use crate::i18n::both;
use crate::pdf::font::FontKind;
use crate::pdf::write::real;
use std::fmt::Write as _;

const MARGIN: f64 = 56.0;
/// The height of one signer's block.
const BLOCK_H: f64 = 150.0;
const SIGNATURE_W: f64 = 270.0;
const SIGNATURE_H: f64 = 72.0;
const DATE_W: f64 = 150.0;
const DATE_H: f64 = 26.0;

/// A signer to give a block.
pub struct Signatory {
    pub name: String,
    pub email: String,
}

/// Where a signer's boxes are: page (0-based) and rects as fractions of the page from its
/// top-left corner, as fields are placed.
#[derive(Clone, Debug, PartialEq)]
pub struct Slot {
    pub page: u32,
    pub signature: FieldRect,
    pub date: FieldRect,
}

pub struct SignaturePage {
    pub pdf: Vec<u8>,
    /// One per signatory, in order.
    pub slots: Vec<Slot>,
}

fn rect(x: f64, top: f64, w: f64, h: f64) -> FieldRect {
    FieldRect { x: x / PAGE_W, y: (PAGE_H - top) / PAGE_H, width: w / PAGE_W, height: h / PAGE_H }
}

fn frame(page: &mut Canvas, x: f64, top: f64, w: f64, h: f64) {
    let _ = writeln!(page.ops, "q 0.55 0.55 0.55 RG 0.8 w {} {} {} {} re S Q", real(x), real(top - h), real(w), real(h));
}

/// The PDF of the page(s) for `signers` of the contract `contract`.
pub fn build(contract: &str, signers: &[Signatory]) -> anyhow::Result<SignaturePage> {
    let mut res = Resources::default();
    let mut pages: Vec<Canvas> = Vec::new();
    let mut slots = Vec::with_capacity(signers.len());
    let mut y = 0.0;
    for s in signers {
        if pages.is_empty() || y - BLOCK_H < MARGIN {
            let mut page = Canvas::default();
            let top = PAGE_H - MARGIN;
            page.text(&mut res, FontKind::Text, 18.0, MARGIN, top - 18.0, both::SIGNATURE_PAGE_TITLE);
            page.text(&mut res, FontKind::Text, 10.0, MARGIN, top - 40.0, &format!("{}: {contract}", both::TRAIL_CONTRACT));
            let mut line_y = top - 56.0;
            for line in super::trail::wrap(&res.text, both::SIGNATURE_PAGE_INTRO, 7.5, PAGE_W - 2.0 * MARGIN) {
                page.text(&mut res, FontKind::Text, 7.5, MARGIN, line_y, &line);
                line_y -= 10.5;
            }
            pages.push(page);
            y = line_y - 16.0;
        }
        let page_index = (pages.len() - 1) as u32;
        let page = pages.last_mut().expect("a page");
        page.text(&mut res, FontKind::Text, 12.0, MARGIN, y - 14.0, &s.name);
        page.text(&mut res, FontKind::Text, 9.0, MARGIN, y - 28.0, &s.email);
        let sig_top = y - 38.0;
        frame(page, MARGIN, sig_top, SIGNATURE_W, SIGNATURE_H);
        page.text(&mut res, FontKind::Text, 7.5, MARGIN, sig_top - SIGNATURE_H - 10.0, both::SIGNATURE_PAGE_SIGNATURE);
        let date_x = MARGIN + SIGNATURE_W + 30.0;
        let date_top = sig_top - SIGNATURE_H + DATE_H;
        frame(page, date_x, date_top, DATE_W, DATE_H);
        page.text(&mut res, FontKind::Text, 7.5, date_x, date_top - DATE_H - 10.0, both::SIGNATURE_PAGE_DATE);
        slots.push(Slot { page: page_index, signature: rect(MARGIN, sig_top, SIGNATURE_W, SIGNATURE_H), date: rect(date_x, date_top, DATE_W, DATE_H) });
        y -= BLOCK_H;
    }
    let pages = pages.into_iter().map(|p| NewPage { width: PAGE_W, height: PAGE_H, content: format!("0.08 0.08 0.08 rg\n{}", p.ops) }).collect();
    let pdf = compose(&super::trail::empty_pdf(), &[], &[], &[], pages, res)?;
    Ok(SignaturePage { pdf, slots })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_signer_gets_boxes_inside_the_page_and_pages_follow_as_needed() {
        let signers: Vec<Signatory> = (0..6).map(|i| Signatory { name: format!("김민준 {i}"), email: format!("s{i}@example.com") }).collect();
        let page = build("근로계약서", &signers).unwrap();
        assert!(page.pdf.starts_with(b"%PDF-"));
        assert_eq!(page.slots.len(), 6);
        assert_eq!(page.slots[0].page, 0);
        assert_eq!(page.slots[5].page, 1, "a block that does not fit goes to the next page");
        for s in &page.slots {
            for r in [s.signature, s.date] {
                assert!(r.x >= 0.0 && r.y >= 0.0 && r.x + r.width <= 1.0 && r.y + r.height <= 1.0, "{r:?}");
            }
            assert!(s.date.x > s.signature.x + s.signature.width, "the date beside the signature");
        }
        let doc = lopdf::Document::load_mem(&page.pdf).unwrap();
        assert_eq!(doc.get_pages().len(), 2);
    }
}
