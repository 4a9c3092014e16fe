//! The real `dojang` binary killed while sealing: after a restart the contract completes with
//! exactly one sealed PDF per document.

use crate::helpers::{fixture, start_binary, Account, TestApp};
use crate::signing::{consent, ids, send, Sent};
use serde_json::{json, Value};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

fn start(data: &std::path::Path, port: u16) -> Child {
    start_binary(data, port, &[])
}

async fn sealed_count(app: &TestApp, envelope: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM sealed_documents WHERE envelope_id = $1").bind(envelope).fetch_one(app.db.pool()).await.unwrap()
}

#[tokio::test]
async fn killed_while_sealing_it_finishes_after_a_restart_with_one_sealed_pdf_per_document() {
    let dir = tempfile::tempdir().unwrap();
    let port = crate::smtp::free_port();
    let mut child = start(dir.path(), port);
    let app = TestApp::external(format!("http://127.0.0.1:{port}"), dir.path()).await;
    app.sign_up(&Account::unique("restart")).await;
    let files = ["long__freeculture.pdf", "long__linearized_with_object_streams.pdf", "long-cjk__lshort-ko.pdf", "scan__issue7229.pdf"];
    let first = app.upload(None, files[0], fixture(files[0])).await.json();
    let envelope = first["contractId"].as_str().unwrap().to_owned();
    let mut docs = vec![first["document"]["id"].as_str().unwrap().to_owned()];
    for f in &files[1..] {
        docs.push(app.upload(Some(&envelope), f, fixture(f)).await.json()["document"]["id"].as_str().unwrap().to_owned());
    }
    let id = ids();
    let r = id(1);
    let fields: Vec<Value> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| {
            json!({ "id": id(100 + i as u32), "recipient_id": r, "document_id": d, "page": 0,
            "rect": { "x": 0.1, "y": 0.1, "width": 0.3, "height": 0.04 }, "kind": "text", "required": true })
        })
        .collect();
    let csrf = app.csrf_token().await;
    let recipients = json!([{ "id": r, "name": "박서준", "email": "seojun@example.com", "role": "signer", "order": 1 }]);
    assert_eq!(
        app.call_json("contracts/save", json!({ "csrf": csrf, "id": envelope, "version": 1, "recipients": recipients, "fields": fields })).await.status,
        200
    );
    assert_eq!(send(&app, &envelope, json!({})).await.status, 200);
    let sent = Sent::new(envelope.clone(), vec![r.clone()], id);
    let token = {
        let text: String = sqlx::query_scalar("SELECT text FROM emails WHERE envelope_id = $1 AND kind = 'invitation'")
            .bind(&envelope)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        crate::smtp::Mail { to: String::new(), subject: String::new(), text, html: String::new(), attachments: vec![] }.token()
    };
    assert_eq!(consent(&app, &token).await.status, 200);
    let values: Vec<Value> = (0..docs.len()).map(|i| json!({ "field_id": sent.field(100 + i as u32), "value": format!("값 {i}") })).collect();
    let res = app.call_json("sign/submit", json!({ "token": token, "submission": { "fields": values, "signatures": [] } })).await;
    assert_eq!(res.status, 200, "{}", res.body);

    // Kill the process hard as soon as the first document is sealed (the others are not yet).
    let t = Instant::now();
    while sealed_count(&app, &envelope).await < 1 {
        assert!(t.elapsed() < Duration::from_secs(120), "sealing did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Command::new("kill").args(["-KILL", &child.id().to_string()]).status().unwrap();
    let _ = child.wait();
    let at_kill = sealed_count(&app, &envelope).await;
    assert!(at_kill < docs.len() as i64, "killed midway ({at_kill} of {} sealed)", docs.len());

    let mut child = start(dir.path(), port);
    let t = Instant::now();
    loop {
        let status: Option<String> =
            sqlx::query_scalar("SELECT seal_status FROM envelopes WHERE id = $1").bind(&envelope).fetch_one(app.db.pool()).await.unwrap();
        if status.as_deref() == Some("sealed") {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(180),
            "not sealed after the restart: {}",
            std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default().lines().rev().take(30).collect::<Vec<_>>().join("\n")
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let rows: Vec<(String, String, String)> = sqlx::query_as("SELECT document_id, sealed_sha256, storage_key FROM sealed_documents WHERE envelope_id = $1")
        .bind(&envelope)
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    assert_eq!(rows.len(), docs.len(), "one sealed result per document");
    let stored = app.stored_keys(&format!("sealed/{envelope}")).await;
    assert_eq!(stored.len(), docs.len(), "one sealed file per document, no leftovers: {stored:?}");
    for (doc, sha, key) in rows {
        let bytes = app.stored(&key).await.expect("the sealed file is stored");
        assert_eq!(dojang_core::document::sha256_hex(&bytes), sha, "{doc}: the stored file is the recorded one");
        assert!(bytes.ends_with(b"%%EOF\n"), "{doc}: a whole file");
    }
    let completed_mails: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM emails WHERE envelope_id = $1 AND kind = 'completed'").bind(&envelope).fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(completed_mails, 2, "the signer and the sender, once each");
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let _ = child.wait();
}
