//! An upload as Dojang checks it before storing: the cheap byte checks, then PDFium opening it
//! and reading every page's boxes. Whatever the bytes, the answer is a page list or one of
//! the upload's error codes — never a panic, and never a page that is not a real box.
#![no_main]

use dojang_core::error::ErrorCode;
use dojang_core::pdf::inspect;
use libfuzzer_sys::fuzz_target;
use pdfium_render::prelude::Pdfium;
use std::sync::OnceLock;

fn pdfium() -> &'static Pdfium {
    static PDFIUM: OnceLock<Pdfium> = OnceLock::new();
    PDFIUM.get_or_init(|| {
        let lib = std::env::var("DOJANG_PDFIUM_LIB").expect("DOJANG_PDFIUM_LIB names libpdfium.so");
        Pdfium::new(Pdfium::bind_to_library(lib).expect("PDFium loads"))
    })
}

fuzz_target!(|data: &[u8]| {
    if let Err(e) = inspect::check_bytes(data) {
        assert!(matches!(e.code, ErrorCode::PdfEmpty | ErrorCode::NotAPdf), "{e:?}");
        return;
    }
    let doc = match pdfium().load_pdf_from_byte_slice(data, None) {
        Ok(doc) => doc,
        Err(e) => {
            let code = inspect::open_error(&e).code;
            assert!(matches!(code, ErrorCode::PdfEncrypted | ErrorCode::PdfDamaged), "{code:?}");
            return;
        }
    };
    let signed = inspect::signatures(&doc);
    assert!(signed.docmdp.is_none_or(|p| (1..=3).contains(&p)) && (signed.docmdp.is_none() || signed.count > 0));
    match inspect::page_boxes(&doc, 500) {
        Ok(pages) => {
            assert!(!pages.is_empty() && pages.len() <= 500);
            for p in pages {
                let g = p.geometry;
                assert!([g.left, g.bottom, g.right, g.top].iter().all(|v| v.is_finite()), "{g:?}");
                assert!(g.box_width() > 0.0 && g.box_height() > 0.0, "{g:?}");
                assert!(matches!(g.rotation, 0 | 90 | 180 | 270), "{g:?}");
            }
        }
        Err(e) => assert!(matches!(e.code, ErrorCode::PdfDamaged | ErrorCode::PdfTooManyPages), "{e:?}"),
    }
});
