//! Evidence that tells the truth: the API never reports `completed` before the sealed
//! documents download (it says `sealing` meanwhile), and the audit log's integrity is shown,
//! with any edited or deleted event detected.

use crate::helpers::{spawn, TestApp};
use crate::rest::{call, draft, key_for};
use crate::smtp::free_port;
use crate::webhooks::{sign_as, sign_urls};
use serde_json::Value;
use std::time::{Duration, Instant};

/// A sent API envelope (two sequential signers), both signed.
pub async fn signed(app: &TestApp, key: &str) -> String {
    let (envelope, _) = draft(app, key).await;
    let sent = call(app, key, "POST", &format!("/envelopes/{envelope}/send"), None).await.json();
    let urls = sign_urls(&sent);
    sign_as(app, &envelope, &urls[0], "minjun@example.com").await;
    sign_as(app, &envelope, &urls[1], "seoyeon@example.com").await;
    envelope
}

async fn envelope_of(app: &TestApp, key: &str, id: &str) -> Value {
    let r = call(app, key, "GET", &format!("/envelopes/{id}"), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

async fn listed(app: &TestApp, key: &str, status: &str) -> Vec<String> {
    let r = call(app, key, "GET", &format!("/envelopes?status={status}"), None).await.json();
    r["data"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn completed_is_reported_only_once_the_sealed_documents_download() {
    // A timestamp authority that never answers: sealing fails and is retried, so the
    // envelope stays between "everyone signed" and "sealed".
    let dead = format!("http://127.0.0.1:{}/tsa", free_port());
    let app = spawn().var("DOJANG_TSA_URL", &dead).start().await;
    let key = key_for(&app, "sealing").await;
    let id = signed(&app, &key).await;
    for _ in 0..15 {
        let e = envelope_of(&app, &key, &id).await;
        assert_eq!(e["status"], "sealing", "everyone signed, the documents are not ready");
        assert!(e["completedAt"].is_null(), "not completed while sealing: {}", e["completedAt"]);
        let doc = call(&app, &key, "GET", &format!("/envelopes/{id}/signed-document"), None).await;
        assert_eq!(doc.status, 404);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(listed(&app, &key, "sealing").await, vec![id.clone()]);
    assert!(listed(&app, &key, "completed").await.is_empty());
    app.stop().await;

    // Normally: whenever the API says completed, the documents are there.
    let app = spawn().start().await;
    let key = key_for(&app, "sealed").await;
    let id = signed(&app, &key).await;
    let t = Instant::now();
    loop {
        let e = envelope_of(&app, &key, &id).await;
        let status = e["status"].as_str().unwrap().to_owned();
        assert!(status == "sealing" || status == "completed", "{status}");
        if status == "completed" {
            let doc = app.client.get(app.url(&format!("/api/v1/envelopes/{id}/signed-document"))).bearer_auth(&key).send().await.unwrap();
            assert_eq!(doc.status(), 200, "completed, so the sealed document downloads");
            assert!(e["completedAt"].is_string());
            let bytes = doc.bytes().await.unwrap();
            assert_eq!(dojang_core::document::sha256_hex(&bytes), e["documents"][0]["sealedSha256"]);
            let trail = call(&app, &key, "GET", &format!("/envelopes/{id}/audit-trail"), None).await;
            assert_eq!(trail.status, 200);
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(60), "sealed in time");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(listed(&app, &key, "completed").await, vec![id]);
    app.stop().await;
}

#[tokio::test]
async fn an_envelope_past_its_expiry_is_reported_and_listed_expired_before_the_sweeper_runs() {
    let app = spawn().var("DOJANG_SWEEP_SECONDS", "3600").start().await;
    let key = key_for(&app, "past-expiry").await;
    let (id, _) = draft(&app, &key).await;
    assert_eq!(call(&app, &key, "POST", &format!("/envelopes/{id}/send"), None).await.status, 200);
    assert_eq!(listed(&app, &key, "sent").await, vec![id.clone()]);
    // Its expiry passes; the sweeper has not marked it yet (the stored status is still sent).
    sqlx::query("UPDATE envelopes SET expires_at = '2020-01-01T00:00:00.000Z' WHERE id = $1").bind(&id).execute(app.db.pool()).await.unwrap();
    assert_eq!(envelope_of(&app, &key, &id).await["status"], "expired");
    assert!(listed(&app, &key, "sent").await.is_empty(), "not listed as sent");
    assert_eq!(listed(&app, &key, "expired").await, vec![id.clone()]);
    let stored: String = sqlx::query_scalar("SELECT status FROM envelopes WHERE id = $1").bind(&id).fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(stored, "sent");
    app.stop().await;
}

async fn integrity(app: &TestApp, key: &str, id: &str) -> Value {
    envelope_of(app, key, id).await["auditIntegrity"].clone()
}

#[tokio::test]
async fn an_edited_or_deleted_audit_event_is_detected() {
    let app = spawn().start().await;
    let owner = app.new_browser();
    let account = crate::helpers::Account::unique("audit");
    assert!(owner.sign_up(&account).await.status < 400);
    let org = dojang_core::accounts::find_organization_by_name(&app.db, &account.org).await.unwrap().unwrap();
    let key = dojang_core::api::keys::create(&app.db, &org, dojang_core::model::Mode::Live, "audit").await.unwrap().key;
    let (id, _) = draft(&app, &key).await;
    let sent = call(&app, &key, "POST", &format!("/envelopes/{id}/send"), None).await.json();
    sign_as(&app, &id, &sign_urls(&sent)[0], "minjun@example.com").await;
    // Mail delivery records events too: let the outbox empty first, so the log stands still.
    let t = Instant::now();
    loop {
        let queued: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM emails WHERE envelope_id = $1 AND status = 'queued'").bind(&id).fetch_one(app.db.pool()).await.unwrap();
        if queued == 0 {
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(30), "the outbox did not empty");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let whole = integrity(&app, &key, &id).await;
    assert_eq!(whole["intact"], true, "{whole}");
    let n = whole["events"].as_i64().unwrap();
    assert!(n >= 5, "{whole}");
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE envelope_id = $1").bind(&id).fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(count, n);
    // The recipient's name and email are in the hashed events themselves.
    let (name, email): (Option<String>, Option<String>) =
        sqlx::query_as("SELECT recipient_name, recipient_email FROM audit_events WHERE envelope_id = $1 AND kind = 'recipient.signed'")
            .bind(&id)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!((name.as_deref(), email.as_deref()), (Some("김민준"), Some("minjun@example.com")));

    let snapshot: Vec<(i64, String, Option<String>)> = sqlx::query_as("SELECT seq, data, recipient_name FROM audit_events WHERE envelope_id = $1 ORDER BY seq")
        .bind(&id)
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    let tamper = |sql: &'static str| {
        let (db, id) = (app.db.clone(), id.clone());
        async move { sqlx::query(sql).bind(&id).execute(db.pool()).await.unwrap() }
    };
    let restore = || {
        let (db, id, rows) = (app.db.clone(), id.clone(), snapshot.clone());
        async move {
            for (seq, data, name) in rows {
                sqlx::query("UPDATE audit_events SET data = $3, recipient_name = $4 WHERE envelope_id = $1 AND seq = $2")
                    .bind(&id)
                    .bind(seq)
                    .bind(data)
                    .bind(name)
                    .execute(db.pool())
                    .await
                    .unwrap();
            }
        }
    };

    tamper("UPDATE audit_events SET data = '{\"reason\":\"changed\"}' WHERE envelope_id = $1 AND seq = 2").await;
    assert_eq!(integrity(&app, &key, &id).await["intact"], false, "an edited event");
    restore().await;
    assert_eq!(integrity(&app, &key, &id).await["intact"], true);

    tamper("UPDATE audit_events SET recipient_name = '다른 사람' WHERE envelope_id = $1 AND kind = 'recipient.signed'").await;
    assert_eq!(integrity(&app, &key, &id).await["intact"], false, "the signer's name is covered by the hash");
    restore().await;

    tamper("DELETE FROM audit_events WHERE envelope_id = $1 AND seq = (SELECT MAX(seq) FROM audit_events WHERE envelope_id = $1)").await;
    let cut = integrity(&app, &key, &id).await;
    assert_eq!(cut["intact"], false, "the newest event removed: {cut}");
    assert_eq!(cut["events"].as_i64().unwrap(), n - 1);

    tamper("DELETE FROM audit_events WHERE envelope_id = $1 AND seq = 3").await;
    assert_eq!(integrity(&app, &key, &id).await["intact"], false, "an event in the middle removed");

    // The sender's own view says so too.
    let detail = owner.call("envelopes/get", &[("id", &id)]).await.json();
    assert_eq!(detail["audit_integrity"]["intact"], false);
    assert_eq!(detail["audit_integrity"]["events"].as_i64().unwrap(), n - 2);
    app.stop().await;
}
