//! Sealing: the final PDF with values and signatures written in, the audit trail, the PAdES
//! signature checked by tools nobody here wrote (pyHanko, poppler's pdfsig), tampering
//! detected, Korean text and rotated pages right, and the verification endpoint.

use crate::helpers::{python, repo_root, spawn, TestApp};
use crate::signing::{consent, drawing, send_envelope, submit, Sent};
use crate::smtp::SmtpSink;
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;

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

/// The text of the first page only (a decompression bomb elsewhere in a file takes poppler
/// minutes to extract, and the tests' values sit on the first page).
pub fn first_page_text(pdf: &Path) -> String {
    let out = Command::new("pdftotext").args(["-enc", "UTF-8", "-f", "1", "-l", "1"]).arg(pdf).arg("-").output().expect("pdftotext");
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

pub(crate) async fn verify_file(app: &TestApp, bytes: Vec<u8>) -> Value {
    let part = reqwest::multipart::Part::bytes(bytes).file_name("check.pdf");
    let res = app.client.post(app.url("/api/v1/verify")).multipart(reqwest::multipart::Form::new().part("file", part)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

#[tokio::test]
async fn a_completed_contract_is_sealed_and_every_validator_agrees() {
    let sink = SmtpSink::start();
    let app = spawn().var("DOJANG_SMTP_URL", &sink.url()).start().await;
    let sent =
        send_envelope(&app, &[("김철수", "chulsoo@example.com", 1), ("Jane Doe", "jane@example.com", 2)], |_| json!({ "signing_order": "sequential" })).await;
    sign_all(&app, &sent).await;
    let d = sealed(&app, &sent.envelope).await;
    let docs = d["sealed_documents"].as_array().unwrap();
    assert_eq!(docs.len(), 1);
    let doc = docs[0]["document_id"].as_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pdf = download(&app, &format!("/_app/envelopes/{}/documents/{doc}/sealed.pdf", sent.envelope), dir.path(), "sealed.pdf").await;
    let trail = download(&app, &format!("/_app/envelopes/{}/audit-trail.pdf", sent.envelope), dir.path(), "trail.pdf").await;
    let root = root_pem(&app, dir.path()).await;
    assert_eq!(dojang_core::document::sha256_hex(&std::fs::read(&pdf).unwrap()), docs[0]["sealed_sha256"]);
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
    let flat = text.replace('\n', "");
    let hashes: Vec<&str> = d["events"].as_array().unwrap().iter().map(|e| e["hash"].as_str().unwrap()).collect();
    assert!(hashes.iter().any(|h| flat.contains(h)), "the chain head (one of the events' hashes) is printed");

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
    let sent = send_envelope(&app, &[("A", "a@example.com", 1)], |_| json!({})).await;
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

/// A solid magenta PNG, `w`×`h` pixels.
pub(crate) fn magenta_png(w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().unwrap();
        let row: Vec<u8> = (0..w).flat_map(|_| [255u8, 0, 255]).collect();
        let data: Vec<u8> = (0..h).flat_map(|_| row.clone()).collect();
        writer.write_image_data(&data).unwrap();
    }
    out
}

/// Renders one page (1-based) at 72 dpi (1 px = 1 pt) as RGB rows.
pub(crate) fn render_page(pdf: &Path, page: usize) -> (usize, usize, Vec<u8>) {
    let root = pdf.with_extension(format!("p{page}"));
    let status = Command::new("pdftoppm")
        .args(["-r", "72", "-cropbox", "-f", &page.to_string(), "-l", &page.to_string(), "-singlefile"])
        .arg(pdf)
        .arg(&root)
        .status()
        .unwrap();
    assert!(status.success());
    let data = std::fs::read(root.with_extension(format!("p{page}.ppm"))).unwrap();
    // P6\n<w> <h>\n255\n<rgb…>
    let mut fields = Vec::new();
    let mut i = 0;
    while fields.len() < 4 {
        while data[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        while !data[i].is_ascii_whitespace() {
            i += 1;
        }
        fields.push(String::from_utf8_lossy(&data[start..i]).into_owned());
    }
    let (w, h): (usize, usize) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    (w, h, data[i + 1..].to_vec())
}

/// Bounding box (x0, y0, x1, y1) of pixels matching `pred`.
fn bbox(w: usize, h: usize, rgb: &[u8], pred: impl Fn(u8, u8, u8) -> bool) -> Option<(f64, f64, f64, f64)> {
    let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
    for y in 0..h {
        for x in 0..w {
            let p = &rgb[(y * w + x) * 3..(y * w + x) * 3 + 3];
            if pred(p[0], p[1], p[2]) {
                x0 = x0.min(x);
                y0 = y0.min(y);
                x1 = x1.max(x + 1);
                y1 = y1.max(y + 1);
            }
        }
    }
    (x0 != usize::MAX).then_some((x0 as f64, y0 as f64, x1 as f64, y1 as f64))
}

/// The magenta 2:1 image of `magenta_png` is fitted and centred in the field `(x, y, w, h)`
/// (rendered pixels at 72 dpi, i.e. displayed points), within 2 px.
pub(crate) fn assert_magenta_fitted(pw: usize, ph: usize, rgb: &[u8], (x, y, w, h): (f64, f64, f64, f64), what: &str) {
    let scale = (w / 2.0).min(h);
    let (iw, ih) = (2.0 * scale, scale);
    let (ex0, ey0) = (x + (w - iw) / 2.0, y + (h - ih) / 2.0);
    let (x0, y0, x1, y1) = bbox(pw, ph, rgb, |r, g, b| r > 200 && g < 60 && b > 200).unwrap_or_else(|| panic!("no mark on {what}"));
    for (got, want, side) in [(x0, ex0, "left"), (y0, ey0, "top"), (x1, ex0 + iw, "right"), (y1, ey0 + ih, "bottom")] {
        assert!((got - want).abs() <= 2.0, "{what}: {side} at {got}, expected {want}");
    }
}

#[tokio::test]
async fn marks_land_where_they_were_placed_on_rotated_and_offset_pages_and_korean_renders() {
    let app = spawn().start().await;
    app.sign_up(&crate::helpers::Account::unique("rotated")).await;
    let up = app.upload(None, "boxes.pdf", crate::helpers::fixture("rotate-boxes__boxes.pdf")).await.json();
    let envelope = up["contractId"].as_str().unwrap().to_owned();
    let doc = up["document"]["id"].as_str().unwrap().to_owned();
    let pages = up["document"]["pages"].as_array().unwrap().clone();
    let id = crate::signing::ids();
    let r = id(1);
    // One image-signature field on each of the pages turned 0, 90, 180 and 270 degrees
    // (each with an offset CropBox), and a Korean text field on the 90-degree page.
    let rects = [(0, 0.1, 0.15, 0.3, 0.08), (1, 0.55, 0.6, 0.25, 0.12), (2, 0.2, 0.7, 0.35, 0.07), (3, 0.6, 0.1, 0.2, 0.15)];
    let mut fields: Vec<Value> = rects
        .iter()
        .enumerate()
        .map(|(i, (page, x, y, w, h))| {
            json!({ "id": id(100 + i as u32), "recipient_id": r, "document_id": doc, "page": page,
            "rect": { "x": x, "y": y, "width": w, "height": h }, "kind": "signature", "required": true })
        })
        .collect();
    fields.push(json!({ "id": id(200), "recipient_id": r, "document_id": doc, "page": 1,
        "rect": { "x": 0.1, "y": 0.3, "width": 0.5, "height": 0.06 }, "kind": "text", "required": true }));
    let csrf = app.csrf_token().await;
    let recipients = json!([{ "id": r, "name": "이영희", "email": "younghee@example.com", "role": "signer", "order": 1 }]);
    let res = app.call_json("contracts/save", json!({ "csrf": csrf, "id": envelope, "version": 1, "recipients": recipients, "fields": fields })).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(crate::signing::send(&app, &envelope, json!({})).await.status, 200);
    let sent = Sent::new(envelope.clone(), vec![r.clone()], id);
    let token = invitation_token(&app, &sent, 0).await;
    consent(&app, &token).await;
    let png = magenta_png(400, 200);
    let png_b64 = format!("data:image/png;base64,{}", base64_encode(&png));
    let mut values: Vec<Value> = (0..4).map(|i| json!({ "field_id": sent.field(100 + i), "signature": 0 })).collect();
    values.push(json!({ "field_id": sent.field(200), "value": "대한민국 서울특별시 종로구 세종대로 209" }));
    let res = app
        .call_json("sign/submit", json!({ "token": token, "submission": { "fields": values, "signatures": [{ "method": "uploaded", "png": png_b64 }] } }))
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let d = sealed(&app, &envelope).await;
    let dir = tempfile::tempdir().unwrap();
    let pdf = download(&app, &format!("/_app/envelopes/{envelope}/documents/{doc}/sealed.pdf"), dir.path(), "sealed.pdf").await;
    assert_eq!(d["seal_status"], "sealed");

    for (page, x, y, w, h) in rects {
        let g = &pages[page]["geometry"];
        let (bw, bh) = (g["right"].as_f64().unwrap() - g["left"].as_f64().unwrap(), g["top"].as_f64().unwrap() - g["bottom"].as_f64().unwrap());
        let rot = g["rotation"].as_u64().unwrap();
        let (dw, dh) = if rot % 180 == 90 { (bh, bw) } else { (bw, bh) };
        let (pw, ph, rgb) = render_page(&pdf, page + 1);
        assert!((pw as f64 - dw).abs() <= 1.0 && (ph as f64 - dh).abs() <= 1.0, "page {page} displayed {dw}×{dh}, rendered {pw}×{ph}");
        assert_magenta_fitted(pw, ph, &rgb, (x * dw, y * dh, w * dw, h * dh), &format!("page {page} (rotation {rot})"));
    }
    // The Korean value: text in the PDF, and ink inside its field on the rotated page.
    let text = pdftotext(&pdf);
    assert!(text.contains("대한민국 서울특별시 종로구 세종대로 209"), "{text}");
    let g = &pages[1]["geometry"];
    let (dw, dh) = (g["top"].as_f64().unwrap() - g["bottom"].as_f64().unwrap(), g["right"].as_f64().unwrap() - g["left"].as_f64().unwrap());
    let (pw, ph, rgb) = render_page(&pdf, 2);
    let (x0, y0, x1, y1) = (0.1 * dw, 0.3 * dh, 0.6 * dw, 0.36 * dh);
    let dark = (y0 as usize..y1 as usize)
        .flat_map(|y| (x0 as usize..x1 as usize).map(move |x| (x, y)))
        .filter(|&(x, y)| x < pw && y < ph)
        .filter(|&(x, y)| {
            let p = &rgb[(y * pw + x) * 3..(y * pw + x) * 3 + 3];
            p[0] < 90 && p[1] < 90 && p[2] < 120
        })
        .count();
    assert!(dark > 150, "the Korean text is drawn inside its field ({dark} dark pixels)");
    app.stop().await;
}

pub(crate) fn base64_encode(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(b)
}

/// Policy for documents that arrive with form fields or signatures: the sealed file is an
/// incremental update on top of them. Form fields keep their values and appearances (they are
/// not flattened; the seal's signature then detects any later change to them), and earlier
/// signatures stay byte for byte — validators still verify them, and report that content was
/// added in later revisions (which is what happened). Files that cannot take an update as
/// they are (encrypted with an empty password, or with damaged cross-references) are first
/// written anew, decrypted or repaired; the audit trail keeps the original's SHA-256.
#[tokio::test]
async fn existing_forms_and_signatures_are_kept_and_every_document_seals() {
    seal_files(&[
        "form__prefilled_f1040.pdf",
        "form-sigfield__sample_form.pdf",
        "sig__signed_verified.pdf",
        "sig-pades__testPAdES_BLTA.pdf",
        "sig-multi__two_signatures.pdf",
        "sig-certified-pdfa__veraPDF-6-1-12-t02-pass-a.pdf",
        "form-cjk__korean.pdf",
        "enc-empty__r6-empty-password.pdf",
        "enc-empty-form__issue9972-1.pdf",
        "broken-xref__bug1795263.pdf",
        "pdf20__PDF_2.0_with_offset_start.pdf",
        "incremental__mistitled_outlines_example.pdf",
        "long__linearized_with_object_streams.pdf",
        "scan-fax__fax-decode-parms.pdf",
    ])
    .await;
}

#[tokio::test]
async fn every_other_corpus_document_seals_too() {
    seal_files(&[
        "basic__002-trivial-libre-office-writer.pdf",
        "long__freeculture.pdf",
        "long-cjk__lshort-ko.pdf",
        "landscape__issue14297.pdf",
        "rotate-boxes__boxes.pdf",
        "rotate-rtl__habibi-rotated.pdf",
        "form-rotate__manual-appearances.pdf",
        "pdf20__Simple_PDF_2.0_file.pdf",
        "rtl__issue11656.pdf",
        "rtl__exam_with_sexam_ar-DZ.pdf",
        "scan__issue7229.pdf",
        "bigimage__large_jpeg_downscale.pdf",
        "bigpage__issue14497.pdf",
        "broken-tail__selenium-pypdf-issue-177.pdf",
        "bomb__bomb_giant.pdf",
    ])
    .await;
}

/// Seals `files` as one contract and checks each result with pyHanko, pdfsig and pdftotext.
async fn seal_files(files: &[&str]) {
    let app = spawn().start().await;
    app.sign_up(&crate::helpers::Account::unique("policy")).await;
    let first = app.upload(None, files[0], crate::helpers::fixture(files[0])).await.json();
    let envelope = first["contractId"].as_str().unwrap().to_owned();
    let mut docs = vec![first["document"]["id"].as_str().unwrap().to_owned()];
    for f in &files[1..] {
        let r = app.upload(Some(&envelope), f, crate::helpers::fixture(f)).await;
        assert_eq!(r.status, 201, "{f}: {}", r.body);
        docs.push(r.json()["document"]["id"].as_str().unwrap().to_owned());
    }
    let id = crate::signing::ids();
    let r = id(1);
    let fields: Vec<Value> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| {
            json!({ "id": id(100 + i as u32), "recipient_id": r, "document_id": d, "page": 0,
            "rect": { "x": 0.05, "y": 0.9, "width": 0.4, "height": 0.04 }, "kind": "text", "required": true })
        })
        .collect();
    let csrf = app.csrf_token().await;
    let recipients = json!([{ "id": r, "name": "김민준", "email": "minjun@example.com", "role": "signer", "order": 1 }]);
    assert_eq!(
        app.call_json("contracts/save", json!({ "csrf": csrf, "id": envelope, "version": 1, "recipients": recipients, "fields": fields })).await.status,
        200
    );
    assert_eq!(crate::signing::send(&app, &envelope, json!({})).await.status, 200);
    let sent = Sent::new(envelope.clone(), vec![r.clone()], id);
    let token = invitation_token(&app, &sent, 0).await;
    consent(&app, &token).await;
    let values: Vec<Value> = (0..docs.len()).map(|i| json!({ "field_id": sent.field(100 + i as u32), "value": format!("확인 {i}") })).collect();
    let res = app.call_json("sign/submit", json!({ "token": token, "submission": { "fields": values, "signatures": [] } })).await;
    assert_eq!(res.status, 200, "{}", res.body);
    let d = sealed(&app, &envelope).await;
    assert_eq!(d["sealed_documents"].as_array().unwrap().len(), files.len());
    let dir = tempfile::tempdir().unwrap();
    let root = root_pem(&app, dir.path()).await;
    for (file, doc) in files.iter().zip(&docs) {
        let pdf = download(&app, &format!("/_app/envelopes/{envelope}/documents/{doc}/sealed.pdf"), dir.path(), file).await;
        let sealed_bytes = std::fs::read(&pdf).unwrap();
        if let Ok(keep) = std::env::var("DOJANG_TEST_KEEP") {
            let _ = std::fs::copy(&pdf, Path::new(&keep).join(file));
        }
        let original = crate::helpers::fixture(file);
        let sigs = pyhanko(&pdf, &root);
        let ours = sigs.last().unwrap_or_else(|| panic!("{file}: no signature"));
        assert_eq!(ours["intact"], true, "{file}: {sigs:?}");
        assert_eq!(ours["trusted"], true, "{file}: {ours}");
        assert_eq!(ours["coverage"], "ENTIRE_FILE", "{file}: {ours}");
        if file.starts_with("sig") {
            let before = lopdf::Document::load_mem(&original).map(|d| signature_count(&d)).unwrap_or(0);
            // Existing signatures stay: the original bytes are the start of the sealed file.
            assert!(sealed_bytes.starts_with(&original), "{file}: sealed on top of the original bytes");
            assert_eq!(sigs.len(), before + 1, "{file}: earlier signatures kept: {sigs:?}");
        }
        assert!(pdfsig(&pdf).contains("Signature is Valid"), "{file}");
        if file.starts_with("bomb") {
            // poppler spends many minutes decoding the declared giant images to extract text;
            // the signatures above are what this file tests.
            continue;
        }
        if file.starts_with("sig") {
            // Marks after earlier signatures are the seal's appearance (no page content, which
            // pdftotext reads); a certification allows none at all.
            let certified = lopdf::Document::load_mem(&original).is_ok_and(|d| certified(&d));
            let ink = crate::helpers::ink_in(&pdf, (0.05, 0.9, 0.45, 0.94), dir.path());
            assert!(certified || ink > 0, "{file}: the value is drawn");
            continue;
        }
        let text: String = first_page_text(&pdf).split_whitespace().collect();
        let i = docs.iter().position(|x| x == doc).unwrap();
        // Page content may sit between the value's words in extraction order.
        let at = text.find("확인").unwrap_or_else(|| panic!("{file}: value written"));
        assert!(text[at..].chars().take(40).collect::<String>().contains(&i.to_string()), "{file}: the whole value written");
    }
    app.stop().await;
}

fn signature_count(doc: &lopdf::Document) -> usize {
    doc.objects
        .values()
        .filter(|o| o.as_dict().is_ok_and(|d| d.get(b"FT").is_ok_and(|t| t.as_name().is_ok_and(|n| n == b"Sig")) && d.get(b"V").is_ok()))
        .count()
}

#[tokio::test]
async fn large_results_are_mailed_as_a_link_that_expires() {
    let sink = SmtpSink::start();
    let app = spawn().var("DOJANG_SMTP_URL", &sink.url()).var("DOJANG_MAIL_ATTACHMENT_MAX_MB", "0").start().await;
    let sent = send_envelope(&app, &[("A", "a@example.com", 1)], |_| json!({})).await;
    sign_all(&app, &sent).await;
    let d = sealed(&app, &sent.envelope).await;
    let mails = sink.wait_for("a@example.com", 2).await;
    let done = mails.iter().find(|m| m.subject.contains("완료")).expect("completion mail");
    assert!(done.attachments.is_empty());
    let at = done.text.find("/download/").expect("a download link");
    let start = done.text[..at].rfind("http").unwrap();
    let link = done.text[start..].split_whitespace().next().unwrap().to_owned();
    let path = link.trim_start_matches(&app.address).to_owned();
    let page = app.get(&path).await;
    assert_eq!(page.status, 200);
    assert_eq!(page.header("referrer-policy").as_deref(), Some("no-referrer"), "the token does not leak");
    let doc = d["sealed_documents"][0]["document_id"].as_str().unwrap();
    assert!(page.body.contains(&format!("{path}/documents/{doc}")));
    assert!(page.body.contains(&format!("{path}/audit-trail.pdf")));
    assert!(page.body.contains("Sealed documents") && page.body.contains("(signed).pdf"), "in the visitor's language (English without one)");
    let korean = app.get_with(&path, &[("accept-language", "ko-KR")]).await;
    assert!(korean.body.contains("서명 완료 문서") && korean.body.contains("감사 추적 기록"), "and in Korean");
    let (status, _, bytes) = app.get_bytes(&format!("{path}/documents/{doc}")).await;
    assert_eq!(status, 200);
    assert_eq!(dojang_core::document::sha256_hex(&bytes), d["sealed_documents"][0]["sealed_sha256"]);
    assert_eq!(app.get_bytes(&format!("{path}/audit-trail.pdf")).await.0, 200);
    sqlx::query("UPDATE download_links SET expires_at = '2020-01-01T00:00:00.000Z'").execute(app.db.pool()).await.unwrap();
    let closed = app.get(&path).await;
    assert_eq!(closed.status, 404, "expired");
    assert!(closed.body.contains("download-closed") && closed.body.contains("has expired or does not exist"), "says the link is closed");
    assert!(!closed.body.contains(&format!("{path}/documents/")), "and links to nothing");
    assert_eq!(app.get_bytes(&format!("{path}/documents/{doc}")).await.0, 404, "an expired link serves no document");
    assert_eq!(app.get_bytes(&format!("{path}/audit-trail.pdf")).await.0, 404, "nor the audit trail");
    app.stop().await;
}

/// Starts the test TSA on `port`; returns the process and its certificate.
fn start_tsa(port: u16, dir: &Path) -> (std::process::Child, std::path::PathBuf) {
    let child = Command::new(python()).arg(repo_root().join("server/tests/tools/tsa.py")).arg(port.to_string()).arg(dir).spawn().unwrap();
    let start = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < std::time::Duration::from_secs(20), "the test TSA did not start");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    (child, dir.join("tsa.crt"))
}

#[tokio::test]
async fn with_a_timestamp_authority_a_failure_is_visible_and_retried_until_it_works() {
    let port = crate::smtp::free_port();
    let app = spawn().var("DOJANG_TSA_URL", &format!("http://127.0.0.1:{port}/")).start().await;
    let sent = send_envelope(&app, &[("A", "a@example.com", 1)], |_| json!({})).await;
    sign_all(&app, &sent).await;
    // The TSA is down: the seal waits, says why, and is not issued without its timestamp.
    let mut d = Value::Null;
    for _ in 0..100 {
        d = app.call("envelopes/get", &[("id", &sent.envelope)]).await.json();
        if d["seal_status"] == "retrying" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(d["seal_status"], "retrying", "{d}");
    assert!(d["seal_error"].as_str().unwrap().contains("timestamp authority"), "{}", d["seal_error"]);
    assert!(d["sealed_documents"].as_array().unwrap().is_empty(), "nothing sealed without the timestamp");
    let (attempts, status): (i64, String) = sqlx::query_as("SELECT attempts, status FROM jobs WHERE kind = 'seal'").fetch_one(app.db.pool()).await.unwrap();
    assert!(attempts >= 1 && status == "pending", "{attempts} {status}");

    // The TSA comes up; the next retry seals with a timestamp (PAdES B-T).
    let dir = tempfile::tempdir().unwrap();
    let (mut tsa, tsa_cert) = start_tsa(port, dir.path());
    sqlx::query("UPDATE jobs SET run_at = '2020-01-01T00:00:00.000Z' WHERE kind = 'seal'").execute(app.db.pool()).await.unwrap();
    app.db.pool(); // (the worker polls every second)
    let d = sealed(&app, &sent.envelope).await;
    let doc = d["sealed_documents"][0]["document_id"].as_str().unwrap();
    let pdf = download(&app, &format!("/_app/envelopes/{}/documents/{doc}/sealed.pdf", sent.envelope), dir.path(), "sealed.pdf").await;
    let root = root_pem(&app, dir.path()).await;
    let out = Command::new(python()).arg(repo_root().join("server/tests/tools/pdf_check.py")).arg(&pdf).arg(&root).arg(&tsa_cert).output().unwrap();
    let sigs: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    let s = &sigs[0];
    assert_eq!(s["intact"], true, "{s}");
    assert_eq!(s["trusted"], true, "{s}");
    assert_eq!(s["timestamp"], true, "a signature timestamp token: {s}");
    assert_eq!(s["timestamp_valid"], true, "{s}");
    let _ = tsa.kill();
    let _ = tsa.wait();
    app.stop().await;
}

fn certified(doc: &lopdf::Document) -> bool {
    let dict = |o: &lopdf::Object| doc.dereference(o).ok().and_then(|(_, o)| o.as_dict().ok()).cloned();
    doc.trailer.get(b"Root").ok().and_then(dict).and_then(|r| r.get(b"Perms").ok().and_then(dict)).is_some_and(|p| p.has(b"DocMDP"))
}
