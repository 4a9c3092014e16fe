//! Rendering in a pool of PDFium worker processes (`DOJANG_RENDER_WORKERS`, default one per
//! core). PDFium serialises every call in a process, so one process renders on one core; a
//! pool of `dojang render-worker` processes renders on all of them, and isolates the server
//! from PDFium: a worker that crashes or takes longer than the timeout on a page is killed and
//! replaced, and that render fails cleanly (`RENDER_FAILED`) without touching anything else.
//!
//! A worker reads requests on stdin and answers on stdout, one frame each:
//! request  `u32 header length`, header JSON `{key, page, width, quality}`, `u64 byte count`,
//!          the PDF's bytes (none when the worker is believed to have the document open);
//! response one byte — 0 a JPEG, 1 "send the bytes" (the document is not open), 2 an error
//!          (JSON `{code, message}`) — then `u32 length` and the payload.

use crate::error::{AppError, ErrorCode};
use crate::pdf::render::{render_page, PreviewSize, Rendered};
use crate::pdf::PdfCtx;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::future::Future;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::sync::Semaphore;

/// Documents each worker keeps open (the parent mirrors the list to route pages to it).
const OPEN_PER_WORKER: usize = 4;

#[derive(Serialize, Deserialize)]
struct Request {
    key: String,
    page: u16,
    size: String,
}

#[derive(Serialize, Deserialize)]
struct Failure {
    code: ErrorCode,
    message: String,
}

/// How the pool starts its workers and how long a page may take.
#[derive(Clone, Debug)]
pub struct PoolConfig {
    pub workers: usize,
    /// The `dojang` binary (its `render-worker` command).
    pub exe: PathBuf,
    pub library: PathBuf,
    pub timeout: Duration,
}

struct Worker {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    /// Keys of the documents it has open, most recent first.
    open: VecDeque<String>,
}

#[derive(Default)]
struct Slot {
    worker: Option<Worker>,
    busy: bool,
}

/// A cheap handle to the pool.
#[derive(Clone)]
pub struct RenderPool {
    config: Arc<PoolConfig>,
    slots: Arc<Mutex<Vec<Slot>>>,
    free: Arc<Semaphore>,
    interactive_waiting: Arc<AtomicUsize>,
}

impl std::fmt::Debug for RenderPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RenderPool").field("workers", &self.config.workers).finish()
    }
}

fn failed(message: impl Into<String>) -> AppError {
    AppError::new(ErrorCode::RenderFailed, message)
}

impl RenderPool {
    /// A pool of `config.workers` (at least one); workers start when first needed.
    pub fn new(config: PoolConfig) -> Self {
        let n = config.workers.max(1);
        Self {
            slots: Arc::new(Mutex::new((0..n).map(|_| Slot::default()).collect())),
            free: Arc::new(Semaphore::new(n)),
            interactive_waiting: Arc::new(AtomicUsize::new(0)),
            config: Arc::new(config),
        }
    }

    pub fn size(&self) -> usize {
        self.config.workers.max(1)
    }

    /// The worker processes' ids (for tests and diagnostics).
    pub fn pids(&self) -> Vec<u32> {
        let slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        slots.iter().filter_map(|s| s.worker.as_ref().and_then(|w| w.child.id())).collect()
    }

    /// Page `page` of the document `key` as a JPEG; `bytes` fetches the PDF when the chosen
    /// worker does not have it open. Interactive renders go before background ones.
    pub async fn render<F, Fut>(&self, key: &str, page: u16, size: PreviewSize, interactive: bool, bytes: F) -> Result<Vec<u8>, AppError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Bytes, AppError>>,
    {
        let permit = if interactive {
            self.interactive_waiting.fetch_add(1, Ordering::SeqCst);
            let p = self.free.clone().acquire_owned().await;
            self.interactive_waiting.fetch_sub(1, Ordering::SeqCst);
            p
        } else {
            loop {
                let p = self.free.clone().acquire_owned().await;
                if self.interactive_waiting.load(Ordering::SeqCst) == 0 {
                    break p;
                }
                drop(p);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
        .map_err(|_| failed("the render pool is closed"))?;
        let (index, worker) = self.take(key);
        let mut worker = match worker {
            Some(w) => w,
            None => match self.spawn().await {
                Ok(w) => w,
                Err(e) => {
                    self.give_back(index, None);
                    return Err(e);
                }
            },
        };
        let outcome = tokio::time::timeout(self.config.timeout, exchange(&mut worker, key, page, size, bytes)).await;
        let result = match outcome {
            Ok(Ok(jpeg)) => {
                worker.open.retain(|k| k != key);
                worker.open.push_front(key.to_owned());
                worker.open.truncate(OPEN_PER_WORKER);
                self.give_back(index, Some(worker));
                Ok(jpeg)
            }
            Ok(Err(Exchange::Answered(e))) => {
                self.give_back(index, Some(worker));
                Err(e)
            }
            Ok(Err(Exchange::Broken(why))) => {
                tracing::warn!(key, page, why = %why, "a render worker died; it is replaced");
                let _ = worker.child.start_kill();
                self.give_back(index, None);
                Err(failed(format!("The page could not be rendered (the renderer stopped: {why})")))
            }
            Err(_) => {
                tracing::warn!(key, page, timeout = ?self.config.timeout, "a page took too long to render; its worker is killed and replaced");
                let _ = worker.child.start_kill();
                self.give_back(index, None);
                Err(failed(format!("The page took longer than {} s to render", self.config.timeout.as_secs_f32())))
            }
        };
        drop(permit);
        result
    }

    /// A free slot, preferring a worker that has `key` open, then a running one.
    fn take(&self, key: &str) -> (usize, Option<Worker>) {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        let free = |s: &&Slot| !s.busy;
        let pick = slots
            .iter()
            .enumerate()
            .filter(|(_, s)| free(s))
            .max_by_key(|(_, s)| match &s.worker {
                Some(w) if w.open.iter().any(|k| k == key) => 2,
                Some(_) => 1,
                None => 0,
            })
            .map(|(i, _)| i)
            .expect("a permit means a free slot");
        slots[pick].busy = true;
        (pick, slots[pick].worker.take())
    }

    fn give_back(&self, index: usize, worker: Option<Worker>) {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        slots[index] = Slot { worker, busy: false };
    }

    async fn spawn(&self) -> Result<Worker, AppError> {
        // A worker parses untrusted PDFs: it gets none of the server's settings or secrets
        // (database URL, secret key, storage credentials), only PDFium's path and logging.
        let mut command = Command::new(&self.config.exe);
        command.env_clear().arg("render-worker").env("DOJANG_PDFIUM_LIB", &self.config.library);
        for name in ["DOJANG_LOG", "DOJANG_LOG_FORMAT", "PATH", "LD_LIBRARY_PATH"] {
            if let Ok(v) = std::env::var(name) {
                command.env(name, v);
            }
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| failed(format!("starting a render worker ({}): {e}", self.config.exe.display())))?;
        let stdin = child.stdin.take().ok_or_else(|| failed("a render worker without stdin"))?;
        let stdout = BufReader::new(child.stdout.take().ok_or_else(|| failed("a render worker without stdout"))?);
        Ok(Worker { child, stdin, stdout, open: VecDeque::new() })
    }
}

enum Exchange {
    /// The worker answered with an error about this page or document.
    Answered(AppError),
    /// The pipe broke or the answer made no sense: the worker is gone.
    Broken(String),
}

async fn exchange<F, Fut>(w: &mut Worker, key: &str, page: u16, size: PreviewSize, bytes: F) -> Result<Vec<u8>, Exchange>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Bytes, AppError>>,
{
    let header = serde_json::to_vec(&Request { key: key.to_owned(), page, size: size.name().to_owned() }).map_err(|e| Exchange::Broken(e.to_string()))?;
    let known = w.open.iter().any(|k| k == key);
    let mut fetch = Some(bytes);
    let mut body = if known { Bytes::new() } else { (fetch.take().expect("not fetched yet"))().await.map_err(Exchange::Answered)? };
    loop {
        send(w, &header, &body).await.map_err(|e| Exchange::Broken(e.to_string()))?;
        let (kind, payload) = receive(w).await.map_err(|e| Exchange::Broken(e.to_string()))?;
        match kind {
            0 => return Ok(payload),
            1 => match fetch.take() {
                Some(f) => body = f().await.map_err(Exchange::Answered)?,
                None => return Err(Exchange::Broken("asked for the document twice".into())),
            },
            2 => {
                let f: Failure = serde_json::from_slice(&payload).map_err(|e| Exchange::Broken(e.to_string()))?;
                return Err(Exchange::Answered(AppError::new(f.code, f.message)));
            }
            other => return Err(Exchange::Broken(format!("unknown answer {other}"))),
        }
    }
}

async fn send(w: &mut Worker, header: &[u8], body: &[u8]) -> std::io::Result<()> {
    w.stdin.write_all(&(header.len() as u32).to_le_bytes()).await?;
    w.stdin.write_all(header).await?;
    w.stdin.write_all(&(body.len() as u64).to_le_bytes()).await?;
    w.stdin.write_all(body).await?;
    w.stdin.flush().await
}

/// Largest answer accepted from a worker (a JPEG preview is far smaller).
const MAX_ANSWER: u32 = 64 * 1024 * 1024;

async fn receive(w: &mut Worker) -> std::io::Result<(u8, Vec<u8>)> {
    let kind = w.stdout.read_u8().await?;
    let len = w.stdout.read_u32_le().await?;
    if len > MAX_ANSWER {
        return Err(std::io::Error::other(format!("an answer of {len} bytes")));
    }
    let mut payload = vec![0u8; len as usize];
    w.stdout.read_exact(&mut payload).await?;
    Ok((kind, payload))
}

/// The `dojang render-worker` process: binds PDFium from `library` and answers requests on
/// stdin/stdout until stdin closes.
pub fn run_worker(library: &std::path::Path) -> anyhow::Result<()> {
    let bindings = pdfium_render::prelude::Pdfium::bind_to_library(library).map_err(|e| anyhow::anyhow!("loading PDFium from {}: {e:?}", library.display()))?;
    let pdfium: &'static pdfium_render::prelude::Pdfium = Box::leak(Box::new(pdfium_render::prelude::Pdfium::new(bindings)));
    Ok(serve_worker(pdfium)?)
}

fn serve_worker(pdfium: &'static pdfium_render::prelude::Pdfium) -> std::io::Result<()> {
    let mut ctx = PdfCtx::new(pdfium);
    let mut input = std::io::BufReader::new(std::io::stdin().lock());
    let mut output = std::io::BufWriter::new(std::io::stdout().lock());
    loop {
        let mut len = [0u8; 4];
        if let Err(e) = input.read_exact(&mut len) {
            return if e.kind() == std::io::ErrorKind::UnexpectedEof { Ok(()) } else { Err(e) };
        }
        let mut header = vec![0u8; u32::from_le_bytes(len) as usize];
        input.read_exact(&mut header)?;
        let mut count = [0u8; 8];
        input.read_exact(&mut count)?;
        let mut pdf = vec![0u8; u64::from_le_bytes(count) as usize];
        input.read_exact(&mut pdf)?;
        let (kind, payload) = match answer(&mut ctx, &header, pdf) {
            Ok(Some(jpeg)) => (0u8, jpeg),
            Ok(None) => (1, Vec::new()),
            Err(e) => (2, serde_json::to_vec(&Failure { code: e.code, message: e.message }).unwrap_or_default()),
        };
        output.write_all(&[kind])?;
        output.write_all(&(payload.len() as u32).to_le_bytes())?;
        output.write_all(&payload)?;
        output.flush()?;
    }
}

fn answer(ctx: &mut PdfCtx, header: &[u8], pdf: Vec<u8>) -> Result<Option<Vec<u8>>, AppError> {
    let req: Request = serde_json::from_slice(header).map_err(|e| AppError::internal_msg(format!("a render request that does not parse: {e}")))?;
    let size = PreviewSize::parse(&req.size).ok_or_else(|| AppError::internal_msg("a render request with an unknown size"))?;
    match render_page(ctx, &req.key, (!pdf.is_empty()).then_some(pdf), req.page, size)? {
        Rendered::Pixels(bitmap) => bitmap.to_jpeg(size).map(Some),
        Rendered::NeedBytes => Ok(None),
    }
}
