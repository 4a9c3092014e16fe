//! Bulk send (issue 16): a CSV of 20 rows with one broken row refused whole and checked by a
//! dry run, then sent once each (a retried request replays, never sends twice), paced,
//! stopping at the quota with the rest marked, cancelled part way, and kept to its tenant.

use crate::helpers::{spawn, Reply, TestApp};
use crate::rest::{call, call_with, org_with_key};
use dojang_core::api::keys;
use dojang_core::model::Mode;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const PDF: &str = "basic__002-trivial-libre-office-writer.pdf";

/// A template with one role, a signature and a named text field.
async fn template(app: &TestApp, key: &str) -> String {
    let doc = crate::rest::upload(app, key, PDF, &[]).await.json()["id"].as_str().unwrap().to_owned();
    let t = call(
        app,
        key,
        "POST",
        "/templates",
        Some(json!({
            "name": "근로계약서", "documentIds": [doc], "roles": [{ "name": "근로자" }],
            "fields": [
                { "document": doc, "page": 0, "x": 0.1, "y": 0.8, "width": 0.3, "height": 0.06, "type": "signature", "role": "근로자" },
                { "document": doc, "page": 0, "x": 0.5, "y": 0.8, "width": 0.4, "height": 0.04, "type": "text", "role": "근로자", "name": "주소", "required": false },
            ],
        })),
    )
    .await;
    assert_eq!(t.status, 201, "{}", t.body);
    t.json()["id"].as_str().unwrap().to_owned()
}

fn csv(rows: usize, tag: &str) -> String {
    let mut s = String::from("근로자.name,근로자.email,근로자.language,주소,externalId\n");
    for i in 0..rows {
        s.push_str(&format!("근로자 {i},worker{i}.{tag}@example.com,ko,\"서울시 {i}번지, 101호\",{tag}-{i}\n"));
    }
    s
}

async fn post_csv(app: &TestApp, key: &str, template: &str, body: String, query: &str, headers: &[(&str, &str)]) -> Reply {
    let mut req = app
        .client
        .post(app.url(&format!("/api/v1/templates/{template}/bulk{query}")))
        .bearer_auth(key)
        .header("content-type", "text/csv; charset=utf-8")
        .body(body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = req.send().await.unwrap();
    Reply { status: res.status().as_u16(), headers: res.headers().clone(), body: res.text().await.unwrap() }
}

async fn finished(app: &TestApp, key: &str, batch: &str) -> Value {
    let t = Instant::now();
    loop {
        let b = call(app, key, "GET", &format!("/batches/{batch}"), None).await;
        assert_eq!(b.status, 200, "{}", b.body);
        let b = b.json();
        if b["status"] != "running" {
            return b;
        }
        assert!(t.elapsed() < Duration::from_secs(120), "batch still running: {b}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(app.db.pool()).await.unwrap()
}

#[tokio::test]
async fn a_csv_batch_is_checked_whole_sent_once_per_row_and_stops_at_the_quota() {
    let app = spawn().start().await;
    let owner = org_with_key(&app, "bulk", Mode::Live).await;
    let key = owner.key.clone();
    let tid = template(&app, &key).await;

    // One broken row among 20: the whole batch is refused, naming the row; a dry run says
    // the same; nothing is kept.
    let broken = csv(20, "a").replace("worker7.a@example.com", "worker7-at-example.com");
    for query in ["", "?dryRun=true"] {
        let r = post_csv(&app, &key, &tid, broken.clone(), query, &[]).await;
        assert_eq!(r.status, 422, "{}", r.body);
        let fields: Vec<String> = r.json()["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap().to_owned()).collect();
        assert_eq!(fields, vec!["rows[7].recipients[0].email"], "{}", r.body);
    }
    let checked = post_csv(&app, &key, &tid, csv(20, "a"), "?dryRun=true", &[]).await;
    assert_eq!((checked.status, checked.json()["status"].as_str(), checked.json()["rows"].as_u64()), (200, Some("checked"), Some(20)), "{}", checked.body);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM batches").await, 0);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM envelopes").await, 0);

    // Sent: every row once, its value prefilled; the same request retried replays.
    let idem = [("Idempotency-Key", "bulk-a-1")];
    let queued = post_csv(&app, &key, &tid, csv(20, "a"), "", &idem).await;
    assert_eq!(queued.status, 202, "{}", queued.body);
    let batch = queued.json()["id"].as_str().unwrap().to_owned();
    let again = post_csv(&app, &key, &tid, csv(20, "a"), "", &idem).await;
    assert_eq!((again.status, again.json()["id"].as_str()), (202, Some(batch.as_str())), "{}", again.body);
    let done = finished(&app, &key, &batch).await;
    assert_eq!((done["status"].as_str(), done["counts"]["sent"].as_i64(), done["total"].as_i64()), (Some("done"), Some(20), Some(20)), "{done}");
    let rows = done["rows"].as_array().unwrap();
    assert!(rows.iter().all(|r| r["status"] == "sent" && r["envelopeId"].is_string()), "{done}");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM batches").await, 1);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM envelopes WHERE status = 'sent'").await, 20);
    assert_eq!(count(&app, "SELECT COUNT(DISTINCT to_email) FROM emails WHERE kind = 'invitation'").await, 20);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM emails WHERE kind = 'invitation'").await, 20, "one invitation per row");
    let seventh = rows[7]["envelopeId"].as_str().unwrap();
    let e = call(&app, &key, "GET", &format!("/envelopes/{seventh}"), None).await.json();
    assert_eq!((e["externalId"].as_str(), e["recipients"][0]["name"].as_str()), (Some("a-7"), Some("근로자 7")), "{e}");
    let address = e["fields"].as_array().unwrap().iter().find(|f| f["name"] == "주소").unwrap().clone();
    assert_eq!(address["value"], "서울시 7번지, 101호");

    // A row whose externalId is taken fails alone; the others go.
    let r = call(
        &app,
        &key,
        "POST",
        &format!("/templates/{tid}/bulk"),
        Some(json!({ "rows": [
            { "recipients": [{ "role": "근로자", "email": "dup@example.com", "name": "중복" }], "externalId": "a-3" },
            { "recipients": [{ "role": "근로자", "email": "new@example.com", "name": "새 사람" }], "values": { "주소": "부산" } },
        ] })),
    )
    .await;
    assert_eq!(r.status, 202, "{}", r.body);
    let b = finished(&app, &key, r.json()["id"].as_str().unwrap()).await;
    assert_eq!((b["rows"][0]["status"].as_str(), b["rows"][1]["status"].as_str()), (Some("failed"), Some("sent")), "{b}");
    assert!(b["rows"][0]["errorCode"].is_string(), "{b}");

    // The quota: 3 more envelopes this month; a batch of 5 sends 3 and skips 2.
    let org = keys::authenticate(&app.db, app.key_cache(), &key).await.unwrap().organization_id;
    let sent_now = count(&app, "SELECT COUNT(*) FROM envelopes WHERE status = 'sent'").await;
    dojang_core::api::usage::set_quota(&app.db, &org, Some(sent_now + 3)).await.unwrap();
    let q = post_csv(&app, &key, &tid, csv(5, "q"), "", &[]).await;
    assert_eq!(q.status, 202, "{}", q.body);
    let b = finished(&app, &key, q.json()["id"].as_str().unwrap()).await;
    assert_eq!((b["status"].as_str(), b["counts"]["sent"].as_i64(), b["counts"]["skipped"].as_i64()), (Some("done"), Some(3), Some(2)), "{b}");
    assert!(b["rows"].as_array().unwrap()[3..].iter().all(|r| r["errorCode"] == "QUOTA_EXCEEDED"), "{b}");

    // Too many rows, unknown columns and values of the wrong kind are refused.
    let many: Vec<Value> = (0..10_001).map(|i| json!({ "recipients": [{ "role": "근로자", "email": format!("m{i}@example.com"), "name": "많음" }] })).collect();
    let r = call(&app, &key, "POST", &format!("/templates/{tid}/bulk"), Some(json!({ "rows": many }))).await;
    assert_eq!((r.status, r.json()["fields"][0]["code"].as_str()), (422, Some("too_many")), "{}", &r.body[..r.body.len().min(300)]);
    let r = post_csv(&app, &key, &tid, "근로자.name,근로자.email,없는필드\n가,a@example.com,x\n".into(), "", &[]).await;
    assert_eq!((r.status, r.json()["fields"][0]["field"].as_str()), (422, Some("rows[0].values.없는필드")), "{}", r.body);

    // Another organization sees neither the batch nor the template.
    let stranger = org_with_key(&app, "bulk-stranger", Mode::Live).await.key;
    assert_eq!(call(&app, &stranger, "GET", &format!("/batches/{batch}"), None).await.status, 404);
    assert_eq!(call(&app, &stranger, "POST", &format!("/batches/{batch}/cancel"), None).await.status, 404);
    assert_eq!(post_csv(&app, &stranger, &tid, csv(1, "s"), "", &[]).await.status, 404);
}

#[tokio::test]
async fn a_paced_batch_is_cancelled_part_way() {
    // Two rows a minute: the first goes at once, the next waits 30 s.
    let app = spawn().var("DOJANG_BULK_RATE", "2").start().await;
    let key = org_with_key(&app, "bulk-cancel", Mode::Live).await.key;
    let tid = template(&app, &key).await;
    let q = post_csv(&app, &key, &tid, csv(4, "c"), "", &[]).await;
    assert_eq!(q.status, 202, "{}", q.body);
    let batch = q.json()["id"].as_str().unwrap().to_owned();
    let t = Instant::now();
    while count(&app, "SELECT COUNT(*) FROM batch_rows WHERE status = 'sent'").await < 1 {
        assert!(t.elapsed() < Duration::from_secs(30), "the first row was not sent");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let c = call(&app, &key, "POST", &format!("/batches/{batch}/cancel"), None).await;
    assert_eq!(c.status, 200, "{}", c.body);
    let b = c.json();
    assert_eq!((b["status"].as_str(), b["counts"]["sent"].as_i64(), b["counts"]["cancelled"].as_i64()), (Some("cancelled"), Some(1), Some(3)), "{b}");
    let again = call_with(&app, &key, "POST", &format!("/batches/{batch}/cancel"), None, &[]).await;
    assert_eq!((again.status, again.code().as_str()), (409, "CONFLICT"), "{}", again.body);
    // The job ends without sending more.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(count(&app, "SELECT COUNT(*) FROM envelopes WHERE status = 'sent'").await, 1);
}

#[tokio::test]
async fn killed_mid_batch_a_restart_beside_a_second_instance_sends_every_row_exactly_once() {
    const N: i64 = 30;
    let dir = tempfile::tempdir().unwrap();
    let (port, second_port) = (crate::smtp::free_port(), crate::smtp::free_port());
    // Ten rows a second: the batch is under way for three seconds.
    let vars = [("DOJANG_BULK_RATE", "600")];
    let mut child = crate::helpers::start_binary(dir.path(), port, &vars);
    let app = TestApp::external(format!("http://127.0.0.1:{port}"), dir.path()).await;
    let key = org_with_key(&app, "bulk-kill", Mode::Live).await.key;
    let tid = template(&app, &key).await;
    let q = post_csv(&app, &key, &tid, csv(N as usize, "k"), "", &[]).await;
    assert_eq!(q.status, 202, "{}", q.body);
    let batch = q.json()["id"].as_str().unwrap().to_owned();
    let t = Instant::now();
    while count(&app, "SELECT COUNT(*) FROM batch_rows WHERE status = 'sent'").await < 5 {
        assert!(t.elapsed() < Duration::from_secs(60), "the batch did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    std::process::Command::new("kill").args(["-KILL", &child.id().to_string()]).status().unwrap();
    let _ = child.wait();
    let at_kill = count(&app, "SELECT COUNT(*) FROM batch_rows WHERE status = 'sent'").await;
    assert!(at_kill < N, "killed midway ({at_kill} of {N} sent)");

    // The same instance again and a second one: whichever takes the job over (once the dead
    // one's claim runs out) finishes it.
    let mut child = crate::helpers::start_binary(dir.path(), port, &vars);
    let mut second = crate::helpers::start_binary(dir.path(), second_port, &vars);
    let t = Instant::now();
    loop {
        let status: String = sqlx::query_scalar("SELECT status FROM batches WHERE id = $1").bind(&batch).fetch_one(app.db.pool()).await.unwrap();
        if status == "done" {
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(120), "the batch did not finish after the restart");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let b = call(&app, &key, "GET", &format!("/batches/{batch}"), None).await.json();
    assert_eq!(b["counts"]["sent"].as_i64(), Some(N), "{b}");
    let envelopes: Vec<&str> = b["rows"].as_array().unwrap().iter().map(|r| r["envelopeId"].as_str().unwrap()).collect();
    assert_eq!(envelopes.iter().collect::<std::collections::HashSet<_>>().len(), N as usize);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM envelopes").await, N, "no row made twice");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM envelopes WHERE status = 'sent'").await, N);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM emails WHERE kind = 'invitation'").await, N, "one invitation per row");
    assert_eq!(count(&app, "SELECT COUNT(DISTINCT to_email) FROM emails WHERE kind = 'invitation'").await, N);
    for c in [&mut child, &mut second] {
        let _ = c.kill();
        let _ = c.wait();
    }
}
