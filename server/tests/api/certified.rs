//! Documents that are already signed. A certification that allows no change is refused at
//! upload; for everything else, sealing keeps every earlier signature that was intact intact,
//! and within what it allows (pyHanko's DocMDP judgement), on files signed by pyHanko here
//! (an approval signature, certifications with P=2 and P=3) and on the corpus' signed files.

use crate::helpers::{fixture, python, repo_root, spawn, TestApp};
use crate::rest::{call, key_for};
use crate::signing::drawing;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const BASE: &str = "basic__002-trivial-libre-office-writer.pdf";

/// `BASE` signed by pyHanko in `mode`; returns the file and the signer's certificate.
fn signed_by_pyhanko(dir: &Path, mode: &str) -> (PathBuf, PathBuf) {
    let out = dir.join(format!("{mode}.pdf"));
    let status = Command::new(python())
        .arg(repo_root().join("server/tests/tools/sign_pdf.py"))
        .arg(crate::helpers::fixture_dir().join(BASE))
        .arg(&out)
        .arg(mode)
        .status()
        .expect("pyHanko (run scripts/setup.sh --test)");
    assert!(status.success());
    let cert = PathBuf::from(format!("{}.cert.pem", out.display()));
    (out, cert)
}

fn check(pdf: &Path, roots: &[&Path]) -> Vec<Value> {
    let out = Command::new(python()).arg(repo_root().join("server/tests/tools/pdf_check.py")).arg(pdf).args(roots).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

async fn upload(app: &TestApp, key: &str, name: &str, bytes: Vec<u8>) -> crate::helpers::Reply {
    let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()).mime_str("application/pdf").unwrap();
    let r = app.client.post(app.url("/api/v1/documents")).bearer_auth(key).multipart(reqwest::multipart::Form::new().part("file", part)).send().await.unwrap();
    crate::helpers::Reply { status: r.status().as_u16(), headers: r.headers().clone(), body: r.text().await.unwrap_or_default() }
}

/// Uploads, sends to one signer (a signature and a text field), signs, and returns the sealed file.
async fn sealed_copy(app: &TestApp, key: &str, name: &str, bytes: Vec<u8>, dir: &Path) -> PathBuf {
    let up = upload(app, key, name, bytes).await;
    assert_eq!(up.status, 201, "{name}: {}", up.body);
    let doc = up.json()["id"].as_str().unwrap().to_owned();
    let body = json!({
        "subject": format!("서명된 문서 {name}"), "documentIds": [doc],
        "recipients": [{ "email": "signer@example.com", "name": "김서명", "role": "SIGNER" }],
        "fields": [
            { "document": doc, "page": 0, "x": 0.1, "y": 0.75, "width": 0.3, "height": 0.07, "type": "signature", "recipient": "signer@example.com" },
            { "document": doc, "page": 0, "x": 0.5, "y": 0.75, "width": 0.4, "height": 0.05, "type": "text", "recipient": "signer@example.com" },
        ],
    });
    let created = call(app, key, "POST", "/envelopes", Some(body)).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let env = created.json();
    let id = env["id"].as_str().unwrap().to_owned();
    let (sig, text) = (env["fields"][0]["id"].as_str().unwrap().to_owned(), env["fields"][1]["id"].as_str().unwrap().to_owned());
    let sent = call(app, key, "POST", &format!("/envelopes/{id}/send"), None).await.json();
    let token = sent["recipients"][0]["signUrl"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();
    assert_eq!(app.call("sign/consent", &[("token", &token)]).await.status, 200);
    let fields = json!([{ "field_id": sig, "signature": 0 }, { "field_id": text, "value": "확인했습니다" }]);
    let r = app.call_json("sign/submit", json!({ "token": token, "submission": { "fields": fields, "signatures": [drawing("pen", true)] } })).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let t = Instant::now();
    while call(app, key, "GET", &format!("/envelopes/{id}"), None).await.json()["status"] != "completed" {
        assert!(t.elapsed() < Duration::from_secs(60), "{name} sealed in time");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let pdf = app.client.get(app.url(&format!("/api/v1/envelopes/{id}/signed-document"))).bearer_auth(key).send().await.unwrap().bytes().await.unwrap();
    let path = dir.join(format!("sealed-{name}"));
    std::fs::write(&path, &pdf).unwrap();
    path
}

/// Every earlier signature intact before is intact after, and no worse by DocMDP; the seal is valid.
fn assert_kept(name: &str, before: &[Value], after: &[Value]) {
    for b in before.iter().filter(|b| b["intact"] == true) {
        let a = after.iter().find(|a| a["field"] == b["field"]).unwrap_or_else(|| panic!("{name}: {} is gone", b["field"]));
        assert_eq!(a["intact"], true, "{name}: {} no longer intact: {a}", b["field"]);
        if b["docmdp_ok"] == true {
            assert_eq!(a["docmdp_ok"], true, "{name}: {} now sees a change it does not allow: {a}", b["field"]);
        }
    }
    let seal =
        after.iter().find(|a| a["field"].as_str().is_some_and(|f| f.starts_with("Dojang seal"))).unwrap_or_else(|| panic!("{name}: no seal in {after:?}"));
    for k in ["intact", "valid", "trusted"] {
        assert_eq!(seal[k], true, "{name}: the seal is {k}: {seal}");
    }
    assert_eq!(seal["coverage"], "ENTIRE_FILE", "{name}");
}

#[tokio::test]
async fn certified_and_signed_files_keep_every_earlier_signature_valid() {
    let app = spawn().start().await;
    let key = key_for(&app, "certified").await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let root = dir.join("dojang-root.pem");
    std::fs::write(&root, app.get("/verify/root.pem").await.body).unwrap();

    // Certified against any change: refused at upload, with its own code.
    let (locked, _) = signed_by_pyhanko(dir, "certify-1");
    let r = upload(&app, &key, "locked.pdf", std::fs::read(&locked).unwrap()).await;
    assert_eq!((r.status, r.code()), (422, "PDF_CERTIFIED_NO_CHANGES".to_owned()), "{}", r.body);

    for mode in ["approval", "certify-2", "certify-3"] {
        let (file, cert) = signed_by_pyhanko(dir, mode);
        let before = check(&file, &[&cert]);
        assert!(before.iter().all(|b| b["intact"] == true && b["docmdp_ok"] == true), "{mode}: {before:?}");
        let sealed = sealed_copy(&app, &key, &format!("{mode}.pdf"), std::fs::read(&file).unwrap(), dir).await;
        assert_kept(mode, &before, &check(&sealed, &[&cert, &root]));
        // After an approval signature the values show, as the seal's appearance; a
        // certification allows no new visible field, so nothing is drawn there.
        let ink = crate::helpers::ink_in(&sealed, (0.5, 0.75, 0.9, 0.8), dir);
        if mode == "approval" {
            assert!(ink > 20, "{mode}: the text value is drawn ({ink} dark pixels)");
        } else {
            assert_eq!(ink, 0, "{mode}: nothing drawn on a certified document");
        }
    }
    for name in
        ["sig__signed_verified.pdf", "sig-multi__two_signatures.pdf", "sig-pades__testPAdES_BLTA.pdf", "sig-certified-pdfa__veraPDF-6-1-12-t02-pass-a.pdf"]
    {
        let file = crate::helpers::fixture_dir().join(name);
        let before = check(&file, &[&root]);
        let sealed = sealed_copy(&app, &key, name, fixture(name), dir).await;
        assert_kept(name, &before, &check(&sealed, &[&root]));
    }
    app.stop().await;
}
