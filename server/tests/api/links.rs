//! Links that end: once an envelope is cancelled, declined, expired or completed, its signing
//! links show where it stands and nothing else (no page images, no values); download links
//! stop working when they expire.

use crate::helpers::{spawn, TestApp};
use crate::signing::{consent, drawing, link_token, send_envelope, submit, view, Sent};
use serde_json::json;

const A_VALUE: &str = "서울특별시 중구 세종대로 110";

/// Two parallel signers; the first has signed, so the second sees a value of theirs.
async fn half_signed(app: &TestApp) -> (Sent, String, String, String) {
    let sent = send_envelope(app, &[("가나다", "a@example.com", 1), ("라마바", "b@example.com", 1)], |_| json!({})).await;
    let a = link_token(app, &sent, 0).await;
    let b = link_token(app, &sent, 1).await;
    assert_eq!(consent(app, &a).await.status, 200);
    let r = submit(app, &sent, &a, 0, drawing("mouse", false)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = view(app, &b).await;
    assert!(v.body.contains(A_VALUE), "while open, the other signer's values show");
    let doc = v.json()["documents"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(app.get_bytes(&format!("/_app/sign/{b}/documents/{doc}/pages/0")).await.0, 200);
    (sent, a, b, doc)
}

async fn assert_closed(app: &TestApp, token: &str, doc: &str, state: &str, how: &str) {
    let v = view(app, token).await;
    assert_eq!(v.status, 200, "{how}: {}", v.body);
    let j = v.json();
    assert_eq!(j["state"], state, "{how}");
    assert_eq!(j["documents"], json!([]), "{how}: no documents");
    assert_eq!(j["fields"], json!([]), "{how}: no fields");
    assert!(!v.body.contains(A_VALUE), "{how}: no values");
    for size in ["page", "thumb"] {
        let (status, _, body) = app.get_bytes(&format!("/_app/sign/{token}/documents/{doc}/pages/0?size={size}")).await;
        assert!(status == 409 || status == 410, "{how}: a page image after the end: {status}");
        assert_ne!(body.get(..2), Some(&[0xFF, 0xD8][..]), "{how}: no JPEG");
    }
    let page = app.get(&format!("/sign/{token}")).await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains(&format!("/documents/{doc}/pages/")), "{how}: the page shows no page images");
}

#[tokio::test]
async fn signing_links_show_only_their_closed_state_once_the_envelope_ends() {
    let app = spawn().start().await;

    let s = app.new_browser();
    let (sent, a, b, doc) = half_signed(&s).await;
    let csrf = s.csrf_token().await;
    assert_eq!(s.call("envelopes/cancel", &[("csrf", &csrf), ("id", &sent.envelope), ("reason", "조건 변경")]).await.status, 200);
    assert_closed(&s, &b, &doc, "cancelled", "cancelled").await;
    assert_closed(&s, &a, &doc, "cancelled", "cancelled, for the one who signed").await;

    let s = app.new_browser();
    let (_, a, b, doc) = half_signed(&s).await;
    assert_eq!(s.call("sign/decline", &[("token", &b), ("reason", "금액이 다릅니다")]).await.status, 200);
    assert_closed(&s, &b, &doc, "declined", "declined").await;
    assert_closed(&s, &a, &doc, "declined", "declined, for the one who signed").await;

    let s = app.new_browser();
    let (sent, _, b, doc) = half_signed(&s).await;
    sqlx::query("UPDATE envelopes SET expires_at = '2020-01-01T00:00:00.000Z' WHERE id = $1").bind(&sent.envelope).execute(app.db.pool()).await.unwrap();
    assert_closed(&s, &b, &doc, "expired", "expired").await;

    let s = app.new_browser();
    let (sent, a, b, doc) = half_signed(&s).await;
    assert_eq!(consent(&s, &b).await.status, 200);
    assert_eq!(submit(&s, &sent, &b, 1, drawing("pen", true)).await.status, 200);
    assert_closed(&s, &b, &doc, "completed", "completed").await;
    assert_closed(&s, &a, &doc, "completed", "completed, for the first signer").await;
    app.stop().await;
}
