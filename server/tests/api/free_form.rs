//! Signers without fields who place their signature themselves (`fieldless: "freeForm"`,
//! issue 15): where they may put it, what the seal makes of it, and that a moved signature
//! is not sealed.

use crate::helpers::{fixture, spawn, TestApp};
use crate::integrators::{completed, envelope};
use crate::rest::{call, draft, key_for};
use crate::seal::{assert_magenta_fitted, base64_encode, magenta_png, render_page, verify_file};
use crate::webhooks::sign_urls;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

async fn upload(app: &TestApp, key: &str, name: &str) -> Value {
    let part = reqwest::multipart::Part::bytes(fixture(name)).file_name(name.to_owned()).mime_str("application/pdf").unwrap();
    let res =
        app.client.post(app.url("/api/v1/documents")).bearer_auth(key).multipart(reqwest::multipart::Form::new().part("file", part)).send().await.unwrap();
    assert_eq!(res.status(), 201);
    res.json().await.unwrap()
}

fn token_of(url: &str) -> String {
    url.rsplit('/').next().unwrap().to_owned()
}

fn magenta() -> Value {
    json!({ "method": "uploaded", "png": format!("data:image/png;base64,{}", base64_encode(&magenta_png(400, 200))) })
}

/// Submits `placements` with one uploaded signature.
async fn place(signer: &TestApp, token: &str, placements: Value) -> crate::helpers::Reply {
    signer.call_json("sign/submit", json!({ "token": token, "submission": { "fields": [], "signatures": [magenta()], "placements": placements } })).await
}

fn at(document: &str, page: u32, x: f64, y: f64, w: f64, h: f64) -> Value {
    json!({ "document_id": document, "page": page, "rect": { "x": x, "y": y, "width": w, "height": h }, "signature": 0 })
}

#[tokio::test]
async fn signers_without_fields_place_their_signature_on_any_page_and_it_is_sealed_where_they_put_it() {
    let app = spawn().start().await;
    let key = key_for(&app, "free-form").await;
    let plain = upload(&app, &key, "basic__002-trivial-libre-office-writer.pdf").await["id"].as_str().unwrap().to_owned();
    let rotated = upload(&app, &key, "rotate-boxes__boxes.pdf").await["id"].as_str().unwrap().to_owned();
    let created = call(
        &app,
        &key,
        "POST",
        "/envelopes",
        Some(json!({
            "subject": "자유 서명 계약서",
            "documentIds": [plain, rotated],
            "fieldless": "freeForm",
            "recipients": [
                { "email": "minjun@example.com", "name": "김민준" },
                { "email": "seoyeon@example.com", "name": "이서연" },
            ],
        })),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.json()["fieldless"], "freeForm");
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let r = call(&app, &key, "PATCH", &format!("/envelopes/{id}"), Some(json!({ "fieldless": "anywhere" }))).await;
    assert!(r.status == 400 || r.status == 422, "an unknown mode is refused: {} {}", r.status, r.body);
    assert_eq!(envelope(&app, &key, &id).await["fieldless"], "freeForm");

    let sent = call(&app, &key, "POST", &format!("/envelopes/{id}/send"), None).await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    let e = sent.json()["envelope"].clone();
    assert_eq!(e["documents"].as_array().unwrap().len(), 2, "no signature page is appended: {e}");
    assert_eq!(e["fields"].as_array().unwrap().len(), 0);
    let links = sign_urls(&sent.json());

    // The first signer: the page says where things stand; every bad placement is refused.
    let first = app.new_browser();
    let token = token_of(&links[0]);
    let view = first.call("sign/view", &[("token", &token)]).await.json();
    assert_eq!(view["free_form"], true, "{view}");
    assert_eq!(first.call("sign/consent", &[("token", &token)]).await.status, 200);
    let page = first.get(&format!("/sign/{token}")).await.body;
    assert!(page.contains("data-free-form"), "the page offers placing the signature");
    let r = place(&first, &token, json!([])).await;
    assert_eq!((r.status, r.json()["fields"][0]["field"].as_str()), (422, Some("placements")), "{}", r.body);
    // Real documents that are not this envelope's: the same organization's, another's.
    let elsewhere = upload(&app, &key, "basic__002-trivial-libre-office-writer.pdf").await["id"].as_str().unwrap().to_owned();
    let stranger = key_for(&app, "free-form-other").await;
    let foreign = upload(&app, &stranger, "basic__002-trivial-libre-office-writer.pdf").await["id"].as_str().unwrap().to_owned();
    for (bad, path) in [
        (at(&"0".repeat(32), 0, 0.1, 0.1, 0.3, 0.1), "placements[0].documentId"),
        (at(&elsewhere, 0, 0.1, 0.1, 0.3, 0.1), "placements[0].documentId"),
        (at(&foreign, 0, 0.1, 0.1, 0.3, 0.1), "placements[0].documentId"),
        (at(&plain, 7, 0.1, 0.1, 0.3, 0.1), "placements[0].page"),
        (at(&plain, 0, 0.9, 0.1, 0.3, 0.1), "placements[0].rect"),
        (at(&plain, 0, 0.1, 0.1, 0.0, 0.1), "placements[0].rect"),
        (json!({ "document_id": plain, "page": 0, "rect": { "x": 0.1, "y": 0.1, "width": 0.3, "height": 0.1 }, "signature": 3 }), "placements[0].signature"),
    ] {
        let r = place(&first, &token, json!([bad])).await;
        assert_eq!((r.status, r.json()["fields"][0]["field"].as_str()), (422, Some(path)), "{}", r.body);
    }
    let too_many: Vec<Value> = (0..21).map(|_| at(&plain, 0, 0.1, 0.1, 0.3, 0.1)).collect();
    assert_eq!(place(&first, &token, json!(too_many)).await.status, 422);
    let r = place(&first, &token, json!([at(&plain, 0, 0.1, 0.7, 0.3, 0.1), at(&rotated, 1, 0.5, 0.2, 0.25, 0.12)])).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(place(&first, &token, json!([at(&plain, 0, 0.1, 0.1, 0.3, 0.1)])).await.code(), "ALREADY_SIGNED");

    // The second signer sees the first one's signatures as someone else's fields.
    let second = app.new_browser();
    let token2 = token_of(&links[1]);
    let view = second.call("sign/view", &[("token", &token2)]).await.json();
    assert_eq!(view["free_form"], true);
    let others: Vec<&Value> = view["fields"].as_array().unwrap().iter().collect();
    assert_eq!(others.len(), 2);
    assert!(others.iter().all(|f| f["mine"] == false && f["field"]["kind"] == "signature"), "{others:?}");
    assert_eq!(second.call("sign/consent", &[("token", &token2)]).await.status, 200);

    // A signature moved behind the signer's back is not sealed; put back, it is.
    let moved =
        sqlx::query("UPDATE fields SET x = 0.5 WHERE envelope_id = $1 AND document_id = $2").bind(&id).bind(&plain).execute(app.db.pool()).await.unwrap();
    assert_eq!(moved.rows_affected(), 1);
    let r = place(&second, &token2, json!([at(&rotated, 3, 0.6, 0.1, 0.2, 0.15)])).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let t = Instant::now();
    loop {
        let e = envelope(&app, &key, &id).await;
        let error: Option<String> = sqlx::query_scalar("SELECT seal_error FROM envelopes WHERE id = $1").bind(&id).fetch_one(app.db.pool()).await.unwrap();
        if let Some(error) = error {
            assert!(error.contains("the place of field"), "{error}");
            assert_eq!(e["status"], "sealing", "never reported completed: {e}");
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(60), "the seal refuses the moved signature: {e}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    sqlx::query("UPDATE fields SET x = 0.1 WHERE envelope_id = $1 AND document_id = $2").bind(&id).bind(&plain).execute(app.db.pool()).await.unwrap();
    // (The retry is due at once rather than after its backoff.)
    sqlx::query("UPDATE jobs SET run_at = '2000-01-01T00:00:00.000Z' WHERE status = 'pending'").execute(app.db.pool()).await.unwrap();
    let done = completed(&app, &key, &id).await;

    // Three signature fields, each its signer's, and events that say where they were put.
    let fields = done["fields"].as_array().unwrap();
    assert_eq!(fields.len(), 3, "{fields:?}");
    assert_eq!(fields.iter().filter(|f| f["recipient"] == "minjun@example.com").count(), 2);
    assert!(fields.iter().all(|f| f["type"] == "signature"));
    let events = call(&app, &key, "GET", &format!("/envelopes/{id}/events"), None).await.json();
    let placed: Vec<&Value> = events["data"].as_array().unwrap().iter().filter(|e| e["type"] == "field.placed").collect();
    assert_eq!(placed.len(), 3, "{events}");

    // The marks land where the signers put them, on the plain and the rotated pages.
    let dir = tempfile::tempdir().unwrap();
    for (doc, page, (x, y, w, h)) in [(&plain, 0, (0.1, 0.7, 0.3, 0.1)), (&rotated, 1, (0.5, 0.2, 0.25, 0.12)), (&rotated, 3, (0.6, 0.1, 0.2, 0.15))] {
        let res = app.client.get(app.url(&format!("/api/v1/envelopes/{id}/signed-document?document={doc}"))).bearer_auth(&key).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let bytes = res.bytes().await.unwrap().to_vec();
        assert_eq!(verify_file(&app, bytes.clone()).await["intact"], true);
        let pdf = dir.path().join(format!("{doc}.pdf"));
        std::fs::write(&pdf, bytes).unwrap();
        let (pw, ph, rgb) = render_page(&pdf, page + 1);
        let (dw, dh) = (pw as f64, ph as f64);
        assert_magenta_fitted(pw, ph, &rgb, (x * dw, y * dh, w * dw, h * dh), &format!("page {page} of {doc}"));
    }
}

#[tokio::test]
async fn placements_are_refused_where_the_sender_placed_the_fields() {
    let app = spawn().start().await;
    let key = key_for(&app, "placed-by-sender").await;
    let (id, doc) = draft(&app, &key).await;
    let sent = call(&app, &key, "POST", &format!("/envelopes/{id}/send"), None).await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    let signer = app.new_browser();
    let token = token_of(&sign_urls(&sent.json())[0]);
    assert_eq!(signer.call("sign/view", &[("token", &token)]).await.json()["free_form"], false);
    assert_eq!(signer.call("sign/consent", &[("token", &token)]).await.status, 200);
    let r = place(&signer, &token, json!([at(&doc, 0, 0.1, 0.1, 0.3, 0.1)])).await;
    assert_eq!(
        (r.status, r.json()["fields"][0]["field"].as_str(), r.json()["fields"][0]["code"].as_str()),
        (422, Some("placements"), Some("not_allowed")),
        "{}",
        r.body
    );

    // Even in a free-form envelope, a signer the sender gave fields signs those.
    let (id, doc) = draft(&app, &key).await;
    assert_eq!(call(&app, &key, "PATCH", &format!("/envelopes/{id}"), Some(json!({ "fieldless": "freeForm" }))).await.status, 200);
    let sent = call(&app, &key, "POST", &format!("/envelopes/{id}/send"), None).await;
    let token = token_of(&sign_urls(&sent.json())[0]);
    assert_eq!(signer.call("sign/view", &[("token", &token)]).await.json()["free_form"], false);
    assert_eq!(signer.call("sign/consent", &[("token", &token)]).await.status, 200);
    assert_eq!(place(&signer, &token, json!([at(&doc, 0, 0.1, 0.1, 0.3, 0.1)])).await.code(), "VALIDATION_FAILED");
}
