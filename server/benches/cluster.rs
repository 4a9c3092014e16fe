//! One instance against two on PostgreSQL (not a test): `scripts/bench.sh cluster` (release
//! build; the script starts a throwaway PostgreSQL cluster and passes its URL in
//! `DOJANG_BENCH_POSTGRES`).
//!
//! Both instances run the `all` role on one database and one storage folder. Measured: API
//! reads (`GET /api/v1/envelopes/{id}` under wrk, one wrk per instance, summed) and seals per
//! minute (envelopes of two signers, every signer signing at once through the instances in
//! turn, timed from the first signature until every envelope is sealed). Prints a Markdown table and writes it to `server/benches/results/cluster.md`.

use serde_json::{json, Value};
use std::fmt::Write as _;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{cpu_model, free_port, num_cores, root, today};

const SEALS: usize = 40;
const SECONDS: u32 = 10;

struct Instance {
    child: Child,
    base: String,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn dojang(data: &std::path::Path, db: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dojang"));
    c.env("DOJANG_DATA_DIR", data)
        .env("DOJANG_DATABASE_URL", db)
        .env("DOJANG_PDFIUM_LIB", root().join(".tools/pdfium/libpdfium.so"))
        .env("DOJANG_SITE_ROOT", root().join("target/site"))
        .env("DOJANG_LOG", "warn")
        .env("DOJANG_API_RATE_PER_MINUTE", "1000000")
        .env("DOJANG_API_BURST", "1000000")
        .env("DOJANG_ADDRESS_RATE_SCALE", "1000");
    c
}

fn start(data: &std::path::Path, db: &str) -> Instance {
    let port = free_port();
    let child = dojang(data, db).env("DOJANG_BIND", format!("127.0.0.1:{port}")).arg("serve").stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let t = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(t.elapsed() < Duration::from_secs(60), "dojang did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Instance { child, base: format!("http://127.0.0.1:{port}") }
}

/// `count` sent envelopes of two parallel signers with a text field each; their ids and links.
async fn envelopes(base: &str, key: &str, count: usize) -> Vec<(String, Vec<String>)> {
    let http = reqwest::Client::new();
    let pdf = std::fs::read(root().join("server/tests/fixtures/pdf/basic__002-trivial-libre-office-writer.pdf")).expect("the corpus PDF");
    let mut out = Vec::new();
    for i in 0..count {
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
        let field = |who: &str, y: f64| json!({ "document": doc, "page": 0, "x": 0.1, "y": y, "width": 0.3, "height": 0.05, "type": "text", "recipient": who });
        let body = json!({
            "subject": format!("근로계약서 {i}"),
            "documentIds": [doc],
            "recipients": [
                { "email": "minjun@example.com", "name": "김민준", "role": "SIGNER", "order": 1 },
                { "email": "seoyeon@example.com", "name": "이서연", "role": "SIGNER", "order": 1 },
            ],
            "fields": [field("minjun@example.com", 0.1), field("seoyeon@example.com", 0.5)],
        });
        let created: Value = http.post(format!("{base}/api/v1/envelopes")).bearer_auth(key).json(&body).send().await.unwrap().json().await.unwrap();
        let id = created["id"].as_str().unwrap_or_else(|| panic!("created: {created}")).to_owned();
        let sent: Value = http.post(format!("{base}/api/v1/envelopes/{id}/send")).bearer_auth(key).send().await.unwrap().json().await.unwrap();
        let links = sent["recipients"].as_array().unwrap().iter().map(|r| r["signUrl"].as_str().unwrap().to_owned()).collect();
        out.push((id, links));
    }
    out
}

/// Signs every envelope through the instances in turn; returns when the last signature is in.
async fn sign_all(bases: &[String], envelopes: &[(String, Vec<String>)], db: &str) {
    let http = reqwest::Client::new();
    let mut tasks = Vec::new();
    for (i, (id, links)) in envelopes.iter().enumerate() {
        for link in links {
            let base = bases[i % bases.len()].clone();
            let token = link.rsplit('/').next().unwrap().to_owned();
            let (http, id) = (http.clone(), id.clone());
            let fields = field_ids(db, &id, &token).await;
            tasks.push(async move {
                for step in ["sign/view", "sign/opened", "sign/consent"] {
                    http.post(format!("{base}/_fn/{step}")).form(&[("token", &token)]).send().await.unwrap();
                }
                let values: Vec<Value> = fields.iter().map(|f| json!({ "field_id": f, "value": "서명합니다" })).collect();
                let r = http
                    .post(format!("{base}/_fn/sign/submit"))
                    .json(&json!({ "token": token, "submission": { "fields": values, "signatures": [] } }))
                    .send()
                    .await
                    .unwrap();
                assert!(r.status().is_success(), "{id}: {}", r.text().await.unwrap_or_default());
            });
        }
    }
    futures::future::join_all(tasks).await;
}

/// The ids of the fields of the recipient whose link is `token` (read from the database).
async fn field_ids(db: &str, envelope: &str, token: &str) -> Vec<String> {
    use sha2::Digest as _;
    let hash = hex::encode(sha2::Sha256::digest(token.as_bytes()));
    let sql = format!(
        "SELECT f.id FROM fields f JOIN signing_links l ON l.recipient_id = f.recipient_id WHERE l.envelope_id = '{envelope}' AND l.token_hash = '{hash}'"
    );
    let out = Command::new("psql").args([db, "-Atc", &sql]).output().expect("psql");
    String::from_utf8_lossy(&out.stdout).lines().map(str::to_owned).collect()
}

async fn wait_sealed(base: &str, key: &str, envelopes: &[(String, Vec<String>)]) -> Duration {
    let http = reqwest::Client::new();
    let t = Instant::now();
    for (id, _) in envelopes {
        loop {
            let e: Value = http.get(format!("{base}/api/v1/envelopes/{id}")).bearer_auth(key).send().await.unwrap().json().await.unwrap();
            if e["status"] == "completed" {
                break;
            }
            assert!(t.elapsed() < Duration::from_secs(600), "{id} not sealed: {e}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    t.elapsed()
}

/// Requests per second of `wrk` against every URL at once (one wrk each), summed.
fn wrk_all(urls: &[String], key: &str) -> (f64, String) {
    let children: Vec<std::process::Child> = urls
        .iter()
        .map(|u| {
            Command::new("wrk")
                .args(["-t1", "-c8", &format!("-d{SECONDS}s"), "--latency", "-H", &format!("Authorization: Bearer {key}"), u])
                .stdout(Stdio::piped())
                .spawn()
                .expect("wrk (apt-get install wrk)")
        })
        .collect();
    let mut total = 0.0;
    let mut p99 = Vec::new();
    for c in children {
        let text = String::from_utf8_lossy(&c.wait_with_output().unwrap().stdout).to_string();
        let find = |p: &str| text.lines().map(str::trim).find(|l| l.starts_with(p)).map(|l| l[p.len()..].trim().to_owned());
        total += find("Requests/sec:").and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
        p99.push(find("99%").unwrap_or_else(|| "—".into()));
    }
    (total, p99.join(" / "))
}

#[tokio::main]
async fn main() {
    let admin = std::env::var("DOJANG_BENCH_POSTGRES").expect("DOJANG_BENCH_POSTGRES (run scripts/bench.sh cluster)");
    let name = format!("bench_{}", std::process::id());
    assert!(Command::new("psql").args([admin.as_str(), "-qc", &format!("CREATE DATABASE {name}")]).status().unwrap().success());
    let db = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
    let data = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| -> Value {
        let out = dojang(data.path(), &db).args(args).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    run(&["admin", "create-org", "--name", "벤치마크", "--email", "bench@example.com", "--password", "correct horse battery", "--json"]);
    let key = run(&["admin", "create-api-key", "--org", "벤치마크", "--mode", "live", "--json"])["key"].as_str().unwrap().to_owned();

    let mut instances = vec![start(data.path(), &db)];
    let mut rows = Vec::new();
    for n in [1, 2] {
        while instances.len() < n {
            instances.push(start(data.path(), &db));
        }
        let bases: Vec<String> = instances.iter().map(|i| i.base.clone()).collect();
        let batch = envelopes(&bases[0], &key, SEALS).await;
        let target = &batch[SEALS / 2].0;
        let urls: Vec<String> = bases.iter().map(|b| format!("{b}/api/v1/envelopes/{target}")).collect();
        let _ = wrk_all(&urls, &key); // warm-up
        let (rps, p99) = wrk_all(&urls, &key);
        let started = Instant::now();
        sign_all(&bases, &batch, &db).await;
        wait_sealed(&bases[0], &key, &batch).await;
        let took = started.elapsed();
        let per_minute = SEALS as f64 / took.as_secs_f64() * 60.0;
        eprintln!("{n} instance(s): {rps:.0} requests/s, {per_minute:.0} seals/min");
        rows.push((n, rps, p99, per_minute, took));
    }
    drop(instances);
    let _ = Command::new("psql").args([admin.as_str(), "-qc", &format!("DROP DATABASE {name} WITH (FORCE)")]).status();

    let mut md = String::new();
    writeln!(md, "# One instance against two on PostgreSQL (`scripts/bench.sh cluster`)\n").unwrap();
    writeln!(
        md,
        "{} · {} · {} cores · release build · PostgreSQL (throwaway cluster, same machine) · local storage · each instance `--role all` · wrk -t1 -c8 -d{SECONDS}s per instance · {SEALS} envelopes of two signers signed at once\n",
        today(),
        cpu_model(),
        num_cores()
    )
    .unwrap();
    writeln!(md, "| instances | `GET /api/v1/envelopes/{{id}}` requests/s (all instances) | p99 per instance | seals per minute | {SEALS} envelopes signed and sealed in |")
        .unwrap();
    writeln!(md, "| ---: | ---: | ---: | ---: | ---: |").unwrap();
    for (n, rps, p99, per_minute, took) in rows {
        writeln!(md, "| {n} | {rps:.0} | {p99} | {per_minute:.0} | {:.1} s |", took.as_secs_f64()).unwrap();
    }
    writeln!(md, "\nEverything (instances, PostgreSQL, wrk) shares the same cores: a second instance on the same machine adds no CPU; on separate machines each brings its own.").unwrap();
    print!("{md}");
    let out = root().join("server/benches/results/cluster.md");
    std::fs::write(&out, &md).unwrap();
    eprintln!("written to {}", out.display());
}
