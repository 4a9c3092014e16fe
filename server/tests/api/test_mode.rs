//! Test mode looks like test mode everywhere: the signing page, every email and the
//! standalone audit trail of a test envelope say "not legally binding"; a test key has its
//! own embed allowlist and cannot change the live one; and test invitations are capped per
//! organization and day.

use crate::helpers::{spawn, TestApp};
use crate::rest::{call, draft, org_with_key};
use crate::webhooks::{sign_as, sign_urls};
use dojang_core::i18n::both::TEST_NOTICE;
use dojang_core::model::Mode;
use serde_json::json;
use std::time::{Duration, Instant};

async fn mails(app: &TestApp, envelope: &str) -> Vec<(String, String, String, String)> {
    sqlx::query_as("SELECT kind, subject, text, html FROM emails WHERE envelope_id = $1 ORDER BY created_at")
        .bind(envelope)
        .fetch_all(app.db.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_test_envelope_says_so_on_the_signing_page_in_every_email_and_in_its_audit_trail() {
    let app = spawn().start().await;
    let test = org_with_key(&app, "test-everywhere", Mode::Test).await.key;
    let (id, _) = draft(&app, &test).await;
    let sent = call(&app, &test, "POST", &format!("/envelopes/{id}/send"), None).await.json();
    let urls = sign_urls(&sent);
    let token = urls[0].rsplit('/').next().unwrap().to_owned();

    let view = app.call("sign/view", &[("token", &token)]).await.json();
    assert_eq!(view["test_mode"], true);
    let page = app.get(&format!("/sign/{token}")).await;
    assert!(page.body.contains("data-testid=\"sign-test-mode\"") && page.body.contains(TEST_NOTICE), "the signing page says test");

    sign_as(&app, &id, &urls[0], "minjun@example.com").await;
    sign_as(&app, &id, &urls[1], "seoyeon@example.com").await;
    let t = Instant::now();
    while call(&app, &test, "GET", &format!("/envelopes/{id}"), None).await.json()["status"] != "completed" {
        assert!(t.elapsed() < Duration::from_secs(60), "sealed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let all = mails(&app, &id).await;
    let kinds: Vec<&str> = all.iter().map(|m| m.0.as_str()).collect();
    assert!(kinds.contains(&"invitation") && kinds.contains(&"completed"), "{kinds:?}");
    for (kind, subject, text, html) in &all {
        assert!(subject.starts_with("[TEST] "), "{kind}: {subject}");
        assert!(text.starts_with(TEST_NOTICE), "{kind}: {text}");
        assert!(html.contains(&dojang_core::mail::templates::escape(TEST_NOTICE)), "{kind}");
    }

    let trail = app.client.get(app.url(&format!("/api/v1/envelopes/{id}/audit-trail"))).bearer_auth(&test).send().await.unwrap();
    assert_eq!(trail.status(), 200);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trail.pdf");
    std::fs::write(&path, trail.bytes().await.unwrap()).unwrap();
    let text = crate::seal::pdftotext(&path);
    assert!(text.contains("not legally binding") && text.contains("법적 효력 없음"), "{text}");

    // A live envelope carries none of it.
    let live = org_with_key(&app, "live-plain", Mode::Live).await.key;
    let (live_id, _) = draft(&app, &live).await;
    let live_sent = call(&app, &live, "POST", &format!("/envelopes/{live_id}/send"), None).await.json();
    let live_token = sign_urls(&live_sent)[0].rsplit('/').next().unwrap().to_owned();
    assert_eq!(app.call("sign/view", &[("token", &live_token)]).await.json()["test_mode"], false);
    assert!(mails(&app, &live_id).await.iter().all(|m| !m.1.contains("[TEST]") && !m.2.contains(TEST_NOTICE)));
    app.stop().await;
}

#[tokio::test]
async fn a_test_key_has_its_own_embed_allowlist_and_cannot_change_the_live_one() {
    let app = spawn().start().await;
    let browser = app.new_browser();
    let account = crate::helpers::Account::unique("allowlists");
    assert!(browser.sign_up(&account).await.status < 400);
    let org = dojang_core::accounts::find_organization_by_name(&app.db, &account.org).await.unwrap().unwrap();
    let live = dojang_core::api::keys::create(&app.db, &org, Mode::Live, "live").await.unwrap().key;
    let test = dojang_core::api::keys::create(&app.db, &org, Mode::Test, "test").await.unwrap().key;
    assert_eq!(call(&app, &live, "PUT", "/embedding", Some(json!({ "allowedOrigins": ["https://shop.example"] }))).await.status, 200);
    assert_eq!(call(&app, &test, "PUT", "/embedding", Some(json!({ "allowedOrigins": ["https://evil.example"] }))).await.status, 200);
    assert_eq!(call(&app, &live, "GET", "/embedding", None).await.json()["allowedOrigins"], json!(["https://shop.example"]), "the live list is untouched");
    assert_eq!(call(&app, &test, "GET", "/embedding", None).await.json()["allowedOrigins"], json!(["https://evil.example"]));

    // Live signing pages follow the live list, test ones the test list.
    for (key, allowed, refused) in [(&live, "https://shop.example", "https://evil.example"), (&test, "https://evil.example", "https://shop.example")] {
        let (id, _) = draft(&app, key).await;
        let sent = call(&app, key, "POST", &format!("/envelopes/{id}/send"), None).await.json();
        let path = sign_urls(&sent)[0].trim_start_matches(&app.address).to_owned();
        let csp = app.get(&path).await.header("content-security-policy").unwrap();
        assert!(csp.contains(allowed) && !csp.contains(refused), "{csp}");
    }
    // The settings page (the signed-in user) shows and sets the live list.
    let shown = browser.call("embedding/get", &[]).await.json();
    assert_eq!(shown, json!(["https://shop.example"]));
    app.stop().await;
}

#[tokio::test]
async fn test_invitations_are_capped_per_organization_and_day() {
    let app = spawn().var("DOJANG_TEST_EMAILS_PER_DAY", "3").start().await;
    let test = org_with_key(&app, "test-cap", Mode::Test).await.key;
    let mut first = None;
    for i in 0..3 {
        let (id, _) = draft(&app, &test).await;
        let r = call(&app, &test, "POST", &format!("/envelopes/{id}/send"), None).await;
        assert_eq!(r.status, 200, "send {i}: {}", r.body);
        first.get_or_insert((id, sign_urls(&r.json())));
    }
    // The cap is reached. A signer is never refused for it: the first signer signs, and the
    // invitation their signature brings about (the second signer's turn) is left out.
    let (first, urls) = first.unwrap();
    sign_as(&app, &first, &urls[0], "minjun@example.com").await;
    let kinds: Vec<String> = mails(&app, &first).await.into_iter().map(|m| m.0).collect();
    assert_eq!(kinds, ["invitation"], "only the first invitation went out");
    let invited: Option<String> = sqlx::query_scalar("SELECT invited_at FROM recipients WHERE envelope_id = $1 AND email = 'seoyeon@example.com'")
        .bind(&first)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(invited, None, "the second signer is not marked invited without a mail");
    let (id, _) = draft(&app, &test).await;
    let r = call(&app, &test, "POST", &format!("/envelopes/{id}/send"), None).await;
    assert_eq!((r.status, r.code()), (429, "TEST_EMAIL_LIMIT".to_owned()), "{}", r.body);
    let wait: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=86_400).contains(&wait));
    assert_eq!(call(&app, &test, "GET", &format!("/envelopes/{id}"), None).await.json()["status"], "draft", "nothing was sent");
    assert!(mails(&app, &id).await.is_empty());
    // Live mode is not capped.
    let live = org_with_key(&app, "live-uncapped", Mode::Live).await.key;
    for _ in 0..4 {
        let (id, _) = draft(&app, &live).await;
        assert_eq!(call(&app, &live, "POST", &format!("/envelopes/{id}/send"), None).await.status, 200);
    }
    app.stop().await;
}
