//! Limits that are counted before they are written hold when requests race: the monthly
//! quota, documents per envelope, webhook endpoints per organization, one run per
//! idempotency key, one client per external id. Each test fires the requests at once and
//! asserts the limit exactly, and that nothing answers 500. (SQLite serialises writers; on
//! PostgreSQL — the second run of this suite — the checks lock the row they count under.)

use crate::helpers::{fixture, spawn, Account, Reply, TestApp};
use crate::rest::{call, call_with, draft, key_for, org_with_key, upload};
use dojang_core::model::Mode;
use serde_json::json;

const PDF: &str = "basic__002-trivial-libre-office-writer.pdf";

async fn all<F: std::future::Future<Output = Reply> + Send + 'static>(calls: Vec<F>) -> Vec<Reply> {
    let handles: Vec<_> = calls.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

fn tally(replies: &[Reply], ok: u16) -> (usize, Vec<(u16, String)>) {
    assert!(replies.iter().all(|r| r.status < 500), "no server error: {:?}", replies.iter().map(|r| (r.status, r.body.clone())).collect::<Vec<_>>());
    let passed = replies.iter().filter(|r| r.status == ok).count();
    let refused = replies.iter().filter(|r| r.status != ok).map(|r| (r.status, r.code())).collect();
    (passed, refused)
}

#[tokio::test]
async fn the_monthly_quota_holds_when_sends_race() {
    let app = spawn().start().await;
    let live = org_with_key(&app, "quota-race", Mode::Live).await;
    let org = dojang_core::api::keys::authenticate(&app.db, app.key_cache(), &live.key).await.unwrap().organization_id;
    dojang_core::api::usage::set_quota(&app.db, &org, Some(3)).await.unwrap();
    let mut drafts = Vec::new();
    for _ in 0..8 {
        drafts.push(draft(&app, &live.key).await.0);
    }
    let calls = drafts
        .iter()
        .map(|id| {
            let (app, key, path) = (app.clone_client(), live.key.clone(), format!("/envelopes/{id}/send"));
            async move { call(&app, &key, "POST", &path, None).await }
        })
        .collect();
    let (passed, refused) = tally(&all(calls).await, 200);
    assert_eq!(passed, 3, "exactly the quota was sent: {refused:?}");
    assert!(refused.iter().all(|(s, c)| (*s, c.as_str()) == (403, "QUOTA_EXCEEDED")), "{refused:?}");
    assert_eq!(call(&app, &live.key, "GET", "/usage", None).await.json()["sent"], 3);
    app.stop().await;
}

#[tokio::test]
async fn twenty_documents_per_envelope_hold_when_uploads_race() {
    let app = spawn().start().await;
    let browser = app.new_browser();
    assert!(browser.sign_up(&Account::unique("docs-race")).await.status < 400);
    let first = browser.upload(None, "a.pdf", fixture(PDF)).await.json();
    let envelope = first["contractId"].as_str().unwrap().to_owned();
    for i in 1..17 {
        assert_eq!(browser.upload(Some(&envelope), &format!("{i}.pdf"), fixture(PDF)).await.status, 201);
    }
    let calls = (0..6)
        .map(|i| {
            let (b, envelope) = (browser.new_browser_sharing_cookies(), envelope.clone());
            async move { b.upload(Some(&envelope), &format!("race-{i}.pdf"), fixture(PDF)).await }
        })
        .collect();
    let (passed, refused) = tally(&all(calls).await, 201);
    assert_eq!(passed, 3, "17 + 3 = 20: {refused:?}");
    assert!(refused.iter().all(|(s, c)| (*s, c.as_str()) == (422, "TOO_MANY_DOCUMENTS")), "{refused:?}");
    let count: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM envelope_documents WHERE envelope_id = $1").bind(&envelope).fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(count, 20);
    app.stop().await;
}

#[tokio::test]
async fn twenty_webhook_endpoints_per_organization_hold_when_creations_race() {
    let app = spawn().start().await;
    let key = key_for(&app, "hooks-race").await;
    let body = |i: usize| json!({ "url": format!("https://hooks{i}.example.com/in"), "events": ["envelope.completed"] });
    for i in 0..18 {
        assert_eq!(call(&app, &key, "POST", "/webhooks", Some(body(i))).await.status, 201);
    }
    let calls = (18..24)
        .map(|i| {
            let (app, key, b) = (app.clone_client(), key.clone(), body(i));
            async move { call(&app, &key, "POST", "/webhooks", Some(b)).await }
        })
        .collect();
    let (passed, refused) = tally(&all(calls).await, 201);
    assert_eq!(passed, 2, "18 + 2 = 20: {refused:?}");
    assert!(refused.iter().all(|(s, _)| *s == 422), "{refused:?}");
    assert_eq!(call(&app, &key, "GET", "/webhooks", None).await.json()["data"].as_array().unwrap().len(), 20);
    app.stop().await;
}

#[tokio::test]
async fn one_idempotency_key_runs_once_when_its_requests_race() {
    let app = spawn().start().await;
    let key = key_for(&app, "idem-race").await;
    let doc = upload(&app, &key, PDF, &[]).await.json()["id"].as_str().unwrap().to_owned();
    let body = json!({ "subject": "동시 요청", "documentIds": [doc] });
    let calls = (0..8)
        .map(|_| {
            let (app, key, body) = (app.clone_client(), key.clone(), body.clone());
            async move { call_with(&app, &key, "POST", "/envelopes", Some(body), &[("Idempotency-Key", "race-1")]).await }
        })
        .collect();
    let replies = all(calls).await;
    let (passed, refused) = tally(&replies, 201);
    assert!(passed >= 1, "{refused:?}");
    assert!(refused.iter().all(|(s, c)| (*s, c.as_str()) == (409, "IDEMPOTENCY_IN_PROGRESS")), "the others wait: {refused:?}");
    let ids: std::collections::HashSet<String> = replies.iter().filter(|r| r.status == 201).map(|r| r.json()["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(ids.len(), 1, "every success is the same envelope");
    assert_eq!(call(&app, &key, "GET", "/envelopes", None).await.json()["data"].as_array().unwrap().len(), 1, "one envelope made");
    app.stop().await;
}

#[tokio::test]
async fn one_client_per_external_id_when_registrations_race() {
    let app = spawn().start().await;
    let key = key_for(&app, "client-race").await;
    let calls = (0..8)
        .map(|i| {
            let (app, key) = (app.clone_client(), key.clone());
            async move {
                call(&app, &key, "POST", "/clients", Some(json!({ "externalId": "user-42", "name": format!("김철수 {i}"), "email": "chulsoo@example.com" })))
                    .await
            }
        })
        .collect();
    let replies = all(calls).await;
    assert!(replies.iter().all(|r| r.status == 200 || r.status == 201), "{:?}", replies.iter().map(|r| (r.status, r.body.clone())).collect::<Vec<_>>());
    let ids: std::collections::HashSet<String> = replies.iter().map(|r| r.json()["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(ids.len(), 1, "one client");
    assert_eq!(replies.iter().filter(|r| r.status == 201).count(), 1, "made once, then updated");
    app.stop().await;
}

impl TestApp {
    /// The same app through a client without cookies (API calls carry their own credential).
    pub fn clone_client(&self) -> TestApp {
        self.new_browser()
    }

    /// Another handle on this browser's session (the same cookies).
    pub fn new_browser_sharing_cookies(&self) -> TestApp {
        self.same_session()
    }
}
