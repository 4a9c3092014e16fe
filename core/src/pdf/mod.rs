//! Everything Dojang does with PDF files: the PDFium engine, checking uploads, rendering
//! page previews, reading the fields a document places itself (text tags, anchors, its own form) and
//! writing values back into its form.

pub mod acroform;
mod engine;
pub mod font;
pub mod fonts;
pub mod inspect;
pub mod pool;
pub mod raw;
pub mod render;
pub mod tags;
pub mod write;

pub use engine::{PdfCtx, PdfEngine};

use crate::error::AppError;
use crate::infra::blocking::spawn_blocking_with_tracing;
use bytes::Bytes;
use pool::RenderPool;
use render::{render_page, PreviewSize, Rendered};
use std::future::Future;

/// Where page previews are rendered: on this process's PDFium thread, or in the pool of
/// render worker processes (the default: every core, and crashes stay out of the server).
#[derive(Clone, Debug)]
pub enum Renderer {
    InProcess(PdfEngine),
    Pool(RenderPool),
}

impl Renderer {
    /// Page `page` of the document cached as `key` as a JPEG; `bytes` fetches the PDF when the
    /// renderer does not have the document open.
    pub async fn render<F, Fut>(&self, key: &str, page: u16, size: PreviewSize, interactive: bool, bytes: F) -> Result<Vec<u8>, AppError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Bytes, AppError>>,
    {
        match self {
            Self::Pool(pool) => pool.render(key, page, size, interactive, bytes).await,
            Self::InProcess(engine) => {
                let mut pdf: Option<Vec<u8>> = None;
                let mut fetch = Some(bytes);
                loop {
                    let key = key.to_owned();
                    let given = pdf.take();
                    let job = move |ctx: &mut PdfCtx| render_page(ctx, &key, given, page, size);
                    let out = if interactive { engine.run(job).await?? } else { engine.run_background(job).await?? };
                    match (out, fetch.take()) {
                        (Rendered::Pixels(bitmap), _) => return spawn_blocking_with_tracing(move || bitmap.to_jpeg(size)).await?,
                        (Rendered::NeedBytes, Some(f)) => pdf = Some(f().await?.into()),
                        (Rendered::NeedBytes, None) => return Err(AppError::internal_msg("the renderer asked for the document twice")),
                    }
                }
            }
        }
    }
}
