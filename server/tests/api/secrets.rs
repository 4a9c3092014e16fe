//! Secrets at rest: responses kept for idempotent replay carry signing links, webhook secrets
//! and tokens, which are stored nowhere else in the clear; so they are kept encrypted, replay
//! exactly, and are swept once past their 24 hours.

use crate::helpers::spawn;
use crate::rest::{call_with, draft, org_with_key};
use dojang_core::model::Mode;
use serde_json::json;

async fn kept_bodies(db: &dojang_core::infra::db::Db) -> Vec<String> {
    sqlx::query_scalar("SELECT COALESCE(body, '') FROM idempotency_keys").fetch_all(db.pool()).await.unwrap()
}

#[tokio::test]
async fn kept_responses_are_encrypted_replayed_exactly_and_swept() {
    let app = spawn().var("DOJANG_SWEEP_SECONDS", "1").var("DOJANG_WEBHOOK_ALLOW_PRIVATE", "true").start().await;
    let k = org_with_key(&app, "idem-secrets", Mode::Live).await;
    let (envelope, _) = draft(&app, &k.key).await;

    let sent = call_with(&app, &k.key, "POST", &format!("/envelopes/{envelope}/send"), None, &[("Idempotency-Key", "send-1")]).await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    let link = sent.json()["recipients"][0]["signUrl"].as_str().unwrap().to_owned();
    let token = link.rsplit('/').next().unwrap().to_owned();
    let hook = call_with(
        &app,
        &k.key,
        "POST",
        "/webhooks",
        Some(json!({ "url": "http://127.0.0.1:9/hook", "events": ["envelope.sent"] })),
        &[("Idempotency-Key", "hook-1")],
    )
    .await;
    assert_eq!(hook.status, 201, "{}", hook.body);
    let whsec = hook.json()["secret"].as_str().unwrap().to_owned();
    let admin = call_with(&app, &k.key, "POST", "/auth/admin-token", Some(json!({ "secret": k.secret })), &[("Idempotency-Key", "admin-1")]).await;
    assert_eq!(admin.status, 200, "{}", admin.body);
    let jwt = admin.json()["adminToken"].as_str().unwrap().to_owned();

    let bodies = kept_bodies(&app.db).await;
    assert_eq!(bodies.len(), 3);
    for b in &bodies {
        for secret in [&token, &whsec, &jwt, &k.secret] {
            assert!(!b.contains(secret.as_str()), "a kept response holds a secret in the clear: {b}");
        }
        assert!(b.starts_with("v1:") && !b.contains("signUrl") && !b.contains('{'), "kept encrypted: {b}");
    }
    let replay = call_with(&app, &k.key, "POST", &format!("/envelopes/{envelope}/send"), None, &[("Idempotency-Key", "send-1")]).await;
    assert_eq!(replay.header("idempotent-replayed").as_deref(), Some("true"));
    assert_eq!(replay.json(), sent.json(), "the replay is the first response exactly");
    let replay = call_with(
        &app,
        &k.key,
        "POST",
        "/webhooks",
        Some(json!({ "url": "http://127.0.0.1:9/hook", "events": ["envelope.sent"] })),
        &[("Idempotency-Key", "hook-1")],
    )
    .await;
    assert_eq!(replay.json()["secret"], whsec.as_str());

    // Past its 24 hours, a kept response is swept.
    sqlx::query("UPDATE idempotency_keys SET expires_at = '2020-01-01T00:00:00.000Z' WHERE idem_key = 'send-1'").execute(app.db.pool()).await.unwrap();
    let mut left = 3;
    for _ in 0..50 {
        left = kept_bodies(&app.db).await.len();
        if left == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(left, 2, "the expired response was swept");
    app.stop().await;
}
