//! Everything Dojang does with PDF files.

mod engine;
pub use engine::PdfEngine;
