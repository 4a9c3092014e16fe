//! Everything Dojang does with PDF files: the PDFium engine, checking uploads, rendering
//! page previews.

mod engine;
pub mod inspect;
pub mod render;

pub use engine::{PdfCtx, PdfEngine};
