//! Object storage: moving a deployment's files from the local disk to another store with
//! `dojang admin migrate-storage`, and serving everything from there afterwards.

use crate::helpers::spawn;
use crate::seal::{sealed, sign_all};
use crate::signing::send_envelope;

fn local(dir: &std::path::Path) -> String {
    format!("file://{}", dir.display())
}

#[tokio::test]
async fn migrate_storage_copies_every_object_verified_and_the_app_serves_from_the_new_store() {
    let data = tempfile::tempdir().unwrap();
    let from = local(&data.path().join("blobs"));
    let data_dir = data.path().display().to_string();
    let app = spawn().var("DOJANG_DATA_DIR", &data_dir).var("DOJANG_STORAGE_URL", &from).start().await;
    let sent = send_envelope(&app, &[("김민지", "minji@example.com", 1)], |_| serde_json::json!({})).await;
    sign_all(&app, &sent).await;
    let d = sealed(&app, &sent.envelope).await;
    let doc = d["sealed_documents"][0]["document_id"].as_str().unwrap().to_owned();
    let sealed_path = format!("/_app/envelopes/{}/documents/{doc}/sealed.pdf", sent.envelope);
    let trail_path = format!("/_app/envelopes/{}/audit-trail.pdf", sent.envelope);
    let (status, _, sealed_before) = app.get_bytes(&sealed_path).await;
    assert_eq!(status, 200);
    let (_, _, trail_before) = app.get_bytes(&trail_path).await;
    let browser = app.client.clone();
    let before = app.stored_keys("").await;
    assert!(before.iter().any(|k| k.starts_with("documents/")) && before.iter().any(|k| k.starts_with("sealed/")), "{before:?}");
    app.stop().await;

    // The S3 server of the test run when there is one, else another folder.
    let (to, to_vars) = match crate::helpers::s3_vars(&format!("s3://dojang-test/migrated-{}", uuid_like())) {
        Some(vars) => (vars[0].1.clone(), vars),
        None => {
            let url = local(&data.path().join("moved"));
            (url.clone(), vec![("DOJANG_STORAGE_URL".to_owned(), url)])
        }
    };
    let migrate = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_dojang"))
            .args(["admin", "migrate-storage", "--from", &from, "--to", &to])
            .env("DOJANG_DATA_DIR", &data_dir)
            .envs(to_vars.iter().filter(|(k, _)| k != "DOJANG_STORAGE_URL").cloned())
            .output()
            .unwrap()
    };
    let out = migrate();
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(text.contains(&format!("{} copied and verified, 0 already there", before.len())), "{text}");
    // Run again (as after an interruption): nothing is copied twice.
    let again = migrate();
    let text = String::from_utf8_lossy(&again.stdout).into_owned();
    assert!(again.status.success() && text.contains(&format!("0 copied and verified, {} already there", before.len())), "{text}");

    // The app on the new store, with the local files gone: everything still serves.
    std::fs::remove_dir_all(data.path().join("blobs")).unwrap();
    let mut moved = spawn().var("DOJANG_DATA_DIR", &data_dir);
    for (k, v) in &to_vars {
        moved = moved.var(k, v);
    }
    let mut app = moved.start().await;
    app.client = browser;
    let mut after = app.stored_keys("").await;
    after.retain(|k| !k.starts_with("previews/"));
    let mut expected = before.clone();
    expected.retain(|k| !k.starts_with("previews/"));
    after.sort();
    expected.sort();
    assert_eq!(after, expected, "the same objects under the same keys");
    let (status, headers, sealed_after) = app.get_bytes(&sealed_path).await;
    assert_eq!(status, 200);
    assert_eq!(sealed_after, sealed_before, "the sealed PDF byte for byte");
    assert_eq!(headers["content-length"], sealed_before.len().to_string().as_str());
    assert_eq!(app.get_bytes(&trail_path).await.2, trail_before);
    // `doc` is the original document's id (each sealed result belongs to one).
    let (status, headers, jpeg) = app.get_bytes(&format!("/_app/documents/{doc}/pages/0?size=page")).await;
    assert_eq!((status, headers["content-type"].to_str().unwrap()), (200, "image/jpeg"));
    assert!(jpeg.starts_with(&[0xFF, 0xD8]));
    app.stop().await;
}

#[test]
fn migrate_storage_refuses_unknown_stores_and_the_same_store() {
    let dir = tempfile::tempdir().unwrap();
    let run = |from: &str, to: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_dojang"))
            .args(["admin", "migrate-storage", "--from", from, "--to", to])
            .env("DOJANG_DATA_DIR", dir.path())
            .output()
            .unwrap();
        (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let here = local(dir.path());
    let (ok, err) = run(&here, "ftp://example.com/x");
    assert!(!ok && err.contains("must be file:///folder or s3://bucket/prefix"), "{err}");
    let (ok, err) = run(&here, &here);
    assert!(!ok && err.contains("the same store"), "{err}");
}

fn uuid_like() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    format!("{:x}{:x}", SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos(), std::process::id())
}
