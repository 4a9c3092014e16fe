//! Sealing: the final PDF with values and signatures written in, the audit trail, the PAdES
//! signature checked by tools nobody here wrote (pyHanko, poppler's pdfsig), tampering
//! detected, Korean text and rotated pages right, and the verification endpoint.

use crate::helpers::{repo_root, spawn, TestApp};
use crate::signing::{consent, drawing, send_contract, submit, Sent};
use crate::smtp::SmtpSink;
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;

fn python() -> std::path::PathBuf {
    std::env::var("DOJANG_TEST_PYTHON").map(Into::into).unwrap_or_else(|_| repo_root().join(".tools/venv/bin/python"))
}

/// pyHanko's verdict on every signature of `pdf`, trusting `root_pem`.
pub fn pyhanko(pdf: &Path, root_pem: &Path) -> Vec<Value> {
    let out = Command::new(python())
        .arg(repo_root().join("server/tests/tools/pdf_check.py"))
        .arg(pdf)
        .arg(root_pem)
        .output()
        .expect("pyHanko (run scripts/setup.sh --test)");
    assert!(out.status.success(), "pdf_check.py: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

/// poppler's pdfsig report (it always exits 0; the verdict is in the text).
pub fn pdfsig(pdf: &Path) -> String {
    let out = Command::new("pdfsig").arg(pdf).output().expect("pdfsig (poppler-utils)");
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

pub fn pdftotext(pdf: &Path) -> String {
    let out = Command::new("pdftotext").args(["-enc", "UTF-8"]).arg(pdf).arg("-").output().expect("pdftotext");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Signs every recipient of a sent contract (found through the captured invitations).
pub async fn sign_all(app: &TestApp, sent: &Sent) {
    for (i, _) in sent.recipients.iter().enumerate() {
        let token = invitation_token(app, sent, i).await;
        assert_eq!(consent(app, &token).await.status, 200);
        let r = submit(app, sent, &token, i as u32, drawing(if i == 0 { "mouse" } else { "pen" }, i != 0)).await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
}

async fn invitation_token(app: &TestApp, sent: &Sent, i: usize) -> String {
    for _ in 0..100 {
        let text: Option<String> = sqlx::query_scalar("SELECT text FROM emails WHERE envelope_id = $1 AND recipient_id = $2 AND kind = 'invitation'")
            .bind(&sent.envelope)
            .bind(&sent.recipients[i])
            .fetch_optional(app.db.pool())
            .await
            .unwrap();
        if let Some(t) = text {
            let m = crate::smtp::Mail { to: String::new(), subject: String::new(), text: t, html: String::new(), attachments: vec![] };
            return m.token();
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no invitation for recipient {i}");
}

/// Waits for the envelope's seal and returns its detail.
pub async fn sealed(app: &TestApp, envelope: &str) -> Value {
    for _ in 0..600 {
        let d = app.call("envelopes/get", &[("id", envelope)]).await.json();
        if d["seal_status"] == "sealed" {
            return d;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("not sealed in time");
}

pub async fn download(app: &TestApp, path: &str, dir: &Path, name: &str) -> std::path::PathBuf {
    let (status, headers, bytes) = app.get_bytes(path).await;
    assert_eq!(status, 200, "{path}");
    assert_eq!(headers["content-type"], "application/pdf");
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

async fn root_pem(app: &TestApp, dir: &Path) -> std::path::PathBuf {
    let r = app.get("/verify/root.pem").await;
    assert_eq!(r.status, 200);
    assert!(r.body.starts_with("-----BEGIN CERTIFICATE-----"));
    let p = dir.join("root.pem");
    std::fs::write(&p, r.body).unwrap();
    p
}

async fn verify_file(app: &TestApp, bytes: Vec<u8>) -> Value {
    let part = reqwest::multipart::Part::bytes(bytes).file_name("check.pdf");
    let res = app.client.post(app.url("/api/v1/verify")).multipart(reqwest::multipart::Form::new().part("file", part)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

#[tokio::test]
async fn a_completed_contract_is_sealed_and_every_validator_agrees() {
    let sink = SmtpSink::start();
    let app = spawn().var("DOJANG_SMTP_URL", &sink.url()).start().await;
    let sent = send_contract(&app, &[("김철수", "chulsoo@example.com", 1), ("Jane Doe", "jane@example.com", 2)], |_| json!({ "signing_order": "sequential" })).await;
    sign_all(&app, &sent).await;
    let d = sealed(&app, &sent.envelope).await;
    let docs = d["sealed_documents"].as_array().unwrap();
    assert_eq!(docs.len(), 1);
    let doc = docs[0]["document_id"].as_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pdf = download(&app, &format!("/_app/envelopes/{}/documents/{doc}/sealed.pdf", sent.envelope), dir.path(), "sealed.pdf").await;
    let trail = download(&app, &format!("/_app/envelopes/{}/audit-trail.pdf", sent.envelope), dir.path(), "trail.pdf").await;
    let root = root_pem(&app, dir.path()).await;
    assert_eq!(dojang_core::documents::sha256_hex(&std::fs::read(&pdf).unwrap()), docs[0]["sealed_sha256"]);
    // DOJANG_TEST_KEEP=DIR keeps the sealed files for a look.
    if let Ok(keep) = std::env::var("DOJANG_TEST_KEEP") {
        let _ = std::fs::copy(&pdf, Path::new(&keep).join("sealed.pdf"));
        let _ = std::fs::copy(&trail, Path::new(&keep).join("trail.pdf"));
    }

    for file in [&pdf, &trail] {
        let sigs = pyhanko(file, &root);
        assert_eq!(sigs.len(), 1, "{sigs:?}");
        let s = &sigs[0];
        assert_eq!(s["intact"], true, "{s}");
        assert_eq!(s["valid"], true, "{s}");
        assert_eq!(s["trusted"], true, "{s}");
        assert_eq!(s["coverage"], "ENTIRE_FILE", "{s}");
        assert_eq!(s["sub_filter"], "/ETSI.CAdES.detached", "{s}");
        let report = pdfsig(file);
        assert!(report.contains("Signature is Valid"), "{report}");
        assert!(report.contains("Total document signed"), "{report}");
    }

    // The sealed document carries the values and the trail.
    let text = pdftotext(&pdf);
    assert!(text.contains("서울특별시 중구 세종대로 110"), "the Korean value is text in the PDF: {text}");
    assert!(text.contains("Audit trail"), "{text}");
    assert!(text.contains("김철수"));
    assert!(text.contains(&sent.envelope));
    let trail_text = pdftotext(&trail);
    assert!(trail_text.contains(docs[0]["sealed_sha256"].as_str().unwrap()), "the standalone trail names the sealed file's hash");
    let head = d["events"].as_array().unwrap().iter().rev().find(|e| e["kind"] == "envelope.completed").unwrap()["hash"].as_str().unwrap().to_owned();
    assert!(text.replace('\n', "").contains(&head[..32]), "the chain head is printed");

    // Everyone gets the sealed document.
    let sealed_bytes = std::fs::read(&pdf).unwrap();
    for who in ["chulsoo@example.com", "jane@example.com"] {
        let mails = sink.wait_for(who, 2).await;
        let done = mails.iter().find(|m| m.subject.contains("완료") || m.subject.contains("Completed")).expect("a completion email");
        assert_eq!(done.attachments.len(), 1);
        assert_eq!(done.attachments[0].1, sealed_bytes, "the attachment is the sealed file");
        assert!(done.attachments[0].0.ends_with("(signed).pdf"));
    }

    // The verification endpoint knows it.
    let v = verify_file(&app, sealed_bytes.clone()).await;
    assert_eq!(v["intact"], true, "{v}");
    assert_eq!(v["sealedByThisInstance"], true);
    assert_eq!(v["envelope"]["id"], sent.envelope.as_str());
    assert_eq!(v["envelope"]["signers"][0]["name"], "김철수");
    let v = verify_file(&app, std::fs::read(&trail).unwrap()).await;
    assert_eq!(v["intact"], true, "the audit trail verifies too: {v}");
    app.stop().await;
}

#[tokio::test]
async fn a_changed_byte_or_an_appended_update_is_detected() {
    let app = spawn().start().await;
    let sent = send_contract(&app, &[("A", "a@example.com", 1)], |_| json!({})).await;
    sign_all(&app, &sent).await;
    let d = sealed(&app, &sent.envelope).await;
    let doc = d["sealed_documents"][0]["document_id"].as_str().unwrap().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let pdf = download(&app, &format!("/_app/envelopes/{}/documents/{doc}/sealed.pdf", sent.envelope), dir.path(), "sealed.pdf").await;
    let root = root_pem(&app, dir.path()).await;
    let original = std::fs::read(&pdf).unwrap();

    // One byte changed inside the signed range (in the document's first object).
    let mut flipped = original.clone();
    let at = flipped.windows(6).position(|w| w == b" 0 obj").unwrap() + 8;
    flipped[at] ^= 0x01;
    let p = dir.path().join("flipped.pdf");
    std::fs::write(&p, &flipped).unwrap();
    let s = &pyhanko(&p, &root)[0];
    assert_ne!(s["intact"], true, "pyHanko sees the change: {s}");
    let report = pdfsig(&p);
    assert!(!report.contains("Signature is Valid"), "{report}");
    let v = verify_file(&app, flipped).await;
    assert_eq!(v["intact"], false, "{v}");

    // A new revision appended after the seal (a real incremental update changing a page).
    let doc_ = lopdf::Document::load_mem(&original).unwrap();
    let mut up = dojang_core::pdf::write::Update::new(&doc_);
    let page = *doc_.get_pages().values().next().unwrap();
    let mut page_dict = doc_.get_dictionary(page).unwrap().clone();
    page_dict.set("Rotate", lopdf::Object::Integer(90));
    up.set(page, &lopdf::Object::Dictionary(page_dict));
    let (appended, _) = up.finish(&original);
    let p = dir.path().join("appended.pdf");
    std::fs::write(&p, &appended).unwrap();
    let s = &pyhanko(&p, &root)[0];
    assert_eq!(s["intact"], true, "the sealed revision itself still hashes right");
    assert_ne!(s["coverage"], "ENTIRE_FILE", "but pyHanko sees bytes after the seal: {s}");
    assert_ne!(s["modification_level"], "NONE", "{s}");
    let report = pdfsig(&p);
    assert!(!report.contains("Total document signed"), "{report}");
    let v = verify_file(&app, appended).await;
    assert_eq!(v["intact"], false, "{v}");
    assert_eq!(v["modifiedAfterSealing"], true, "{v}");
    assert_eq!(v["envelope"]["id"], sent.envelope.as_str(), "still traced to its contract");

    let v = verify_file(&app, crate::helpers::fixture("basic__002-trivial-libre-office-writer.pdf")).await;
    assert_eq!(v["sealedByThisInstance"], false);
    assert_eq!(v["modifiedAfterSealing"], false);
    app.stop().await;
}
