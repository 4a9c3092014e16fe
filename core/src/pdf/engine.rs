//! The PDFium engine: one dedicated thread owns the library and runs jobs. PDFium serialises
//! every call behind one process-wide lock, so more threads would only queue behind each
//! other; async code sends jobs and awaits their results, never calling PDFium itself.
//!
//! Two queues: interactive jobs (a page someone is looking at, an upload being checked) go
//! first; background jobs (pre-rendering) run when nothing interactive waits. Interactive
//! jobs are bounded: senders wait for room instead of piling up memory.
//!
//! PDFium can be bound once per process, so the engine is a process-wide singleton.

use crate::error::{AppError, ErrorCode};
use anyhow::Context as _;
use pdfium_render::prelude::{PdfDocument, Pdfium};
use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use tokio::sync::{oneshot, Semaphore};

/// Interactive jobs waiting at most; senders wait for room beyond that.
const INTERACTIVE_CAPACITY: usize = 64;
/// Open documents kept between jobs (rendering page after page re-parses nothing).
const OPEN_DOCUMENTS: usize = 4;

type Job = Box<dyn FnOnce(&mut PdfCtx) + Send>;

/// What a job gets on the PDFium thread: the library and a small cache of open documents.
pub struct PdfCtx {
    pub pdfium: &'static Pdfium,
    open: VecDeque<(String, PdfDocument<'static>)>,
}

impl PdfCtx {
    /// A context of its own over `pdfium` (a render worker process has one).
    pub(crate) fn new(pdfium: &'static Pdfium) -> Self {
        Self { pdfium, open: VecDeque::new() }
    }

    /// The open document cached under `key`, if any (and marks it recently used).
    pub fn cached(&mut self, key: &str) -> Option<&PdfDocument<'static>> {
        let at = self.open.iter().position(|(k, _)| k == key)?;
        let entry = self.open.remove(at)?;
        self.open.push_front(entry);
        self.open.front().map(|(_, d)| d)
    }

    /// Keeps `doc` open under `key`, closing the least recently used one past the limit.
    pub fn keep(&mut self, key: String, doc: PdfDocument<'static>) -> &PdfDocument<'static> {
        self.open.retain(|(k, _)| *k != key);
        self.open.push_front((key, doc));
        self.open.truncate(OPEN_DOCUMENTS);
        &self.open[0].1
    }
}

#[derive(Default)]
struct Queues {
    interactive: VecDeque<Job>,
    background: VecDeque<Job>,
}

struct Shared {
    queues: Mutex<Queues>,
    ready: Condvar,
    room: Semaphore,
}

/// A cheap handle to the PDFium thread.
#[derive(Clone)]
pub struct PdfEngine {
    shared: Arc<Shared>,
    library: Arc<PathBuf>,
}

impl std::fmt::Debug for PdfEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PdfEngine").field("library", &self.library).finish()
    }
}

static ENGINE: OnceLock<PdfEngine> = OnceLock::new();
static START: Mutex<()> = Mutex::new(());

impl PdfEngine {
    /// Binds PDFium from `library` on its own thread (once per process) and returns a handle.
    pub fn start(library: &Path) -> anyhow::Result<Self> {
        let _guard = START.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(engine) = ENGINE.get() {
            return Ok(engine.clone());
        }
        if !library.is_file() {
            anyhow::bail!("PDFium library not found at {}; run `make setup` to install it or set DOJANG_PDFIUM_LIB", library.display());
        }
        let shared = Arc::new(Shared { queues: Mutex::new(Queues::default()), ready: Condvar::new(), room: Semaphore::new(INTERACTIVE_CAPACITY) });
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<(), String>>();
        let lib = library.to_path_buf();
        let worker = shared.clone();
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
                // Lives as long as the process, so open documents can be cached across jobs.
                let pdfium: &'static Pdfium = Box::leak(Box::new(Pdfium::new(bindings)));
                let _ = ready_tx.send(Ok(()));
                work(&worker, PdfCtx { pdfium, open: VecDeque::new() });
            })
            .context("starting the PDFium thread")?;
        ready_rx
            .recv()
            .context("the PDFium thread stopped while starting")?
            .map_err(|e| anyhow::anyhow!("could not load PDFium from {}: {e}", library.display()))?;
        let engine = Self { shared, library: Arc::new(library.to_path_buf()) };
        let _ = ENGINE.set(engine.clone());
        Ok(engine)
    }

    /// Runs `f` on the PDFium thread ahead of background work and waits for its result.
    pub async fn run<R, F>(&self, f: F) -> Result<R, AppError>
    where
        R: Send + 'static,
        F: FnOnce(&mut PdfCtx) -> R + Send + 'static,
    {
        let permit = self.shared.room.acquire().await.map_err(|_| unavailable())?;
        let (otx, orx) = oneshot::channel();
        let span = tracing::Span::current();
        self.push(
            true,
            Box::new(move |ctx| {
                let _entered = span.enter();
                let _ = otx.send(f(ctx));
            }),
        );
        let result = orx.await.map_err(|_| unavailable());
        drop(permit);
        result
    }

    /// Runs `f` when no interactive job is waiting. Callers send one job at a time.
    pub async fn run_background<R, F>(&self, f: F) -> Result<R, AppError>
    where
        R: Send + 'static,
        F: FnOnce(&mut PdfCtx) -> R + Send + 'static,
    {
        let (otx, orx) = oneshot::channel();
        self.push(
            false,
            Box::new(move |ctx| {
                let _ = otx.send(f(ctx));
            }),
        );
        orx.await.map_err(|_| unavailable())
    }

    fn push(&self, interactive: bool, job: Job) {
        let mut q = self.shared.queues.lock().unwrap_or_else(|p| p.into_inner());
        if interactive {
            q.interactive.push_back(job);
        } else {
            q.background.push_back(job);
        }
        self.shared.ready.notify_one();
    }

    /// Whether the engine answers (used by `/readyz`).
    pub async fn is_ready(&self) -> bool {
        tokio::time::timeout(std::time::Duration::from_secs(5), self.run(|_| ())).await.is_ok_and(|r| r.is_ok())
    }

    pub fn library(&self) -> &Path {
        &self.library
    }
}

fn unavailable() -> AppError {
    AppError::new(ErrorCode::ServiceUnavailable, "The PDF engine is not available")
}

fn work(shared: &Shared, mut ctx: PdfCtx) {
    loop {
        let job = {
            let mut q = shared.queues.lock().unwrap_or_else(|p| p.into_inner());
            loop {
                if let Some(job) = q.interactive.pop_front().or_else(|| q.background.pop_front()) {
                    break job;
                }
                q = shared.ready.wait(q).unwrap_or_else(|p| p.into_inner());
            }
        };
        // A panicking job must not take the engine down with it.
        if std::panic::catch_unwind(AssertUnwindSafe(|| job(&mut ctx))).is_err() {
            tracing::error!("a PDFium job panicked");
            ctx.open.clear();
        }
    }
}
