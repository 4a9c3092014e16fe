//! Read-path benchmark (not a test): `scripts/bench.sh api` (release build, wrk from Debian).
//!
//! Starts the real `dojang` binary on SQLite with an organization, an API key and sent
//! envelopes (two signers, one document, six fields each), then loads it with `wrk` on
//! loopback: `GET /api/v1/envelopes/{id}`, the list `GET /api/v1/envelopes?limit=20`, a
//! signing page `GET /sign/{token}` and `/healthz` as the floor. The API key's rate limit and
//! the per-address limits are raised for the run. Prints a Markdown table (requests per
//! second, latency percentiles, and the server's CPU time per request, which a shared VM's
//! noisy neighbours disturb far less than the rate) and writes it to
//! `server/benches/results/api.md`.
//!
//! wrk and the server share this machine's cores, so the numbers are what one box does with
//! its load generator beside it.

use serde_json::{json, Value};
use std::fmt::Write as _;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{cpu_model, free_port, num_cores, root, today};

const ENVELOPES: usize = 30;
const SECONDS: u32 = 10;
/// wrk runs per request (a shared VM's rate moves by a third from one run to the next).
const RUNS: usize = 3;
const CONNECTIONS: u32 = 16;

struct Server {
    child: Child,
    base: String,
    _data: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn dojang(data: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dojang"));
    c.env("DOJANG_DATA_DIR", data)
        .env("DOJANG_PDFIUM_LIB", root().join(".tools/pdfium/libpdfium.so"))
        .env("DOJANG_SITE_ROOT", root().join("target/site"))
        .env("DOJANG_LOG", "warn")
        .env("DOJANG_API_RATE_PER_MINUTE", "1000000")
        .env("DOJANG_API_BURST", "1000000")
        .env("DOJANG_ADDRESS_RATE_SCALE", "1000");
    c
}

fn start() -> Server {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let child = dojang(data.path()).env("DOJANG_BIND", format!("127.0.0.1:{port}")).arg("serve").stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let t = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(t.elapsed() < Duration::from_secs(60), "dojang did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Server { child, base: format!("http://127.0.0.1:{port}"), _data: data }
}

/// An organization and a live API key, made with the admin CLI on the server's data.
fn api_key(server: &Server) -> String {
    let data = server._data.path();
    let run = |args: &[&str]| -> Value {
        let out = dojang(data).args(args).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    run(&["admin", "create-org", "--name", "벤치마크", "--email", "bench@example.com", "--password", "correct horse battery", "--json"]);
    run(&["admin", "create-api-key", "--org", "벤치마크", "--mode", "live", "--json"])["key"].as_str().unwrap().to_owned()
}

/// Sent envelopes; returns their ids and one signing link.
async fn envelopes(base: &str, key: &str) -> (Vec<String>, String) {
    let http = reqwest::Client::new();
    let pdf = std::fs::read(root().join("server/tests/fixtures/pdf/basic__002-trivial-libre-office-writer.pdf")).expect("the corpus PDF");
    let (mut ids, mut link) = (Vec::new(), String::new());
    for i in 0..ENVELOPES {
        let part = reqwest::multipart::Part::bytes(pdf.clone()).file_name("계약서.pdf").mime_str("application/pdf").unwrap();
        let doc: Value = http
            .post(format!("{base}/api/v1/documents"))
            .bearer_auth(key)
            .multipart(reqwest::multipart::Form::new().part("file", part))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let doc = doc["id"].as_str().expect("uploaded").to_owned();
        let field = |kind: &str, who: &str, y: f64| json!({ "document": doc, "page": 0, "x": 0.1, "y": y, "width": 0.3, "height": 0.05, "type": kind, "recipient": who });
        let body = json!({
            "subject": format!("근로계약서 {i}"),
            "documentIds": [doc],
            "recipients": [
                { "email": "minjun@example.com", "name": "김민준", "role": "SIGNER", "order": 1 },
                { "email": "seoyeon@example.com", "name": "이서연", "role": "SIGNER", "order": 1 },
            ],
            "fields": [
                field("signature", "minjun@example.com", 0.1), field("date", "minjun@example.com", 0.2), field("text", "minjun@example.com", 0.3),
                field("signature", "seoyeon@example.com", 0.5), field("date", "seoyeon@example.com", 0.6), field("text", "seoyeon@example.com", 0.7),
            ],
        });
        let created: Value = http.post(format!("{base}/api/v1/envelopes")).bearer_auth(key).json(&body).send().await.unwrap().json().await.unwrap();
        let id = created["id"].as_str().unwrap_or_else(|| panic!("created: {created}")).to_owned();
        let sent: Value = http.post(format!("{base}/api/v1/envelopes/{id}/send")).bearer_auth(key).send().await.unwrap().json().await.unwrap();
        link = sent["recipients"][0]["signUrl"].as_str().unwrap_or_else(|| panic!("sent: {sent}")).to_owned();
        ids.push(id);
    }
    (ids, link)
}

struct Load {
    rps: f64,
    requests: u64,
    p50: String,
    p90: String,
    p99: String,
    errors: String,
    /// What wrk read in all ("1.20GB").
    read: String,
}

/// `wrk` against `url`; its requests per second and latency distribution.
fn wrk(url: &str, headers: &[String]) -> Load {
    let mut c = Command::new("wrk");
    c.args(["-t2", &format!("-c{CONNECTIONS}"), &format!("-d{SECONDS}s"), "--latency"]);
    for h in headers {
        c.args(["-H", h]);
    }
    let out = c.arg(url).output().expect("wrk (apt-get install wrk)");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let find = |prefix: &str| -> String {
        text.lines().map(str::trim).find(|l| l.starts_with(prefix)).map(|l| l[prefix.len()..].trim().to_owned()).unwrap_or_else(|| "—".into())
    };
    let non2xx = find("Non-2xx or 3xx responses:");
    let socket = find("Socket errors:");
    Load {
        rps: find("Requests/sec:").parse().unwrap_or(0.0),
        // "  123456 requests in 10.00s, 1.20GB read"
        requests: text.lines().find_map(|l| l.split_once(" requests in ")).and_then(|(n, _)| n.trim().parse().ok()).unwrap_or(0),
        p50: find("50%"),
        p90: find("90%"),
        p99: find("99%"),
        read: text
            .lines()
            .find_map(|l| l.split_once(" requests in "))
            .and_then(|(_, r)| r.split(", ").nth(1))
            .and_then(|r| r.strip_suffix(" read"))
            .unwrap_or("")
            .to_owned(),
        errors: match (non2xx.as_str(), socket.as_str()) {
            ("—", "—") => "0".into(),
            (n, "—") => format!("{n} non-2xx"),
            (n, s) => format!("{n} non-2xx; {s}"),
        },
    }
}

/// wrk's "1.20GB" (binary units) in bytes.
fn bytes(s: &str) -> Option<f64> {
    let (n, unit) = s.split_at(s.find(|c: char| c.is_ascii_alphabetic())?);
    let scale = match unit {
        "B" => 1.0,
        "KB" => 1024.0,
        "MB" => 1024.0 * 1024.0,
        "GB" => 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    Some(n.parse::<f64>().ok()? * scale)
}

/// The CPU time `pid` (all its threads) has used so far.
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // After the command name (in parentheses, which may hold spaces): fields 14 and 15 are
    // user and system time in clock ticks.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let ticks: u64 = rest.split_whitespace().skip(11).take(2).filter_map(|t| t.parse::<u64>().ok()).sum();
    Duration::from_secs_f64(ticks as f64 / clock_ticks())
}

fn clock_ticks() -> f64 {
    let out = Command::new("getconf").arg("CLK_TCK").output().ok();
    out.and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok()).unwrap_or(100.0)
}

#[tokio::main]
async fn main() {
    let server = start();
    let key = api_key(&server);
    let (ids, link) = envelopes(&server.base, &key).await;
    let base = server.base.clone();
    // Warm-up (connections, caches, page cache).
    let auth = vec![format!("Authorization: Bearer {key}")];
    let _ = wrk(&format!("{base}/api/v1/envelopes/{}", ids[0]), &auth);
    // What a browser sends: the page comes back compressed.
    let browser = vec!["Accept-Encoding: gzip, deflate, br, zstd".to_owned()];
    let targets: Vec<(&str, String, Vec<String>)> = vec![
        ("`GET /healthz` (floor)", format!("{base}/healthz"), Vec::new()),
        ("`GET /api/v1/envelopes/{id}`", format!("{base}/api/v1/envelopes/{}", ids[ENVELOPES / 2]), auth.clone()),
        ("`GET /api/v1/envelopes?limit=20`", format!("{base}/api/v1/envelopes?limit=20"), auth.clone()),
        ("`GET /sign/{token}` (signing page)", link.clone(), Vec::new()),
        ("`GET /sign/{token}` (signing page, compressed as for a browser)", link.clone(), browser),
    ];
    // DOJANG_BENCH_ONLY=text: only the requests whose name holds it.
    let only = std::env::var("DOJANG_BENCH_ONLY").unwrap_or_default();
    let targets: Vec<_> = targets.into_iter().filter(|t| t.0.contains(only.as_str())).collect();
    let mut table = String::new();
    writeln!(table, "# API read path (`scripts/bench.sh api`)\n").unwrap();
    writeln!(
        table,
        "{} · {} · {} cores · release build · SQLite · wrk -t2 -c{CONNECTIONS} -d{SECONDS}s on loopback (wrk shares the cores) · {ENVELOPES} sent envelopes of 2 signers, 6 fields\n",
        today(),
        cpu_model(),
        num_cores()
    )
    .unwrap();
    writeln!(table, "| request | requests/s (median of {RUNS}) | range | p50 | p90 | p99 | server CPU per request | bytes per response | errors |").unwrap();
    writeln!(table, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |").unwrap();
    // DOJANG_BENCH_PERF=1: a `perf record` of the server beside each run, in target/bench-perf-N.data.
    let perf = std::env::var_os("DOJANG_BENCH_PERF").is_some();
    for (i, (name, url, headers)) in targets.into_iter().enumerate() {
        let recorder = perf.then(|| {
            Command::new("perf")
                .args(["record", "-F", "299", "--call-graph", "dwarf,32768", "-p", &server.child.id().to_string(), "-o"])
                .arg(root().join(format!("target/bench-perf-{i}.data")))
                .args(["--", "sleep", &(SECONDS * RUNS as u32).to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("perf")
        });
        // RUNS runs each; the table shows the median run by rate, and the range.
        let mut runs: Vec<(Load, Duration)> = (0..RUNS)
            .map(|_| {
                let before = cpu_time(server.child.id());
                let l = wrk(&url, &headers);
                (l, cpu_time(server.child.id()).saturating_sub(before))
            })
            .collect();
        if let Some(mut r) = recorder {
            let _ = r.wait();
        }
        runs.sort_by(|a, b| a.0.rps.total_cmp(&b.0.rps));
        let range = format!("{:.0}–{:.0}", runs[0].0.rps, runs[runs.len() - 1].0.rps);
        let (l, cpu) = &runs[runs.len() / 2];
        let per_request = if l.requests > 0 { format!("{:.0} µs", cpu.as_secs_f64() * 1e6 / l.requests as f64) } else { "—".into() };
        let size = match (bytes(&l.read), l.requests) {
            (Some(b), n) if n > 0 => format!("{:.1} KB", b / n as f64 / 1000.0),
            _ => "—".into(),
        };
        writeln!(table, "| {name} | {:.0} | {range} | {} | {} | {} | {per_request} | {size} | {} |", l.rps, l.p50, l.p90, l.p99, l.errors).unwrap();
    }
    writeln!(table, "\nGoal (issue 18): `GET /api/v1/envelopes/{{id}}` ≥ 5 000 requests/s with p99 < 20 ms, the list and the signing page of the same order.")
        .unwrap();
    print!("{table}");
    let out = root().join("server/benches/results/api.md");
    std::fs::write(&out, &table).unwrap();
    println!("\nwritten to {}", out.display());
}
