//! Fields placed by the document (issue 16, first part): text tags and anchor strings read by
//! the real PDFium from a PDF made here with PDFium (Korean and English tags, an upright and a
//! rotated page, text in an embedded Korean font), and anchors in the corpus' Korean book.

use dojang_core::geometry::{PageGeometry, UserRect};
use dojang_core::model::FieldKind;
use dojang_core::pdf::inspect;
use dojang_core::pdf::tags::{self, AnchorPlacement, Found, Length, Tag};
use dojang_core::pdf::PdfEngine;
use pdfium_render::prelude::*;
use std::path::Path;

pub(crate) fn engine() -> PdfEngine {
    PdfEngine::start(Path::new(&std::env::var("DOJANG_PDFIUM_LIB").expect("DOJANG_PDFIUM_LIB"))).unwrap()
}

const FONT: &[u8] = include_bytes!("../../../core/assets/fonts/NanumGothic.ttf");
const SIZE: f32 = 11.0;

/// Where each tag is written: page, text, user-space origin of its first character.
const WRITTEN: [(u16, &str, f32, f32); 4] = [
    (0, "근로자 서명: {{signature;role=근로자;required}}", 72.0, 700.0),
    (0, "{{text;role=회사;name=address;label=주소;width=200}}", 72.0, 600.0),
    (1, "Date {{date;role=Company}} here", 120.0, 300.0),
    (1, "회사 서명: {{ initials ; role = 회사 }}", 120.0, 250.0),
];

/// Two A4 pages, the second turned 90° clockwise, with the tags above.
pub(crate) fn tagged_pdf(pdfium: &Pdfium) -> Vec<u8> {
    let mut doc = pdfium.create_new_pdf().unwrap();
    let font = doc.fonts_mut().load_true_type_from_bytes(FONT, true).unwrap();
    for page_index in 0..2u16 {
        let mut page = doc.pages_mut().create_page_at_end(PdfPagePaperSize::a4()).unwrap();
        for (p, text, x, y) in WRITTEN {
            if p == page_index {
                page.objects_mut().create_text_object(PdfPoints::new(x), PdfPoints::new(y), text, font, PdfPoints::new(SIZE)).unwrap();
            }
        }
        if page_index == 1 {
            page.set_rotation(PdfPageRenderRotation::Degrees90);
        }
    }
    doc.save_to_bytes().unwrap()
}

struct Read {
    pages: Vec<PageGeometry>,
    found: Vec<(u32, Found)>,
    anchors: Vec<(u32, UserRect)>,
}

async fn read(bytes: Option<Vec<u8>>, anchor: &'static str) -> Read {
    engine()
        .run(move |ctx| {
            let bytes = bytes.unwrap_or_else(|| tagged_pdf(ctx.pdfium));
            let doc = ctx.pdfium.load_pdf_from_byte_vec(bytes, None).unwrap();
            let pages = inspect::page_boxes(&doc, 1000).unwrap().into_iter().map(|p| p.geometry).collect();
            Read { pages, found: inspect::text_tags(&doc, 2000), anchors: inspect::anchors(&doc, anchor, 2000) }
        })
        .await
        .unwrap()
}

fn contains(r: &UserRect, x: f64, y: f64) -> bool {
    r.left <= x && x <= r.right && r.bottom <= y && y <= r.top
}

#[tokio::test]
async fn text_tags_are_found_where_they_stand_on_upright_and_rotated_pages() {
    let r = read(None, "서명:").await;
    assert_eq!(r.pages.len(), 2);
    assert_eq!(r.pages[1].rotation, 90);
    assert_eq!(r.found.len(), 4, "{:?}", r.found);
    // Each written tag, found on its page (the order within a page is PDFium's reading order).
    let of = |written: &str| -> &(u32, Found) {
        let tag = &written[written.find("{{").unwrap()..written.find("}}").unwrap() + 2];
        r.found.iter().find(|(_, f)| f.text == tag).unwrap_or_else(|| panic!("{tag} in {:?}", r.found))
    };
    let tag = |i: usize| -> (u32, &Tag) {
        let (p, f) = of(WRITTEN[i].1);
        (*p, f.tag.as_ref().unwrap_or_else(|e| panic!("{}: {e:?}", f.text)))
    };
    let (p, t) = tag(0);
    assert_eq!((p, t.kind, t.role.as_deref(), t.required), (0, Some(FieldKind::Signature), Some("근로자"), true), "Korean read back");
    let (p, t) = tag(1);
    assert_eq!((p, t.name.as_deref(), t.label.as_deref(), t.width), (0, Some("address"), Some("주소"), Some(200.0)));
    let (p, t) = tag(2);
    assert_eq!((p, t.kind, t.role.as_deref()), (1, Some(FieldKind::Date), Some("Company")));
    let (p, t) = tag(3);
    assert_eq!((p, t.kind, t.role.as_deref()), (1, Some(FieldKind::Initials), Some("회사")));

    for (_, text, x, y) in WRITTEN {
        let (page, found) = of(text);
        let g = &r.pages[*page as usize];
        let b = found.bbox;
        // The tag's box starts where its text says it does and is one line high.
        let before = text.find("{{").map(|i| text[..i].chars().count()).unwrap_or(0);
        assert!(b.bottom <= f64::from(y) + 1.0 && b.top >= f64::from(y) + 5.0 && b.top - b.bottom < 2.5 * f64::from(SIZE), "{text}: {b:?}");
        if before == 0 {
            assert!((b.left - f64::from(x)).abs() < 2.0, "{text}: {b:?}");
        } else {
            assert!(b.left > f64::from(x) + 10.0, "{text}: the tag starts after “{}”: {b:?}", &text[..text.find("{{").unwrap()]);
        }
        // The field covers exactly the tag's box, whatever the rotation (its size when asked).
        let tag = found.tag.as_ref().unwrap();
        let field = tags::place(g, &b, tag).unwrap();
        let u = g.to_user_space(&field);
        if tag.width.is_none() {
            for (a, w) in [(u.left, b.left), (u.bottom, b.bottom), (u.right, b.right), (u.top, b.top)] {
                assert!((a - w).abs() < 1e-6, "{text}: field {u:?} over tag {b:?}");
            }
        } else {
            assert!((u.right - u.left - 200.0).abs() < 1e-6 && contains(&u, b.left + 1.0, (b.bottom + b.top) / 2.0), "{u:?}");
        }
    }
    // On the turned page the field is as tall as the tag is wide (the text runs down the page).
    let (page, f) = of(WRITTEN[2].1);
    let field = tags::place(&r.pages[*page as usize], &f.bbox, f.tag.as_ref().unwrap()).unwrap();
    let g = &r.pages[1];
    assert!(field.height * g.display_height() > field.width * g.display_width(), "{field:?}");

    // Anchors: "서명:" on both pages, a field placed 10 pt right of each.
    assert_eq!(r.anchors.iter().map(|(p, _)| *p).collect::<Vec<_>>(), [0, 1], "{:?}", r.anchors);
    let p = AnchorPlacement { x_offset: Length::Points(40.0), y_offset: Length::Points(0.0), width: Length::Fraction(0.25), height: Length::Points(20.0) };
    let field = tags::place_at_anchor(&r.pages[0], &r.anchors[0].1, &p).unwrap();
    let u = r.pages[0].to_user_space(&field);
    assert!((u.left - (r.anchors[0].1.left + 40.0)).abs() < 1e-6 && (u.top - r.anchors[0].1.top).abs() < 1e-6, "{u:?}");
}

#[tokio::test]
async fn anchors_are_found_in_a_korean_book_and_tags_absent_from_it() {
    let bytes = crate::helpers::fixture("long-cjk__lshort-ko.pdf");
    let r = read(Some(bytes), "한국어판").await;
    assert!(r.found.is_empty(), "{:?}", r.found);
    assert!(!r.anchors.is_empty(), "the Korean word on the title page");
    let (page, at) = r.anchors[0];
    assert_eq!(page, 0);
    let g = &r.pages[0];
    assert!(at.left >= g.left && at.right <= g.right && at.top - at.bottom < 40.0, "{at:?}");
}
