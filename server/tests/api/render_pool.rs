//! The render pool: page previews come from `dojang render-worker` processes; a worker that
//! crashes or takes too long on a page is killed and replaced, and only that render fails.

use crate::helpers::{fixture, spawn, start_binary, Account, TestApp};
use crate::smtp::free_port;
use std::time::{Duration, Instant};

fn workers_of(pid: u32) -> Vec<u32> {
    let out = std::process::Command::new("pgrep").args(["-P", &pid.to_string(), "-f", "render-worker"]).output().unwrap();
    String::from_utf8_lossy(&out.stdout).lines().filter_map(|l| l.trim().parse().ok()).collect()
}

async fn uploaded(app: &TestApp) -> String {
    app.sign_up(&Account::unique("pool")).await;
    let r = app.upload(None, "boxes.pdf", fixture("rotate-boxes__boxes.pdf")).await;
    assert!(r.status < 300, "{}", r.body);
    r.json()["document"]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_page_that_takes_too_long_fails_cleanly_and_its_worker_is_replaced() {
    let app = spawn().var("DOJANG_RENDER_TIMEOUT_MS", "1").start().await;
    let doc = uploaded(&app).await;
    for page in [0, 1] {
        let t = Instant::now();
        let (status, headers, body) = app.get_bytes(&format!("/_app/documents/{doc}/pages/{page}?size=page")).await;
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        assert_eq!((status, v["code"].as_str()), (503, Some("RENDER_FAILED")), "{v}");
        assert!(headers["content-type"].to_str().unwrap().starts_with("application/json"));
        assert!(t.elapsed() < Duration::from_secs(10), "answered promptly");
    }
    assert_eq!(app.get("/readyz").await.status, 200, "the server itself is fine");
    app.stop().await;
}

#[tokio::test]
async fn a_worker_killed_mid_flight_is_replaced_and_previews_keep_coming() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = start_binary(dir.path(), port, &[("DOJANG_RENDER_WORKERS", "2")]);
    let app = TestApp::external(format!("http://127.0.0.1:{port}"), dir.path()).await;
    let doc = uploaded(&app).await;
    let page = async |n: u32| app.get_bytes(&format!("/_app/documents/{doc}/pages/{n}?size=thumb")).await;
    let (status, _, jpeg) = page(0).await;
    assert_eq!(status, 200);
    assert!(jpeg.starts_with(&[0xFF, 0xD8]));
    let before = workers_of(child.id());
    assert!(!before.is_empty() && before.len() <= 2, "render workers are the server's children: {before:?}");
    // A worker parses untrusted PDFs with none of the server's settings or secrets.
    let environ = std::fs::read(format!("/proc/{}/environ", before[0])).unwrap();
    let names: Vec<String> = environ.split(|b| *b == 0).filter_map(|v| std::str::from_utf8(v).ok()?.split('=').next().map(str::to_owned)).collect();
    assert!(names.iter().any(|n| n == "DOJANG_PDFIUM_LIB"), "{names:?}");
    for secret in ["DOJANG_DATABASE_URL", "DOJANG_DATA_DIR", "DOJANG_SECRET_KEY", "DOJANG_STORAGE_URL", "DOJANG_S3_SECRET_ACCESS_KEY"] {
        assert!(!names.iter().any(|n| n == secret), "{secret} reached a render worker");
    }
    for pid in &before {
        let _ = std::process::Command::new("kill").args(["-KILL", &pid.to_string()]).status();
    }
    // Every page still comes (a render that met a dead worker fails once; the next one is
    // served by a new worker).
    let t = Instant::now();
    for n in 1..8 {
        loop {
            let (status, _, body) = page(n).await;
            if status == 200 {
                assert!(body.starts_with(&[0xFF, 0xD8]));
                break;
            }
            assert_eq!(status, 503, "only RENDER_FAILED while a worker is replaced");
            assert!(t.elapsed() < Duration::from_secs(60), "page {n} never rendered again");
        }
    }
    let after = workers_of(child.id());
    assert!(!after.is_empty() && after.iter().all(|p| !before.contains(p)), "new workers: {before:?} → {after:?}");
    let _ = child.kill();
    let _ = child.wait();
}
