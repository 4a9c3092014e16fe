//! Webhooks against a real HTTP receiver that checks every delivery with the published
//! `standardwebhooks` library: every event type, retries with growing delays, Retry-After,
//! a restart between retries, disabling after persistent failure, re-enabling, resend,
//! private addresses, and tenant isolation.

use crate::helpers::{python, repo_root, spawn, start_binary, TestApp};
use crate::rest::{call, draft, key_for, org_with_key};
use crate::smtp::free_port;
use dojang_core::model::Mode;
use serde_json::{json, Value};
use std::io::BufRead as _;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `server/tests/tools/webhook_receiver.py`, on a free port.
pub struct Receiver {
    child: Child,
    port: u16,
}

impl Receiver {
    pub fn start() -> Self {
        let mut child = Command::new(python())
            .arg(repo_root().join("server/tests/tools/webhook_receiver.py"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the webhook receiver (run scripts/setup.sh --test)");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        Self { child, port: line.trim().parse().expect("the receiver prints its port") }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    pub async fn setup(&self, cfg: Value) {
        let r = reqwest::Client::new().post(format!("http://127.0.0.1:{}/_setup", self.port)).json(&cfg).send().await.unwrap();
        assert_eq!(r.status(), 204);
    }

    pub async fn log(&self) -> Vec<Value> {
        reqwest::get(format!("http://127.0.0.1:{}/_log", self.port)).await.unwrap().json().await.unwrap()
    }

    /// Waits until `done` holds for the log.
    pub async fn wait(&self, what: &str, secs: u64, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let t = Instant::now();
        loop {
            let log = self.log().await;
            if done(&log) {
                return log;
            }
            assert!(t.elapsed() < Duration::from_secs(secs), "{what}: {log:#?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn types(log: &[Value]) -> Vec<String> {
    log.iter().map(|e| e["type"].as_str().unwrap_or("").to_owned()).collect()
}

pub async fn register(app: &TestApp, key: &str, url: &str, events: &[&str]) -> Value {
    let r = call(app, key, "POST", "/webhooks", Some(json!({ "url": url, "events": events }))).await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()
}

/// Signs as the recipient with `email` through the signer's own endpoints: open, consent, fill, submit.
pub async fn sign_as(app: &TestApp, envelope: &str, sign_url: &str, email: &str) {
    let token = sign_url.rsplit('/').next().unwrap();
    let signer = app.new_browser();
    assert_eq!(signer.call("sign/view", &[("token", token)]).await.status, 200);
    assert_eq!(signer.call("sign/opened", &[("token", token)]).await.status, 200);
    assert_eq!(signer.call("sign/consent", &[("token", token)]).await.status, 200);
    let fields = fields_of(&app.db, envelope, email).await;
    let values: Vec<Value> = fields.iter().map(|f| json!({ "field_id": f, "value": "서명합니다" })).collect();
    let r = signer.call_json("sign/submit", json!({ "token": token, "submission": { "fields": values, "signatures": [] } })).await;
    assert_eq!(r.status, 200, "{}", r.body);
}

/// The ids of the fields of the recipient with `email` in `envelope`.
pub async fn fields_of(db: &dojang_core::infra::db::Db, envelope: &str, email: &str) -> Vec<String> {
    sqlx::query_scalar("SELECT f.id FROM fields f JOIN recipients r ON r.id = f.recipient_id WHERE r.envelope_id = $1 AND r.email = $2")
        .bind(envelope)
        .bind(email)
        .fetch_all(db.pool())
        .await
        .unwrap()
}

pub fn sign_urls(sent: &Value) -> Vec<String> {
    sent["recipients"].as_array().unwrap().iter().map(|r| r["signUrl"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn every_event_type_arrives_signed_and_verifies_with_the_standard_webhooks_library() {
    let receiver = Receiver::start();
    let app = spawn().var("DOJANG_WEBHOOK_ALLOW_PRIVATE", "true").var("DOJANG_SWEEP_SECONDS", "1").start().await;
    let key = key_for(&app, "hooks").await;

    // Bad input: unknown event, wrong scheme, nothing chosen.
    for (body, field) in [
        (json!({ "url": receiver.url(), "events": ["envelope.nope"] }), "events"),
        (json!({ "url": "ftp://example.com/x", "events": ["envelope.sent"] }), "url"),
        (json!({ "url": receiver.url(), "events": [] }), "events"),
    ] {
        let r = call(&app, &key, "POST", "/webhooks", Some(body)).await;
        assert_eq!((r.status, r.code().as_str()), (422, "VALIDATION_FAILED"), "{}", r.body);
        assert_eq!(r.json()["fields"][0]["field"], field);
    }

    let all = [
        "envelope.created",
        "envelope.sent",
        "recipient.viewed",
        "recipient.signed",
        "recipient.declined",
        "envelope.completed",
        "envelope.declined",
        "envelope.cancelled",
        "envelope.expired",
    ];
    let endpoint = register(&app, &key, &receiver.url(), &all).await;
    let secret = endpoint["secret"].as_str().unwrap();
    assert!(secret.starts_with("whsec_"), "{secret}");
    let id = endpoint["id"].as_str().unwrap().to_owned();
    receiver.setup(json!({ "secret": secret })).await;
    let listed = call(&app, &key, "GET", "/webhooks", None).await.json();
    assert_eq!(listed["data"][0]["id"], id.as_str());
    assert!(listed["data"][0].get("secret").is_none(), "the secret is shown once");

    // Completed: two signers in order.
    let (done, _) = draft(&app, &key).await;
    let r = call(&app, &key, "PATCH", &format!("/envelopes/{done}"), Some(json!({ "externalId": "crm-77", "metadata": { "deal": "갑-1" } }))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let sent = call(&app, &key, "POST", &format!("/envelopes/{done}/send"), None).await;
    let urls = sign_urls(&sent.json());
    sign_as(&app, &done, &urls[0], "minjun@example.com").await;
    sign_as(&app, &done, &urls[1], "seoyeon@example.com").await;
    // Declined.
    let (declined, _) = draft(&app, &key).await;
    let sent = call(&app, &key, "POST", &format!("/envelopes/{declined}/send"), None).await;
    let token = sign_urls(&sent.json())[0].rsplit('/').next().unwrap().to_owned();
    assert_eq!(app.new_browser().call("sign/decline", &[("token", &token), ("reason", "금액이 다릅니다")]).await.status, 200);
    // Cancelled.
    let (cancelled, _) = draft(&app, &key).await;
    call(&app, &key, "POST", &format!("/envelopes/{cancelled}/send"), None).await;
    let r = call(&app, &key, "POST", &format!("/envelopes/{cancelled}/cancel"), Some(json!({ "reason": "잘못 보냄" }))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    // Expired.
    let (expired, _) = draft(&app, &key).await;
    call(&app, &key, "POST", &format!("/envelopes/{expired}/send"), None).await;
    sqlx::query("UPDATE envelopes SET expires_at = '2000-01-01T00:00:00.000Z' WHERE id = $1").bind(&expired).execute(app.db.pool()).await.unwrap();

    let log = receiver
        .wait("every event type", 90, |log| {
            let t = types(log);
            all.iter().all(|a| t.iter().any(|x| x == a))
        })
        .await;
    for e in &log {
        assert_eq!(e["verified"], true, "verified by standardwebhooks: {e}");
        assert_eq!(e["status"], 200);
        assert!(e["id"].as_str().unwrap().starts_with("msg_"));
    }
    let ids: std::collections::HashSet<&str> = log.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), log.len(), "each message delivered once");
    let of = |kind: &str, envelope: &str| log.iter().filter(|e| e["type"] == kind && e["event"]["data"]["envelope"]["id"] == envelope).count();
    assert_eq!(of("envelope.created", &done), 1);
    assert_eq!(of("envelope.sent", &done), 1);
    assert_eq!(of("recipient.viewed", &done), 2);
    assert_eq!(of("recipient.signed", &done), 2);
    assert_eq!(of("envelope.completed", &done), 1);
    assert_eq!(of("recipient.declined", &declined), 1);
    assert_eq!(of("envelope.declined", &declined), 1);
    assert_eq!(of("envelope.cancelled", &cancelled), 1);
    assert_eq!(of("envelope.expired", &expired), 1);
    let signed = log.iter().find(|e| e["type"] == "recipient.signed").unwrap();
    assert_eq!(signed["event"]["data"]["recipient"]["name"], "김민준", "Korean names come through: {signed}");
    let declined_event = log.iter().find(|e| e["type"] == "recipient.declined").unwrap();
    assert_eq!(declined_event["event"]["data"]["reason"], "금액이 다릅니다");
    let completed = log.iter().find(|e| e["type"] == "envelope.completed").unwrap();
    assert_eq!(completed["event"]["data"]["envelope"]["status"], "completed");
    assert_eq!(completed["event"]["data"]["envelope"]["externalId"], "crm-77", "the integrator's reference rides along");
    assert_eq!(completed["event"]["data"]["envelope"]["metadata"]["deal"], "갑-1");
    assert!(completed["event"]["timestamp"].as_str().unwrap().ends_with('Z'));

    // The delivery log says the same (an attempt is recorded just after the receiver answers it).
    let t = Instant::now();
    let d = loop {
        let d = call(&app, &key, "GET", &format!("/webhooks/{id}/deliveries"), None).await;
        assert_eq!(d.status, 200, "{}", d.body);
        let d = d.json();
        let all = d["data"].as_array().unwrap().iter().all(|m| m["status"] == "delivered");
        if all || t.elapsed() > Duration::from_secs(10) {
            break d;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let data = d["data"].as_array().unwrap();
    assert_eq!(data.len(), log.len());
    assert!(data.iter().all(|m| m["status"] == "delivered" && m["attempts"][0]["statusCode"] == 200), "{d:#}");

    // Another organization, a test key of the same one, and client tokens see nothing of it.
    let other = key_for(&app, "hooks-other").await;
    for path in [format!("/webhooks/{id}"), format!("/webhooks/{id}/deliveries")] {
        assert_eq!(call(&app, &other, "GET", &path, None).await.status, 404);
    }
    assert_eq!(call(&app, &other, "DELETE", &format!("/webhooks/{id}"), None).await.status, 404);
    assert_eq!(call(&app, &other, "GET", "/webhooks", None).await.json()["data"], json!([]));
    let r = call(&app, &key, "DELETE", &format!("/webhooks/{id}"), None).await;
    assert_eq!(r.status, 204);
    assert_eq!(call(&app, &key, "GET", &format!("/webhooks/{id}"), None).await.status, 404);
}

#[tokio::test]
async fn private_addresses_are_refused_unless_the_operator_allows_them() {
    let app = spawn().start().await;
    let key = key_for(&app, "hooks-private").await;
    for url in ["http://127.0.0.1:9/hook", "http://localhost/hook", "http://[::1]/x", "http://169.254.169.254/latest", "http://10.0.0.1/x"] {
        let r = call(&app, &key, "POST", "/webhooks", Some(json!({ "url": url, "events": ["envelope.sent"] }))).await;
        assert_eq!((r.status, r.json()["fields"][0]["code"].as_str()), (422, Some("private")), "{url}: {}", r.body);
    }
    // A test key registers test endpoints, which only test envelopes reach.
    let test_key = org_with_key(&app, "hooks-test", Mode::Test).await.key;
    let r = call(&app, &test_key, "POST", "/webhooks", Some(json!({ "url": "https://hooks.example.com/x", "events": ["envelope.sent"] }))).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["mode"], "test");
}

#[tokio::test]
async fn a_failing_receiver_gets_the_event_once_after_recovery_with_growing_delays_across_a_restart() {
    let receiver = Receiver::start();
    receiver.setup(json!({ "fail": 5, "status": 500 })).await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    // Delays 5 ms, 60 ms, 0.3 s, 1.8 s, 3.6 s (the three-day schedule scaled down).
    let vars = [("DOJANG_WEBHOOK_ALLOW_PRIVATE", "true"), ("DOJANG_WEBHOOK_RETRY_SCALE", "0.001")];
    let mut child = start_binary(dir.path(), port, &vars);
    let app = TestApp::external(format!("http://127.0.0.1:{port}"), dir.path()).await;
    let key = key_for(&app, "hooks-retry").await;
    let endpoint = register(&app, &key, &receiver.url(), &["envelope.created"]).await;
    let id = endpoint["id"].as_str().unwrap().to_owned();
    receiver.setup(json!({ "secret": endpoint["secret"], "fail": 5, "status": 500 })).await;
    draft(&app, &key).await;

    // Three failures recorded, then the server is killed between retries.
    let t = Instant::now();
    loop {
        let d = call(&app, &key, "GET", &format!("/webhooks/{id}/deliveries"), None).await.json();
        if d["data"][0]["attempts"].as_array().map(Vec::len) == Some(3) {
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(30), "three attempts: {d:#}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Command::new("kill").args(["-KILL", &child.id().to_string()]).status().unwrap();
    let _ = child.wait();
    tokio::time::sleep(Duration::from_millis(500)).await;
    child = start_binary(dir.path(), port, &vars);

    let log = receiver.wait("delivered after recovery", 60, |log| log.iter().any(|e| e["status"] == 200)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let log_after = receiver.log().await;
    assert_eq!(log_after.len(), log.len(), "nothing more after the success");
    assert_eq!(log.len(), 6, "five failures and one success: {log:#?}");
    assert_eq!(log.iter().filter(|e| e["status"] == 200).count(), 1, "exactly once after recovery");
    assert!(log.iter().all(|e| e["verified"] == true && e["id"] == log[0]["id"] && e["type"] == "envelope.created"));

    let d = call(&app, &key, "GET", &format!("/webhooks/{id}/deliveries"), None).await.json();
    let m = &d["data"][0];
    assert_eq!(m["status"], "delivered");
    let attempts = m["attempts"].as_array().unwrap();
    let codes: Vec<i64> = attempts.iter().map(|a| a["statusCode"].as_i64().unwrap()).collect();
    assert_eq!(codes, [500, 500, 500, 500, 500, 200]);
    let ts = |v: &Value| time::OffsetDateTime::parse(v.as_str().unwrap(), &time::format_description::well_known::Rfc3339).unwrap();
    let delays: Vec<f64> = attempts[..5].iter().map(|a| (ts(&a["nextAttemptAt"]) - ts(&a["at"])).as_seconds_f64()).collect();
    assert!(delays.windows(2).all(|w| w[1] > w[0]), "growing delays: {delays:?}");
    assert!(attempts[5].get("nextAttemptAt").is_none());
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let _ = child.wait();
}

#[tokio::test]
async fn retry_after_is_honoured_and_a_dead_endpoint_is_disabled_then_enabled_and_resent() {
    let receiver = Receiver::start();
    // The whole three-day schedule in about five seconds.
    let app = spawn().var("DOJANG_WEBHOOK_ALLOW_PRIVATE", "true").var("DOJANG_WEBHOOK_RETRY_SCALE", "0.00002").start().await;
    let key = key_for(&app, "hooks-dead").await;
    let endpoint = register(&app, &key, &receiver.url(), &["envelope.created", "envelope.sent"]).await;
    let id = endpoint["id"].as_str().unwrap().to_owned();
    receiver.setup(json!({ "secret": endpoint["secret"], "fail": 1, "status": 429, "retryAfter": 2 })).await;
    let (envelope, _) = draft(&app, &key).await;
    let log = receiver.wait("retried after Retry-After", 30, |log| log.iter().any(|e| e["status"] == 200)).await;
    assert_eq!(log.len(), 2);
    let waited = log[1]["at"].as_f64().unwrap() - log[0]["at"].as_f64().unwrap();
    assert!(waited >= 1.9, "Retry-After: 2 was honoured (waited {waited:.2} s)");

    // Now the receiver is down for good: every attempt fails, the message fails, the endpoint is disabled.
    receiver.setup(json!({ "fail": 1000, "status": 503 })).await;
    call(&app, &key, "POST", &format!("/envelopes/{envelope}/send"), None).await;
    let t = Instant::now();
    let hook = loop {
        let h = call(&app, &key, "GET", &format!("/webhooks/{id}"), None).await.json();
        if h["enabled"] == false {
            break h;
        }
        assert!(t.elapsed() < Duration::from_secs(60), "not disabled: {h}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(hook["disabledReason"].as_str().unwrap().contains("12 failed attempts"), "{hook}");
    let d = call(&app, &key, "GET", &format!("/webhooks/{id}/deliveries"), None).await.json();
    let failed = d["data"].as_array().unwrap().iter().find(|m| m["eventType"] == "envelope.sent").unwrap().clone();
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["attempts"].as_array().unwrap().len(), 12);
    assert!(failed["attempts"].as_array().unwrap().iter().all(|a| a["statusCode"] == 503));

    // While disabled, new events are not queued for it.
    draft(&app, &key).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = receiver.log().await.len();
    let d = call(&app, &key, "GET", &format!("/webhooks/{id}/deliveries"), None).await.json();
    assert_eq!(d["data"].as_array().unwrap().len(), 2, "{d:#}");

    // Enabled again and the failed message resent: delivered once.
    receiver.setup(json!({ "fail": 0 })).await;
    let r = call(&app, &key, "POST", &format!("/webhooks/{id}/enable"), None).await;
    assert_eq!((r.status, r.json()["enabled"].as_bool()), (200, Some(true)), "{}", r.body);
    let msg = failed["id"].as_str().unwrap();
    let r = call(&app, &key, "POST", &format!("/webhooks/{id}/deliveries/{msg}/resend"), None).await;
    assert_eq!(r.status, 202, "{}", r.body);
    let log = receiver.wait("resent", 30, |log| log.len() > before && log.last().unwrap()["status"] == 200).await;
    assert_eq!(log.last().unwrap()["id"], msg);
    assert_eq!(log.last().unwrap()["type"], "envelope.sent");
    let r = call(&app, &key, "POST", &format!("/webhooks/{id}/deliveries/msg_{}/resend", "0".repeat(32)), None).await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn the_settings_page_manages_endpoints_and_shows_the_delivery_log() {
    let receiver = Receiver::start();
    let app = spawn().var("DOJANG_WEBHOOK_ALLOW_PRIVATE", "true").start().await;
    app.sign_up(&crate::helpers::Account::unique("hooks-ui")).await;
    let page = app.get("/settings/webhooks").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("webhooks-page"), "the page renders");

    let csrf = app.csrf_token().await;
    let r = app.call("webhooks/create", &[("csrf", csrf.as_str()), ("url", &receiver.url()), ("events", "envelope.created envelope.sent")]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let created = r.json();
    receiver.setup(json!({ "secret": created["secret"] })).await;
    let id = created["endpoint"]["id"].as_str().unwrap().to_owned();
    assert_eq!(created["endpoint"]["events"], json!(["envelope.created", "envelope.sent"]));
    let r = app.call("webhooks/create", &[("csrf", csrf.as_str()), ("url", "not a url"), ("events", "envelope.sent")]).await;
    assert_eq!((r.status, r.code().as_str()), (422, "VALIDATION_FAILED"));
    let r = app.call("webhooks/create", &[("csrf", "wrong"), ("url", &receiver.url()), ("events", "envelope.sent")]).await;
    assert_eq!(r.status, 403, "CSRF checked");

    // A contract made in the UI reaches the endpoint, and its delivery shows in the log.
    app.upload(None, "계약.pdf", crate::helpers::fixture("basic__002-trivial-libre-office-writer.pdf")).await;
    receiver.wait("envelope.created from the UI", 30, |log| log.iter().any(|e| e["type"] == "envelope.created" && e["verified"] == true)).await;
    let t = Instant::now();
    let log = loop {
        let log = app.call("webhooks/deliveries", &[("id", &id)]).await.json();
        if log[0]["status"] == "delivered" {
            break log;
        }
        assert!(t.elapsed() < Duration::from_secs(10), "{log}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(log[0]["event_type"], "envelope.created");
    assert_eq!(log[0]["attempts"][0]["status_code"], 200);
    let listed = app.call("webhooks/list", &[]).await.json();
    assert_eq!(listed[0]["id"], id.as_str());
    assert_eq!(app.call("webhooks/delete", &[("csrf", csrf.as_str()), ("id", &id)]).await.status, 200);
    assert_eq!(app.call("webhooks/list", &[]).await.json(), json!([]));
}

/// A receiver that accepts connections and never answers (a black hole); counts them.
async fn black_hole() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let seen = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = seen.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            held.push(socket);
        }
    });
    (url, seen)
}

#[tokio::test]
async fn a_receiver_that_hangs_delays_nobody_else() {
    let app = spawn().var("DOJANG_WEBHOOK_ALLOW_PRIVATE", "true").start().await;
    // One tenant's endpoint swallows every request (free test mode is enough for that).
    let (hole, seen) = black_hole().await;
    let slow = org_with_key(&app, "hooks-hole", Mode::Test).await.key;
    register(&app, &slow, &hole, &["envelope.created"]).await;
    for _ in 0..8 {
        let r = call(&app, &slow, "POST", "/envelopes", Some(json!({ "subject": "black hole", "documentIds": [] }))).await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let t = Instant::now();
    while seen.load(std::sync::atomic::Ordering::SeqCst) < 2 {
        assert!(t.elapsed() < Duration::from_secs(10), "the hanging endpoint is being called");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Another tenant's healthy endpoint gets its event at once all the same.
    let receiver = Receiver::start();
    let key = key_for(&app, "hooks-healthy").await;
    let endpoint = register(&app, &key, &receiver.url(), &["envelope.created"]).await;
    receiver.setup(json!({ "secret": endpoint["secret"] })).await;
    let sent = Instant::now();
    call(&app, &key, "POST", "/envelopes", Some(json!({ "subject": "healthy", "documentIds": [] }))).await;
    receiver.wait("the healthy endpoint's event", 2, |log| log.iter().any(|e| e["status"] == 200)).await;
    let waited = sent.elapsed();
    assert!(waited < Duration::from_secs(2), "{waited:?}");
    // The hanging endpoint never holds more than its share of deliveries at once.
    assert!(
        seen.load(std::sync::atomic::Ordering::SeqCst) <= dojang_core::webhooks::deliver::PER_ENDPOINT,
        "{}",
        seen.load(std::sync::atomic::Ordering::SeqCst)
    );
}

#[tokio::test]
async fn deliveries_ignore_proxy_settings_in_the_environment() {
    let receiver = Receiver::start();
    let (proxy, seen) = black_hole().await;
    let proxy = proxy.trim_end_matches("/hook").to_owned();
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let vars = [
        ("DOJANG_WEBHOOK_ALLOW_PRIVATE", "true"),
        ("HTTP_PROXY", proxy.as_str()),
        ("http_proxy", proxy.as_str()),
        ("ALL_PROXY", proxy.as_str()),
        // Storage may go through a proxy (operators' S3 traffic does); the test S3 server is
        // reached as `localhost`, the receiver as 127.0.0.1, which stays unexempted.
        ("NO_PROXY", "localhost"),
    ];
    let mut child = start_binary(dir.path(), port, &vars);
    let app = TestApp::external(format!("http://127.0.0.1:{port}"), dir.path()).await;
    let key = key_for(&app, "hooks-proxy").await;
    let endpoint = register(&app, &key, &receiver.url(), &["envelope.created"]).await;
    receiver.setup(json!({ "secret": endpoint["secret"] })).await;
    draft(&app, &key).await;
    receiver.wait("delivered straight to the checked address", 20, |log| log.iter().any(|e| e["status"] == 200)).await;
    assert_eq!(seen.load(std::sync::atomic::Ordering::SeqCst), 0, "the proxy from the environment was never used");
    let _ = child.kill();
    let _ = child.wait();
}
