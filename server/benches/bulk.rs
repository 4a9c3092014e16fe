//! A 1 000-row bulk send through a real SMTP server (not a test): `scripts/bench.sh bulk`
//! (release build).
//!
//! Starts aiosmtpd (the tests' SMTP sink) and the real `dojang` binary on SQLite, makes a
//! template with the API, posts 1 000 rows, and measures the time until the SMTP server has
//! accepted every invitation, the time until the batch reports done, and the server's peak
//! memory (VmHWM). Run at the default pace (600 rows a minute) and unpaced. Prints a Markdown
//! table and writes it to `server/benches/results/bulk.md`.

use serde_json::{json, Value};
use std::fmt::Write as _;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{cpu_model, free_port, num_cores, root, today};

const ROWS: usize = 1000;

struct Kill(Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_port(port: u16) {
    let t = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(t.elapsed() < Duration::from_secs(60), "nothing listens on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn dojang(data: &std::path::Path, smtp: u16, rate: u32) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dojang"));
    c.env("DOJANG_DATA_DIR", data)
        .env("DOJANG_PDFIUM_LIB", root().join(".tools/pdfium/libpdfium.so"))
        .env("DOJANG_SITE_ROOT", root().join("target/site"))
        .env("DOJANG_LOG", "warn")
        .env("DOJANG_SMTP_URL", format!("smtp://127.0.0.1:{smtp}"))
        .env("DOJANG_BULK_RATE", rate.to_string())
        .env("DOJANG_API_RATE_PER_MINUTE", "1000000")
        .env("DOJANG_API_BURST", "1000000");
    c
}

fn peak_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}

struct Run {
    rate: u32,
    accepted: Duration,
    done: Duration,
    peak_mib: f64,
}

async fn run(rate: u32) -> Run {
    let smtp_port = free_port();
    let mail = tempfile::tempdir().unwrap();
    let _smtp = Kill(
        Command::new(root().join(".tools/venv/bin/python"))
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{smtp_port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(mail.path().join("maildir"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("aiosmtpd (scripts/setup.sh --test)"),
    );
    wait_port(smtp_port);
    let data = tempfile::tempdir().unwrap();
    let cli = |args: &[&str]| -> Value {
        let out = dojang(data.path(), smtp_port, rate).args(args).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    cli(&["admin", "create-org", "--name", "벤치마크", "--email", "bench@example.com", "--password", "correct horse battery", "--json"]);
    let key = cli(&["admin", "create-api-key", "--org", "벤치마크", "--mode", "live", "--json"])["key"].as_str().unwrap().to_owned();
    let port = free_port();
    let server = Kill(
        dojang(data.path(), smtp_port, rate)
            .env("DOJANG_BIND", format!("127.0.0.1:{port}"))
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_port(port);
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();

    let pdf = std::fs::read(root().join("server/tests/fixtures/pdf/basic__002-trivial-libre-office-writer.pdf")).expect("the corpus PDF");
    let part = reqwest::multipart::Part::bytes(pdf).file_name("계약서.pdf").mime_str("application/pdf").unwrap();
    let doc: Value = http
        .post(format!("{base}/api/v1/documents"))
        .bearer_auth(&key)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let doc = doc["id"].as_str().expect("uploaded").to_owned();
    let template: Value = http
        .post(format!("{base}/api/v1/templates"))
        .bearer_auth(&key)
        .json(&json!({
            "name": "근로계약서", "documentIds": [doc], "roles": [{ "name": "근로자" }],
            "fields": [
                { "document": doc, "page": 0, "x": 0.1, "y": 0.8, "width": 0.3, "height": 0.06, "type": "signature", "role": "근로자" },
                { "document": doc, "page": 0, "x": 0.5, "y": 0.8, "width": 0.4, "height": 0.04, "type": "text", "role": "근로자", "name": "주소", "required": false },
            ],
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let tid = template["id"].as_str().unwrap_or_else(|| panic!("template: {template}")).to_owned();
    let rows: Vec<Value> = (0..ROWS)
        .map(|i| json!({ "recipients": [{ "role": "근로자", "email": format!("worker{i}@example.com"), "name": format!("근로자 {i}") }], "values": { "주소": format!("서울시 {i}번지") } }))
        .collect();

    let started = Instant::now();
    let queued: Value =
        http.post(format!("{base}/api/v1/templates/{tid}/bulk")).bearer_auth(&key).json(&json!({ "rows": rows })).send().await.unwrap().json().await.unwrap();
    let batch = queued["id"].as_str().unwrap_or_else(|| panic!("queued: {queued}")).to_owned();
    let received = || std::fs::read_dir(mail.path().join("maildir/new")).map(|d| d.count()).unwrap_or(0);
    let mut done = None;
    let mut peak = 0;
    loop {
        peak = peak.max(peak_kib(server.0.id()));
        if done.is_none() {
            let b: Value = http.get(format!("{base}/api/v1/batches/{batch}?limit=1")).bearer_auth(&key).send().await.unwrap().json().await.unwrap();
            if b["status"] == "done" {
                assert_eq!(b["counts"]["sent"], ROWS, "{b}");
                done = Some(started.elapsed());
            }
        }
        if done.is_some() && received() >= ROWS {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(1800), "{} of {ROWS} invitations after 30 minutes", received());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let accepted = started.elapsed();
    peak = peak.max(peak_kib(server.0.id()));
    eprintln!(
        "rate {rate}/min: {ROWS} invitations accepted in {:.1} s, batch done in {:.1} s, peak {} MiB",
        accepted.as_secs_f64(),
        done.unwrap().as_secs_f64(),
        peak / 1024
    );
    Run { rate, accepted, done: done.unwrap(), peak_mib: peak as f64 / 1024.0 }
}

#[tokio::main]
async fn main() {
    let mut runs = Vec::new();
    for rate in [600, 60_000] {
        runs.push(run(rate).await);
    }
    let mut md = String::new();
    writeln!(md, "# A {ROWS}-row bulk send through a real SMTP server (`scripts/bench.sh bulk`)\n").unwrap();
    writeln!(
        md,
        "{} · {} · {} cores · release build · SQLite · local storage · aiosmtpd on loopback · one template, one signer per row\n",
        today(),
        cpu_model(),
        num_cores()
    )
    .unwrap();
    writeln!(
        md,
        "| pace (`DOJANG_BULK_RATE`, rows/min) | batch done | every invitation accepted by the SMTP server | invitations/s | server peak memory (VmHWM) |"
    )
    .unwrap();
    writeln!(md, "| ---: | ---: | ---: | ---: | ---: |").unwrap();
    for r in runs {
        let pace = if r.rate >= 60_000 { "60 000 (unpaced)".to_owned() } else { format!("{} (default)", r.rate) };
        writeln!(
            md,
            "| {pace} | {:.1} s | {:.1} s | {:.1} | {:.0} MiB |",
            r.done.as_secs_f64(),
            r.accepted.as_secs_f64(),
            ROWS as f64 / r.accepted.as_secs_f64(),
            r.peak_mib
        )
        .unwrap();
    }
    print!("{md}");
    let out = root().join("server/benches/results/bulk.md");
    std::fs::write(&out, &md).unwrap();
    eprintln!("written to {}", out.display());
}
