//! Page previews: a page rendered by PDFium and encoded as JPEG (small, fast to encode, and
//! pages are mostly text on white, which JPEG at this quality keeps crisp enough to place
//! fields on). Two sizes: the page itself, sharp at 2× on a ~800 px column, and a thumbnail.

use super::inspect::open_error;
use super::PdfCtx;
use crate::error::{AppError, ErrorCode};
use pdfium_render::prelude::{PdfBitmapFormat, PdfColor, PdfRenderConfig};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PreviewSize {
    Page,
    Thumb,
}

impl PreviewSize {
    pub fn width(self) -> u16 {
        match self {
            Self::Page => 1600,
            Self::Thumb => 240,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Page => "page",
            Self::Thumb => "thumb",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "page" => Some(Self::Page),
            "thumb" => Some(Self::Thumb),
            _ => None,
        }
    }

    fn quality(self) -> u8 {
        match self {
            Self::Page => 82,
            Self::Thumb => 75,
        }
    }
}

/// Pixels straight from PDFium: BGRA rows of `stride` bytes.
pub struct Bitmap {
    pub bgra: Vec<u8>,
    pub width: usize,
    pub height: usize,
}

impl Bitmap {
    /// Encodes off the PDFium thread, so PDFium can render the next page meanwhile.
    pub fn to_jpeg(&self, size: PreviewSize) -> Result<Vec<u8>, AppError> {
        encode_jpeg(&self.bgra, self.width, self.height, size.quality())
    }
}

/// The answer of a render job: the pixels, or a request for the document's bytes when the
/// engine does not have it open (the caller fetches them and asks again).
pub enum Rendered {
    Pixels(Bitmap),
    NeedBytes,
}

/// Renders page `index` of the document cached under `key` (opening it from `bytes` when
/// given and not cached).
pub fn render_page(
    ctx: &mut PdfCtx,
    key: &str,
    bytes: Option<Vec<u8>>,
    index: u16,
    size: PreviewSize,
) -> Result<Rendered, AppError> {
    if ctx.cached(key).is_none() {
        let Some(bytes) = bytes else { return Ok(Rendered::NeedBytes) };
        let doc = ctx.pdfium.load_pdf_from_byte_vec(bytes, None).map_err(|e| open_error(&e))?;
        ctx.keep(key.to_owned(), doc);
    }
    let doc = ctx.cached(key).ok_or_else(|| AppError::internal_msg("document vanished from the cache"))?;
    let page = doc.pages().get(i32::from(index)).map_err(|_| AppError::not_found("Page"))?;
    let width = size.width();
    let config = PdfRenderConfig::new()
        .set_target_width(width as i32)
        // Very tall pages (banners, receipts) are capped; the preview scales to fit.
        .set_maximum_height(width as i32 * 4)
        .set_format(PdfBitmapFormat::BGRA)
        .set_clear_color(PdfColor::WHITE)
        .render_form_data(true)
        .render_annotations(true);
    let bitmap = page
        .render_with_config(&config)
        .map_err(|e| AppError::new(ErrorCode::PdfDamaged, format!("The page could not be rendered: {e:?}")))?;
    let (width, height) = (bitmap.width() as usize, bitmap.height() as usize);
    Ok(Rendered::Pixels(Bitmap { bgra: bitmap.as_raw_bytes(), width, height }))
}

/// BGRA rows (any stride) to a baseline JPEG.
pub fn encode_jpeg(bgra: &[u8], width: usize, height: usize, quality: u8) -> Result<Vec<u8>, AppError> {
    if width == 0 || height == 0 || width > u16::MAX as usize || height > u16::MAX as usize {
        return Err(AppError::new(ErrorCode::PdfDamaged, "The page has no renderable size"));
    }
    let stride = bgra.len() / height;
    let packed: std::borrow::Cow<[u8]> = if stride == width * 4 {
        std::borrow::Cow::Borrowed(&bgra[..width * 4 * height])
    } else {
        let mut v = Vec::with_capacity(width * 4 * height);
        for row in bgra.chunks(stride).take(height) {
            v.extend_from_slice(&row[..width * 4]);
        }
        std::borrow::Cow::Owned(v)
    };
    let mut out = Vec::with_capacity(width * height / 4);
    let encoder = jpeg_encoder::Encoder::new(&mut out, quality);
    encoder
        .encode(&packed, width as u16, height as u16, jpeg_encoder::ColorType::Bgra)
        .map_err(|e| AppError::internal_msg(format!("JPEG encoding: {e}")))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_bgra_with_padding_to_jpeg() {
        // 3×2 white pixels with 4 bytes of row padding.
        let mut raw = Vec::new();
        for _ in 0..2 {
            raw.extend(std::iter::repeat_n(255u8, 12));
            raw.extend([0u8; 4]);
        }
        let jpeg = encode_jpeg(&raw, 3, 2, 80).unwrap();
        assert_eq!(&jpeg[..2], &[0xFF, 0xD8], "a JPEG starts with SOI");
        assert_eq!(&jpeg[jpeg.len() - 2..], &[0xFF, 0xD9]);
    }
}
