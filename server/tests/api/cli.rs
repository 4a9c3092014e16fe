//! The `dojang` binary itself: admin commands, production checks, graceful shutdown, logs.

use crate::helpers::pdfium_lib;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn dojang(data_dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dojang"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DOJANG_DATA_DIR", data_dir)
        .env("DOJANG_PDFIUM_LIB", pdfium_lib())
        .envs(crate::helpers::backend_vars(data_dir));
    cmd
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[test]
fn admin_create_org_prints_json_and_refuses_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let out = dojang(dir.path())
        .args(["admin", "create-org", "--name", "도장 주식회사", "--email", "Owner@Example.com", "--password", "a long password", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(v["name"], "도장 주식회사");
    assert_eq!(v["id"].as_str().unwrap().len(), 32);
    assert_eq!(v["owner"]["email"], "owner@example.com");
    assert!(!text(&out).contains("a long password"), "the password is never printed");

    let again = dojang(dir.path())
        .args(["admin", "create-org", "--name", "도장 주식회사", "--email", "other@example.com", "--password", "a long password", "--json"])
        .output()
        .unwrap();
    assert!(!again.status.success());
    let v: serde_json::Value = serde_json::from_slice(&again.stdout).expect("errors are JSON too");
    assert!(v["error"].as_str().unwrap().contains("already exists"), "{v}");
}

#[test]
fn admin_create_api_key_prints_the_key_and_secret_once_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let org =
        dojang(dir.path()).args(["admin", "create-org", "--name", "키 회사", "--email", "keys@example.com", "--password", "a long password"]).output().unwrap();
    assert!(org.status.success(), "{}", text(&org));
    let out = dojang(dir.path()).args(["admin", "create-api-key", "--org", "키 회사", "--mode", "test", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    let key = v["key"].as_str().unwrap();
    assert!(key.starts_with("dj_test_"), "{v}");
    assert_eq!(dojang_core::api::keys::parse_key(key), Some(dojang_core::model::Mode::Test));
    assert!(v["secret"].as_str().unwrap().len() >= 40);
    // Only hashes are stored.
    let stored = query_text(dir.path(), "SELECT id || ' ' || name || ' ' || prefix || ' ' || key_hash || ' ' || secret_hash FROM api_keys");
    assert_eq!(stored.len(), 1);
    let secret = v["secret"].as_str().unwrap();
    assert!(!stored[0].contains(key) && !stored[0].contains(secret), "neither the key nor the secret is stored in clear: {stored:?}");

    let missing = dojang(dir.path()).args(["admin", "create-api-key", "--org", "nobody", "--mode", "live", "--json"]).output().unwrap();
    assert!(!missing.status.success());
    let v: serde_json::Value = serde_json::from_slice(&missing.stdout).expect("errors are JSON too");
    assert!(v["error"].as_str().unwrap().contains("not found"), "{v}");

    let quota = dojang(dir.path()).args(["admin", "set-quota", "--org", "키 회사", "--monthly", "5"]).output().unwrap();
    assert!(quota.status.success(), "{}", text(&quota));
    let bad = dojang(dir.path()).args(["admin", "set-quota", "--org", "키 회사", "--monthly", "-3"]).output().unwrap();
    assert!(!bad.status.success());
    let rotate = dojang(dir.path()).args(["admin", "rotate-token-keys", "--retire-previous"]).output().unwrap();
    assert!(rotate.status.success(), "{}", text(&rotate));
}

#[test]
fn migrate_applies_migrations_and_is_repeatable() {
    let dir = tempfile::tempdir().unwrap();
    for _ in 0..2 {
        let out = dojang(dir.path()).arg("migrate").output().unwrap();
        assert!(out.status.success(), "{}", text(&out));
    }
    let applied = query_text(dir.path(), "SELECT CAST(version AS TEXT) FROM _sqlx_migrations WHERE success");
    let files = std::fs::read_dir(crate::helpers::repo_root().join("migrations")).unwrap().count();
    assert_eq!(applied.len(), files, "every migration applied once: {applied:?}");
}

/// The rows of a one-text-column query on the database of the app in `data`.
fn query_text(data: &std::path::Path, sql: &str) -> Vec<String> {
    let url = crate::helpers::database_url(data);
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let db = dojang_core::infra::db::Db::connect(&url).await.unwrap();
        let rows: Vec<String> = sqlx::query_scalar(sql).fetch_all(db.pool()).await.unwrap();
        db.close().await;
        rows
    })
}

#[test]
fn production_refuses_to_start_with_development_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let out = dojang(dir.path()).env("DOJANG_ENV", "production").env("DOJANG_PUBLIC_URL", "https://sign.example.com").output().unwrap();
    assert!(!out.status.success());
    assert!(text(&out).contains("DOJANG_SECRET_KEY"), "{}", text(&out));
}

#[test]
fn a_missing_pdfium_library_is_a_clear_startup_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = dojang(dir.path()).env("DOJANG_PDFIUM_LIB", "/nonexistent/libpdfium.so").env("DOJANG_BIND", "127.0.0.1:0").output().unwrap();
    assert!(!out.status.success());
    assert!(text(&out).contains("PDFium library not found at /nonexistent/libpdfium.so"), "{}", text(&out));
}

#[test]
fn serves_standalone_keeps_secrets_out_of_logs_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let secret = "s3cr3t-value-that-must-never-be-logged-0123456789";
    let mut child = dojang(dir.path())
        .env("DOJANG_BIND", format!("127.0.0.1:{port}"))
        .env("DOJANG_SECRET_KEY", secret)
        .env("DOJANG_LOG", "debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let drained = Drained::start(&mut child);
    let start = Instant::now();
    let mut healthy = false;
    while start.elapsed() < Duration::from_secs(30) {
        if let Ok(r) = reqwest::blocking_get(&format!("http://127.0.0.1:{port}/healthz")) {
            healthy = r == 200;
            if healthy {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(healthy, "the binary served /healthz");
    let _ = reqwest::blocking_get(&format!("http://127.0.0.1:{port}/login"));
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let out = wait_with_timeout(&mut child, drained, Duration::from_secs(15));
    assert!(out.status.success(), "clean exit after SIGTERM: {}", text(&out));
    let logs = text(&out);
    assert!(logs.contains("Dojang stopped"), "{logs}");
    assert!(logs.contains("request_id"), "request lines carry the request id: {logs}");
    assert!(!logs.contains(secret), "the secret key never reaches the logs");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Reads a child's output as it comes (a full pipe would stop it), until it exits.
struct Drained(Vec<std::thread::JoinHandle<Vec<u8>>>);

impl Drained {
    fn start(child: &mut std::process::Child) -> Self {
        use std::io::Read;
        let mut readers: Vec<Box<dyn Read + Send>> = Vec::new();
        if let Some(s) = child.stdout.take() {
            readers.push(Box::new(s));
        }
        if let Some(s) = child.stderr.take() {
            readers.push(Box::new(s));
        }
        Self(
            readers
                .into_iter()
                .map(|mut r| {
                    std::thread::spawn(move || {
                        let mut out = Vec::new();
                        let _ = r.read_to_end(&mut out);
                        out
                    })
                })
                .collect(),
        )
    }
}

fn wait_with_timeout(child: &mut std::process::Child, drained: Drained, limit: Duration) -> Output {
    let start = Instant::now();
    while start.elapsed() < limit {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let status = child.wait().unwrap();
    let mut parts = drained.0.into_iter().map(|h| h.join().unwrap_or_default());
    Output { status, stdout: parts.next().unwrap_or_default(), stderr: parts.next().unwrap_or_default() }
}

mod reqwest {
    /// A minimal blocking GET returning the status code (no extra client features needed).
    pub fn blocking_get(url: &str) -> std::io::Result<u16> {
        use std::io::{Read, Write};
        let rest = url.strip_prefix("http://").unwrap();
        let (host, path) = rest.split_once('/').map(|(h, p)| (h, format!("/{p}"))).unwrap_or((rest, "/".into()));
        let mut s = std::net::TcpStream::connect(host)?;
        s.set_read_timeout(Some(std::time::Duration::from_secs(5)))?;
        write!(s, "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")?;
        let mut buf = String::new();
        s.read_to_string(&mut buf)?;
        Ok(buf.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0))
    }
}
