//! Everything Dojang does with PDF files: the PDFium engine, checking uploads, rendering
//! page previews.

mod engine;
pub mod font;
pub mod fonts;
pub mod inspect;
pub mod raw;
pub mod render;
pub mod write;

pub use engine::{PdfCtx, PdfEngine};
