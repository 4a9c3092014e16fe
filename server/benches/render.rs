//! Page rendering benchmark (not a test): `scripts/bench.sh render` (release build).
//!
//! 1. CPU ms per page for the corpus's long documents: Dojang (PDFium render; and render +
//!    JPEG, what a preview costs) beside `mutool draw` (MuPDF; render only, and render +
//!    PNG) at the same width, 1600 px.
//! 2. The real server (`dojang`, release) with the 352-page book: time from upload to the
//!    first page preview, and to every page pre-rendered; the server's peak memory (VmHWM) —
//!    rendering on the server's own PDFium thread, in a pool of 1 render worker and of one per
//!    core; then 10 uploads at once; beside `mutool draw` of the whole book in the same run.
//!
//! Prints a Markdown table and writes it to `server/benches/results/render.md`.

use dojang_core::pdf::render::{render_page, PreviewSize, Rendered};
use dojang_core::pdf::PdfEngine;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{cpu_model, num_cores, root, today};

const DOCS: [&str; 3] = ["long__freeculture.pdf", "long__linearized_with_object_streams.pdf", "long-cjk__lshort-ko.pdf"];

fn fixture(name: &str) -> PathBuf {
    root().join("server/tests/fixtures/pdf").join(name)
}

/// CPU seconds (user + system) used so far by this process, or by its waited-for children.
fn cpu_seconds(children: bool) -> f64 {
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(if children { libc::RUSAGE_CHILDREN } else { libc::RUSAGE_SELF }, &mut u) };
    let t = |v: libc::timeval| v.tv_sec as f64 + v.tv_usec as f64 / 1e6;
    t(u.ru_utime) + t(u.ru_stime)
}

fn pages_of(engine: &PdfEngine, rt: &tokio::runtime::Runtime, bytes: Vec<u8>) -> usize {
    rt.block_on(engine.run(move |ctx| dojang_core::pdf::inspect::inspect(ctx, &bytes, 10_000).map(|p| p.len()))).unwrap().unwrap()
}

/// Dojang: renders every page; with `jpeg`, also encodes it as the preview is. Returns CPU ms/page.
fn dojang_ms_per_page(engine: &PdfEngine, rt: &tokio::runtime::Runtime, file: &Path, jpeg: bool) -> (f64, usize) {
    let bytes = std::fs::read(file).unwrap();
    let n = pages_of(engine, rt, bytes.clone());
    let key = format!("bench-{}", file.display());
    let before = cpu_seconds(false);
    let mut first = Some(bytes);
    for i in 0..n {
        let (k, b) = (key.clone(), first.take());
        let out = rt.block_on(engine.run(move |ctx| render_page(ctx, &k, b, i as u16, PreviewSize::Page))).unwrap().unwrap();
        match out {
            Rendered::Pixels(bitmap) => {
                if jpeg {
                    bitmap.to_jpeg(PreviewSize::Page).unwrap();
                }
            }
            Rendered::NeedBytes => panic!("document was not kept open"),
        }
    }
    ((cpu_seconds(false) - before) * 1000.0 / n as f64, n)
}

/// MuPDF: `mutool draw -w 1600`, render only or to PNG files. Returns CPU ms/page.
fn mutool_ms_per_page(file: &Path, pages: usize, png: bool) -> Option<f64> {
    let out = std::env::temp_dir().join("dojang-bench-mutool");
    let _ = std::fs::create_dir_all(&out);
    let before = cpu_seconds(true);
    let mut cmd = Command::new("mutool");
    cmd.args(["draw", "-q", "-w", "1600"]);
    if png {
        cmd.arg("-o").arg(out.join("p%d.png"));
    }
    let status = cmd.arg(file).stdout(Stdio::null()).stderr(Stdio::null()).status().ok()?;
    if !status.success() {
        return None;
    }
    let _ = std::fs::remove_dir_all(&out);
    Some((cpu_seconds(true) - before) * 1000.0 / pages as f64)
}

fn main() {
    let lib = std::env::var("DOJANG_PDFIUM_LIB").unwrap_or_else(|_| root().join(".tools/pdfium/libpdfium.so").display().to_string());
    let engine = PdfEngine::start(Path::new(&lib)).expect("PDFium");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mutool_version = Command::new("mutool").arg("-v").output().ok().map(|o| String::from_utf8_lossy(&o.stderr).trim().to_owned());

    let mut md = String::new();
    writeln!(md, "# Page rendering benchmark\n").unwrap();
    writeln!(md, "Measured {} on {} ({} cores), release build. Width 1600 px (the editor's preview size).", today(), cpu_model(), num_cores()).unwrap();
    writeln!(md, "MuPDF: {}. CPU ms per page = (user + system CPU time) / pages.\n", mutool_version.as_deref().unwrap_or("mutool not found")).unwrap();
    writeln!(md, "| document | pages | Dojang render | Dojang render + JPEG | mutool render | mutool render + PNG |").unwrap();
    writeln!(md, "| --- | ---: | ---: | ---: | ---: | ---: |").unwrap();
    for doc in DOCS {
        let file = fixture(doc);
        let (render, n) = dojang_ms_per_page(&engine, &rt, &file, false);
        let (with_jpeg, _) = dojang_ms_per_page(&engine, &rt, &file, true);
        let m = mutool_ms_per_page(&file, n, false);
        let mp = mutool_ms_per_page(&file, n, true);
        let f = |v: Option<f64>| v.map(|v| format!("{v:.1}")).unwrap_or_else(|| "n/a".into());
        writeln!(md, "| {doc} | {n} | {render:.1} | {with_jpeg:.1} | {} | {} |", f(m), f(mp)).unwrap();
        eprintln!("{doc}: done");
    }
    let cores = num_cores();
    writeln!(md, "\nThe real server (`target/release/dojang`), uploading `long__freeculture.pdf` (352 pages) over HTTP, and then").unwrap();
    writeln!(md, "10 uploads of `long-cjk__lshort-ko.pdf` at once (`DOJANG_RENDER_WORKERS`: 0 = the server's own PDFium thread):\n").unwrap();
    writeln!(md, "| render workers | first page preview after upload | all 352 pages pre-rendered | 10 uploads at once, all pages | server peak memory |")
        .unwrap();
    writeln!(md, "| ---: | ---: | ---: | ---: | ---: |").unwrap();
    for workers in [0, 1, cores] {
        let (first, all, ten, peak) = server_run(workers);
        writeln!(md, "| {workers} | {:.0} ms | {:.1} s | {:.1} s | {} MB |", first.as_secs_f64() * 1000.0, all.as_secs_f64(), ten.as_secs_f64(), peak / 1024)
            .unwrap();
        eprintln!("{workers} workers: done");
    }
    let t = Instant::now();
    let out = std::env::temp_dir().join("dojang-bench-mutool-wall");
    let _ = std::fs::create_dir_all(&out);
    let ok = Command::new("mutool")
        .args(["draw", "-q", "-w", "1600", "-o"])
        .arg(out.join("p%d.png"))
        .arg(fixture("long__freeculture.pdf"))
        .status()
        .is_ok_and(|s| s.success());
    let _ = std::fs::remove_dir_all(&out);
    let wall = if ok { format!("{:.1} s", t.elapsed().as_secs_f64()) } else { "n/a".into() };
    writeln!(
        md,
        "\n`mutool draw -w 1600` of the whole book to PNG, one process, in the same run: {wall} (wall clock). Goals: first preview < 1 s, the book < 20 s."
    )
    .unwrap();
    print!("{md}");
    let out = root().join("server/benches/results/render.md");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    std::fs::write(&out, md).unwrap();
    eprintln!("written to {}", out.display());
}

/// Starts the release server with `workers` render workers, uploads the 352-page book, and
/// times the first preview and the background pre-rendering of every page, then 10 uploads
/// at once. Returns (first page, all pages, the 10 uploads, peak KB).
fn server_run(workers: usize) -> (Duration, Duration, Duration, u64) {
    let exe = root().join("target/release/dojang");
    let data = std::env::temp_dir().join(format!("dojang-bench-{}", std::process::id()));
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = Command::new(&exe)
        .current_dir(root())
        .env("DOJANG_BIND", format!("127.0.0.1:{port}"))
        .env("DOJANG_DATA_DIR", &data)
        .env("DOJANG_LOG", "warn")
        .env("DOJANG_RENDER_WORKERS", workers.to_string())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", exe.display()));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let result = rt.block_on(async {
        let c = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
        for _ in 0..100 {
            if c.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status() == 200) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let csrf: String = c.post(format!("{base}/_fn/auth/csrf_token")).send().await.unwrap().json().await.unwrap();
        c.post(format!("{base}/_fn/auth/sign_up"))
            .form(&[("csrf", csrf.as_str()), ("org_name", "Bench"), ("name", "Bench"), ("email", "bench@example.com"), ("password", "bench-password")])
            .send()
            .await
            .unwrap();
        let csrf: String = c.post(format!("{base}/_fn/auth/csrf_token")).send().await.unwrap().json().await.unwrap();
        let bytes = std::fs::read(fixture("long__freeculture.pdf")).unwrap();
        let started = Instant::now();
        let up = upload(&c, &base, &csrf, bytes, "freeculture.pdf".into()).await;
        let accepted = Instant::now();
        let id = up["document"]["id"].as_str().unwrap().to_owned();
        let contract = up["contractId"].as_str().unwrap().to_owned();
        let r = c.get(format!("{base}/_app/documents/{id}/pages/0?size=page")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        r.bytes().await.unwrap();
        let first = accepted.elapsed();
        let rendered = |contract: String| {
            let c = c.clone();
            let base = base.clone();
            async move {
                loop {
                    let d: serde_json::Value =
                        c.post(format!("{base}/_fn/contracts/get")).form(&[("id", &contract)]).send().await.unwrap().json().await.unwrap();
                    let doc = &d["documents"][0];
                    if doc["pages_rendered"].as_u64().is_some()
                        && doc["pages_rendered"] == doc["pages"].as_array().map_or(serde_json::Value::Null, |p| p.len().into())
                    {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        };
        rendered(contract).await;
        let all = started.elapsed();
        let ten = Instant::now();
        let bytes = std::fs::read(fixture("long-cjk__lshort-ko.pdf")).unwrap();
        let uploads = (0..10).map(|i| {
            // Ten different files (a comment after the end): previews are cached by content.
            let mut bytes = bytes.clone();
            bytes.extend_from_slice(format!("\n% copy {i} of {}\n", std::process::id()).as_bytes());
            let (c, base, csrf) = (c.clone(), base.clone(), csrf.clone());
            async move { upload(&c, &base, &csrf, bytes, format!("lshort-{i}.pdf")).await["contractId"].as_str().unwrap().to_owned() }
        });
        let contracts = futures::future::join_all(uploads).await;
        futures::future::join_all(contracts.into_iter().map(rendered)).await;
        (first, all, ten.elapsed())
    });
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap_or_default();
    let peak = status.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse().ok()).unwrap_or(0);
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&data);
    (result.0, result.1, result.2, peak)
}

/// Uploads `bytes` through the web app's upload route; its answer (document and contract).
async fn upload(c: &reqwest::Client, base: &str, csrf: &str, bytes: Vec<u8>, name: String) -> serde_json::Value {
    let part = reqwest::multipart::Part::bytes(bytes).file_name(name);
    let form = reqwest::multipart::Form::new().part("file", part);
    c.post(format!("{base}/_app/documents")).header("x-csrf-token", csrf).multipart(form).send().await.unwrap().json().await.unwrap()
}
