//! Sending and signing through a real SMTP server: invitations, sequential order, consent,
//! submission, decline, cancel, expiry, double and concurrent submits, reminders, retries.

use crate::helpers::{fixture, spawn, Account, Reply, TestApp};
use crate::smtp::{free_port, SmtpSink};
use serde_json::{json, Value};

const PNG: &str = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

/// Ids for one test's recipients and fields: a random base, so tests never share ids.
pub fn ids() -> impl Fn(u32) -> String {
    let base = uuid::Uuid::new_v4().as_u128() & !0xffff;
    move |n| format!("{:032x}", base + n as u128)
}

pub struct Sent {
    pub envelope: String,
    /// Recipient ids, in the order given.
    pub recipients: Vec<String>,
    id: std::sync::Arc<dyn Fn(u32) -> String + Send + Sync>,
}

impl Sent {
    pub fn new(envelope: String, recipients: Vec<String>, id: impl Fn(u32) -> String + Send + Sync + 'static) -> Self {
        Self { envelope, recipients, id: std::sync::Arc::new(id) }
    }

    pub fn field(&self, n: u32) -> String {
        (self.id)(n)
    }
}

/// A drawn signature: a zig-zag across the pad.
pub fn drawing(pointer: &str, pressure: bool) -> Value {
    let points: Vec<Value> = (0..30)
        .map(|i| {
            let mut p = json!({ "x": 0.1 + i as f32 * 0.025, "y": if i % 2 == 0 { 0.3 } else { 0.7 }, "t": i as f32 * 12.0 });
            if pressure {
                p["p"] = json!(0.2 + (i % 5) as f32 * 0.15);
            }
            p
        })
        .collect();
    json!({ "method": "drawn", "drawing": { "aspect": 3.0, "strokes": [{ "pointer": pointer, "points": points }] }, "png": PNG })
}

/// A draft with one document, the given signers (name, email, order) and for each a
/// signature field and a text field; then sent. Returns the envelope and its links.
pub async fn send_envelope(app: &TestApp, signers: &[(&str, &str, i64)], request: impl FnOnce(&dyn Fn(u32) -> String) -> Value) -> Sent {
    app.sign_up(&Account::unique("sender")).await;
    let up = app.upload(None, "근로계약서.pdf", fixture("basic__002-trivial-libre-office-writer.pdf")).await.json();
    let envelope = up["contractId"].as_str().unwrap().to_owned();
    let doc = up["document"]["id"].as_str().unwrap().to_owned();
    let id = ids();
    let hex_id = &id;
    let recipients: Vec<Value> = signers
        .iter()
        .enumerate()
        .map(|(i, (name, email, order))| json!({ "id": hex_id(i as u32), "name": name, "email": email, "role": "signer", "order": order }))
        .collect();
    let fields: Vec<Value> = (0..signers.len())
        .flat_map(|i| {
            let r = hex_id(i as u32);
            let y = 0.1 + i as f64 * 0.2;
            [
                json!({ "id": hex_id(100 + i as u32), "recipient_id": r, "document_id": doc, "page": 0,
                        "rect": { "x": 0.1, "y": y, "width": 0.3, "height": 0.06 }, "kind": "signature", "required": true }),
                json!({ "id": hex_id(200 + i as u32), "recipient_id": r, "document_id": doc, "page": 0,
                        "rect": { "x": 0.5, "y": y, "width": 0.3, "height": 0.04 }, "kind": "text", "required": true }),
            ]
        })
        .collect();
    let csrf = app.csrf_token().await;
    let r = app.call_json("contracts/save", json!({ "csrf": csrf, "id": envelope, "version": 1, "recipients": recipients, "fields": fields })).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = send(app, &envelope, request(hex_id)).await;
    assert_eq!(r.status, 200, "send: {}", r.body);
    Sent { envelope, recipients: (0..signers.len() as u32).map(hex_id).collect(), id: std::sync::Arc::new(id) }
}

pub async fn send(app: &TestApp, envelope: &str, request: Value) -> Reply {
    let csrf = app.csrf_token().await;
    app.call_json("envelopes/send", json!({ "csrf": csrf, "id": envelope, "request": request })).await
}

pub async fn view(app: &TestApp, token: &str) -> Reply {
    app.call("sign/view", &[("token", token)]).await
}

pub async fn consent(app: &TestApp, token: &str) -> Reply {
    app.call("sign/consent", &[("token", token)]).await
}

/// Fills the recipient's fields (signature + text) and submits.
pub async fn submit(app: &TestApp, sent: &Sent, token: &str, recipient_index: u32, signature: Value) -> Reply {
    let fields = json!([
        { "field_id": sent.field(100 + recipient_index), "signature": 0 },
        { "field_id": sent.field(200 + recipient_index), "value": "서울특별시 중구 세종대로 110" },
    ]);
    app.call_json("sign/submit", json!({ "token": token, "submission": { "fields": fields, "signatures": [signature] } })).await
}

async fn detail(app: &TestApp, envelope: &str) -> Value {
    let r = app.call("envelopes/get", &[("id", envelope)]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

fn with_smtp(sink: &SmtpSink) -> crate::helpers::Spawn {
    spawn().var("DOJANG_SMTP_URL", &sink.url()).var("DOJANG_SWEEP_SECONDS", "1")
}

#[tokio::test]
async fn parallel_signing_end_to_end_through_a_real_smtp_server() {
    let sink = SmtpSink::start();
    let app = with_smtp(&sink).start().await;
    let sent = send_envelope(
        &app,
        &[("김철수", "chulsoo@example.com", 1), ("Jane Doe", "jane@example.com", 1)],
        |id| json!({ "message": "잘 부탁드립니다", "languages": [[id(1), "en"]] }),
    )
    .await;

    let kim = sink.wait_for("chulsoo@example.com", 1).await.remove(0);
    assert!(kim.subject.contains("근로계약서"), "Korean subject: {}", kim.subject);
    assert!(kim.subject.contains("서명 요청"), "{}", kim.subject);
    assert!(kim.text.contains("잘 부탁드립니다"));
    assert!(kim.html.contains("문서 확인하고 서명하기"));
    let jane = sink.wait_for("jane@example.com", 1).await.remove(0);
    assert!(jane.subject.starts_with("Signature requested"), "English for Jane: {}", jane.subject);
    let link = kim.sign_link();
    assert!(link.starts_with(&app.address), "{link}");
    assert_eq!(kim.token().len(), 43, "256-bit token");

    // The link opens the signer's page.
    let v = view(&app, &kim.token()).await.json();
    assert_eq!(v["state"], "ready");
    assert_eq!(v["recipient_name"], "김철수");
    assert_eq!(v["consented"], false);
    assert_eq!(v["fields"].as_array().unwrap().iter().filter(|f| f["mine"] == true).count(), 2);

    // Signing needs consent first.
    let r = submit(&app, &sent, &kim.token(), 0, drawing("mouse", false)).await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(r.code(), "CONSENT_REQUIRED");
    assert_eq!(consent(&app, &kim.token()).await.status, 200);
    let r = submit(&app, &sent, &kim.token(), 0, drawing("mouse", false)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["envelope_completed"], false);
    assert_eq!(detail(&app, &sent.envelope).await["status"], "sent");

    assert_eq!(consent(&app, &jane.token()).await.status, 200);
    let r = submit(&app, &sent, &jane.token(), 1, drawing("pen", true)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["envelope_completed"], true);

    let d = detail(&app, &sent.envelope).await;
    assert!(d["status"] == "sealing" || (d["status"] == "completed" && d["seal_status"] == "sealed"), "{}", d["status"]);
    for r in d["recipients"].as_array().unwrap() {
        for t in ["invited_at", "consented_at", "signed_at"] {
            assert!(r[t].is_string(), "{t} recorded for {}", r["email"]);
        }
    }
    let kinds: Vec<&str> = d["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    for k in ["envelope.sent", "recipient.invited", "email.delivered", "recipient.consented", "field.filled", "recipient.signed", "envelope.completed"] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }
    let signed = d["events"].as_array().unwrap().iter().find(|e| e["kind"] == "recipient.signed").unwrap();
    assert_eq!(signed["ip"], "127.0.0.1");
    // The pen signature keeps its varying pressure.
    let strokes: Vec<String> = sqlx::query_scalar("SELECT strokes FROM signatures WHERE method = 'drawn'").fetch_all(app.db.pool()).await.unwrap();
    let pen: Value = strokes.iter().map(|s| serde_json::from_str::<Value>(s).unwrap()).find(|s| s["strokes"][0]["pointer"] == "pen").unwrap();
    let pressures: std::collections::BTreeSet<String> = pen["strokes"][0]["points"].as_array().unwrap().iter().map(|p| p["p"].to_string()).collect();
    assert!(pressures.len() >= 3, "varying pressure stored: {pressures:?}");
    app.stop().await;
}

#[tokio::test]
async fn sequential_order_invites_the_next_signer_only_after_the_previous_signed() {
    let sink = SmtpSink::start();
    let app = with_smtp(&sink).start().await;
    let sent =
        send_envelope(&app, &[("First", "first@example.com", 1), ("Second", "second@example.com", 2)], |_| json!({ "signing_order": "sequential" })).await;
    let first = sink.wait_for("first@example.com", 1).await.remove(0);
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(sink.count_for("second@example.com"), 0, "not yet the second signer's turn");
    let d = detail(&app, &sent.envelope).await;
    assert!(d["recipients"][1]["invited_at"].is_null());

    consent(&app, &first.token()).await;
    assert_eq!(submit(&app, &sent, &first.token(), 0, drawing("touch", false)).await.status, 200);
    let second = sink.wait_for("second@example.com", 1).await.remove(0);
    assert_eq!(view(&app, &second.token()).await.json()["state"], "ready");
    consent(&app, &second.token()).await;
    let r = submit(&app, &sent, &second.token(), 1, drawing("mouse", false)).await;
    assert_eq!(r.json()["envelope_completed"], true);
    app.stop().await;
}

#[tokio::test]
async fn signing_out_of_turn_is_refused_with_a_clear_state() {
    let app = spawn().start().await;
    app.sign_up(&Account::unique("oot")).await;
    let sent = send_envelope(&app, &[("A", "a@example.com", 1), ("B", "b@example.com", 2)], |_| json!({ "signing_order": "sequential" })).await;
    // Links exist for everyone (an integrator can embed them); the second says "not yet".
    let second = link_token(&app, &sent, 1).await;
    let v = view(&app, &second).await.json();
    assert_eq!(v["state"], "not_your_turn");
    let r = consent(&app, &second).await;
    assert_eq!(r.status, 409);
    assert_eq!(r.code(), "RECIPIENT_OUT_OF_TURN");
    let r = submit(&app, &sent, &second, 1, drawing("mouse", false)).await;
    assert_eq!(r.code(), "RECIPIENT_OUT_OF_TURN");
    let signed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM recipients WHERE signed_at IS NOT NULL").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(signed, 0);
    app.stop().await;
}

/// A signing link minted for a recipient the way the sending code does, for tests that need
/// one without reading mail (captured mail holds the invitation links too).
pub async fn link_token(app: &TestApp, sent: &Sent, index: usize) -> String {
    let envelope = &sent.envelope;
    let rows: Vec<(String, String)> = sqlx::query_as("SELECT recipient_id, text FROM emails WHERE envelope_id = $1 AND kind = 'invitation'")
        .bind(envelope)
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    let rid = sent.recipients[index].clone();
    if let Some((_, text)) = rows.iter().find(|(r, _)| *r == rid) {
        return crate::smtp::Mail { to: String::new(), subject: String::new(), text: text.clone(), html: String::new(), attachments: vec![] }.token();
    }
    // Not emailed yet (sequential): make a link as `send` does.
    let token = dojang_core::infra::crypto::SigningToken::generate();
    let hash = token.hash();
    sqlx::query("INSERT INTO signing_links (token_hash, recipient_id, envelope_id, created_at, updated_at) VALUES ($1, $2, $3, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')")
        .bind(hash)
        .bind(rid)
        .bind(envelope)
        .execute(app.db.pool())
        .await
        .unwrap();
    token.as_str().to_owned()
}

#[tokio::test]
async fn signing_twice_and_two_tabs_at_once_sign_exactly_once() {
    let app = spawn().start().await;
    let sent = send_envelope(&app, &[("A", "a@example.com", 1), ("B", "b@example.com", 1)], |_| json!({})).await;
    let a = link_token(&app, &sent, 0).await;
    consent(&app, &a).await;
    let (r1, r2) = tokio::join!(submit(&app, &sent, &a, 0, drawing("mouse", false)), submit(&app, &sent, &a, 0, drawing("mouse", false)));
    let mut statuses = [r1.status, r2.status];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "{} / {}", r1.body, r2.body);
    let loser = if r1.status == 409 { &r1 } else { &r2 };
    assert_eq!(loser.code(), "ALREADY_SIGNED");
    let r = submit(&app, &sent, &a, 0, drawing("mouse", false)).await;
    assert_eq!(r.code(), "ALREADY_SIGNED");
    assert_eq!(view(&app, &a).await.json()["state"], "signed");
    let values: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM field_values").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(values, 2, "one signature and one text value, once");
    let sigs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM signatures").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(sigs, 1);
    app.stop().await;
}

#[tokio::test]
async fn declining_ends_the_envelope_and_tells_the_sender() {
    let sink = SmtpSink::start();
    let app = with_smtp(&sink).start().await;
    // The sender works in Korean: their notice comes in Korean (see auth.rs for English).
    assert_eq!(app.get("/lang?set=ko").await.status, 303);
    let sent = send_envelope(&app, &[("A", "a@example.com", 1), ("B", "b@example.com", 1)], |_| json!({})).await;
    let a = sink.wait_for("a@example.com", 1).await.remove(0).token();
    let r = app.call("sign/decline", &[("token", &a), ("reason", " ")]).await;
    assert_eq!(r.status, 422, "a reason is needed");
    let r = app.call("sign/decline", &[("token", &a), ("reason", "금액이 다릅니다")]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let d = detail(&app, &sent.envelope).await;
    assert_eq!(d["status"], "declined");
    assert_eq!(d["recipients"][0]["decline_reason"], "금액이 다릅니다");
    let b = sink.wait_for("b@example.com", 1).await.remove(0).token();
    assert_eq!(view(&app, &b).await.json()["state"], "declined");
    consent(&app, &b).await;
    let r = submit(&app, &sent, &b, 1, drawing("mouse", false)).await;
    assert_eq!(r.status, 409);
    assert_eq!(r.code(), "ENVELOPE_DECLINED");
    let mut sender_mail = None;
    for _ in 0..100 {
        sender_mail = sink.messages().into_iter().find(|m| m.subject.contains("서명 거절"));
        if sender_mail.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let sender_mail = sender_mail.expect("the sender is told");
    assert!(sender_mail.text.contains("금액이 다릅니다"));
    app.stop().await;
}

#[tokio::test]
async fn cancelling_closes_every_link_and_tells_the_invited() {
    let sink = SmtpSink::start();
    let app = with_smtp(&sink).start().await;
    let sent = send_envelope(&app, &[("A", "a@example.com", 1)], |_| json!({})).await;
    let a = sink.wait_for("a@example.com", 1).await.remove(0).token();
    consent(&app, &a).await;
    let csrf = app.csrf_token().await;
    let r = app.call("envelopes/cancel", &[("csrf", &csrf), ("id", &sent.envelope), ("reason", "조건 변경")]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(view(&app, &a).await.json()["state"], "cancelled");
    let r = submit(&app, &sent, &a, 0, drawing("mouse", false)).await;
    assert_eq!(r.status, 410);
    assert_eq!(r.code(), "ENVELOPE_CANCELLED");
    let mails = sink.wait_for("a@example.com", 2).await;
    assert!(mails[1].subject.contains("취소"), "{}", mails[1].subject);
    assert!(mails[1].text.contains("조건 변경"));
    let r = app.call("envelopes/cancel", &[("csrf", &csrf), ("id", &sent.envelope), ("reason", "")]).await;
    assert_eq!(r.status, 410, "cannot cancel twice: {}", r.body);
    assert_eq!(detail(&app, &sent.envelope).await["cancel_reason"], "조건 변경");
    app.stop().await;
}

#[tokio::test]
async fn expired_requests_cannot_be_signed_and_are_marked_expired() {
    let app = spawn().var("DOJANG_SWEEP_SECONDS", "1").start().await;
    let sent = send_envelope(&app, &[("A", "a@example.com", 1)], |_| json!({ "expires_in": 3600 })).await;
    let a = link_token(&app, &sent, 0).await;
    consent(&app, &a).await;
    // Time passes: move the expiry into the past.
    sqlx::query("UPDATE envelopes SET expires_at = '2020-01-01T00:00:00.000Z' WHERE id = $1").bind(&sent.envelope).execute(app.db.pool()).await.unwrap();
    let r = submit(&app, &sent, &a, 0, drawing("mouse", false)).await;
    assert_eq!(r.status, 410, "{}", r.body);
    assert_eq!(r.code(), "ENVELOPE_EXPIRED");
    assert_eq!(view(&app, &a).await.json()["state"], "expired");
    for _ in 0..50 {
        if detail(&app, &sent.envelope).await["events"].as_array().unwrap().iter().any(|e| e["kind"] == "envelope.expired") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let status: String = sqlx::query_scalar("SELECT status FROM envelopes WHERE id = $1").bind(&sent.envelope).fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(status, "expired", "the sweeper marked it");
    let r = send(&app, &sent.envelope, json!({})).await;
    assert_eq!(r.code(), "ENVELOPE_NOT_DRAFT");
    app.stop().await;
}

#[tokio::test]
async fn bad_submissions_are_refused_and_change_nothing() {
    let app = spawn().start().await;
    let sent = send_envelope(&app, &[("A", "a@example.com", 1)], |_| json!({})).await;
    let a = link_token(&app, &sent, 0).await;
    consent(&app, &a).await;
    let dot = json!({ "method": "drawn", "drawing": { "aspect": 3.0, "strokes": [{ "pointer": "mouse", "points": [{ "x": 0.5, "y": 0.5, "t": 0.0 }] }] }, "png": PNG });
    let r = submit(&app, &sent, &a, 0, dot).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.code(), "SIGNATURE_EMPTY");
    let r = submit(&app, &sent, &a, 0, json!({ "method": "uploaded", "png": "data:image/png;base64,bm90IGEgcG5n" })).await;
    assert_eq!(r.code(), "SIGNATURE_INVALID");
    let r = app
        .call_json("sign/submit", json!({ "token": a, "submission": { "fields": [{ "field_id": sent.field(200), "value": "x" }], "signatures": [] } }))
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["fields"][0]["field"], format!("fields.{}", sent.field(100)), "the missing signature is named");
    let r = view(&app, "not-a-real-token").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.code(), "SIGNING_LINK_INVALID");
    let r = view(&app, &"A".repeat(43)).await;
    assert_eq!(r.code(), "SIGNING_LINK_INVALID");
    let signed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM recipients WHERE signed_at IS NOT NULL").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(signed, 0);
    app.stop().await;
}

#[tokio::test]
async fn sending_needs_a_complete_contract() {
    let app = spawn().start().await;
    app.sign_up(&Account::unique("incomplete")).await;
    let up = app.upload(None, "a.pdf", fixture("basic__002-trivial-libre-office-writer.pdf")).await.json();
    let envelope = up["contractId"].as_str().unwrap();
    let csrf = app.csrf_token().await;
    let recipients = json!([{ "id": ids()(1), "name": "", "email": "", "role": "signer", "order": 1 }]);
    app.call_json("contracts/save", json!({ "csrf": csrf, "id": envelope, "version": 1, "recipients": recipients, "fields": [] })).await;
    let r = send(&app, envelope, json!({})).await;
    assert_eq!(r.status, 422, "{}", r.body);
    let body = r.json();
    let fields: Vec<&str> = body["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    for want in ["recipients[0].name", "recipients[0].email"] {
        assert!(fields.contains(&want), "{want} in {fields:?}");
    }
    // A signer without fields signs on an appended signature page (issue 15), so that is no
    // error; the page made for the failed send is gone with it.
    assert!(!fields.contains(&"recipients[0].fields"), "{fields:?}");
    assert_eq!(detail(&app, envelope).await["status"], "draft", "nothing sent");
    assert_eq!(detail(&app, envelope).await["documents"].as_array().unwrap().len(), 1, "no signature page left behind");
    let r = send(&app, envelope, json!({ "expires_in": 5 })).await;
    assert_eq!(r.code(), "VALIDATION_FAILED");
    app.stop().await;
}

#[tokio::test]
async fn reminders_go_out_every_n_days_with_a_fresh_link() {
    let sink = SmtpSink::start();
    let app = with_smtp(&sink).start().await;
    let sent = send_envelope(&app, &[("A", "a@example.com", 1)], |_| json!({ "reminder_days": 2 })).await;
    let first = sink.wait_for("a@example.com", 1).await.remove(0);
    sqlx::query("UPDATE recipients SET invited_at = '2020-01-01T00:00:00.000Z' WHERE envelope_id = $1")
        .bind(&sent.envelope)
        .execute(app.db.pool())
        .await
        .unwrap();
    let mails = sink.wait_for("a@example.com", 2).await;
    assert!(mails[1].subject.contains("다시 알림"), "{}", mails[1].subject);
    assert_ne!(mails[1].token(), first.token(), "a new link");
    assert_eq!(view(&app, &first.token()).await.json()["state"], "ready", "the first link still works");
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(sink.count_for("a@example.com"), 2, "one reminder per period");
    app.stop().await;
}

#[tokio::test]
async fn mail_waits_in_the_outbox_while_smtp_is_down_and_goes_out_after_a_restart() {
    let port = free_port();
    let keep = tempfile::TempDir::new().unwrap();
    let data = keep.path().to_str().unwrap().to_owned();
    let app = spawn().var("DOJANG_SMTP_URL", &format!("smtp://127.0.0.1:{port}")).var("DOJANG_DATA_DIR", &data).start().await;
    let sent = send_envelope(&app, &[("A", "a@example.com", 1)], |_| json!({})).await;
    let mut row: (String, i64, Option<String>) = (String::new(), 0, None);
    for _ in 0..100 {
        row = sqlx::query_as("SELECT status, attempts, last_error FROM emails WHERE envelope_id = $1 AND kind = 'invitation'")
            .bind(&sent.envelope)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        if row.2.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(row.0, "queued", "kept for a retry");
    assert!(row.1 >= 1 && row.2.is_some(), "the failure is recorded: {row:?}");
    app.stop().await;

    // The SMTP server comes back; a restarted Dojang (same data) delivers the message.
    let sink = SmtpSink::start_on(port);
    let app = spawn().var("DOJANG_SMTP_URL", &sink.url()).var("DOJANG_DATA_DIR", &data).start().await;
    sqlx::query("UPDATE emails SET next_attempt_at = '2020-01-01T00:00:00.000Z'").execute(app.db.pool()).await.unwrap();
    let mail = sink.wait_for("a@example.com", 1).await.remove(0);
    assert!(mail.sign_link().contains("/sign/"));
    // The server has the message before the outbox records it as sent (it commits after the
    // SMTP answer), so the row follows shortly.
    let mut status = String::new();
    for _ in 0..100 {
        status = sqlx::query_scalar("SELECT status FROM emails WHERE kind = 'invitation'").fetch_one(app.db.pool()).await.unwrap();
        if status == "sent" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, "sent");
    app.stop().await;
}

#[tokio::test]
async fn without_smtp_mail_is_captured_and_shown_on_the_mailbox_page() {
    let app = spawn().start().await;
    send_envelope(&app, &[("김영희", "younghee@example.com", 1)], |_| json!({})).await;
    for _ in 0..50 {
        let s: Option<String> = sqlx::query_scalar("SELECT status FROM emails WHERE kind = 'invitation'").fetch_optional(app.db.pool()).await.unwrap();
        if s.as_deref() == Some("captured") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let r = app.get("/dev/mailbox").await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("younghee@example.com"));
    assert!(r.body.contains("captured"));
    let id: String = sqlx::query_scalar("SELECT id FROM emails WHERE kind = 'invitation'").fetch_one(app.db.pool()).await.unwrap();
    let r = app.get(&format!("/dev/mailbox/{id}")).await;
    assert!(r.body.contains("/sign/"));
    assert!(r.header("content-security-policy").unwrap().starts_with("sandbox"));
    app.stop().await;
}

#[tokio::test]
async fn the_mailbox_page_does_not_exist_when_mail_really_goes_out() {
    let sink = SmtpSink::start();
    let app = with_smtp(&sink).start().await;
    assert_eq!(app.get("/dev/mailbox").await.status, 404);
    app.stop().await;
}

#[tokio::test]
async fn signer_previews_need_the_link_of_that_contract() {
    let app = spawn().start().await;
    let sent = send_envelope(&app, &[("A", "a@example.com", 1)], |_| json!({})).await;
    let a = link_token(&app, &sent, 0).await;
    let v = view(&app, &a).await.json();
    let doc = v["documents"][0]["id"].as_str().unwrap();
    let (status, headers, body) = app.get_bytes(&format!("/_app/sign/{a}/documents/{doc}/pages/0?size=page")).await;
    assert_eq!(status, 200);
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(&body[..2], &[0xFF, 0xD8]);
    let (status, _, _) = app.get_bytes(&format!("/_app/sign/{}/documents/{doc}/pages/0", "B".repeat(43))).await;
    assert_eq!(status, 404);
    let other = app.new_browser();
    let other_sent = send_envelope(&other, &[("C", "c@example.com", 1)], |_| json!({})).await;
    let c = link_token(&other, &other_sent, 0).await;
    let (status, _, _) = other.get_bytes(&format!("/_app/sign/{c}/documents/{doc}/pages/0")).await;
    assert_eq!(status, 404, "another contract's link cannot see this document");
    app.stop().await;
}

#[tokio::test]
async fn the_signing_page_is_one_response_with_its_module_and_styles_inline() {
    let app = spawn().start().await;
    app.sign_up(&Account::unique("inline")).await;
    let sent = send_envelope(&app, &[("김서명", "kim@example.com", 1)], |_| json!({})).await;
    let token = link_token(&app, &sent, 0).await;
    let r = app.get(&format!("/sign/{token}")).await;
    assert_eq!(r.status, 200);
    // Nothing else to fetch before the signer can act: no app bundle, no stylesheet link.
    assert!(!r.body.contains("/pkg/dojang.js") && !r.body.contains("/pkg/dojang.wasm"), "the app's wasm is not loaded");
    assert!(!r.body.contains("rel=\"stylesheet\""), "styles are inline");
    assert!(r.body.contains("<style>") && r.body.contains(".sign-bar"), "the stylesheet is in the page");
    assert!(r.body.contains("DecompressionStream(\"deflate-raw\")"), "the module's wasm is in the page");
    // The inline module runs under the page's script nonce.
    let csp = r.header("content-security-policy").unwrap().to_owned();
    let nonce = csp.split("'nonce-").nth(1).and_then(|s| s.split('\'').next()).unwrap();
    assert!(r.body.contains(&format!("<script type=\"module\" nonce=\"{nonce}\">")), "{csp}");
    // What the module needs is in the page, in the signer's language; the markup is complete.
    let boot = r.body.split("<script type=\"application/json\" id=\"sign-boot\">").nth(1).and_then(|s| s.split("</script>").next()).unwrap();
    let boot: Value = serde_json::from_str(boot).unwrap();
    assert_eq!(boot["token"], token);
    assert_eq!(boot["signer_name"], "김서명");
    assert_eq!(boot["texts"]["sign_done"], "감사합니다. 서명을 마쳤습니다. 모두 서명하면 서명된 문서를 받게 됩니다.", "Korean by default");
    assert!(r.body.contains("data-testid=\"consent-agree\"") && r.body.contains("id=\"sign-pad\""));
    assert!(!r.body.contains("envelope_name") && !r.body.contains("__RESOLVED_RESOURCES["), "no hydration data: the page is not hydrated");
    assert!(!r.body.contains("dojang-inline-"), "the assets' markers are filled");
    assert_eq!(r.header("content-length"), Some(r.body.len().to_string()));
    app.stop().await;
}

/// The page a browser gets: gzip whose inline assets were compressed once, laid end to end
/// with the page's own parts — the same page, checksum and length right, a fraction of its size.
#[tokio::test]
async fn the_signing_page_compressed_for_a_browser_is_the_same_page() {
    use std::io::Read as _;
    let app = spawn().start().await;
    app.sign_up(&Account::unique("gzip")).await;
    let sent = send_envelope(&app, &[("김압축", "gzip@example.com", 1)], |_| json!({})).await;
    let token = link_token(&app, &sent, 0).await;
    let path = format!("/sign/{token}");
    // The nonce is the one part that differs between two renderings.
    let same = |body: &str, csp: &str| {
        let nonce = csp.split("'nonce-").nth(1).and_then(|s| s.split('\'').next()).unwrap().to_owned();
        body.replace(&nonce, "NONCE")
    };
    let plain = app.get_with(&path, &[("accept-encoding", "identity")]).await;
    assert_eq!(plain.status, 200);
    assert_eq!(plain.header("content-encoding"), None);
    let plain_page = same(&plain.body, &plain.header("content-security-policy").unwrap());

    let http = reqwest::Client::new();
    let res = http.get(app.url(&path)).header("accept-encoding", "gzip, deflate, br, zstd").send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-encoding"], "gzip");
    assert!(res.headers().get_all("vary").iter().any(|v| v.to_str().unwrap().to_ascii_lowercase().contains("accept-encoding")));
    let csp = res.headers()["content-security-policy"].to_str().unwrap().to_owned();
    let zipped = res.bytes().await.unwrap();
    let mut page = String::new();
    // flate2 checks the member's CRC-32 and length.
    flate2::read::GzDecoder::new(&zipped[..]).read_to_string(&mut page).expect("one whole gzip member");
    assert_eq!(same(&page, &csp), plain_page, "the same page");
    assert!(page.contains("DecompressionStream(\"deflate-raw\")") && page.contains(".sign-bar") && !page.contains("dojang-inline-"));
    assert!(zipped.len() * 3 < page.len() * 2, "compressed: {} of {} bytes", zipped.len(), page.len());

    // gzip refused: not gzip (the router's own compression or none), still the whole page.
    let res = http.get(app.url(&path)).header("accept-encoding", "gzip;q=0, deflate").send().await.unwrap();
    assert_ne!(res.headers().get("content-encoding").map(|v| v.to_str().unwrap().to_owned()), Some("gzip".into()));
    // A closed link's page carries the assets too.
    let closed = app.get("/sign/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").await;
    assert!(
        closed.body.contains("data-testid=\"sign-closed\"") && closed.body.contains(".sign-bar") && !closed.body.contains("dojang-inline-"),
        "{}",
        closed.body
    );
    app.stop().await;
}
