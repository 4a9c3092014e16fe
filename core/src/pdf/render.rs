//! Page previews: a page rendered by PDFium and encoded as JPEG (small, fast to encode, and
//! pages are mostly text on white, which JPEG at this quality keeps crisp enough to place
//! fields on). Two sizes: the page itself, sharp at 2× on a ~800 px column, and a thumbnail.

use super::inspect::open_error;
use super::PdfCtx;
use crate::error::{AppError, ErrorCode};
use pdfium_render::prelude::{PdfBitmap, PdfBitmapFormat, PdfColor, PdfRenderConfig};

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
pub fn render_page(ctx: &mut PdfCtx, key: &str, bytes: Option<Vec<u8>>, index: u16, size: PreviewSize) -> Result<Rendered, AppError> {
    if ctx.cached(key).is_none() {
        let Some(bytes) = bytes else { return Ok(Rendered::NeedBytes) };
        let doc = ctx.pdfium.load_pdf_from_byte_vec(bytes, None).map_err(|e| open_error(&e))?;
        ctx.keep(key.to_owned(), doc);
    }
    let doc = ctx.cached(key).ok_or_else(|| AppError::internal_msg("document vanished from the cache"))?;
    let page = doc.pages().get(i32::from(index)).map_err(|_| AppError::not_found("Page"))?;
    let (width, height) = pixel_size(page.width().value, page.height().value, size.width())
        .ok_or_else(|| AppError::new(ErrorCode::PdfDamaged, "The page has no renderable size"))?;
    // PDFium draws straight into the buffer that leaves with the result (no copy), in its own
    // byte order: BGRA (pdfium-render asks for RGBA by default, which costs a swap per pixel
    // and is not what the JPEG encoder is told).
    let (w, h) = (width as i32, height as i32);
    let mut bgra = vec![0u8; PdfBitmap::bytes_required_for_size_and_format(w, h, PdfBitmapFormat::BGRA)];
    {
        let damaged = |e| AppError::new(ErrorCode::PdfDamaged, format!("The page could not be rendered: {e:?}"));
        let mut bitmap = PdfBitmap::from_bytes(w, h, PdfBitmapFormat::BGRA, &mut bgra).map_err(damaged)?;
        let config = PdfRenderConfig::new()
            .set_target_size(w, h)
            .set_clear_color(PdfColor::WHITE)
            .set_reverse_byte_order(false)
            .render_form_data(true)
            .render_annotations(true);
        page.render_into_bitmap_with_config(&mut bitmap, &config).map_err(damaged)?;
    }
    Ok(Rendered::Pixels(Bitmap { bgra, width, height }))
}

/// The preview's size in pixels for a page of `w × h` points (as displayed) shown `width`
/// pixels wide. Very tall pages (banners, receipts) are capped at four widths; the preview is
/// then narrower, keeping the page's proportions.
fn pixel_size(w: f32, h: f32, width: u16) -> Option<(usize, usize)> {
    if !(w.is_finite() && h.is_finite() && w > 0.0 && h > 0.0) {
        return None;
    }
    let max_height = f32::from(width) * 4.0;
    let scale = (f32::from(width) / w).min(max_height / h);
    Some((((w * scale).round() as usize).max(1), ((h * scale).round() as usize).max(1)))
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
    encoder.encode(&packed, width as u16, height as u16, jpeg_encoder::ColorType::Bgra).map_err(|e| AppError::internal_msg(format!("JPEG encoding: {e}")))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previews_keep_the_page_proportions_and_cap_very_tall_pages() {
        assert_eq!(pixel_size(595.0, 842.0, 1600), Some((1600, 2264)));
        assert_eq!(pixel_size(842.0, 595.0, 240), Some((240, 170)));
        // A receipt 10 times taller than wide: 4 widths tall, narrower.
        assert_eq!(pixel_size(100.0, 1000.0, 1600), Some((640, 6400)));
        assert_eq!(pixel_size(0.0, 842.0, 1600), None);
        assert_eq!(pixel_size(f32::NAN, 842.0, 1600), None);
    }

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

    /// A one-page PDF (200 × 200 pt) filled with pure red.
    fn red_page() -> Vec<u8> {
        let content = "1 0 0 rg 0 0 200 200 re f";
        let objects = [
            "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R >>".to_owned(),
            format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
        ];
        let mut pdf = b"%PDF-1.7\n".to_vec();
        let mut offsets = Vec::new();
        for (i, o) in objects.iter().enumerate() {
            offsets.push(pdf.len());
            pdf.extend(format!("{} 0 obj\n{o}\nendobj\n", i + 1).bytes());
        }
        let xref = pdf.len();
        pdf.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).bytes());
        for o in offsets {
            pdf.extend(format!("{o:010} 00000 n \n").bytes());
        }
        pdf.extend(format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1).bytes());
        pdf
    }

    #[test]
    fn pages_come_out_in_the_byte_order_the_encoder_is_told() {
        let lib = std::env::var("DOJANG_PDFIUM_LIB").expect("DOJANG_PDFIUM_LIB names libpdfium");
        let engine = crate::pdf::PdfEngine::start(std::path::Path::new(&lib)).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let out = rt.block_on(engine.run(|ctx| render_page(ctx, "red", Some(red_page()), 0, PreviewSize::Thumb))).unwrap().unwrap();
        let Rendered::Pixels(b) = out else { panic!("the document was given") };
        assert_eq!((b.width, b.height), (240, 240));
        let stride = b.bgra.len() / b.height;
        let px = &b.bgra[120 * stride + 120 * 4..][..4];
        assert_eq!(px, [0, 0, 255, 255], "blue, green, red, alpha: red is red");
    }
}
