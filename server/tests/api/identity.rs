//! Who is signing (issue 17): identity checks before the signing page shows anything, codes
//! by email and SMS, access codes and what the signer knows, lockout and unlock, and SMS
//! through a real HTTP gateway (a receiver this test starts) with retries.

use crate::helpers::{spawn, TestApp};
use crate::rest::{call, key_for, upload};
use crate::seal::pdftotext;
use crate::webhooks::sign_urls;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const PDF: &str = "basic__002-trivial-libre-office-writer.pdf";

/// A sent envelope for `recipients`; its id, document and signing links.
async fn sent(app: &TestApp, key: &str, recipients: Value) -> (String, String, Vec<String>) {
    let doc = upload(app, key, PDF, &[]).await.json()["id"].as_str().unwrap().to_owned();
    let r = call(
        app,
        key,
        "POST",
        "/envelopes",
        Some(json!({ "subject": "본인확인 계약서", "documentIds": [doc], "recipients": recipients, "message": "비밀 메시지" })),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.json()["id"].as_str().unwrap().to_owned();
    let s = call(app, key, "POST", &format!("/envelopes/{id}/send"), None).await;
    assert_eq!(s.status, 200, "{}", s.body);
    (id, doc, sign_urls(&s.json()))
}

fn token_of(url: &str) -> String {
    url.rsplit('/').next().unwrap().to_owned()
}

/// Posts to the signing page's check endpoints as JSON.
async fn post(browser: &TestApp, path: &str, body: Value) -> crate::helpers::Reply {
    let res = browser.client.post(browser.url(path)).header("accept", "application/json").json(&body).send().await.unwrap();
    crate::helpers::Reply { status: res.status().as_u16(), headers: res.headers().clone(), body: res.text().await.unwrap_or_default() }
}

async fn ask_code(browser: &TestApp, token: &str, method: &str) -> crate::helpers::Reply {
    post(browser, &format!("/sign/{token}/verify/send"), json!({ "method": method })).await
}

async fn answer(browser: &TestApp, token: &str, body: Value) -> crate::helpers::Reply {
    post(browser, &format!("/sign/{token}/verify"), body).await
}

/// The six digits of the newest captured code email, read through the development mailbox
/// (the outbox keeps the body encrypted).
async fn emailed_code(app: &TestApp, envelope: &str) -> String {
    let (id, html, text): (String, String, String) =
        sqlx::query_as("SELECT id, html, text FROM emails WHERE envelope_id = $1 AND kind = 'verification_code' ORDER BY created_at DESC, id DESC LIMIT 1")
            .bind(envelope)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert!(html.starts_with("v1:") && text.starts_with("v1:"), "a code is encrypted at rest");
    let page = app.get(&format!("/dev/mailbox/{id}")).await.body;
    six_digits(&page).unwrap_or_else(|| panic!("no code in {page}"))
}

fn six_digits(s: &str) -> Option<String> {
    let b = s.as_bytes();
    (0..b.len().saturating_sub(5))
        .find(|&i| b[i..i + 6].iter().all(u8::is_ascii_digit) && (i == 0 || !b[i - 1].is_ascii_digit()) && b.get(i + 6).is_none_or(|c| !c.is_ascii_digit()))
        .map(|i| s[i..i + 6].to_owned())
}

/// The captured SMS (newest first), from `/dev/sms`.
async fn texts(app: &TestApp) -> Vec<Value> {
    let r = app.get("/dev/sms?format=json").await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json().as_array().unwrap().clone()
}

async fn wait_for_text(app: &TestApp, n: usize) -> Vec<Value> {
    let t = Instant::now();
    loop {
        let all = texts(app).await;
        if all.iter().filter(|m| m["status"] == "captured").count() >= n {
            return all;
        }
        assert!(t.elapsed() < Duration::from_secs(20), "waited for {n} SMS: {all:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn events(app: &TestApp, key: &str, id: &str) -> Vec<String> {
    let r = call(app, key, "GET", &format!("/envelopes/{id}/events"), None).await;
    r.json()["data"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap().to_owned()).collect()
}

async fn recipient(app: &TestApp, key: &str, id: &str, i: usize) -> Value {
    call(app, key, "GET", &format!("/envelopes/{id}"), None).await.json()["recipients"][i].clone()
}

#[tokio::test]
async fn an_email_code_opens_the_contract_only_in_the_browser_that_typed_it() {
    let app = spawn().var("DOJANG_SWEEP_SECONDS", "1").start().await;
    let key = key_for(&app, "identity-email").await;
    let (id, doc, links) = sent(&app, &key, json!([{ "email": "minjun@example.com", "name": "김민준", "authMethod": "emailCode" }])).await;
    assert_eq!(recipient(&app, &key, &id, 0).await["authMethod"], json!(["emailCode"]));
    let token = token_of(&links[0]);
    let a = app.new_browser();

    // Before the check: nothing of the contract, and every step refused.
    let view = a.call("sign/view", &[("token", &token)]).await.json();
    assert_eq!(view["verification"]["steps"][0]["method"], "emailCode", "{view}");
    assert_eq!(view["verification"]["steps"][0]["sent_to"], "m***@example.com");
    assert_eq!(view["documents"], json!([]));
    assert_eq!(view["fields"], json!([]));
    assert_eq!(view["message"], "", "the sender's message is part of the contract");
    let page = a.get(&format!("/sign/{token}")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("data-testid=\"verify\"") && !page.body.contains("/_app/sign/"), "no page image before the check");
    assert!(!page.body.contains("비밀 메시지"));
    let image = a.get(&format!("/_app/sign/{token}/documents/{doc}/pages/0?size=page")).await;
    assert_eq!((image.status, image.code().as_str()), (403, "VERIFICATION_REQUIRED"), "{}", image.body);
    for (name, form) in [("sign/consent", vec![("token", token.as_str())]), ("sign/decline", vec![("token", token.as_str()), ("reason", "싫어요")])] {
        let r = a.call(name, &form).await;
        assert_eq!((r.status, r.code().as_str()), (403, "VERIFICATION_REQUIRED"), "{name}: {}", r.body);
    }
    let r = a.call_json("sign/submit", json!({ "token": token, "submission": { "fields": [], "signatures": [] } })).await;
    assert_eq!((r.status, r.code().as_str()), (403, "VERIFICATION_REQUIRED"), "{}", r.body);
    assert_eq!(a.call("sign/opened", &[("token", &token)]).await.status, 200);
    assert!(!events(&app, &key, &id).await.contains(&"recipient.viewed".to_owned()), "not seen before the check");

    // A code must be asked for first; then it is paced.
    let r = answer(&a, &token, json!({ "method": "emailCode", "code": "123456" })).await;
    assert_eq!((r.status, r.code().as_str()), (422, "VERIFICATION_CODE_EXPIRED"), "{}", r.body);
    assert_eq!(ask_code(&a, &token, "emailCode").await.status, 200);
    let again = ask_code(&a, &token, "emailCode").await;
    assert_eq!((again.status, again.code().as_str()), (429, "VERIFICATION_RESEND_LIMITED"), "{}", again.body);
    assert!(again.header("retry-after").unwrap().parse::<u64>().unwrap() <= 60);
    let r = ask_code(&a, &token, "smsCode").await;
    assert_eq!(r.status, 422, "a check the recipient does not have: {}", r.body);
    let code = emailed_code(&app, &id).await;
    let stored: String = sqlx::query_scalar("SELECT code_hash FROM identity_requests WHERE envelope_id = $1").bind(&id).fetch_one(app.db.pool()).await.unwrap();
    assert!(!stored.contains(&code) && stored.len() == 64, "the code is kept as a keyed hash");
    let view = a.call("sign/view", &[("token", &token)]).await.json();
    assert_eq!(view["verification"]["steps"][0]["code_sent"], true);

    // A wrong code counts; the right one opens the contract in this browser only.
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let r = answer(&a, &token, json!({ "method": "emailCode", "code": wrong })).await;
    assert_eq!((r.status, r.code().as_str()), (422, "VERIFICATION_FAILED"), "{}", r.body);
    let r = answer(&a, &token, json!({ "method": "emailCode", "code": code })).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let cookie = r.header("set-cookie").unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("Secure") && cookie.contains("SameSite=None"), "{cookie}");
    let view = a.call("sign/view", &[("token", &token)]).await.json();
    assert!(view["verification"].is_null(), "{view}");
    assert!(!view["documents"].as_array().unwrap().is_empty(), "{view}");
    assert_eq!(view["message"], "비밀 메시지");
    assert_eq!(a.get(&format!("/_app/sign/{token}/documents/{doc}/pages/0?size=page")).await.status, 200);
    let used = answer(&a.new_browser(), &token, json!({ "method": "emailCode", "code": code })).await;
    assert_eq!(used.code(), "VERIFICATION_CODE_EXPIRED", "a code works once: {}", used.body);
    let b = app.new_browser();
    assert!(!b.call("sign/view", &[("token", &token)]).await.json()["verification"].is_null(), "another browser with the same link is asked again");
    assert_eq!(b.get(&format!("/_app/sign/{token}/documents/{doc}/pages/0?size=page")).await.status, 403);

    // Recorded: the API, the events, the audit trail.
    let r = recipient(&app, &key, &id, 0).await;
    assert!(r["verifiedAt"].as_str().unwrap().ends_with('Z'), "{r}");
    assert_eq!(r["verifiedMethods"], json!(["emailCode"]));
    assert_eq!(r["locked"], false);
    let kinds = events(&app, &key, &id).await;
    for k in ["identity.requested", "identity.failed", "recipient.verified"] {
        assert!(kinds.contains(&k.to_owned()), "{k} in {kinds:?}");
    }
    assert_eq!(a.call("sign/opened", &[("token", &token)]).await.status, 200);
    assert_eq!(a.call("sign/consent", &[("token", &token)]).await.status, 200);
    let trail = app.client.get(app.url(&format!("/api/v1/envelopes/{id}/audit-trail"))).bearer_auth(&key).send().await.unwrap();
    assert_eq!(trail.status(), 200);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("trail.pdf"), trail.bytes().await.unwrap()).unwrap();
    let text = pdftotext(&dir.path().join("trail.pdf"));
    assert!(text.contains("recipient.verified") && text.contains("Identity verified") && text.contains("emailCode"), "{text}");

    // A session ends: the browser is asked again, and the sweeper removes the row a day later.
    sqlx::query("UPDATE signer_sessions SET expires_at = '2020-01-01T00:00:00.000Z' WHERE envelope_id = $1").bind(&id).execute(app.db.pool()).await.unwrap();
    assert!(!a.call("sign/view", &[("token", &token)]).await.json()["verification"].is_null(), "an ended session no longer opens the contract");
    let t = Instant::now();
    while sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM signer_sessions WHERE envelope_id = $1").bind(&id).fetch_one(app.db.pool()).await.unwrap() > 0 {
        assert!(t.elapsed() < Duration::from_secs(10), "the sweeper removes ended sessions");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.stop().await;
}

#[tokio::test]
async fn codes_expire_and_five_wrong_answers_lock_the_recipient_until_the_sender_unlocks() {
    let app = spawn().start().await;
    let key = key_for(&app, "identity-lock").await;
    let (id, _, links) =
        sent(&app, &key, json!([{ "email": "seoyeon@example.com", "name": "이서연", "authMethod": ["smsCode"], "phone": "010-1234-5678", "language": "en" }]))
            .await;
    let rid = recipient(&app, &key, &id, 0).await["id"].as_str().unwrap().to_owned();
    assert_eq!(recipient(&app, &key, &id, 0).await["phone"], "+821012345678");
    let token = token_of(&links[0]);
    let a = app.new_browser();
    let view = a.call("sign/view", &[("token", &token)]).await.json();
    assert_eq!(view["verification"]["steps"][0]["sent_to"], "+82 ••••5678");

    // The SMS carries the code (encrypted in the outbox); once expired it no longer opens.
    assert_eq!(ask_code(&a, &token, "smsCode").await.status, 200);
    let sms = wait_for_text(&app, 1).await;
    assert_eq!(sms[0]["to"], "+821012345678");
    assert_eq!(sms[0]["kind"], "code");
    let code = six_digits(sms[0]["text"].as_str().unwrap()).unwrap();
    assert!(sms[0]["text"].as_str().unwrap().contains("본인확인 계약서"), "{}", sms[0]["text"]);
    let stored: Vec<String> = sqlx::query_scalar("SELECT text FROM text_messages").fetch_all(app.db.pool()).await.unwrap();
    assert!(stored.iter().all(|t| t.starts_with("v1:") && !t.contains(&code)), "SMS are encrypted at rest");
    let age = "UPDATE identity_requests SET expires_at = '2020-01-01T00:00:00.000Z', requested_at = '2020-01-01T00:00:00.000Z' WHERE recipient_id = $1";
    sqlx::query(age).bind(&rid).execute(app.db.pool()).await.unwrap();
    let r = answer(&a, &token, json!({ "method": "smsCode", "code": code })).await;
    assert_eq!(r.code(), "VERIFICATION_CODE_EXPIRED", "{}", r.body);

    // Five wrong answers lock; then even the right code is refused.
    assert_eq!(ask_code(&a, &token, "smsCode").await.status, 200);
    let code = six_digits(wait_for_text(&app, 2).await[0]["text"].as_str().unwrap()).unwrap();
    let wrong = if code == "999999" { "888888" } else { "999999" };
    for left in (1..5).rev() {
        let r = answer(&a, &token, json!({ "method": "smsCode", "code": wrong })).await;
        assert_eq!(r.code(), "VERIFICATION_FAILED", "{}", r.body);
        assert!(r.json()["message"].as_str().unwrap().contains(&format!("{left} tries left")), "{}", r.body);
    }
    let r = answer(&a, &token, json!({ "method": "smsCode", "code": wrong })).await;
    assert_eq!((r.status, r.code().as_str()), (403, "VERIFICATION_LOCKED"), "{}", r.body);
    let r = answer(&a, &token, json!({ "method": "smsCode", "code": code })).await;
    assert_eq!(r.code(), "VERIFICATION_LOCKED");
    assert_eq!(ask_code(&a, &token, "smsCode").await.code(), "VERIFICATION_LOCKED");
    assert_eq!(a.call("sign/view", &[("token", &token)]).await.json()["verification"]["locked"], true);
    assert!(a.get(&format!("/sign/{token}")).await.body.contains("data-testid=\"verify-locked\""));
    assert_eq!(recipient(&app, &key, &id, 0).await["locked"], true);
    assert!(events(&app, &key, &id).await.contains(&"recipient.locked".to_owned()));

    // Only the sender of this organization unlocks; the old code has lapsed.
    let other = key_for(&app, "identity-other").await;
    assert_eq!(call(&app, &other, "POST", &format!("/envelopes/{id}/recipients/{rid}/unlock"), None).await.status, 404);
    let r = call(&app, &key, "POST", &format!("/envelopes/{id}/recipients/{rid}/unlock"), None).await;
    assert_eq!((r.status, r.json()["unlocked"].clone()), (200, json!(true)), "{}", r.body);
    assert_eq!(call(&app, &key, "POST", &format!("/envelopes/{id}/recipients/{rid}/unlock"), None).await.json()["unlocked"], false);
    assert_eq!(answer(&a, &token, json!({ "method": "smsCode", "code": code })).await.code(), "VERIFICATION_CODE_EXPIRED");
    sqlx::query(age).bind(&rid).execute(app.db.pool()).await.unwrap();
    assert_eq!(ask_code(&a, &token, "smsCode").await.status, 200);
    let code = six_digits(wait_for_text(&app, 3).await[0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(answer(&a, &token, json!({ "method": "smsCode", "code": code })).await.status, 200);
    assert!(a.call("sign/view", &[("token", &token)]).await.json()["verification"].is_null());
    assert!(events(&app, &key, &id).await.contains(&"recipient.unlocked".to_owned()));
    app.stop().await;
}

#[tokio::test]
async fn parallel_guesses_spend_no_more_than_five_attempts() {
    let app = spawn().start().await;
    let key = key_for(&app, "identity-race").await;
    let (id, _, links) = sent(&app, &key, json!([{ "email": "a@example.com", "name": "가", "authMethod": "accessCode", "accessCode": "correct-code" }])).await;
    let token = token_of(&links[0]);
    let guesses = (0..20).map(|i| {
        let b = app.new_browser();
        let token = token.clone();
        async move { answer(&b, &token, json!({ "method": "accessCode", "code": format!("guess-{i}") })).await.code() }
    });
    let codes = futures::future::join_all(guesses).await;
    let failed = codes.iter().filter(|c| *c == "VERIFICATION_FAILED").count();
    let locked = codes.iter().filter(|c| *c == "VERIFICATION_LOCKED").count();
    assert_eq!((failed, locked), (4, 16), "{codes:?}");
    let kinds = events(&app, &key, &id).await;
    assert_eq!(kinds.iter().filter(|k| *k == "identity.failed").count(), 5, "{kinds:?}");
    assert_eq!(answer(&app.new_browser(), &token, json!({ "method": "accessCode", "code": "correct-code" })).await.code(), "VERIFICATION_LOCKED");

    // One code typed in two browsers at once opens one of them.
    let (id, _, links) = sent(&app, &key, json!([{ "email": "b@example.com", "name": "나", "authMethod": "emailCode" }])).await;
    let token = token_of(&links[0]);
    assert_eq!(ask_code(&app.new_browser(), &token, "emailCode").await.status, 200);
    let code = emailed_code(&app, &id).await;
    let tries = (0..4).map(|_| {
        let (b, token, code) = (app.new_browser(), token.clone(), code.clone());
        async move { answer(&b, &token, json!({ "method": "emailCode", "code": code })).await.status }
    });
    let statuses = futures::future::join_all(tries).await;
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "a code works once: {statuses:?}");
    app.stop().await;
}

#[tokio::test]
async fn access_codes_and_what_the_signer_knows_are_compared_with_what_the_sender_entered() {
    let app = spawn().start().await;
    let key = key_for(&app, "identity-knowledge").await;

    // What the sender enters is checked, every problem with its path.
    let doc = upload(&app, &key, PDF, &[]).await.json()["id"].as_str().unwrap().to_owned();
    let bad = json!({ "subject": "x", "documentIds": [doc], "recipients": [
        { "email": "a@example.com", "name": "가", "authMethod": ["accessCode", "knowledge"] },
        { "email": "b@example.com", "name": "나", "authMethod": "smsCode", "phone": "010-12" },
        { "email": "c@example.com", "name": "다", "channel": "sms" },
        { "email": "d@example.com", "name": "라", "authMethod": "knowledge", "phone": "01012345678", "birthDate": "1990-02-30" },
        { "email": "e@example.com", "name": "마", "accessCode": "1234" },
    ] });
    let r = call(&app, &key, "POST", "/envelopes", Some(bad)).await;
    assert_eq!((r.status, r.code().as_str()), (422, "VALIDATION_FAILED"), "{}", r.body);
    let got: Vec<(String, String)> =
        r.json()["fields"].as_array().unwrap().iter().map(|f| (f["field"].as_str().unwrap().to_owned(), f["code"].as_str().unwrap().to_owned())).collect();
    for want in [
        ("recipients[0].phone", "required"),
        ("recipients[0].accessCode", "required"),
        ("recipients[0].birthDate", "required"),
        ("recipients[1].phone", "invalid"),
        ("recipients[2].phone", "required"),
        ("recipients[3].birthDate", "invalid"),
        ("recipients[4].accessCode", "not_allowed"),
    ] {
        assert!(got.contains(&(want.0.to_owned(), want.1.to_owned())), "{want:?} in {got:?}");
    }
    let r = call(
        &app,
        &key,
        "POST",
        "/envelopes",
        Some(json!({ "subject": "x", "documentIds": [doc], "recipients": [{ "email": "a@example.com", "name": "가", "authMethod": "passport" }] })),
    )
    .await;
    assert!(r.status == 400 || r.status == 422, "an unknown check is refused: {} {}", r.status, r.body);

    let doc2 = upload(&app, &key, PDF, &[]).await.json()["id"].as_str().unwrap().to_owned();
    let created = call(&app, &key, "POST", "/envelopes", Some(json!({ "subject": "접근 코드 계약서", "documentIds": [doc2], "recipients": [
        { "email": "a@example.com", "name": "가나다", "authMethod": ["accessCode", "knowledge"], "accessCode": "7291-문", "phone": "010-2222-3333", "birthDate": "1990-05-17" },
    ] }))).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.json()["id"].as_str().unwrap().to_owned();
    // Changing only the fields keeps the checks.
    let r = call(
        &app,
        &key,
        "PATCH",
        &format!("/envelopes/{id}"),
        Some(json!({ "fields": [
        { "document": doc2, "page": 0, "x": 0.1, "y": 0.8, "width": 0.3, "height": 0.05, "type": "signature", "recipient": "a@example.com" }] })),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let s = call(&app, &key, "POST", &format!("/envelopes/{id}/send"), None).await;
    assert_eq!(s.status, 200, "{}", s.body);
    for secret in ["7291", "19900517", "1990-05-17"] {
        assert!(!s.body.contains(secret), "{secret} is never returned");
    }
    assert_eq!(s.json()["envelope"]["recipients"][0]["authMethod"], json!(["accessCode", "knowledge"]));
    let (code_hash, birth_hash): (String, String) = sqlx::query_as("SELECT access_code_hash, birth_date_hash FROM recipient_identity WHERE envelope_id = $1")
        .bind(&id)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert!(!code_hash.contains("7291") && !birth_hash.contains("1990") && code_hash.len() == 64);
    let token = token_of(&sign_urls(&s.json())[0]);
    let a = app.new_browser();

    assert_eq!(answer(&a, &token, json!({ "method": "accessCode", "code": "7291" })).await.code(), "VERIFICATION_FAILED");
    assert_eq!(answer(&a, &token, json!({ "method": "accessCode", "code": " 7291-문 " })).await.status, 200);
    let view = a.call("sign/view", &[("token", &token)]).await.json();
    let steps = view["verification"]["steps"].as_array().unwrap();
    assert_eq!((steps[0]["done"].clone(), steps[1]["done"].clone()), (json!(true), json!(false)), "one check passed, one left: {view}");
    assert_eq!(view["documents"], json!([]));
    let r = answer(&a, &token, json!({ "method": "knowledge", "phone": "010-2222-3333", "birth_date": "1990-05-18" })).await;
    assert_eq!(r.code(), "VERIFICATION_FAILED");
    let r = answer(&a, &token, json!({ "method": "knowledge", "phone": "010-2222-4444", "birth_date": "19900517" })).await;
    assert_eq!(r.code(), "VERIFICATION_FAILED");
    let r = answer(&a, &token, json!({ "method": "knowledge", "phone": "+82 10 2222 3333", "birth_date": "19900517" })).await;
    assert_eq!(r.status, 200, "the same number in another form: {}", r.body);
    let again = answer(&a, &token, json!({ "method": "accessCode", "code": " 7291-문 " })).await;
    assert_eq!(again.status, 422, "a passed check is not answered again: {}", again.body);
    let view = a.call("sign/view", &[("token", &token)]).await.json();
    assert!(view["verification"].is_null(), "{view}");
    assert_eq!(view["fields"].as_array().unwrap().len(), 1);
    let r = recipient(&app, &key, &id, 0).await;
    assert_eq!(r["verifiedMethods"], json!(["accessCode", "knowledge"]));

    // The page's own forms: a failed answer comes back to the page with its code.
    let b = app.new_browser();
    let res = b.client.post(b.url(&format!("/sign/{token}/verify"))).form(&[("method", "accessCode"), ("code", "nope")]).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], format!("/sign/{token}?verify_error=VERIFICATION_FAILED").as_str());
    let page = b.get(&format!("/sign/{token}?verify_error=VERIFICATION_FAILED")).await.body;
    assert!(page.contains("data-testid=\"verify-error\"") && page.contains("data-code=\"VERIFICATION_FAILED\""), "{page}");
    app.stop().await;
}

/// A local SMS gateway: records every request, answers 500 to the first `failures`.
#[derive(Clone, Default)]
struct Gateway {
    seen: Arc<Mutex<Vec<(String, String)>>>,
    failures: usize,
}

impl Gateway {
    async fn start(failures: usize) -> (Self, String) {
        let g = Gateway { seen: Arc::default(), failures };
        let state = g.clone();
        let router = axum::Router::new().route(
            "/v1/messages",
            axum::routing::post(|axum::extract::State(g): axum::extract::State<Gateway>, headers: axum::http::HeaderMap, body: String| async move {
                let auth = headers.get("authorization").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
                let n = {
                    let mut seen = g.seen.lock().unwrap();
                    seen.push((auth, body));
                    seen.len()
                };
                if n <= g.failures {
                    (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "try later")
                } else {
                    (axum::http::StatusCode::OK, "{\"status\":\"accepted\"}")
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/v1/messages", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router.with_state(state)).await.unwrap() });
        (g, url)
    }

    fn seen(&self) -> Vec<(String, String)> {
        self.seen.lock().unwrap().clone()
    }
}

#[tokio::test]
async fn sms_invitations_go_out_through_the_http_gateway_and_are_retried_after_it_fails() {
    let (gateway, url) = Gateway::start(2).await;
    let app = spawn()
        .var("DOJANG_SMS_URL", &url)
        .var("DOJANG_SMS_AUTH_HEADER", "Authorization: Bearer sms-test-key")
        .var("DOJANG_SMS_BODY", r#"{"messages":[{"to":"{to_national}","text":"{text}"}],"from":"{from}"}"#)
        .var("DOJANG_SMS_FROM", "0215880000")
        .start()
        .await;
    assert_eq!(app.get("/dev/sms").await.status, 404, "no capture page when SMS really go out");
    let key = key_for(&app, "identity-sms").await;
    let (id, _, links) = sent(&app, &key, json!([{ "email": "jiwoo@example.com", "name": "박지우", "channel": "sms", "phone": "010 9876 5432" }])).await;
    let invited: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM emails WHERE envelope_id = $1 AND kind = 'invitation'").bind(&id).fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(invited, 0, "an SMS-only recipient gets no email");

    // Each failure is kept for a retry (the schedule is shortened here by moving it forward).
    let t = Instant::now();
    let row = loop {
        let row: (String, i64, Option<String>) =
            sqlx::query_as("SELECT status, attempts, last_error FROM text_messages WHERE envelope_id = $1").bind(&id).fetch_one(app.db.pool()).await.unwrap();
        if row.0 == "sent" {
            break row;
        }
        assert!(row.0 == "queued", "{row:?}");
        if row.2.is_some() {
            assert!(row.2.as_deref().unwrap().contains("500"), "{row:?}");
            sqlx::query("UPDATE text_messages SET next_attempt_at = '2020-01-01T00:00:00.000Z' WHERE envelope_id = $1 AND status = 'queued'")
                .bind(&id)
                .execute(app.db.pool())
                .await
                .unwrap();
        }
        assert!(t.elapsed() < Duration::from_secs(30), "{row:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(row.1, 3, "two failures, then delivered");
    let seen = gateway.seen();
    assert_eq!(seen.len(), 3);
    for (auth, body) in &seen {
        assert_eq!(auth, "Bearer sms-test-key");
        let v: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
        assert_eq!(v["messages"][0]["to"], "01098765432");
        assert_eq!(v["from"], "0215880000");
        let text = v["messages"][0]["text"].as_str().unwrap();
        assert!(text.contains("본인확인 계약서"), "the Korean text: {text}");
        // A short link (128 bits) that leads to the signing page.
        let short = text.split_whitespace().find(|w| w.contains("/s/")).unwrap_or_else(|| panic!("a short link in {text}"));
        let token = short.rsplit('/').next().unwrap();
        assert_eq!(token.len(), 22, "{short}");
        assert!(short.len() < links[0].len(), "{short} is shorter than {}", links[0]);
        let hop = app.get(&format!("/s/{token}")).await;
        assert_eq!((hop.status, hop.header("location")), (303, Some(format!("/sign/{token}"))));
        let view = app.new_browser().call("sign/view", &[("token", token)]).await;
        assert_eq!((view.status, view.json()["recipient_name"].clone()), (200, json!("박지우")), "{}", view.body);
    }
    assert_eq!(app.get("/s/not-a-token").await.code(), "SIGNING_LINK_INVALID");
    let kinds = events(&app, &key, &id).await;
    assert!(kinds.contains(&"sms.queued".to_owned()) && kinds.contains(&"sms.delivered".to_owned()), "{kinds:?}");
    let r = recipient(&app, &key, &id, 0).await;
    assert_eq!((r["channel"].clone(), r["status"].clone()), (json!("sms"), json!("sent")), "{r}");

    // A reminder goes by SMS too, with a new short link.
    assert_eq!(call(&app, &key, "POST", &format!("/envelopes/{id}/remind"), None).await.status, 200);
    let t = Instant::now();
    while gateway.seen().len() < 4 {
        assert!(t.elapsed() < Duration::from_secs(20), "the reminder SMS");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let v: Value = serde_json::from_str(&gateway.seen()[3].1).unwrap();
    let text = v["messages"][0]["text"].as_str().unwrap();
    assert!(text.contains("알림") && text.contains("/s/"), "{text}");
    let kinds: Vec<String> =
        sqlx::query_scalar("SELECT kind FROM text_messages WHERE envelope_id = $1 ORDER BY created_at").bind(&id).fetch_all(app.db.pool()).await.unwrap();
    assert_eq!(kinds, ["invitation", "reminder"]);
    app.stop().await;
}

#[tokio::test]
async fn a_verification_is_reported_to_webhooks() {
    let receiver = crate::webhooks::Receiver::start();
    let app = spawn().var("DOJANG_WEBHOOK_ALLOW_PRIVATE", "true").start().await;
    let key = key_for(&app, "identity-hooks").await;
    let endpoint = crate::webhooks::register(&app, &key, &receiver.url(), &["recipient.verified"]).await;
    receiver.setup(json!({ "secret": endpoint["secret"] })).await;
    let (id, _, links) = sent(&app, &key, json!([{ "email": "a@example.com", "name": "김하나", "authMethod": "accessCode", "accessCode": "2580" }])).await;
    let a = app.new_browser();
    assert_eq!(answer(&a, &token_of(&links[0]), json!({ "method": "accessCode", "code": "2580" })).await.status, 200);
    let log = receiver.wait("recipient.verified", 30, |log| log.iter().any(|e| e["type"] == "recipient.verified")).await;
    let e = log.iter().find(|e| e["type"] == "recipient.verified").unwrap();
    assert_eq!(e["verified"], true);
    assert_eq!(e["event"]["data"]["envelope"]["id"], id.as_str());
    assert_eq!(e["event"]["data"]["recipient"]["name"], "김하나");

    // Signed and sealed: the verification report says how the signer was verified.
    let token = token_of(&links[0]);
    assert_eq!(a.call("sign/consent", &[("token", &token)]).await.status, 200);
    let fields: Vec<Value> =
        crate::webhooks::fields_of(&app.db, &id, "a@example.com").await.into_iter().map(|f| json!({ "field_id": f, "signature": 0 })).collect();
    let png = format!("data:image/png;base64,{}", crate::seal::base64_encode(&crate::seal::magenta_png(400, 200)));
    let r =
        a.call_json("sign/submit", json!({ "token": token, "submission": { "fields": fields, "signatures": [{ "method": "uploaded", "png": png }] } })).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let done = crate::integrators::completed(&app, &key, &id).await;
    let doc = done["documents"][0]["id"].as_str().unwrap().to_owned();
    let res = app.client.get(app.url(&format!("/api/v1/envelopes/{id}/signed-document?document={doc}"))).bearer_auth(&key).send().await.unwrap();
    let report = crate::seal::verify_file(&app, res.bytes().await.unwrap().to_vec()).await;
    assert_eq!(report["intact"], true, "{report}");
    assert_eq!(report["envelope"]["signers"][0]["verifiedBy"], json!(["accessCode"]), "{report}");
    assert!(report["envelope"]["signers"][0]["verifiedAt"].as_str().unwrap().ends_with('Z'));
    app.stop().await;
}

#[tokio::test]
async fn a_right_answer_to_one_check_buys_no_more_guesses_at_another() {
    let app = spawn().start().await;
    let key = key_for(&app, "identity-reset").await;
    let (id, _, links) =
        sent(&app, &key, json!([{ "email": "a@example.com", "name": "가", "authMethod": ["emailCode", "accessCode"], "accessCode": "4821" }])).await;
    let token = token_of(&links[0]);
    let a = app.new_browser();
    for i in 0..4 {
        assert_eq!(answer(&a, &token, json!({ "method": "accessCode", "code": format!("000{i}") })).await.code(), "VERIFICATION_FAILED");
    }
    // The attacker reads the mailbox and passes the email check…
    assert_eq!(ask_code(&a, &token, "emailCode").await.status, 200);
    let code = emailed_code(&app, &id).await;
    assert_eq!(answer(&a, &token, json!({ "method": "emailCode", "code": code })).await.status, 200);
    // …and still has one guess left at the access code, not five.
    assert_eq!(answer(&a, &token, json!({ "method": "accessCode", "code": "0009" })).await.code(), "VERIFICATION_LOCKED");
    assert_eq!(answer(&a, &token, json!({ "method": "accessCode", "code": "4821" })).await.code(), "VERIFICATION_LOCKED");
    app.stop().await;
}

/// Consents and signs every field of `email` in browser `b` (checks passed already).
async fn sign_all(app: &TestApp, b: &TestApp, id: &str, token: &str, email: &str) {
    assert_eq!(b.call("sign/consent", &[("token", token)]).await.status, 200);
    let fields: Vec<Value> = crate::webhooks::fields_of(&app.db, id, email).await.into_iter().map(|f| json!({ "field_id": f, "signature": 0 })).collect();
    let png = format!("data:image/png;base64,{}", crate::seal::base64_encode(&crate::seal::magenta_png(400, 200)));
    let r =
        b.call_json("sign/submit", json!({ "token": token, "submission": { "fields": fields, "signatures": [{ "method": "uploaded", "png": png }] } })).await;
    assert_eq!(r.status, 200, "{email}: {}", r.body);
}

/// The `/download/{token}` link in a text.
fn download_token(text: &str) -> String {
    let at = text.find("/download/").unwrap_or_else(|| panic!("a download link in {text}")) + "/download/".len();
    text[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect()
}

#[tokio::test]
async fn a_checked_recipients_copy_opens_only_after_their_checks_again() {
    let app = spawn().start().await;
    let key = key_for(&app, "identity-copy").await;
    let (id, _, links) = sent(
        &app,
        &key,
        json!([
            { "email": "checked@example.com", "name": "김확인", "authMethod": "accessCode", "accessCode": "2468-보안" },
            { "email": "plain@example.com", "name": "이보통" },
            { "email": "texted@example.com", "name": "박문자", "channel": "both", "phone": "010-5555-6666" },
        ]),
    )
    .await;
    let checked = app.new_browser();
    assert_eq!(answer(&checked, &token_of(&links[0]), json!({ "method": "accessCode", "code": "2468-보안" })).await.status, 200);
    for (i, (b, email)) in
        [(&checked, "checked@example.com"), (&app.new_browser(), "plain@example.com"), (&app.new_browser(), "texted@example.com")].into_iter().enumerate()
    {
        sign_all(&app, b, &id, &token_of(&links[i]), email).await;
    }
    let done = crate::integrators::completed(&app, &key, &id).await;
    let doc = done["documents"][0]["id"].as_str().unwrap().to_owned();

    // Who gets what: the plain recipient the files attached; the checked one a link only.
    let mails: Vec<(String, String, String)> = sqlx::query_as("SELECT to_email, text, attachments FROM emails WHERE envelope_id = $1 AND kind = 'completed'")
        .bind(&id)
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    let mail_to = |email: &str| mails.iter().find(|m| m.0 == email).unwrap_or_else(|| panic!("a completion mail to {email}: {mails:?}")).clone();
    let plain = mail_to("plain@example.com");
    assert!(plain.2.contains("storage_key") && !plain.1.contains("/download/"), "{plain:?}");
    let mine = mail_to("checked@example.com");
    assert_eq!(mine.2, "[]", "no sealed file goes to an inbox of a checked recipient");
    assert!(mine.1.contains("본인 확인"), "{}", mine.1);
    let token = download_token(&mine.1);
    let texted = mail_to("texted@example.com");
    assert!(texted.2.contains("storage_key"), "no checks: the files attached by email, as for anyone: {texted:?}");
    let sms = wait_for_text(&app, 2).await;
    let done_text = sms.iter().find(|m| m["kind"] == "completed").unwrap_or_else(|| panic!("a completion SMS: {sms:?}"));
    assert_eq!(done_text["to"], "+821055556666");
    assert!(done_text["text"].as_str().unwrap().contains("본인확인 계약서"), "{done_text}");
    let texted_token = download_token(done_text["text"].as_str().unwrap());
    let b = app.new_browser();
    let v = b.call("download/view", &[("token", &texted_token)]).await.json();
    assert!(v["verification"].is_null() && !v["documents"].as_array().unwrap().is_empty(), "no checks, the files: {v}");

    // The checked recipient's link: the checks first, in any browser (even the one that signed
    // holds a session for the signing link's recipient, so it opens there).
    let stranger = app.new_browser();
    let v = stranger.call("download/view", &[("token", &token)]).await.json();
    assert_eq!(v["verification"]["steps"][0]["method"], "accessCode", "{v}");
    assert_eq!(v["documents"], json!([]));
    let page = stranger.get(&format!("/download/{token}")).await;
    assert!(page.body.contains("data-testid=\"verify\"") && !page.body.contains("/documents/"), "{}", page.body);
    for path in [format!("/download/{token}/documents/{doc}"), format!("/download/{token}/audit-trail.pdf")] {
        let r = stranger.get(&path).await;
        assert_eq!((r.status, r.code().as_str()), (403, "VERIFICATION_REQUIRED"), "{path}: {}", r.body);
    }
    let r = post(&stranger, &format!("/download/{token}/verify"), json!({ "method": "accessCode", "code": "1357" })).await;
    assert_eq!(r.code(), "VERIFICATION_FAILED", "{}", r.body);
    let res =
        stranger.client.post(stranger.url(&format!("/download/{token}/verify"))).form(&[("method", "accessCode"), ("code", "2468-보안")]).send().await.unwrap();
    assert_eq!((res.status().as_u16(), res.headers()["location"].to_str().unwrap()), (303, format!("/download/{token}").as_str()));
    let v = stranger.call("download/view", &[("token", &token)]).await.json();
    assert!(v["verification"].is_null(), "{v}");
    let file = stranger.get(&format!("/download/{token}/documents/{doc}")).await;
    assert_eq!(file.status, 200);
    assert!(file.body.starts_with("%PDF"));
    assert_eq!(stranger.get(&format!("/download/{token}/audit-trail.pdf")).await.status, 200);
    assert_eq!(checked.get(&format!("/download/{token}/documents/{doc}")).await.status, 200, "the signing browser's session counts");
    let kinds = events(&app, &key, &id).await;
    assert_eq!(kinds.iter().filter(|k| *k == "recipient.verified").count(), 1, "verified once; {kinds:?}");
    assert!(kinds.contains(&"identity.passed".to_owned()), "{kinds:?}");
    // A plain link takes no checks.
    let r = post(&app.new_browser(), &format!("/download/{texted_token}/verify"), json!({ "method": "accessCode", "code": "2468-보안" })).await;
    assert_eq!(r.status, 422, "{}", r.body);
    app.stop().await;
}

/// The session cookie a reply sets: (name, value).
fn session_cookie(r: &crate::helpers::Reply) -> (String, String) {
    let c = r.header("set-cookie").unwrap_or_else(|| panic!("a session cookie: {:?}", r.headers));
    let pair = c.split(';').next().unwrap();
    let (n, v) = pair.split_once('=').unwrap();
    (n.to_owned(), v.to_owned())
}

#[tokio::test]
async fn sessions_rotate_at_every_step_and_a_lockout_forgets_checks_passed_part_way() {
    let app = spawn().start().await;
    let key = key_for(&app, "identity-rotate").await;
    let (id, _, links) = sent(
        &app,
        &key,
        json!([{ "email": "a@example.com", "name": "가", "authMethod": ["accessCode", "knowledge"], "accessCode": "9753", "phone": "010-3333-4444", "birthDate": "1985-12-01" }]),
    )
    .await;
    let rid = recipient(&app, &key, &id, 0).await["id"].as_str().unwrap().to_owned();
    let token = token_of(&links[0]);
    let a = app.new_browser();

    // The phone check asks for the number: its last digits are not shown anywhere.
    let view = a.call("sign/view", &[("token", &token)]).await;
    assert!(!view.body.contains("4444"), "{}", view.body);

    let r = answer(&a, &token, json!({ "method": "accessCode", "code": "9753" })).await;
    let (name, first) = session_cookie(&r);
    assert!(name.starts_with("__Host-"), "{name}");
    assert!(r.header("set-cookie").unwrap().contains("Path=/") && !r.header("set-cookie").unwrap().contains("Domain"));
    // The last step sent twice at once from this browser (a double tap): one passes and
    // sets the new token, the other sets nothing (no second, lesser session).
    let twice = (0..2).map(|_| {
        let client = reqwest::Client::new();
        let (url, cookie) = (app.url(&format!("/sign/{token}/verify")), format!("{name}={first}"));
        async move {
            let res = client
                .post(url)
                .header("cookie", cookie)
                .header("accept", "application/json")
                .json(&json!({ "method": "knowledge", "phone": "01033334444", "birth_date": "1985-12-01" }))
                .send()
                .await
                .unwrap();
            crate::helpers::Reply { status: res.status().as_u16(), headers: res.headers().clone(), body: res.text().await.unwrap_or_default() }
        }
    });
    let replies = futures::future::join_all(twice).await;
    let passed: Vec<&crate::helpers::Reply> = replies.iter().filter(|r| r.status == 200).collect();
    assert_eq!(passed.len(), 1, "{:?}", replies.iter().map(|r| (r.status, r.body.clone())).collect::<Vec<_>>());
    let other = replies.iter().find(|r| r.status != 200).unwrap();
    assert!(other.header("set-cookie").is_none() && other.status == 422, "{} {}", other.status, other.body);
    let (_, second) = session_cookie(passed[0]);
    assert_ne!(first, second, "a new token at every step");
    let with = |value: &str| {
        let (name, value) = (name.clone(), value.to_owned());
        let client = reqwest::Client::new();
        let url = app.url(&format!("/_fn/sign/view"));
        let token = token.clone();
        async move {
            let res = client.post(url).header("cookie", format!("{name}={value}")).form(&[("token", token)]).send().await.unwrap();
            serde_json::from_str::<Value>(&res.text().await.unwrap()).unwrap()
        }
    };
    assert!(with(&second).await["verification"].is_null(), "the new token opens the contract");
    assert!(!with(&first).await["verification"].is_null(), "the token before the step no longer does");

    // A second browser passes the access code, then someone locks the recipient out.
    let b = app.new_browser();
    assert_eq!(answer(&b, &token, json!({ "method": "accessCode", "code": "9753" })).await.status, 200);
    let c = app.new_browser();
    for _ in 0..5 {
        answer(&c, &token, json!({ "method": "knowledge", "phone": "01000000000", "birth_date": "1985-12-01" })).await;
    }
    assert_eq!(recipient(&app, &key, &id, 0).await["locked"], true);
    assert_eq!(call(&app, &key, "POST", &format!("/envelopes/{id}/recipients/{rid}/unlock"), None).await.status, 200);
    let steps = b.call("sign/view", &[("token", &token)]).await.json()["verification"]["steps"].clone();
    assert_eq!(steps[0]["done"], false, "the access code is asked again after the lockout: {steps}");
    assert!(with(&second).await["verification"].is_null(), "a browser that passed every check keeps its session");

    // Right answers to one check alone never use up the count.
    for _ in 0..6 {
        assert_eq!(answer(&app.new_browser(), &token, json!({ "method": "accessCode", "code": "9753" })).await.status, 200);
    }
    assert_eq!(recipient(&app, &key, &id, 0).await["locked"], false);
    let d = app.new_browser();
    assert_eq!(answer(&d, &token, json!({ "method": "accessCode", "code": "9753" })).await.status, 200);
    assert_eq!(answer(&d, &token, json!({ "method": "knowledge", "phone": "01033334444", "birth_date": "19851201" })).await.status, 200);
    app.stop().await;
}

#[tokio::test]
async fn secrets_left_out_of_a_change_keep_the_stored_ones_and_test_sms_count_against_the_cap() {
    let app = spawn().var("DOJANG_TEST_EMAILS_PER_DAY", "2").start().await;
    let key = crate::rest::org_with_key(&app, "identity-kept", dojang_core::model::Mode::Test).await.key;
    let doc = upload(&app, &key, PDF, &[]).await.json()["id"].as_str().unwrap().to_owned();
    let r = call(
        &app,
        &key,
        "POST",
        "/envelopes",
        Some(json!({ "subject": "접근 코드", "documentIds": [doc], "recipients": [
        { "email": "a@example.com", "name": "가", "authMethod": "accessCode", "accessCode": "8642", "channel": "sms", "phone": "010-7777-8888" }] })),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.json()["id"].as_str().unwrap().to_owned();
    // The same recipient again (a form that never shows the code sends none): the code stays.
    let r = call(
        &app,
        &key,
        "PATCH",
        &format!("/envelopes/{id}"),
        Some(json!({ "recipients": [
        { "email": "a@example.com", "name": "가나", "authMethod": "accessCode", "channel": "sms", "phone": "010-7777-8888" }] })),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let s = call(&app, &key, "POST", &format!("/envelopes/{id}/send"), None).await;
    assert_eq!(s.status, 200, "{}", s.body);
    let token = token_of(&sign_urls(&s.json())[0]);
    assert_eq!(answer(&app.new_browser(), &token, json!({ "method": "accessCode", "code": "8642" })).await.status, 200);

    // A test envelope's SMS count against the organization's daily test cap, as its mail does.
    let sms = wait_for_text(&app, 1).await;
    assert!(sms[0]["text"].as_str().unwrap().starts_with("[TEST]"), "{sms:?}");
    assert!(!serde_json::to_string(&events(&app, &key, &id).await).unwrap().contains("7777-8888"));
    let audit: Vec<String> = sqlx::query_scalar("SELECT data FROM audit_events WHERE envelope_id = $1").bind(&id).fetch_all(app.db.pool()).await.unwrap();
    assert!(audit.iter().all(|d| !d.contains("01077778888") && !d.contains("+821077778888")), "phones are masked in the audit log: {audit:?}");
    assert_eq!(call(&app, &key, "POST", &format!("/envelopes/{id}/remind"), None).await.status, 200, "the second of two");
    sqlx::query("UPDATE recipients SET last_reminded_at = NULL WHERE envelope_id = $1").bind(&id).execute(app.db.pool()).await.unwrap();
    let r = call(&app, &key, "POST", &format!("/envelopes/{id}/remind"), None).await;
    assert_eq!((r.status, r.code().as_str()), (429, "TEST_EMAIL_LIMIT"), "{}", r.body);
    app.stop().await;
}

/// A signing page that shows a check, loaded again and again as a browser does after wrong
/// answers, leaves no connection or write lock behind: every page answers at once and the
/// answers after them are still written (a page's load once held a transaction past its
/// response and every later write of the database failed as locked).
#[tokio::test]
async fn signing_pages_with_a_check_hold_nothing_of_the_database_after_they_are_sent() {
    let app = spawn().start().await;
    let key = key_for(&app, "identity-pages").await;
    let (_, _, links) =
        sent(&app, &key, json!([{ "email": "a@example.com", "name": "가나다", "authMethod": "accessCode", "accessCode": "열려라-참깨" }])).await;
    let token = token_of(&links[0]);
    let b = app.new_browser();
    let gzip = [("accept-encoding", "gzip, deflate, br, zstd"), ("accept", "text/html")];
    // More pages than the pool has connections (8 on SQLite).
    for i in 0..20 {
        let page = tokio::time::timeout(Duration::from_secs(5), b.get_with(&format!("/sign/{token}"), if i % 2 == 0 { &gzip } else { &[] }))
            .await
            .expect("the page answers at once");
        assert_eq!(page.status, 200);
        if i % 5 == 4 {
            let res = b.client.post(b.url(&format!("/sign/{token}/verify"))).form(&[("method", "accessCode"), ("code", "틀림")]).send().await.unwrap();
            assert_eq!(res.status(), 303, "a wrong answer is written and answered");
        }
    }
    let r = tokio::time::timeout(Duration::from_secs(5), answer(&b, &token, json!({ "method": "accessCode", "code": "열려라-참깨" })))
        .await
        .expect("answered at once");
    assert_eq!(r.status, 200, "{}", r.body);
    app.stop().await;
}
