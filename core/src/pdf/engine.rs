//! The PDFium engine: one dedicated thread owns the library and runs jobs from a bounded
//! queue. PDFium serialises every call behind one process-wide lock anyway, so more threads
//! would only queue behind each other; async code awaits results and never calls PDFium.
//!
//! PDFium can be bound once per process, so the engine is a process-wide singleton.

use crate::error::{AppError, ErrorCode};
use anyhow::Context as _;
use pdfium_render::prelude::Pdfium;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use tokio::sync::{mpsc, oneshot};

/// Jobs waiting for the PDFium thread at most; senders wait for room beyond that.
const QUEUE_CAPACITY: usize = 64;

type Job = Box<dyn FnOnce(&Pdfium) + Send>;

/// A cheap handle to the PDFium thread.
#[derive(Clone)]
pub struct PdfEngine {
    tx: mpsc::Sender<Job>,
    library: Arc<PathBuf>,
}

impl std::fmt::Debug for PdfEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PdfEngine").field("library", &self.library).finish()
    }
}

static ENGINE: OnceLock<PdfEngine> = OnceLock::new();
static START: std::sync::Mutex<()> = std::sync::Mutex::new(());

impl PdfEngine {
    /// Binds PDFium from `library` on its own thread (once per process) and returns a handle.
    pub fn start(library: &Path) -> anyhow::Result<Self> {
        let _guard = START.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(engine) = ENGINE.get() {
            return Ok(engine.clone());
        }
        if !library.is_file() {
            anyhow::bail!(
                "PDFium library not found at {}; run `make setup` to install it or set DOJANG_PDFIUM_LIB",
                library.display()
            );
        }
        let (tx, mut rx) = mpsc::channel::<Job>(QUEUE_CAPACITY);
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<(), String>>();
        let lib = library.to_path_buf();
        std::thread::Builder::new()
            .name("pdfium".into())
            .spawn(move || {
                let bindings = match Pdfium::bind_to_library(&lib) {
                    Ok(b) => b,
                    Err(e) => {
                        let _ = ready_tx.send(Err(format!("{e:?}")));
                        return;
                    }
                };
                let pdfium = Pdfium::new(bindings);
                let _ = ready_tx.send(Ok(()));
                while let Some(job) = rx.blocking_recv() {
                    // A panicking job must not take the engine down with it.
                    if std::panic::catch_unwind(AssertUnwindSafe(|| job(&pdfium))).is_err() {
                        tracing::error!("a PDFium job panicked");
                    }
                }
            })
            .context("starting the PDFium thread")?;
        ready_rx
            .recv()
            .context("the PDFium thread stopped while starting")?
            .map_err(|e| anyhow::anyhow!("could not load PDFium from {}: {e}", library.display()))?;
        let engine = Self { tx, library: Arc::new(library.to_path_buf()) };
        let _ = ENGINE.set(engine.clone());
        Ok(engine)
    }

    /// Runs `f` on the PDFium thread and waits for its result. Waits for queue room when the
    /// engine is busy (back-pressure instead of unbounded memory).
    pub async fn run<R, F>(&self, f: F) -> Result<R, AppError>
    where
        R: Send + 'static,
        F: FnOnce(&Pdfium) -> R + Send + 'static,
    {
        let (otx, orx) = oneshot::channel();
        let span = tracing::Span::current();
        let job: Job = Box::new(move |pdfium| {
            let _entered = span.enter();
            let _ = otx.send(f(pdfium));
        });
        let unavailable = || AppError::new(ErrorCode::ServiceUnavailable, "The PDF engine is not available");
        self.tx.send(job).await.map_err(|_| unavailable())?;
        orx.await.map_err(|_| unavailable())
    }

    /// Whether the engine answers (used by `/readyz`).
    pub async fn is_ready(&self) -> bool {
        tokio::time::timeout(std::time::Duration::from_secs(5), self.run(|_| ())).await.is_ok_and(|r| r.is_ok())
    }

    pub fn library(&self) -> &Path {
        &self.library
    }
}
