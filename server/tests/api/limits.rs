//! Bounded inputs of the web app's server functions: every `/_fn` body is limited before it
//! is parsed (413 in the error shape, announced or streamed), and a signer's submission is
//! checked completely before any of it is stored.

use crate::helpers::{spawn, TestApp};
use crate::signing::{consent, drawing, link_token, send_envelope, Sent};
use base64::Engine as _;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// Sends `total` bytes to `path` as a chunked body (no Content-Length), as a client that
/// never says how much is coming; returns the status line's code.
async fn stream_body(app: &TestApp, path: &str, total: usize) -> u16 {
    let addr = app.address.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!("POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
    s.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![b'a'; 1024 * 1024];
    let mut sent = 0;
    while sent < total {
        let frame = [format!("{:x}\r\n", chunk.len()).into_bytes(), chunk.clone(), b"\r\n".to_vec()].concat();
        if s.write_all(&frame).await.is_err() {
            break; // the server stopped reading: it has answered
        }
        sent += chunk.len();
    }
    let _ = s.write_all(b"0\r\n\r\n").await;
    let mut out = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(20), s.read_to_end(&mut out)).await;
    let text = String::from_utf8_lossy(&out);
    text.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or_else(|| panic!("no answer: {text}"))
}

async fn stored_signatures(app: &TestApp) -> usize {
    app.stored_keys("signatures").await.len()
}

async fn signature_rows(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM signatures").fetch_one(app.db.pool()).await.unwrap()
}

fn png_of(len: usize) -> String {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend((0..len).map(|i| (i * 7919 % 251) as u8));
    format!("data:image/png;base64,{}", base64::engine::general_purpose::STANDARD.encode(bytes))
}

async fn submit_raw(app: &TestApp, token: &str, fields: Value, signatures: Value) -> crate::helpers::Reply {
    app.call_json("sign/submit", json!({ "token": token, "submission": { "fields": fields, "signatures": signatures } })).await
}

#[tokio::test]
async fn server_function_bodies_are_bounded_announced_or_streamed() {
    let app = spawn().start().await;
    // A 64 MB submission, announced: refused before it is read.
    let big = vec![b'x'; 64 * 1024 * 1024];
    let r = app.client.post(app.url("/_fn/sign/submit")).header("content-type", "application/json").body(big).send().await.unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    assert_eq!(status, 413, "{text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["code"], "PAYLOAD_TOO_LARGE", "{body}");
    // Streamed without a length: cut off at the limit.
    assert_eq!(stream_body(&app, "/_fn/sign/submit", 40 * 1024 * 1024).await, 413);
    assert_eq!(stream_body(&app, "/_fn/contracts/save", 8 * 1024 * 1024).await, 413);
    // Every other function takes a few MB at most.
    let r = app.call("auth/log_in", &[("csrf", "x"), ("email", &"a".repeat(3 * 1024 * 1024)), ("password", "x")]).await;
    assert_eq!((r.status, r.code()), (413, "PAYLOAD_TOO_LARGE".to_owned()));
    // The server is fine afterwards.
    assert_eq!(app.get("/healthz").await.status, 200);
    app.stop().await;
}

#[tokio::test]
async fn a_submission_is_checked_whole_before_anything_is_stored() {
    let app = spawn().start().await;
    let sent: Sent = send_envelope(&app, &[("가나다", "a@example.com", 1)], |_| json!({})).await;
    let token = link_token(&app, &sent, 0).await;
    assert_eq!(consent(&app, &token).await.status, 200);
    let good = drawing("mouse", false);
    let fields = json!([{ "field_id": sent.field(100), "signature": 0 }]); // the text field is missing

    // A valid signature but a required field left empty: refused, and the image not stored.
    let r = submit_raw(&app, &token, fields.clone(), json!([good])).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(stored_signatures(&app).await, 0, "no image stored for a refused submission");

    // A signature image over 1 MB.
    let mut huge = good.clone();
    huge["png"] = json!(png_of(1024 * 1024 + 10));
    let all = json!([{ "field_id": sent.field(100), "signature": 0 }, { "field_id": sent.field(200), "value": "주소" }]);
    let r = submit_raw(&app, &token, all.clone(), json!([huge])).await;
    assert_eq!((r.status, r.code()), (422, "SIGNATURE_INVALID".to_owned()), "{}", r.body);
    // More than 20 signatures.
    let many: Vec<Value> = (0..21).map(|_| good.clone()).collect();
    let r = submit_raw(&app, &token, all.clone(), json!(many)).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!((stored_signatures(&app).await, signature_rows(&app).await), (0, 0), "nothing stored by any refusal");

    // The same signer, now complete, signs once.
    let r = submit_raw(&app, &token, all, json!([good])).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!((stored_signatures(&app).await, signature_rows(&app).await), (1, 1));
    app.stop().await;
}

#[tokio::test]
async fn arguments_that_do_not_decode_are_a_bad_request_not_a_server_error() {
    let app = spawn().start().await;
    let post = |path: &'static str, body: reqwest::Body, ct: &'static str| app.client.post(app.url(path)).header("content-type", ct).body(body).send();
    for (path, body, ct) in [
        ("/_fn/sign/view", reqwest::Body::from(r#"{"token":"x"}"#), "application/json"),
        ("/_fn/sign/view", reqwest::Body::from("nothing=here"), "application/x-www-form-urlencoded"),
        ("/_fn/sign/submit", reqwest::Body::from("not json"), "application/json"),
        ("/_fn/contracts/get", reqwest::Body::from(""), "application/x-www-form-urlencoded"),
    ] {
        let res = post(path, body, ct).await.unwrap();
        let status = res.status().as_u16();
        let v: Value = res.json().await.unwrap();
        assert_eq!((status, v["code"].as_str()), (400, Some("BAD_REQUEST")), "{path}: {v}");
    }
    app.stop().await;
}
