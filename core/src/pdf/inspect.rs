//! Checking an upload: is it really a PDF, can PDFium open it without a password, how many
//! pages, and each page's boxes and rotation. Every refusal has its own stable code. Also
//! what the pages say: their characters with their boxes, the text tags and anchors in them.

use super::tags::{self, Found, PageChar};
use super::PdfCtx;
use crate::error::{AppError, ErrorCode};
use crate::geometry::{PageGeometry, UserRect};
use pdfium_render::prelude::{PdfDocument, PdfPage, PdfPageRenderRotation, PdfRect, PdfiumError, PdfiumInternalError};

/// A page's boxes: what is displayed (CropBox ∩ MediaBox, with /Rotate) and the MediaBox.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PageBoxes {
    pub geometry: PageGeometry,
    pub media: [f64; 4],
}

/// Cheap checks on the bytes before PDFium sees them.
pub fn check_bytes(bytes: &[u8]) -> Result<(), AppError> {
    if bytes.is_empty() {
        return Err(AppError::new(ErrorCode::PdfEmpty, "The file is empty"));
    }
    // The header may follow some junk, but within the first 1024 bytes (ISO 32000, 7.5.2).
    let head = &bytes[..bytes.len().min(1024)];
    if !head.windows(5).any(|w| w == b"%PDF-") {
        return Err(AppError::new(ErrorCode::NotAPdf, "The file is not a PDF"));
    }
    Ok(())
}

/// Maps PDFium's reasons for not opening a document to our codes.
pub fn open_error(e: &PdfiumError) -> AppError {
    match e {
        PdfiumError::PdfiumLibraryInternalError(PdfiumInternalError::PasswordError) => {
            AppError::new(ErrorCode::PdfEncrypted, "The PDF is protected by a password; upload a copy without the password")
        }
        PdfiumError::PdfiumLibraryInternalError(PdfiumInternalError::SecurityError) => {
            AppError::new(ErrorCode::PdfEncrypted, "The PDF uses an unsupported security handler")
        }
        _ => AppError::new(ErrorCode::PdfDamaged, "The PDF is damaged and cannot be opened"),
    }
}

/// Opens `bytes` (no password: files with an empty user password open normally) and reads
/// every page's boxes. Refuses more than `max_pages` pages, and files certified against any
/// change (sealing them would break their certification).
pub fn inspect(ctx: &mut PdfCtx, bytes: &[u8], max_pages: u32) -> Result<Vec<PageBoxes>, AppError> {
    let doc = ctx.pdfium.load_pdf_from_byte_slice(bytes, None).map_err(|e| open_error(&e))?;
    if signatures(&doc).docmdp == Some(1) {
        return Err(AppError::new(
            ErrorCode::PdfCertifiedNoChanges,
            "The PDF is certified against any change, so it cannot be filled in or signed; upload a copy without the certification",
        ));
    }
    page_boxes(&doc, max_pages)
}

/// The digital signatures a document already carries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Signed {
    pub count: usize,
    /// The strictest DocMDP permission of a certification signature: 1 no changes, 2 form
    /// filling and signing, 3 also annotations; `None` when nothing certifies it.
    pub docmdp: Option<u8>,
}

/// What signatures `doc` carries and what its certification allows.
pub fn signatures(doc: &PdfDocument<'_>) -> Signed {
    use pdfium_render::prelude::PdfSignatureModificationDetectionPermission as Mdp;
    let mut out = Signed::default();
    for sig in doc.signatures().iter() {
        out.count += 1;
        let p = match sig.modification_detection_permission() {
            Ok(Mdp::Mdp1) => 1,
            Ok(Mdp::Mdp2) => 2,
            Ok(Mdp::Mdp3) => 3,
            Err(_) => continue,
        };
        out.docmdp = Some(out.docmdp.map_or(p, |q: u8| q.min(p)));
    }
    out
}

pub fn page_boxes(doc: &PdfDocument<'_>, max_pages: u32) -> Result<Vec<PageBoxes>, AppError> {
    let count = doc.pages().len();
    if count == 0 {
        return Err(AppError::new(ErrorCode::PdfDamaged, "The PDF has no pages"));
    }
    if count < 0 || count as u32 > max_pages {
        return Err(AppError::new(ErrorCode::PdfTooManyPages, format!("The PDF has {count} pages; at most {max_pages} are allowed")));
    }
    let mut out = Vec::with_capacity(count as usize);
    // Every page the document counts must open: an iterator that skips the ones that do not
    // would record fewer pages than the file has (found by fuzzing).
    for index in 0..count {
        let page = doc.pages().get(index).map_err(|_| AppError::new(ErrorCode::PdfDamaged, format!("Page {} of the PDF cannot be read", index + 1)))?;
        let b = page.boundaries();
        // The page's own boxes can be inherited from the page tree, which `media()` and
        // `crop()` do not look at; PDFium's bounding box (the CropBox clipped to the MediaBox,
        // inherited or not) is what it renders.
        let bounding = b.bounding().map(|m| m.bounds).ok();
        let media = b.media().map(|m| m.bounds).ok().or(bounding).unwrap_or(PdfRect::new_from_values(0.0, 0.0, 792.0, 612.0));
        let crop = b.crop().map(|c| c.bounds).ok().or(bounding).unwrap_or(media);
        let rotation = match page.rotation().unwrap_or(PdfPageRenderRotation::None) {
            PdfPageRenderRotation::None => 0,
            PdfPageRenderRotation::Degrees90 => 90,
            PdfPageRenderRotation::Degrees180 => 180,
            PdfPageRenderRotation::Degrees270 => 270,
        };
        let m = rect(&media);
        let c = rect(&crop);
        // The visible area is the CropBox clipped to the MediaBox (ISO 32000, 14.11.2).
        let mut g = PageGeometry { left: c[0].max(m[0]), bottom: c[1].max(m[1]), right: c[2].min(m[2]), top: c[3].min(m[3]), rotation };
        if g.right - g.left < 1.0 || g.top - g.bottom < 1.0 {
            g = PageGeometry { left: m[0], bottom: m[1], right: m[2], top: m[3], rotation };
        }
        if g.right - g.left < 1.0 || g.top - g.bottom < 1.0 {
            return Err(AppError::new(ErrorCode::PdfDamaged, "A page of the PDF has no area"));
        }
        out.push(PageBoxes { geometry: g, media: m });
    }
    Ok(out)
}

/// Most characters read from one page (a dense page of text has a few thousand).
const MAX_PAGE_CHARS: i32 = 100_000;

/// A page's characters in PDFium's reading order, each with its box in user space (the
/// loose box: the line's full height, which a field over a tag should cover).
pub fn page_chars(page: &PdfPage<'_>) -> Vec<PageChar> {
    let Ok(text) = page.text() else {
        return Vec::new();
    };
    let chars = text.chars();
    let mut out = Vec::new();
    for c in chars.iter().take(MAX_PAGE_CHARS as usize) {
        let Some(ch) = c.unicode_char() else { continue };
        let bbox = c.loose_bounds().map(|r| rect(&r)).unwrap_or([0.0; 4]);
        out.push(PageChar { ch, bbox: UserRect { left: bbox[0], bottom: bbox[1], right: bbox[2], top: bbox[3] } });
    }
    out
}

/// The document's text tags, at most `limit` (pages past it are not read): (page index,
/// what was found).
pub fn text_tags(doc: &PdfDocument<'_>, limit: usize) -> Vec<(u32, Found)> {
    doc.pages().iter().enumerate().flat_map(|(i, page)| tags::find(&page_chars(&page)).into_iter().map(move |f| (i as u32, f))).take(limit).collect()
}

/// The occurrences of `needle` in the document's text, at most `limit`: (page index, its box).
pub fn anchors(doc: &PdfDocument<'_>, needle: &str, limit: usize) -> Vec<(u32, UserRect)> {
    doc.pages().iter().enumerate().flat_map(|(i, page)| tags::anchors(&page_chars(&page), needle).into_iter().map(move |r| (i as u32, r))).take(limit).collect()
}

/// (left, bottom, right, top), normalised so left < right and bottom < top.
fn rect(r: &PdfRect) -> [f64; 4] {
    let (l, rgt) = (r.left().value as f64, r.right().value as f64);
    let (b, t) = (r.bottom().value as f64, r.top().value as f64);
    [l.min(rgt), b.min(t), l.max(rgt), b.max(t)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_checked_before_pdfium() {
        assert_eq!(check_bytes(b"").unwrap_err().code, ErrorCode::PdfEmpty);
        assert_eq!(check_bytes(b"not even a pdf file\n").unwrap_err().code, ErrorCode::NotAPdf);
        assert!(check_bytes(b"%PDF-1.7\n...").is_ok());
        let mut offset = vec![b' '; 300];
        offset.extend_from_slice(b"%PDF-2.0\n");
        assert!(check_bytes(&offset).is_ok(), "junk before the header is allowed");
        let mut late = vec![b' '; 1100];
        late.extend_from_slice(b"%PDF-2.0\n");
        assert_eq!(check_bytes(&late).unwrap_err().code, ErrorCode::NotAPdf);
    }
}
