//! Uploading documents and previewing their pages, over every file of the PDF corpus.

use crate::helpers::{fixture, manifest, spawn, spawn_app, Account, TestApp};

async fn signed_in(app: &TestApp) {
    let r = app.sign_up(&Account::unique("docs")).await;
    assert!(r.status < 400, "{}", r.body);
}

/// Policy for the two files the tools disagree on:
/// - `broken-trailer__missing_xref_trailer_dict.pdf` (poppler refuses, qpdf recovers one page)
///   is refused as `PDF_DAMAGED`: PDFium cannot open it, and a contract must show exactly what
///   the parties agree to, so we do not guess at a partial recovery.
/// - `bomb__bomb_giant.pdf` (content streams that fail to decode, JBIG2 images declaring
///   100000×100000 px) is accepted: PDFium opens it and renders every page at preview size in
///   bounded time and memory (the whole corpus run, this file included, stays well under a
///   minute; nothing allocates the declared 1 GB images).
#[tokio::test]
async fn every_corpus_file_is_accepted_and_rendered_or_refused_with_a_code() {
    let app = spawn_app().await;
    signed_in(&app).await;
    let mut report = Vec::new();
    for (file, expected, pages) in manifest() {
        let started = std::time::Instant::now();
        let r = app.upload(None, &file, fixture(&file)).await;
        let outcome = if r.status == 201 { "ok".to_owned() } else { format!("{} {}", r.status, r.code()) };
        match expected.as_str() {
            "ok" => {
                assert_eq!(r.status, 201, "{file} should be accepted: {}", r.body);
                let doc = &r.json()["document"];
                let n = doc["pages"].as_array().unwrap().len();
                if let Some(p) = pages {
                    assert_eq!(n as u32, p, "{file}: page count");
                }
                let id = doc["id"].as_str().unwrap();
                for page in 0..n {
                    let (status, headers, body) = app.get_bytes(&format!("/_app/documents/{id}/pages/{page}?size=thumb")).await;
                    assert_eq!(status, 200, "{file} page {page} renders");
                    assert_eq!(headers["content-type"], "image/jpeg");
                    assert_eq!(&body[..2], &[0xFF, 0xD8], "{file} page {page} is a JPEG");
                }
            }
            _ => {
                assert!((400..500).contains(&r.status), "{file} must be refused with a 4xx: {} {}", r.status, r.body);
                let code = r.code();
                assert!(["NOT_A_PDF", "PDF_EMPTY", "PDF_ENCRYPTED", "PDF_DAMAGED"].contains(&code.as_str()), "{file}: unexpected code {code}");
                assert!(!r.json()["message"].as_str().unwrap().is_empty());
            }
        }
        report.push(format!("{file}: expected {expected}, got {outcome} in {:?}", started.elapsed()));
    }
    println!("{}", report.join("\n"));
    app.stop().await;
}

#[tokio::test]
async fn pages_record_their_boxes_and_rotation() {
    let app = spawn_app().await;
    signed_in(&app).await;
    let r = app.upload(None, "boxes.pdf", fixture("rotate-boxes__boxes.pdf")).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let pages = r.json()["document"]["pages"].as_array().unwrap().clone();
    let rotations: Vec<u64> = pages.iter().map(|p| p["geometry"]["rotation"].as_u64().unwrap()).collect();
    assert_eq!(rotations, [0, 90, 180, 270, 0, 90, 180, 270]);
    // Page 1 of qpdf's boxes.pdf: MediaBox [0 0 612 792], CropBox [10 20 582 752].
    let g = &pages[0]["geometry"];
    assert_eq!((g["left"].as_f64(), g["bottom"].as_f64(), g["right"].as_f64(), g["top"].as_f64()), (Some(10.0), Some(20.0), Some(582.0), Some(752.0)));
    app.stop().await;
}

#[tokio::test]
async fn each_document_keeps_its_own_original_bytes() {
    let app = spawn_app().await;
    let key = crate::rest::key_for(&app, "own-bytes").await;
    let bytes = fixture("basic__002-trivial-libre-office-writer.pdf");
    let a = crate::rest::upload(&app, &key, "basic__002-trivial-libre-office-writer.pdf", &[]).await.json();
    let b = crate::rest::upload(&app, &key, "basic__002-trivial-libre-office-writer.pdf", &[]).await.json();
    let sha = a["sha256"].as_str().unwrap();
    assert_eq!(sha, "fc67ce4f76ffb44e818ebe4f673dbeb6002ad93a59f3856ff14fb1d3625f10a5", "manifest SHA-256");
    assert_eq!(b["sha256"], sha);
    let (a, b) = (a["id"].as_str().unwrap().to_owned(), b["id"].as_str().unwrap().to_owned());
    assert_ne!(a, b, "two documents");
    let stored = async |id: &str| app.stored(&format!("documents/{id}.pdf")).await;
    assert_eq!(stored(&a).await.unwrap(), bytes, "stored byte for byte");
    assert_eq!(stored(&b).await.unwrap(), bytes);
    // Deleting one (same content) leaves the other's bytes: no shared blob to race over.
    assert_eq!(crate::rest::call(&app, &key, "DELETE", &format!("/documents/{a}"), None).await.status, 204);
    assert!(stored(&a).await.is_none(), "the deleted document's bytes are gone");
    assert_eq!(stored(&b).await.unwrap(), bytes, "the other document keeps its bytes");
    let r = crate::rest::call(&app, &key, "GET", &format!("/documents/{b}"), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    app.stop().await;
}

#[tokio::test]
async fn size_and_page_limits_are_enforced_with_their_codes() {
    let app = spawn().var("DOJANG_MAX_UPLOAD_MB", "1").var("DOJANG_MAX_PAGES", "5").start().await;
    signed_in(&app).await;
    let r = app.upload(None, "big.pdf", fixture("long__freeculture.pdf")).await;
    assert_eq!(r.status, 413, "{}", r.body);
    assert_eq!(r.code(), "FILE_TOO_LARGE");
    let r = app.upload(None, "boxes.pdf", fixture("rotate-boxes__boxes.pdf")).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.code(), "PDF_TOO_MANY_PAGES");
    let r = app.upload(None, "ok.pdf", fixture("pdf20__Simple_PDF_2.0_file.pdf")).await;
    assert_eq!(r.status, 201);
    app.stop().await;
}

#[tokio::test]
async fn uploads_need_a_user_and_the_session_token() {
    let app = spawn_app().await;
    let r = app.upload(None, "a.pdf", fixture("pdf20__Simple_PDF_2.0_file.pdf")).await;
    assert_eq!(r.status, 401, "{}", r.body);
    signed_in(&app).await;
    let part = reqwest::multipart::Part::bytes(fixture("pdf20__Simple_PDF_2.0_file.pdf")).file_name("a.pdf");
    let res = app.client.post(app.url("/_app/documents")).multipart(reqwest::multipart::Form::new().part("file", part)).send().await.unwrap();
    assert_eq!(res.status(), 403, "no x-csrf-token header");
    app.stop().await;
}

#[tokio::test]
async fn previews_are_jpeg_cached_and_private_to_the_organization() {
    let app = spawn_app().await;
    signed_in(&app).await;
    let r = app.upload(None, "boxes.pdf", fixture("rotate-boxes__boxes.pdf")).await.json();
    let id = r["document"]["id"].as_str().unwrap().to_owned();
    for (i, p) in r["document"]["pages"].as_array().unwrap().iter().enumerate() {
        let (status, headers, page) = app.get_bytes(&format!("/_app/documents/{id}/pages/{i}?size=page")).await;
        assert_eq!(status, 200);
        assert!(headers["cache-control"].to_str().unwrap().contains("private"));
        let (w, h) = jpeg_size(&page);
        assert_eq!(w, 1600, "preview width");
        // The preview shows the page as displayed: CropBox, turned by /Rotate.
        let g = &p["geometry"];
        let (bw, bh) = (g["right"].as_f64().unwrap() - g["left"].as_f64().unwrap(), g["top"].as_f64().unwrap() - g["bottom"].as_f64().unwrap());
        let expected = if g["rotation"].as_u64().unwrap() % 180 == 90 { bw / bh } else { bh / bw };
        let actual = h as f64 / w as f64;
        assert!((actual - expected).abs() < 0.01, "page {i}: aspect {actual} vs {expected}");
    }
    let (_, _, thumb) = app.get_bytes(&format!("/_app/documents/{id}/pages/0?size=thumb")).await;
    assert_eq!(jpeg_size(&thumb).0, 240);
    assert_eq!(app.get_bytes(&format!("/_app/documents/{id}/pages/8")).await.0, 404, "no ninth page");
    assert_eq!(app.get_bytes(&format!("/_app/documents/{id}/pages/0?size=huge")).await.0, 422);

    let other = app.new_browser();
    other.sign_up(&Account::unique("other-org")).await;
    assert_eq!(other.get_bytes(&format!("/_app/documents/{id}/pages/0")).await.0, 404, "another organization");
    let contract = r["contractId"].as_str().unwrap();
    let r = other.upload(Some(contract), "x.pdf", fixture("pdf20__Simple_PDF_2.0_file.pdf")).await;
    assert_eq!(r.status, 404, "cannot add to another organization's contract: {}", r.body);
    app.stop().await;
}

#[tokio::test]
async fn every_page_is_prerendered_in_the_background() {
    let app = spawn_app().await;
    signed_in(&app).await;
    let r = app.upload(None, "boxes.pdf", fixture("rotate-boxes__boxes.pdf")).await.json();
    let contract = r["contractId"].as_str().unwrap().to_owned();
    let sha = r["document"]["sha256"].as_str().unwrap().to_owned();
    let cached = async || app.stored_keys(&format!("previews/{sha}")).await.len();
    let (mut rendered, mut previews) = (0, 0);
    // Up to a minute: the background worker shares two cores with the whole test suite, and
    // a page counts as rendered when its preview is stored, its thumbnail just after.
    for _ in 0..600 {
        let c = app.call("contracts/get", &[("id", &contract)]).await.json();
        rendered = c["documents"][0]["pages_rendered"].as_u64().unwrap();
        previews = cached().await;
        if rendered == 8 && previews == 16 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(rendered, 8, "all pages rendered without anyone asking");
    assert_eq!(previews, 16, "a page preview and a thumbnail per page, cached in storage");

    // A second upload of the same file finds its previews made, and is reported rendered too.
    let again = app.upload(None, "boxes again.pdf", fixture("rotate-boxes__boxes.pdf")).await.json();
    let contract = again["contractId"].as_str().unwrap().to_owned();
    let mut rendered = 0;
    for _ in 0..300 {
        rendered = app.call("contracts/get", &[("id", &contract)]).await.json()["documents"][0]["pages_rendered"].as_u64().unwrap();
        if rendered == 8 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(rendered, 8, "the copy's pages count as rendered");
    assert_eq!(cached().await, 16, "and nothing was rendered twice");
    app.stop().await;
}

/// Width and height from a baseline JPEG's SOF0 marker.
fn jpeg_size(b: &[u8]) -> (u32, u32) {
    let mut i = 2;
    while i + 9 < b.len() {
        let marker = b[i + 1];
        let len = u16::from_be_bytes([b[i + 2], b[i + 3]]) as usize;
        if marker == 0xC0 || marker == 0xC2 {
            let h = u16::from_be_bytes([b[i + 5], b[i + 6]]) as u32;
            let w = u16::from_be_bytes([b[i + 7], b[i + 8]]) as u32;
            return (w, h);
        }
        i += 2 + len;
    }
    panic!("no SOF marker");
}

/// Found by fuzzing: a file whose page tree counts pages that do not open was accepted with
/// fewer pages than it claims; every page must open, or the upload is refused as damaged.
#[tokio::test]
async fn a_file_whose_pages_do_not_all_open_is_refused_as_damaged() {
    let app = spawn_app().await;
    app.sign_up(&Account::unique("fuzzed")).await;
    let dir = crate::helpers::repo_root().join("fuzz/regressions/pdf_inspect");
    for entry in std::fs::read_dir(dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let r = app.upload(None, "fuzzed.pdf", bytes).await;
        assert!(r.status == 201 || r.status == 422, "{}", r.body);
        if r.status == 201 {
            // Accepted: then every page it recorded opens as a preview.
            let doc = &r.json()["document"];
            for p in doc["pages"].as_array().unwrap() {
                let (status, _, _) = app.get_bytes(&format!("/_app/documents/{}/pages/{}", doc["id"].as_str().unwrap(), p["index"])).await;
                assert_eq!(status, 200);
            }
        } else {
            assert_eq!(r.code(), "PDF_DAMAGED", "{}", r.body);
        }
    }
}

/// A page whose MediaBox is inherited from the page tree is recorded with that box (PDFium's
/// own-box calls do not look up the tree; a default Letter page was recorded instead, so
/// fields landed off the page).
#[tokio::test]
async fn inherited_page_boxes_are_recorded() {
    let app = spawn_app().await;
    app.sign_up(&Account::unique("inherited")).await;
    let bytes = fixture("sig-multi__two_signatures.pdf");
    assert!(
        String::from_utf8_lossy(&bytes).contains("/MediaBox [0 0 200 300]") || String::from_utf8_lossy(&bytes).contains("/MediaBox[0 0 200 300]"),
        "the fixture inherits its box"
    );
    let r = app.upload(None, "inherited.pdf", bytes).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let g = &r.json()["document"]["pages"][0]["geometry"];
    assert_eq!((g["left"].as_f64(), g["bottom"].as_f64(), g["right"].as_f64(), g["top"].as_f64()), (Some(0.0), Some(0.0), Some(200.0), Some(300.0)), "{g}");
}
